/*
 * NDJSON framer properties (ndjson/framer.h), in all six modes (SCAN and
 * ROUTE_SCAN: the first and third properties):
 *   - framing the input in random chunks (sizes and the per-run record cap
 *     derived from the input) yields exactly the records - kind, type, line
 *     number, byte offset, seq, session id, and the line's text read back from
 *     the batch or side output - of framing it whole;
 *   - both equal a line-by-line model: split on '\n', TextDecoder
 *     replacement, trim, the line cap with its preview, and each line's
 *     verdict from a separate esn_json_parse (+ esn_validate_event, or the
 *     routing fields read with esn_json_fields), so the framer's one-pass
 *     parse (parse_many / fields_many) must agree with per-line parsing;
 *   - outputs are consistent: the batch holds exactly batch_values values,
 *     the side text is valid UTF-8 and every UTF-16 range lands on a
 *     character boundary inside it, batch_ascii implies an ASCII batch;
 *   - a line the full validator accepts is routed by ROUTE_FIELDS (the
 *     shallow fields path) with the same type, seq and session id, unless
 *     On-Demand refuses to read it (then the caller validates it fully).
 * Input: [max_line selector][chunking seed][record cap] then the stream.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "fuzz/props.h"
#include "ndjson/framer.h"
#include "ndjson/text.h"
#include "validate/validate.h"

typedef struct {
  char *p;
  size_t len, cap;
} fr_buf;

static void fr_put(fr_buf *b, const void *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n) cap *= 2;
    char *p = (char *)realloc(b->p, cap);
    PROP(p != NULL);
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void fr_putf(fr_buf *b, const char *fmt, ...) {
  char tmp[160];
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  PROP(k > 0 && (size_t)k < sizeof tmp);
  fr_put(b, tmp, (size_t)k);
}

static void fr_text(fr_buf *b, char tag, const uint8_t *s, size_t n) {
  fr_putf(b, " %c%zu:", tag, n);
  fr_put(b, s, n);
}

static void fr_head(fr_buf *b, int kind, int type, double line, double off) {
  fr_putf(b, "\nK%d T%d L%.17g O%.17g", kind, type, line, off);
}

/* Byte offset of UTF-16 unit u in valid UTF-8 s[0, n); (size_t)-1 when u is
 * not on a character boundary or past the end. `at` caches the last answer
 * (ranges mostly come in increasing order: no rescans from the start). */
typedef struct {
  size_t byte;
  uint64_t unit;
} fr_pos;

static size_t fr_u16_byte(const uint8_t *s, size_t n, uint64_t u, fr_pos *at) {
  size_t i = 0;
  uint64_t k = 0;
  if (at->unit <= u) i = at->byte, k = at->unit;
  while (k < u) {
    if (i >= n) return (size_t)-1;
    uint8_t c = s[i];
    size_t w = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    k += w == 4 ? 2 : 1;
    i += w;
  }
  if (!(k == u && i <= n)) return (size_t)-1;
  at->byte = i;
  at->unit = k;
  return i;
}

/* The top-level values of a batch array "[v1,v2,...]" of valid JSON texts. */
static size_t fr_split(const uint8_t *b, size_t n, size_t *st, size_t *en, size_t max) {
  PROP(n >= 2 && b[0] == '[' && b[n - 1] == ']');
  size_t count = 0, start = 1;
  long depth = 0;
  int in_str = 0;
  for (size_t i = 1; i < n; i++) {
    uint8_t c = b[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = 0;
      continue;
    }
    if (c == '"') in_str = 1;
    else if (c == '[' || c == '{') depth++;
    else if ((c == ']' || c == '}') && !(depth == 0 && i == n - 1)) depth--;
    if ((c == ',' && depth == 0) || i == n - 1) {
      PROP(count < max);
      st[count] = start;
      en[count] = i;
      count++;
      start = i + 1;
    }
    PROP(depth >= 0);
  }
  PROP(!in_str && depth == 0);
  return count;
}

#define FR_RECS 64

