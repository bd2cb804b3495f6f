/*
 * esn_validate: docs/PROTOCOL.md section 2 checked on a simdjson DOM value.
 *
 * The verdict follows zod 4 as the reference uses it
 * (parseStreamEventOrEncrypted):
 *   - z.object strips unknown keys and outputs keys in shape order, so any
 *     unknown, duplicated or out-of-order key in an object with a rule makes
 *     the line valid-but-NORMALIZE (never INVALID by itself);
 *   - JSON.parse keeps the LAST value of a duplicated key, so every object is
 *     scanned whole before its fields are checked;
 *   - z.number() takes any finite number, .int() is Number.isSafeInteger,
 *     literals and enums compare with SameValueZero (-0 equals 0);
 *   - string min lengths count code points; every minimum used here is "at
 *     least one character" (after an ASCII prefix), i.e. a non-empty byte
 *     string, whichever unit is counted;
 *   - z.string().datetime() is zod's regex, implemented by hand below.
 * Values typed `unknown` (args, result, data, log.data's values) are never
 * visited. No allocation, no recursion.
 */
#include "validate/validate.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Type names                                                               */

static const struct {
  const char *name;
  unsigned char len;
} kTypeNames[ESN_EV_COUNT] = {
    {"", 0},
    {"session_init", 12},
    {"stdout", 6},
    {"log", 3},
    {"tool_call", 9},
    {"tool_result_applied", 19},
    {"final", 5},
    {"heartbeat", 9},
    {"error", 5},
    {"enc", 3},
    {"partial_result", 14},
    {"tool_progress", 13},
    {"deadline_exceeded", 17},
    {"catalog_changed", 15},
};

esn_event_type esn_event_type_from_name(const char *s, size_t len) {
  /* The lengths are nearly unique: one memcmp decides. */
  int t;
  switch (len) {
    case 3: t = s[0] == 'l' ? ESN_EV_LOG : ESN_EV_ENC; break;
    case 5: t = s[0] == 'f' ? ESN_EV_FINAL : ESN_EV_ERROR; break;
    case 6: t = ESN_EV_STDOUT; break;
    case 9: t = s[0] == 't' ? ESN_EV_TOOL_CALL : ESN_EV_HEARTBEAT; break;
    case 12: t = ESN_EV_SESSION_INIT; break;
    case 13: t = ESN_EV_TOOL_PROGRESS; break;
    case 14: t = ESN_EV_PARTIAL_RESULT; break;
    case 15: t = ESN_EV_CATALOG_CHANGED; break;
    case 17: t = ESN_EV_DEADLINE_EXCEEDED; break;
    case 19: t = ESN_EV_TOOL_RESULT_APPLIED; break;
    default: return ESN_EV_NONE;
  }
  return memcmp(s, kTypeNames[t].name, len) == 0 ? (esn_event_type)t : ESN_EV_NONE;
}

const char *esn_event_type_name(esn_event_type t) {
  return (unsigned)t < ESN_EV_COUNT ? kTypeNames[t].name : "";
}

/* ------------------------------------------------------------------------ */
/* Object scanning                                                          */

typedef struct {
  const char *name;
  unsigned char len;
} vkey;

#define K(s) {s, (unsigned char)(sizeof(s) - 1)}
#define MAX_KEYS 8

typedef struct {
  esn_json_value v[MAX_KEYS];
  unsigned present; /* bit i: keys[i] was seen (v[i] holds its last value) */
} vfields;

typedef struct {
  int normalize;      /* the output differs from JSON.parse of the line */
  const char *reason; /* first rule broken */
} vctx;

#define HAS(f, i) (((f)->present >> (i)) & 1u)

/* Key equality for short keys, inlined (libc memcmp costs more than the
 * comparison itself at these lengths). */
static inline int key_eq(const char *a, const char *b, size_t n) {
  uint64_t x, y;
  uint32_t u, v;
  if (n >= 8) {
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
      memcpy(&x, a + i, 8);
      memcpy(&y, b + i, 8);
      if (x != y) return 0;
    }
    memcpy(&x, a + n - 8, 8); /* the tail, overlapping */
    memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    memcpy(&u, a, 4);
    memcpy(&v, b, 4);
    if (u != v) return 0;
    memcpy(&u, a + n - 4, 4);
    memcpy(&v, b + n - 4, 4);
    return u == v;
  }
  while (n--)
    if (*a++ != *b++) return 0;
  return 1;
}

