/*
 * esn_framer: NDJSON framing (docs/PROTOCOL.md section 1) for a byte stream.
 *
 * Bytes go in with esn_framer_push(); esn_framer_run() then turns complete
 * lines into records, at most `cap` per call, and builds two outputs that the
 * caller converts once per batch (not once per line):
 *   - the batch: in JSON/EVENT mode the JSON array text "[line,line,...]" of
 *     every line whose value the caller can take as is (one JSON.parse per
 *     batch); in ROUTE mode the routed lines, each ending in '\n';
 *   - the side text: lines the caller must look at itself (invalid, too
 *     long, or JSON that only JavaScript can decide) and, in ROUTE mode, the
 *     session ids. Records point into it in UTF-16 units.
 * Lines are decoded like TextDecoder (invalid UTF-8 -> U+FFFD), trimmed like
 * String.prototype.trim, and skipped when empty. A line longer than
 * max_line bytes is reported once and skipped through its newline without
 * being held in memory. Work is linear in the input.
 */
#ifndef ESN_FRAMER_H
#define ESN_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#include "contracts/contracts_gen.h"
#include "json/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* esn_mode and esn_rec_kind are generated (contracts/contracts_gen.h, from
 * contracts/codes.js). The modes:
 *   JSON: any JSON value.  EVENT: stream events (validate/validate.h).
 *   ROUTE: events, routed as raw lines with type, seq, session id.
 *   ROUTE_FIELDS: routed like ROUTE, but only the routing fields are checked,
 *     in one On-Demand pass (json.h esn_json_fields_many): protocolVersion 1
 *     or 2, sessionId "s_" + at least one char, seq a safe integer >= 0, a
 *     known type, and a payload that is an object. The payload's content
 *     (its rule, even its JSON syntax) is left to whoever reads it. Lines
 *     that fail these checks are ESN_REC_JS: the caller validates them fully.
 *   SCAN: like JSON, but no line is parsed in C: a line that starts with a
 *     bracket closed exactly at its end (esn_json_skip_container), or a
 *     scalar line that esn_json_scan accepts, is a VALUE; any other line is
 *     ESN_REC_JS. The batch array is then valid JSON exactly when its
 *     bracketed lines are, and each VALUE is one element of it: the caller
 *     parses it once (and, should that throw, decides the VALUE lines one by
 *     one). VALUE records carry the value's range in the batch text, in
 *     UTF-16 units.
 *   ROUTE_SCAN: like ROUTE_FIELDS, with the top-level object read by
 *     esn_json_scan in one pass over the line in place: its keys and routing
 *     values are checked token by token, nested containers (the payload) only
 *     for their structure, as ROUTE_FIELDS leaves them to whoever reads them.
 *     Lines whose fields it cannot vouch for (escapes in a key or routing
 *     string, numbers other than plain integers, failed checks) are ESN_REC_JS.
 * A record's fields reach JavaScript in the slots ESN_REC_SLOT_* (same file). */

typedef struct {
  uint8_t kind;      /* esn_rec_kind */
  uint8_t type;      /* esn_event_type (EVENT/ROUTE modes), else 0 */
  double line;       /* 1-based line number; blank lines count */
  double offset;     /* byte offset of the line's first byte in the stream */
  double seq;        /* ROUTE: the event's seq */
  uint32_t start;    /* ROUTE: byte range in the batch; SCAN VALUE: UTF-16 range in the batch;
                        others: UTF-16 range in the side text */
  uint32_t end;
  int64_t sid_start; /* ROUTE: UTF-16 range of the session id in the side text, -1: same as before */
  uint32_t sid_end;
} esn_record;

typedef enum { ESN_FRAMER_OK = 0, ESN_FRAMER_ENOMEM = -1 } esn_framer_status;

/* Bytes of a too-long line kept for the error report (at most max_line + 1). */
#define ESN_FRAMER_PREVIEW 512

typedef struct esn_framer esn_framer;

/* `parser` is borrowed (it may be shared by many framers of one thread). */
esn_framer *esn_framer_new(esn_json_parser *parser, esn_mode mode, size_t max_line);
void esn_framer_free(esn_framer *f);

/* Append input. Lines are not processed until esn_framer_run(). */
esn_framer_status esn_framer_push(esn_framer *f, const uint8_t *data, size_t len);
/* No more input: the last line, even without '\n', is processed by run(). */
void esn_framer_end(esn_framer *f);
/* Process up to `cap` lines into recs; returns the record count (>= 0) or
 * ESN_FRAMER_ENOMEM. *more is set when lines remain (call again). */
long esn_framer_run(esn_framer *f, esn_record *recs, size_t cap, int *more);

const uint8_t *esn_framer_batch(const esn_framer *f, size_t *len);
const uint8_t *esn_framer_side(const esn_framer *f, size_t *len);
/* 1 when the current batch holds only ASCII (it can become a Latin-1 string). */
int esn_framer_batch_ascii(const esn_framer *f);
/* Count of values in the current batch array. */
size_t esn_framer_batch_values(const esn_framer *f);

/* Lines seen so far, and whether an incomplete non-blank line is held. */
double esn_framer_line(const esn_framer *f);
int esn_framer_has_pending(const esn_framer *f);
/* Forget all input and counters (keeps allocations). */
void esn_framer_reset(esn_framer *f);

#ifdef __cplusplus
}
#endif
#endif
