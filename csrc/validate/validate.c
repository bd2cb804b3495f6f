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
 * visited. The rules themselves are tables generated from
 * contracts/events.js (rules_gen.h: `npm run gen:contracts`), run by the
 * small interpreter below. No allocation; recursion only along the tables.
 */
#include "validate/validate.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Type names                                                               */

/* Generated from contracts/events.js (contracts/contracts_gen.h). */
static const char *const kTypeNames[ESN_EV_COUNT] = {
    "",
#define XX(code, name) name,
    ESN_EVENT_TYPE_MAP(XX)
#undef XX
};

esn_event_type esn_event_type_from_name(const char *s, size_t len) {
  return esn_event_type_lookup(s, len, kTypeNames);
}

const char *esn_event_type_name(esn_event_type t) {
  return (unsigned)t < ESN_EV_COUNT ? kTypeNames[t] : "";
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

/* ------------------------------------------------------------------------ */
/* The rule tables (rules_gen.h, generated from contracts/events.js)         */

typedef enum {
  VR_STRING,
  VR_NONEMPTY,      /* z.string().min(1) */
  VR_BOOL,
  VR_DATETIME,      /* z.string().datetime() */
  VR_NONNEG,        /* z.number().nonnegative() */
  VR_POSITIVE,      /* z.number().positive() */
  VR_INT_NONNEG,    /* z.number().int().nonnegative() */
  VR_SAFE_INT,      /* z.number().int() */
  VR_STR_ARRAY,     /* z.array(z.string()) */
  VR_RECORD,        /* z.record(z.string(), z.unknown()) */
  VR_UNKNOWN,       /* z.unknown(): never visited */
  VR_PREFIX,        /* prefixedId: startsWith(prefix), at least one more char */
  VR_ONE_OF_STR,    /* z.enum / string literals */
  VR_ONE_OF_NUM,    /* number literals (SameValueZero) */
  VR_SHAPE,         /* a nested object rule */
  VR_ARRAY,         /* z.array of a shape (elem VR_SHAPE) or a union (elem VR_UNION) */
  VR_UNION,
  VR_DISCRIMINATOR, /* the key that picks a shape: checked by the caller */
  VR_PAYLOAD        /* the event's payload: the shape of its type */
} vrule_kind;

typedef struct {
  unsigned char kind;     /* vrule_kind */
  unsigned char optional;
  unsigned char elem;     /* VR_ARRAY: VR_SHAPE or VR_UNION */
  unsigned char count;    /* VR_PREFIX: its length; VR_ONE_OF_*: the values */
  unsigned char sub;      /* VR_SHAPE, VR_ARRAY: the shape or union index */
  const char *prefix;
  const char *const *strs;
  const double *nums;
  const char *reason;     /* missing or broken */
  const char *reason2;    /* VR_ARRAY: an element not an object; VR_PAYLOAD: not an object */
} vrule;

typedef struct {
  const vkey *keys;
  const vrule *rules;
  unsigned char n;
  unsigned char opaque;   /* a failure inside reports the caller's reason */
} vshape;

typedef struct {
  const char *name;
  unsigned char len;
  unsigned char shape;
} vvariant;

typedef struct {
  const char *key;
  unsigned char key_len;
  const vvariant *variants;
  unsigned char n;
  const char *invalid;     /* not an object, or a variant's rule broken */
  const char *unknown_key; /* the discriminator missing, not a string or unknown */
} vunion;

#include "validate/rules_gen.h"

/* ------------------------------------------------------------------------ */
/* The rule interpreter. Recursion follows the rule tables only (depth <= 4). */

static int check_shape(esn_json_value v, int sh, vctx *c, const char *where);
static int check_union(esn_json_value v, int un, vctx *c);

static int one_of_str(esn_json_value v, const vrule *r) {
  const char *s;
  size_t n;
  unsigned i;
  if (esn_json_get_string(v, &s, &n) != 0) return 0;
  for (i = 0; i < r->count; i++)
    if (str_is(s, n, r->strs[i])) return 1;
  return 0;
}

static int one_of_num(esn_json_value v, const vrule *r) {
  double d;
  unsigned i;
  if (!num(v, &d)) return 0;
  for (i = 0; i < r->count; i++)
    if (d == r->nums[i]) return 1;
  return 0;
}

/* One present value against its rule: 0, or -1 with c->reason set. */
static int check_value(const vrule *r, esn_json_value v, vctx *c) {
  esn_json_iter it;
  esn_json_value e;
  double d;
  int ok;
  switch ((vrule_kind)r->kind) {
    case VR_STRING: ok = is_str(v); break;
    case VR_NONEMPTY: ok = is_nonempty_str(v); break;
    case VR_BOOL: ok = is_bool(v); break;
    case VR_DATETIME: ok = is_datetime_val(v); break;
    case VR_NONNEG: ok = is_nonneg(v); break;
    case VR_POSITIVE: ok = num(v, &d) && d > 0; break;
    case VR_INT_NONNEG: ok = is_int_nonneg(v); break;
    case VR_SAFE_INT: ok = num(v, &d) && is_safe_int(d); break;
    case VR_STR_ARRAY: ok = is_str_array(v); break;
    case VR_RECORD: ok = check_record(v, c); break;
    case VR_PREFIX: ok = is_prefixed(v, r->prefix, r->count); break;
    case VR_ONE_OF_STR: ok = one_of_str(v, r); break;
    case VR_ONE_OF_NUM: ok = one_of_num(v, r); break;
    case VR_SHAPE: return check_shape(v, r->sub, c, r->reason);
    case VR_ARRAY:
      if (esn_json_array_begin(v, &it) != 0) FAIL(c, r->reason);
      while (esn_json_array_next(&it, &e)) {
        if (r->elem == VR_UNION ? check_union(e, r->sub, c) : check_shape(e, r->sub, c, r->reason2))
          return -1;
      }
      return 0;
    default: return 0; /* VR_UNKNOWN; VR_DISCRIMINATOR and VR_PAYLOAD: the caller's */
  }
  if (!ok) FAIL(c, r->reason);
  return 0;
}

/* The rules of a scanned object, in the shape's order. `payload_shape`:
 * the shape of a VR_PAYLOAD field. */
static int check_fields(const vshape *s, const vfields *f, vctx *c, int payload_shape) {
  unsigned i;
  for (i = 0; i < s->n; i++) {
    const vrule *r = &s->rules[i];
    if (r->kind == VR_DISCRIMINATOR) continue;
    if (!HAS(f, i)) {
      if (r->optional) continue;
      FAIL(c, r->reason);
    }
    if (r->kind == VR_PAYLOAD) {
      if (check_shape(f->v[i], payload_shape, c, r->reason2) != 0) return -1;
    } else if (check_value(r, f->v[i], c) != 0) {
      return -1;
    }
  }
  return 0;
}

static int check_shape(esn_json_value v, int sh, vctx *c, const char *where) {
  const vshape *s = &kShapes[sh];
  vfields f;
  if (scan(v, s->keys, s->n, &f, c) != 0) FAIL(c, where);
  if (check_fields(s, &f, c, 0) != 0) {
    if (s->opaque) c->reason = where;
    return -1;
  }
  return 0;
}

/* A discriminated union: the last value of its key picks the variant. */
static int check_union(esn_json_value v, int un, vctx *c) {
  const vunion *u = &kUnions[un];
  esn_json_value t;
  const char *s;
  size_t n;
  vfields f;
  unsigned i;
  if (esn_json_type_of(v) != ESN_JSON_OBJECT) FAIL(c, u->invalid);
  if (find_last(v, u->key, u->key_len, &t) != 0 || esn_json_get_string(t, &s, &n) != 0)
    FAIL(c, u->unknown_key);
  for (i = 0; i < u->n; i++) {
    if (u->variants[i].len != n || memcmp(s, u->variants[i].name, n) != 0) continue;
    const vshape *sh = &kShapes[u->variants[i].shape];
    scan(v, sh->keys, sh->n, &f, c);
    if (check_fields(sh, &f, c, 0) != 0) FAIL(c, u->invalid);
    return 0;
  }
  FAIL(c, u->unknown_key);
}

/* ------------------------------------------------------------------------ */
/* Events                                                                   */

static esn_verdict verdict(esn_event_info *info, vctx *c, int ok) {
  if (info != NULL) info->reason = ok ? NULL : c->reason;
  if (!ok) return ESN_VALID_INVALID;
  return c->normalize ? ESN_VALID_NORMALIZE : ESN_VALID_CANONICAL;
}

esn_verdict esn_validate_event(esn_json_value root, esn_event_info *info) {
  const vshape *ev = &kShapes[SH_EVENT];
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

  if (scan(root, ev->keys, ev->n, &f, &c) != 0) {
    c.reason = EV_NOT_OBJECT;
    return verdict(info, &c, 0);
  }
  if (HAS(&f, ESN_EVK_TYPE) && esn_json_get_string(f.v[ESN_EVK_TYPE], &s, &n) == 0)
    type = esn_event_type_from_name(s, n);
  info->type = type;
  if (HAS(&f, ESN_EVK_SEQ) && esn_json_get_number(f.v[ESN_EVK_SEQ], &d) == 0) info->seq = d;
  if (HAS(&f, ESN_EVK_SESSION_ID) && esn_json_get_string(f.v[ESN_EVK_SESSION_ID], &s, &n) == 0) {
    info->session_id = s;
    info->session_id_len = n;
  }

  /* "enc" selects the envelope schema, anything else the discriminated
   * union, which rejects an unknown or missing `type` first. */
  if (type == ESN_EV_NONE) {
    c.reason = EV_UNKNOWN_TYPE;
    return verdict(info, &c, 0);
  }
  return verdict(info, &c, check_fields(ev, &f, &c, kPayloadShape[type]) == 0);
}