/* Runs the framer until it has no more lines, logging records. */
static void fr_drain(esn_framer *f, esn_mode mode, size_t cap, fr_buf *out) {
  esn_record recs[FR_RECS];
  int more;
  int routes = mode == ESN_MODE_ROUTE || mode == ESN_MODE_ROUTE_FIELDS || mode == ESN_MODE_ROUTE_SCAN;
  int scan = mode == ESN_MODE_SCAN;
  do {
    long n = esn_framer_run(f, recs, cap, &more);
    PROP(n >= 0 && (size_t)n <= cap);
    size_t blen, slen;
    const uint8_t *batch = esn_framer_batch(f, &blen);
    const uint8_t *side = esn_framer_side(f, &slen);
    if (side == NULL) { /* nothing ever went into the side text */
      PROP(slen == 0);
      side = (const uint8_t *)"";
    }
    size_t nvals = esn_framer_batch_values(f);
    PROP(slen == 0 || esn_json_utf8_valid(side, slen));
    size_t units = slen ? esn_utf16_length(side, slen) : 0;
    if (nvals && esn_framer_batch_ascii(f)) PROP(esn_is_ascii(batch, blen));
    size_t vst[FR_RECS], ven[FR_RECS], got = 0;
    if (!routes && !scan && nvals) got = fr_split(batch, blen, vst, ven, FR_RECS);
    PROP(routes || scan || got == nvals);
    fr_pos bat = {0, 0};
    size_t vi = 0, routed = 0;
    fr_pos at = {0, 0};
    const uint8_t *sid = NULL;
    size_t sidn = 0;
    for (long i = 0; i < n; i++) {
      const esn_record *r = &recs[i];
      fr_head(out, r->kind, r->type, r->line, r->offset);
      switch (r->kind) {
        case ESN_REC_VALUE:
        case ESN_REC_NORMALIZE:
          PROP(!routes && vi < nvals);
          if (mode == ESN_MODE_JSON || scan) PROP(r->kind == ESN_REC_VALUE && r->type == 0);
          if (scan) { /* the value's UTF-16 range in the batch */
            size_t a = fr_u16_byte(batch, blen, r->start, &bat), b = fr_u16_byte(batch, blen, r->end, &bat);
            PROP(a != (size_t)-1 && b != (size_t)-1 && a > 0 && a < b && b < blen);
            PROP(batch[a - 1] == (vi ? ',' : '[') && batch[b] == (vi + 1 == nvals ? ']' : ','));
            fr_text(out, 'X', batch + a, b - a);
            vi++;
            break;
          }
          fr_text(out, 'X', batch + vst[vi], ven[vi] - vst[vi]);
          vi++;
          break;
        case ESN_REC_ROUTE: {
          PROP(routes && r->start <= r->end && r->end < blen && batch[r->end] == '\n');
          PROP(r->type > ESN_EV_NONE && r->type < ESN_EV_COUNT);
          routed++;
          if (r->sid_start >= 0) {
            PROP(r->sid_end <= units && (uint64_t)r->sid_start <= r->sid_end);
            size_t a = fr_u16_byte(side, slen, (uint64_t)r->sid_start, &at), b = fr_u16_byte(side, slen, r->sid_end, &at);
            PROP(a != (size_t)-1 && b != (size_t)-1);
            sid = side + a;
            sidn = b - a;
          }
          PROP(sid != NULL); /* the first routed record of a run names its session */
          fr_putf(out, " Q%.17g", r->seq);
          fr_text(out, 'S', sid, sidn);
          fr_text(out, 'X', batch + r->start, r->end - r->start);
          break;
        }
        case ESN_REC_INVALID:
        case ESN_REC_JS:
        case ESN_REC_TOO_LONG: {
          PROP(r->start <= r->end && r->end <= units);
          size_t a = fr_u16_byte(side, slen, r->start, &at), b = fr_u16_byte(side, slen, r->end, &at);
          PROP(a != (size_t)-1 && b != (size_t)-1);
          fr_text(out, 'X', side + a, b - a);
          break;
        }
        default:
          PROP(0);
      }
    }
    PROP(routes ? routed == nvals : vi == nvals);
  } while (more);
}

static esn_json_parser *fr_parser(int which) {
  static esn_json_parser *p[2];
  if (p[which] == NULL) p[which] = esn_json_parser_new(1000);
  PROP(p[which] != NULL);
  return p[which];
}

static const size_t kFrMaxLine[8] = {0, 1, 2, 7, 16, 64, 600, 100000};