/* Scans an object against a shape: keeps each known key's last value, and
 * flags unknown, duplicated or out-of-order keys. -1 when not an object. */
static int scan(esn_json_value obj, const vkey *keys, int n, vfields *f, vctx *c) {
  esn_json_iter it;
  const char *k;
  size_t kl;
  esn_json_value val;
  int last = -1;
  if (esn_json_object_begin(obj, &it) != 0) return -1;
  f->present = 0;
  while (esn_json_object_next(&it, &k, &kl, &val)) {
    /* Canonical input has the next shape key next: try it first. */
    int i = last + 1, tries;
    for (tries = 0; tries < n; tries++, i++) {
      if (i >= n) i = 0;
      if (keys[i].len == kl && key_eq(keys[i].name, k, kl)) break;
    }
    if (tries == n) {
      c->normalize = 1; /* stripped */
      continue;
    }
    if (HAS(f, i)) {
      c->normalize = 1; /* duplicate: JSON.parse keeps the last value */
    } else {
      if (i < last) c->normalize = 1; /* zod outputs shape order */
      last = i;
    }
    f->present |= 1u << i;
    f->v[i] = val;
  }
  return 0;
}

/* The last value of `name` in an object; 0 when found. */
static int find_last(esn_json_value obj, const char *name, size_t len, esn_json_value *out) {
  esn_json_iter it;
  const char *k;
  size_t kl;
  esn_json_value val;
  int found = -1;
  if (esn_json_object_begin(obj, &it) != 0) return -1;
  while (esn_json_object_next(&it, &k, &kl, &val)) {
    if (kl == len && key_eq(k, name, len)) {
      *out = val;
      found = 0;
    }
  }
  return found;
}

/* ------------------------------------------------------------------------ */
/* Scalar rules                                                             */

#define MAX_SAFE 9007199254740991.0

static int is_str(esn_json_value v) { return esn_json_type_of(v) == ESN_JSON_STRING; }

static int is_bool(esn_json_value v) {
  esn_json_type t = esn_json_type_of(v);
  return t == ESN_JSON_TRUE || t == ESN_JSON_FALSE;
}

/* z.number(): finite (simdjson never produces a non-finite double). */
static int num(esn_json_value v, double *d) {
  return esn_json_get_number(v, d) == 0 && isfinite(*d);
}

static int is_safe_int(double d) { return d == floor(d) && fabs(d) <= MAX_SAFE; }

static int is_nonneg(esn_json_value v) {
  double d;
  return num(v, &d) && d >= 0;
}

static int is_int_nonneg(esn_json_value v) {
  double d;
  return num(v, &d) && is_safe_int(d) && d >= 0;
}

/* z.string().min(1) */
static int is_nonempty_str(esn_json_value v) {
  const char *s;
  size_t n;
  return esn_json_get_string(v, &s, &n) == 0 && n > 0;
}

/* z.string().startsWith(p).min(strlen(p) + 1), p ASCII. */
static int is_prefixed(esn_json_value v, const char *p, size_t pl) {
  const char *s;
  size_t n;
  return esn_json_get_string(v, &s, &n) == 0 && n > pl && memcmp(s, p, pl) == 0;
}

static int str_is(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  return n == l && memcmp(s, lit, l) == 0;
}

static int digit(char ch) { return ch >= '0' && ch <= '9'; }

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* zod 4's datetime regex without offset/local/precision:
 *   ^<date>T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z$
 * where <date> is YYYY-MM-DD with a real calendar day (Feb 29 in Gregorian
 * leap years only; years are any four digits). */
static int is_datetime(const char *s, size_t n) {
  static const signed char kPat[] = "dddd-dd-ddTdd:dd:dd";
  static const unsigned char kDays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  size_t i;
  int year, month, day, maxd;
  if (n < 20) return 0;
  for (i = 0; i < 19; i++) {
    if (kPat[i] == 'd' ? !digit(s[i]) : s[i] != kPat[i]) return 0;
  }
  year = two(s) * 100 + two(s + 2);
  month = two(s + 5);
  day = two(s + 8);
  if (month < 1 || month > 12 || day < 1) return 0;
  maxd = kDays[month];
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) maxd = 29;
  if (day > maxd) return 0;
  if (two(s + 11) > 23 || s[14] > '5' || s[17] > '5') return 0;
  i = 19;
  if (s[i] == '.') {
    i++;
    if (i >= n || !digit(s[i])) return 0;
    while (i < n && digit(s[i])) i++;
  }
  return i + 1 == n && s[i] == 'Z';
}

