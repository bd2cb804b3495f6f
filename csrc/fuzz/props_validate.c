/*
 * Event validator properties (validate/validate.h), on one JSON text:
 *   - deterministic: validating the same value twice gives the same verdict
 *     and the same event info;
 *   - the info agrees with the verdict: a valid event has a known type, a
 *     non-negative safe-integer seq, a session id "s_..." and no reason; an
 *     invalid one names the rule it broke; type names round-trip;
 *   - the one-pass document-stream parser (esn_json_parse_many, what the
 *     framer runs first) gives the same verdict as the DOM parse;
 *   - the shallow fields path (esn_json_fields, what ROUTE_FIELDS reads)
 *     reads a valid event's type, seq and session id exactly as the DOM did
 *     (or refuses it: the framer then leaves the line to the full validator).
 * Agreement with the JavaScript validator (lib/validate/index.js) is checked on
 * the JS side by test/validate/fuzz.test.js, over these seeds and mutations.
 */
#include <math.h>
#include <string.h>

#include "fuzz/props.h"
#include "json/json.h"
#include "validate/validate.h"

static esn_json_parser *va_parser(void) {
  static esn_json_parser *p;
  if (p == NULL) p = esn_json_parser_new(1000);
  PROP(p != NULL);
  return p;
}

typedef struct {
  int calls;
  esn_verdict v;
  esn_event_type type;
} va_many;

static int va_each(void *ctx, size_t offset, esn_json_value root) {
  va_many *m = (va_many *)ctx;
  m->calls++;
  if (offset != 0) return 1;
  esn_event_info info;
  m->v = esn_validate_event(root, &info);
  m->type = info.type;
  return 0;
}

static int va_same_double(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

void esn_prop_validate(const uint8_t *data, size_t size) {
  uint8_t *buf = (uint8_t *)malloc(size + ESN_JSON_PADDING);
  PROP(buf != NULL);
  if (size) memcpy(buf, data, size);
  memset(buf + size, ' ', ESN_JSON_PADDING);
  esn_json_parser *p = va_parser();
  esn_json_value root;
  esn_json_status st = esn_json_parse(p, buf, size, &root);
  PROP(st == ESN_JSON_OK || st == ESN_JSON_EFAIL);
  if (st != ESN_JSON_OK) {
    free(buf);
    return;
  }
  esn_event_info a, b;
  esn_verdict va = esn_validate_event(root, &a);
  esn_verdict vb = esn_validate_event(root, &b);
  PROP(esn_validate_event(root, NULL) == va);
  PROP(va == vb && a.type == b.type && va_same_double(a.seq, b.seq) && a.reason == b.reason);
  PROP(a.session_id == b.session_id && a.session_id_len == b.session_id_len);
  PROP(va == ESN_VALID_CANONICAL || va == ESN_VALID_NORMALIZE || va == ESN_VALID_INVALID);
  PROP(a.type >= ESN_EV_NONE && a.type < ESN_EV_COUNT);
  const char *tn = esn_event_type_name(a.type);
  PROP(esn_event_type_from_name(tn, strlen(tn)) == a.type);
  char *sid = NULL;
  size_t sidn = 0;
  if (va != ESN_VALID_INVALID) {
    PROP(a.reason == NULL);
    PROP(a.type != ESN_EV_NONE);
    PROP(a.seq >= 0 && a.seq <= 9007199254740991.0 && a.seq == floor(a.seq));
    PROP(a.session_id != NULL && a.session_id_len >= 3 && memcmp(a.session_id, "s_", 2) == 0);
    sidn = a.session_id_len;
    sid = (char *)malloc(sidn);
    PROP(sid != NULL);
    memcpy(sid, a.session_id, sidn);
  } else {
    PROP(a.reason != NULL && a.reason[0] != 0);
  }
  /* The document-stream parser: one document at offset 0, same verdict.
   * (It may refuse what DOM accepts only for documents past its batch size.) */
  va_many m = {0, ESN_VALID_INVALID, ESN_EV_NONE};
  esn_json_status ms = esn_json_parse_many(p, buf, size, va_each, &m);
  PROP(ms != ESN_JSON_ENOMEM);
  if (ms == ESN_JSON_OK) PROP(m.calls == 1 && m.v == va && m.type == a.type);
  /* The shallow fields path. */
  if (va != ESN_VALID_INVALID) {
    static const esn_json_key keys[] = {{"type", 4}, {"seq", 3}, {"sessionId", 9}, {"protocolVersion", 15},
                                        {"payload", 7}};
    esn_json_field fl[5];
    /* EFAIL is allowed: On-Demand may refuse a number DOM reads (e.g. an
     * exponent past 64 bits, -1e-49007199254740992007); ROUTE_FIELDS then
     * hands the line to the full validator. What it reads must agree. */
    esn_json_status fs = esn_json_fields(p, buf, size, keys, 5, fl);
    PROP(fs == ESN_JSON_OK || fs == ESN_JSON_EFAIL);
    if (fs == ESN_JSON_OK) {
    PROP(fl[0].present && fl[0].type == ESN_JSON_STRING &&
         esn_event_type_from_name(fl[0].str, fl[0].len) == a.type);
    PROP(fl[1].present && fl[1].type == ESN_JSON_DOUBLE && fl[1].num == a.seq);
    PROP(fl[2].present && fl[2].type == ESN_JSON_STRING && fl[2].len == sidn &&
         memcmp(fl[2].str, sid, sidn) == 0);
    PROP(fl[3].present && fl[3].type == ESN_JSON_DOUBLE && (fl[3].num == 1 || fl[3].num == 2));
    PROP(fl[4].present && fl[4].type == ESN_JSON_OBJECT);
    }
  }
  free(sid);
  free(buf);
}