static void fr_frame(const uint8_t *s, size_t n, esn_mode mode, size_t max_line, size_t cap,
                     uint32_t seed, int chunked, fr_buf *out) {
  esn_framer *f = esn_framer_new(fr_parser(0), mode, max_line);
  PROP(f != NULL);
  if (!chunked) {
    PROP(esn_framer_push(f, s, n) == ESN_FRAMER_OK);
    fr_drain(f, mode, cap, out);
    esn_framer_end(f);
    fr_drain(f, mode, cap, out);
  } else {
    uint32_t x = seed * 2654435761u + 1;
    size_t span = 1 + (seed % 97);
    for (size_t i = 0; i < n;) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      size_t k = 1 + x % span;
      if (k > n - i) k = n - i;
      PROP(esn_framer_push(f, s + i, k) == ESN_FRAMER_OK);
      i += k;
      if (x & 0x100) fr_drain(f, mode, cap, out);
      (void)esn_framer_has_pending(f);
    }
    fr_drain(f, mode, cap, out);
    esn_framer_end(f);
    fr_drain(f, mode, cap, out);
  }
  PROP(!esn_framer_has_pending(f));
  esn_framer_free(f);
}

/* ---- the model --------------------------------------------------------------- */
static const esn_json_key kFrKeys[] = {
    {"type", 4}, {"seq", 3}, {"sessionId", 9}, {"protocolVersion", 15}, {"payload", 7}};

/* The ROUTE_FIELDS checks, as framer.h states them. */
static esn_event_type fr_routable(const esn_json_field *fl) {
  if (!fl[0].present || fl[0].type != ESN_JSON_STRING) return ESN_EV_NONE;
  if (!fl[3].present || fl[3].type != ESN_JSON_DOUBLE || !(fl[3].num == 1 || fl[3].num == 2)) return ESN_EV_NONE;
  if (!fl[2].present || fl[2].type != ESN_JSON_STRING || fl[2].len < 3 || memcmp(fl[2].str, "s_", 2) != 0)
    return ESN_EV_NONE;
  double q = fl[1].num;
  if (!fl[1].present || fl[1].type != ESN_JSON_DOUBLE || !(q >= 0 && q <= 9007199254740991.0) || q != floor(q))
    return ESN_EV_NONE;
  if (!fl[4].present || fl[4].type != ESN_JSON_OBJECT) return ESN_EV_NONE;
  return esn_event_type_from_name(fl[0].str, fl[0].len);
}

static void fr_model_line(const uint8_t *t, size_t n, esn_mode mode, double line, double off, fr_buf *out) {
  /* a padded copy for simdjson */
  uint8_t *c = (uint8_t *)malloc(n + ESN_JSON_PADDING);
  PROP(c != NULL);
  memcpy(c, t, n);
  memset(c + n, 0, ESN_JSON_PADDING);
  esn_json_parser *p = fr_parser(1);
  esn_json_value root;
  esn_json_status st = esn_json_parse(p, c, n, &root);
  PROP(st != ESN_JSON_ENOMEM);
  if (mode == ESN_MODE_ROUTE_FIELDS) {
    esn_json_field fl[5];
    esn_json_status fs = esn_json_fields(p, c, n, kFrKeys, 5, fl);
    esn_event_type ty = fs == ESN_JSON_OK ? fr_routable(fl) : ESN_EV_NONE;
    if (ty == ESN_EV_NONE) {
      fr_head(out, ESN_REC_JS, 0, line, off);
    } else {
      fr_head(out, ESN_REC_ROUTE, ty, line, off);
      fr_putf(out, " Q%.17g", fl[1].num);
      fr_text(out, 'S', (const uint8_t *)fl[2].str, fl[2].len);
    }
    fr_text(out, 'X', t, n);
    free(c);
    return;
  }
  if (st != ESN_JSON_OK) {
    fr_head(out, ESN_REC_JS, 0, line, off);
  } else if (mode == ESN_MODE_JSON) {
    fr_head(out, ESN_REC_VALUE, 0, line, off);
  } else {
    esn_event_info info;
    esn_verdict v = esn_validate_event(root, &info);
    if (v == ESN_VALID_INVALID) {
      fr_head(out, ESN_REC_INVALID, info.type, line, off);
    } else if (mode == ESN_MODE_EVENT) {
      fr_head(out, v == ESN_VALID_CANONICAL ? ESN_REC_VALUE : ESN_REC_NORMALIZE, info.type, line, off);
    } else {
      fr_head(out, ESN_REC_ROUTE, info.type, line, off);
      fr_putf(out, " Q%.17g", info.seq);
      fr_text(out, 'S', (const uint8_t *)info.session_id, info.session_id_len);
    }
    if (v != ESN_VALID_INVALID) {
      /* The shallow fields path must route what the full validator accepts. */
      size_t sidn = info.session_id_len;
      char *sid = (char *)malloc(sidn + 1);
      PROP(sid != NULL);
      memcpy(sid, info.session_id, sidn);
      esn_json_field fl[5];
      /* (On-Demand may refuse a number DOM reads: then ROUTE_FIELDS leaves
       * the line to the caller, which is fine; see props_validate.c) */
      if (esn_json_fields(p, c, n, kFrKeys, 5, fl) == ESN_JSON_OK) {
        PROP(fr_routable(fl) == info.type);
        PROP(fl[1].num == info.seq);
        PROP(fl[2].len == sidn && memcmp(fl[2].str, sid, sidn) == 0);
      }
      free(sid);
    }
  }
  fr_text(out, 'X', t, n);
  free(c);
}

