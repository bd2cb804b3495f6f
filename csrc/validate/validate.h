/*
 * esn_validate: the stream-event rules of docs/PROTOCOL.md section 2, checked on a
 * parsed JSON value (json/json.h). Verdicts match the reference's zod schemas
 * (parseStreamEventOrEncrypted) exactly; lib/validate/index.js is the JavaScript twin.
 */
#ifndef ESN_VALIDATE_H
#define ESN_VALIDATE_H

#include <stddef.h>

#include "contracts/contracts_gen.h"
#include "json/json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  /* Valid, and JSON.parse of the line already equals the schema's output:
   * no unknown keys anywhere a rule strips them, no duplicate keys, and keys
   * in the schema's order. */
  ESN_VALID_CANONICAL = 0,
  /* Valid, but the schema's output differs from JSON.parse (keys to strip or
   * reorder): the caller rebuilds the value (lib/validate/index.js normalizeEvent). */
  ESN_VALID_NORMALIZE = 1,
  /* Not a valid stream event. */
  ESN_VALID_INVALID = 2
} esn_verdict;

/* esn_event_type (ESN_EV_NONE = 0, then the types in the order of
 * contracts/events.js, ESN_EV_COUNT) is generated: contracts/contracts_gen.h. */

/* What a router needs, filled as far as the value allows even when invalid. */
typedef struct {
  esn_event_type type; /* ESN_EV_NONE when `type` is missing or unknown */
  double seq;          /* NaN when `seq` is missing or not a number */
  const char *session_id; /* view into the parser's strings; NULL if absent */
  size_t session_id_len;
  const char *reason;  /* static text naming the first rule broken, or NULL */
} esn_event_info;

/* Check `root` against the event rules (the envelope rules when type is
 * "enc"). `info` may be NULL. */
esn_verdict esn_validate_event(esn_json_value root, esn_event_info *info);

/* Map a type name to its code (ESN_EV_NONE when unknown). */
esn_event_type esn_event_type_from_name(const char *s, size_t len);
/* The name of a code ("" for ESN_EV_NONE). */
const char *esn_event_type_name(esn_event_type t);

#ifdef __cplusplus
}
#endif
#endif /* ESN_VALIDATE_H */