static int is_datetime_val(esn_json_value v) {
  const char *s;
  size_t n;
  return esn_json_get_string(v, &s, &n) == 0 && is_datetime(s, n);
}

/* z.array(z.string()) */
static int is_str_array(esn_json_value v) {
  esn_json_iter it;
  esn_json_value e;
  if (esn_json_array_begin(v, &it) != 0) return 0;
  while (esn_json_array_next(&it, &e))
    if (!is_str(e)) return 0;
  return 1;
}

/* z.record(z.string(), z.unknown()): any object; zod drops a `__proto__`
 * key from its output while JSON.parse keeps it as an own property. */
static int check_record(esn_json_value v, vctx *c) {
  esn_json_iter it;
  const char *k;
  size_t kl;
  esn_json_value val;
  if (esn_json_object_begin(v, &it) != 0) return 0;
  while (esn_json_object_next(&it, &k, &kl, &val))
    if (kl == 9 && key_eq(k, "__proto__", 9)) c->normalize = 1;
  return 1;
}

#define FAIL(c, r) return ((c)->reason = (r), -1)
#define REQUIRE(f, i, c, r) \
  do {                      \
    if (!HAS(f, i)) FAIL(c, r); \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Nested rule objects                                                      */

/* ErrorInfoSchema {message, code?, stack?} */
static const vkey kErrorInfo[] = {K("message"), K("code"), K("stack")};

static int check_error_info(esn_json_value v, vctx *c, const char *where) {
  vfields f;
  if (scan(v, kErrorInfo, 3, &f, c) != 0) FAIL(c, where);
  if (!HAS(&f, 0) || !is_str(f.v[0])) FAIL(c, where);
  if (HAS(&f, 1) && !is_str(f.v[1])) FAIL(c, where);
  if (HAS(&f, 2) && !is_str(f.v[2])) FAIL(c, where);
  return 0;
}

static const vkey kRetryInfo[] = {K("type"), K("retryDelayMs")};
static const vkey kUpstreamInfo[] = {K("type"), K("statusCode"), K("url")};
static const vkey kValidationInfo[] = {K("type"), K("field"), K("reason")};
static const vkey kQuotaInfo[] = {K("type"), K("limit"), K("used")};

/* ErrorDetailSchema: discriminated union on `type`. */
static int check_detail(esn_json_value v, vctx *c) {
  static const char *const kBad = "details[]: invalid error detail";
  esn_json_value t;
  const char *s;
  size_t n;
  vfields f;
  double d;
  if (esn_json_type_of(v) != ESN_JSON_OBJECT) FAIL(c, kBad);
  if (find_last(v, "type", 4, &t) != 0 || esn_json_get_string(t, &s, &n) != 0)
    FAIL(c, "details[].type: unknown detail type");
  if (str_is(s, n, "retry_info")) {
    scan(v, kRetryInfo, 2, &f, c);
    if (!HAS(&f, 1) || !is_nonneg(f.v[1])) FAIL(c, kBad);
  } else if (str_is(s, n, "upstream_info")) {
    scan(v, kUpstreamInfo, 3, &f, c);
    if (!HAS(&f, 1) || !num(f.v[1], &d) || !is_safe_int(d)) FAIL(c, kBad);
    if (!HAS(&f, 2) || !is_str(f.v[2])) FAIL(c, kBad);
  } else if (str_is(s, n, "validation_info")) {
    scan(v, kValidationInfo, 3, &f, c);
    if (!HAS(&f, 1) || !is_str(f.v[1])) FAIL(c, kBad);
    if (!HAS(&f, 2) || !is_str(f.v[2])) FAIL(c, kBad);
  } else if (str_is(s, n, "quota_info")) {
    scan(v, kQuotaInfo, 3, &f, c);
    if (!HAS(&f, 1) || !is_nonneg(f.v[1])) FAIL(c, kBad);
    if (!HAS(&f, 2) || !is_nonneg(f.v[2])) FAIL(c, kBad);
  } else {
    FAIL(c, "details[].type: unknown detail type");
  }
  return 0;
}

/* ErrorPayloadSchema {code, message, path?, details?} */
static const vkey kErrorPayload[] = {K("code"), K("message"), K("path"), K("details")};

static int check_error_payload(esn_json_value v, vctx *c, const char *where) {
  vfields f;
  esn_json_iter it;
  esn_json_value e;
  if (scan(v, kErrorPayload, 4, &f, c) != 0) FAIL(c, where);
  if (!HAS(&f, 0) || !is_str(f.v[0])) FAIL(c, "error payload.code: expected string");
  if (!HAS(&f, 1) || !is_str(f.v[1])) FAIL(c, "error payload.message: expected string");
  if (HAS(&f, 2) && !is_str_array(f.v[2])) FAIL(c, "error payload.path: expected string array");
  if (HAS(&f, 3)) {
    if (esn_json_array_begin(f.v[3], &it) != 0) FAIL(c, "error payload.details: expected array");
    while (esn_json_array_next(&it, &e))
      if (check_detail(e, c) != 0) return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Payloads                                                                 */

static const vkey kSessionInit[] = {K("cancelUrl"), K("expiresAt"), K("encryption"), K("replayUrl")};
static const vkey kEncryption[] = {K("enabled"), K("keyId")};

static int p_session_init(esn_json_value p, vctx *c) {
  vfields f, e;
  if (scan(p, kSessionInit, 4, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_str(f.v[0])) FAIL(c, "payload.cancelUrl: expected string");
  if (!HAS(&f, 1) || !is_datetime_val(f.v[1])) FAIL(c, "payload.expiresAt: expected ISO datetime");
  if (!HAS(&f, 2) || scan(f.v[2], kEncryption, 2, &e, c) != 0)
    FAIL(c, "payload.encryption: expected object");
  if (!HAS(&e, 0) || !is_bool(e.v[0])) FAIL(c, "payload.encryption.enabled: expected boolean");
  if (HAS(&e, 1) && !is_str(e.v[1])) FAIL(c, "payload.encryption.keyId: expected string");
  if (HAS(&f, 3) && !is_str(f.v[3])) FAIL(c, "payload.replayUrl: expected string");
  return 0;
}

static const vkey kStdout[] = {K("chunk")};

static int p_stdout(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kStdout, 1, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_str(f.v[0])) FAIL(c, "payload.chunk: expected string");
  return 0;
}

static const vkey kLog[] = {K("level"), K("message"), K("data")};

static int p_log(esn_json_value p, vctx *c) {
  vfields f;
  const char *s;
  size_t n;
  if (scan(p, kLog, 3, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || esn_json_get_string(f.v[0], &s, &n) != 0 ||
      !(str_is(s, n, "debug") || str_is(s, n, "info") || str_is(s, n, "warn") ||
        str_is(s, n, "error")))
    FAIL(c, "payload.level: expected debug, info, warn or error");
  if (!HAS(&f, 1) || !is_str(f.v[1])) FAIL(c, "payload.message: expected string");
  if (HAS(&f, 2) && !check_record(f.v[2], c)) FAIL(c, "payload.data: expected object");
  return 0;
}

static const vkey kToolCall[] = {K("callId"), K("toolName"), K("args")};

static int p_tool_call(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kToolCall, 3, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_prefixed(f.v[0], "c_", 2)) FAIL(c, "payload.callId: expected c_ id");
  if (!HAS(&f, 1) || !is_nonempty_str(f.v[1])) FAIL(c, "payload.toolName: expected non-empty string");
  if (!HAS(&f, 2)) FAIL(c, "payload.args: required");
  return 0;
}

static const vkey kToolResultApplied[] = {K("callId")};

static int p_tool_result_applied(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kToolResultApplied, 1, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_prefixed(f.v[0], "c_", 2)) FAIL(c, "payload.callId: expected c_ id");
  return 0;
}

static const vkey kFinal[] = {K("ok"), K("result"), K("error"), K("errors"), K("stats")};
static const vkey kStats[] = {K("durationMs"), K("toolCallCount"), K("stdoutBytes")};

static int p_final(esn_json_value p, vctx *c) {
  vfields f, s;
  esn_json_iter it;
  esn_json_value e;
  if (scan(p, kFinal, 5, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_bool(f.v[0])) FAIL(c, "payload.ok: expected boolean");
  /* result: unknown */
  if (HAS(&f, 2) && check_error_info(f.v[2], c, "payload.error: expected error info") != 0)
    return -1;
  if (HAS(&f, 3)) {
    if (esn_json_array_begin(f.v[3], &it) != 0) FAIL(c, "payload.errors: expected array");
    while (esn_json_array_next(&it, &e))
      if (check_error_payload(e, c, "payload.errors[]: expected error payload") != 0) return -1;
  }
  if (HAS(&f, 4)) {
    if (scan(f.v[4], kStats, 3, &s, c) != 0) FAIL(c, "payload.stats: expected object");
    if (!HAS(&s, 0) || !is_nonneg(s.v[0])) FAIL(c, "payload.stats.durationMs: expected number >= 0");
    if (!HAS(&s, 1) || !is_int_nonneg(s.v[1]))
      FAIL(c, "payload.stats.toolCallCount: expected integer >= 0");
    if (!HAS(&s, 2) || !is_int_nonneg(s.v[2]))
      FAIL(c, "payload.stats.stdoutBytes: expected integer >= 0");
  }
  return 0;
}

static const vkey kHeartbeat[] = {K("ts")};

static int p_heartbeat(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kHeartbeat, 1, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_datetime_val(f.v[0])) FAIL(c, "payload.ts: expected ISO datetime");
  return 0;
}

static const vkey kError[] = {K("message"), K("code"), K("recoverable")};

static int p_error(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kError, 3, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_str(f.v[0])) FAIL(c, "payload.message: expected string");
  if (HAS(&f, 1) && !is_str(f.v[1])) FAIL(c, "payload.code: expected string");
  if (HAS(&f, 2) && !is_bool(f.v[2])) FAIL(c, "payload.recoverable: expected boolean");
  return 0;
}

static const vkey kPartial[] = {K("path"), K("data"), K("error"), K("hasNext")};

static int p_partial_result(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kPartial, 4, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_str_array(f.v[0])) FAIL(c, "payload.path: expected string array");
  /* data: unknown */
  if (HAS(&f, 2) && check_error_payload(f.v[2], c, "payload.error: expected error payload") != 0)
    return -1;
  if (!HAS(&f, 3) || !is_bool(f.v[3])) FAIL(c, "payload.hasNext: expected boolean");
  return 0;
}