static void fr_model(const uint8_t *s, size_t n, esn_mode mode, size_t max_line, fr_buf *out) {
  if (max_line == 0) max_line = (size_t)16 << 20;
  size_t plen = max_line < ESN_FRAMER_PREVIEW ? max_line + 1 : ESN_FRAMER_PREVIEW;
  double line_no = 0;
  uint8_t *tmp = (uint8_t *)malloc(3 * n + 1);
  PROP(tmp != NULL);
  size_t pos = 0;
  while (pos < n) {
    const uint8_t *nl = (const uint8_t *)memchr(s + pos, '\n', n - pos);
    size_t e = nl ? (size_t)(nl - s) : n;
    size_t raw = e - pos, a, b;
    if (raw > max_line) {
      size_t m = esn_utf8_sanitize(s + pos, raw < plen ? raw : plen, tmp);
      esn_js_trim(tmp, m, &a, &b);
      fr_head(out, ESN_REC_TOO_LONG, 0, ++line_no, (double)pos);
      fr_text(out, 'X', tmp + a, b - a);
    } else {
      size_t m = esn_utf8_sanitize(s + pos, raw, tmp);
      esn_js_trim(tmp, m, &a, &b);
      if (nl || b > a) line_no++;
      if (b > a) fr_model_line(tmp + a, b - a, mode, line_no, (double)pos, out);
    }
    pos = e + 1;
  }
  free(tmp);
}

void esn_prop_framer(const uint8_t *data, size_t size) {
  if (size < 3) return;
  size_t max_line = kFrMaxLine[data[0] & 7];
  uint32_t seed = data[1];
  size_t cap = 1 + data[2] % FR_RECS;
  const uint8_t *s = data + 3;
  size_t n = size - 3;
  for (int mode = 0; mode < 6; mode++) {
    fr_buf whole = {0}, chunks = {0}, model = {0};
    fr_frame(s, n, (esn_mode)mode, max_line, FR_RECS, seed, 0, &whole);
    fr_frame(s, n, (esn_mode)mode, max_line, cap, seed, 1, &chunks);
    /* SCAN and ROUTE_SCAN: chunking invariance only (JS decides their
     * other lines; test/ndjson/decoder-diff.test.js compares the backends) */
    if (mode < 4) fr_model(s, n, (esn_mode)mode, max_line, &model);
    else fr_put(&model, whole.p, whole.len);
    if (whole.len != chunks.len || whole.len != model.len ||
        (whole.len && (memcmp(whole.p, chunks.p, whole.len) != 0 || memcmp(whole.p, model.p, whole.len) != 0))) {
      fprintf(stderr, "mode %d\n--- whole:%.*s\n--- chunked:%.*s\n--- model:%.*s\n", mode,
              (int)whole.len, whole.p, (int)chunks.len, chunks.p, (int)model.len, model.p);
      PROP(!"framing whole, in chunks and by the model agree");
    }
    free(whole.p), free(chunks.p), free(model.p);
  }
}