static const vkey kProgress[] = {K("callId"), K("phase"), K("bytesReceived"), K("totalBytes"),
                                 K("elapsedMs")};

static int p_tool_progress(esn_json_value p, vctx *c) {
  vfields f;
  const char *s;
  size_t n;
  if (scan(p, kProgress, 5, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_prefixed(f.v[0], "c_", 2)) FAIL(c, "payload.callId: expected c_ id");
  if (!HAS(&f, 1) || esn_json_get_string(f.v[1], &s, &n) != 0 ||
      !(str_is(s, n, "connecting") || str_is(s, n, "sending") || str_is(s, n, "receiving") ||
        str_is(s, n, "processing")))
    FAIL(c, "payload.phase: expected connecting, sending, receiving or processing");
  if (HAS(&f, 2) && !is_int_nonneg(f.v[2])) FAIL(c, "payload.bytesReceived: expected integer >= 0");
  if (HAS(&f, 3) && !is_int_nonneg(f.v[3])) FAIL(c, "payload.totalBytes: expected integer >= 0");
  if (!HAS(&f, 4) || !is_nonneg(f.v[4])) FAIL(c, "payload.elapsedMs: expected number >= 0");
  return 0;
}

static const vkey kDeadline[] = {K("elapsedMs"), K("budgetMs")};

static int p_deadline_exceeded(esn_json_value p, vctx *c) {
  vfields f;
  double d;
  if (scan(p, kDeadline, 2, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_nonneg(f.v[0])) FAIL(c, "payload.elapsedMs: expected number >= 0");
  if (!HAS(&f, 1) || !num(f.v[1], &d) || !(d > 0)) FAIL(c, "payload.budgetMs: expected number > 0");
  return 0;
}

static const vkey kCatalog[] = {K("version"), K("addedActions"), K("removedActions")};

static int p_catalog_changed(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kCatalog, 3, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_nonempty_str(f.v[0])) FAIL(c, "payload.version: expected non-empty string");
  if (!HAS(&f, 1) || !is_str_array(f.v[1])) FAIL(c, "payload.addedActions: expected string array");
  if (!HAS(&f, 2) || !is_str_array(f.v[2])) FAIL(c, "payload.removedActions: expected string array");
  return 0;
}

static const vkey kEnvelope[] = {K("kid"), K("nonceB64"), K("ciphertextB64"), K("tagB64")};

static int p_enc(esn_json_value p, vctx *c) {
  vfields f;
  if (scan(p, kEnvelope, 4, &f, c) != 0) FAIL(c, "payload: expected object");
  if (!HAS(&f, 0) || !is_nonempty_str(f.v[0])) FAIL(c, "payload.kid: expected non-empty string");
  if (!HAS(&f, 1) || !is_nonempty_str(f.v[1])) FAIL(c, "payload.nonceB64: expected non-empty string");
  if (!HAS(&f, 2) || !is_nonempty_str(f.v[2]))
    FAIL(c, "payload.ciphertextB64: expected non-empty string");
  if (HAS(&f, 3) && !is_str(f.v[3])) FAIL(c, "payload.tagB64: expected string");
  return 0;
}

typedef int (*payload_fn)(esn_json_value, vctx *);

static const payload_fn kPayload[ESN_EV_COUNT] = {
    NULL,
    p_session_init,
    p_stdout,
    p_log,
    p_tool_call,
    p_tool_result_applied,
    p_final,
    p_heartbeat,
    p_error,
    p_enc,
    p_partial_result,
    p_tool_progress,
    p_deadline_exceeded,
    p_catalog_changed,
};

/* ------------------------------------------------------------------------ */
/* Events                                                                   */

static const vkey kEvent[] = {K("protocolVersion"), K("sessionId"), K("seq"), K("type"),
                              K("payload")};

enum { F_VERSION, F_SESSION, F_SEQ, F_TYPE, F_PAYLOAD };

static esn_verdict verdict(esn_event_info *info, vctx *c, int ok) {
  if (info != NULL) info->reason = ok ? NULL : c->reason;
  if (!ok) return ESN_VALID_INVALID;
  return c->normalize ? ESN_VALID_NORMALIZE : ESN_VALID_CANONICAL;
}

esn_verdict esn_validate_event(esn_json_value root, esn_event_info *info) {
  esn_event_info scratch;
  vctx c = {0, NULL};
  vfields f;
  esn_event_type type = ESN_EV_NONE;
  const char *s;
  size_t n;
  double d;

  if (info == NULL) info = &scratch;
  info->type = ESN_EV_NONE;
  info->seq = NAN;
  info->session_id = NULL;
  info->session_id_len = 0;
  info->reason = NULL;

  if (scan(root, kEvent, 5, &f, &c) != 0) {
    c.reason = "expected an object";
    return verdict(info, &c, 0);
  }
  if (HAS(&f, F_TYPE) && esn_json_get_string(f.v[F_TYPE], &s, &n) == 0)
    type = esn_event_type_from_name(s, n);
  info->type = type;
  if (HAS(&f, F_SEQ) && esn_json_get_number(f.v[F_SEQ], &d) == 0) info->seq = d;
  if (HAS(&f, F_SESSION) && esn_json_get_string(f.v[F_SESSION], &s, &n) == 0) {
    info->session_id = s;
    info->session_id_len = n;
  }

  /* "enc" selects the envelope schema, anything else the discriminated
   * union, which rejects an unknown or missing `type` first. */
  if (type == ESN_EV_NONE) {
    c.reason = "type: unknown event type";
    return verdict(info, &c, 0);
  }
  if (!HAS(&f, F_VERSION) || !num(f.v[F_VERSION], &d) || !(d == 1 || d == 2)) {
    c.reason = "protocolVersion: expected 1 or 2";
    return verdict(info, &c, 0);
  }
  if (!HAS(&f, F_SESSION) || !is_prefixed(f.v[F_SESSION], "s_", 2)) {
    c.reason = "sessionId: expected s_ id";
    return verdict(info, &c, 0);
  }
  if (!HAS(&f, F_SEQ) || !is_int_nonneg(f.v[F_SEQ])) {
    c.reason = "seq: expected safe integer >= 0";
    return verdict(info, &c, 0);
  }
  if (!HAS(&f, F_PAYLOAD)) {
    c.reason = "payload: required";
    return verdict(info, &c, 0);
  }
  return verdict(info, &c, kPayload[type](f.v[F_PAYLOAD], &c) == 0);
}
