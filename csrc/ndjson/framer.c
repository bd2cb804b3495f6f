#include "ndjson/framer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson/scan.h"
#include "ndjson/text.h"
#include "validate/validate.h"

/* A growable byte buffer that always keeps ESN_JSON_PADDING spare bytes. */
typedef struct {
  uint8_t *p;
  size_t len, cap;
} bytes;

static int reserve(bytes *b, size_t extra) {
  size_t need = b->len + extra;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < need) cap *= 2;
  uint8_t *p = (uint8_t *)realloc(b->p, cap + ESN_JSON_PADDING);
  if (p == NULL) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int append(bytes *b, const uint8_t *s, size_t n) {
  if (n == 0) return 0; /* b->p may still be NULL: no pointer arithmetic on it */
  if (reserve(b, n)) return -1;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  return 0;
}

/* Give memory back after an unusually large line (many framers live at once). */
static void shrink(bytes *b, size_t keep) {
  if (b->cap <= keep || b->len > keep / 2) return;
  uint8_t *p = (uint8_t *)realloc(b->p, keep + ESN_JSON_PADDING);
  if (p == NULL) return;
  b->p = p;
  b->cap = keep;
}

/* A line cut short because it passed max_line: `at` is the index in `in` of
 * its end (its '\n', or in->len while still open); `dropped` bytes of it
 * were never stored. */
typedef struct {
  size_t at;
  double dropped;
  double start; /* stream offset of the line's first byte */
} cut;

#define MAX_CUTS 8

/* A framed line whose JSON is not decided yet: lines.p[start, end) for recs[rec]. */
typedef struct {
  uint32_t rec, start, end;
} pending;

struct esn_framer {
  esn_json_parser *parser;
  esn_mode mode;
  size_t max_line;

  bytes in;           /* unprocessed input */
  size_t pos;         /* start of the next line in `in` */
  size_t scanned;     /* `in` has no '\n' in [pos, scanned) */
  size_t tail;        /* start of the open (unterminated) line in `in` */
  double base;        /* stream offset of in.p[0] */
  double line_no;     /* lines finished so far */
  int ended;
  int skipping;       /* the open line passed max_line: drop until '\n' */
  int open_reported;  /* ... and has been reported already */

  cut cuts[MAX_CUTS];
  int ncuts;

  bytes batch, side, scratch;
  bytes lines;       /* phase 1 -> 2: the framed lines of this run, '\n'-separated */
  pending *pend;
  size_t npend, pend_cap;
  int in_place;      /* the batch is `lines` itself (every line went in) */
  int ascii;         /* the batch holds only ASCII */
  size_t values;
  size_t side_units; /* UTF-16 length of `side` */
  bytes last_sid;    /* session id of the previous routed line */
  int sid_in_side;   /* ... and it is already in this batch's side text */
};

static int routes(const esn_framer *f) {
  return f->mode == ESN_MODE_ROUTE || f->mode == ESN_MODE_ROUTE_FIELDS || f->mode == ESN_MODE_ROUTE_SCAN;
}

esn_framer *esn_framer_new(esn_json_parser *parser, esn_mode mode, size_t max_line) {
  esn_framer *f = (esn_framer *)calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->parser = parser;
  f->mode = mode;
  f->max_line = max_line ? max_line : (size_t)16 << 20;
  return f;
}

void esn_framer_free(esn_framer *f) {
  if (f == NULL) return;
  free(f->in.p);
  free(f->batch.p);
  free(f->side.p);
  free(f->scratch.p);
  free(f->lines.p);
  free(f->pend);
  free(f->last_sid.p);
  free(f);
}

void esn_framer_reset(esn_framer *f) {
  f->in.len = f->pos = f->scanned = f->tail = 0;
  f->base = f->line_no = 0;
  f->ended = f->skipping = f->open_reported = 0;
  f->ncuts = 0;
  f->batch.len = f->side.len = f->side_units = 0;
  f->values = 0;
  f->last_sid.len = 0;
  f->sid_in_side = 0;
}

/* Bytes of a too-long line kept for its report: the same whatever the
 * chunking, since at least max_line + 1 bytes exist when the cap is passed. */
static size_t preview_len(const esn_framer *f) {
  return f->max_line < ESN_FRAMER_PREVIEW ? f->max_line + 1 : ESN_FRAMER_PREVIEW;
}

/* Stream offset of in.p[i]. */
static double offset_of(const esn_framer *f, size_t i) {
  double off = f->base + (double)i;
  for (int k = 0; k < f->ncuts; k++)
    if (f->cuts[k].at < i) off += f->cuts[k].dropped;
  return off;
}

/* Start cutting the open line at in.p[tail...]: keep a preview, drop the rest. */
static int start_cut(esn_framer *f) {
  if (f->ncuts == MAX_CUTS) return -1;
  size_t keep = f->in.len - f->tail;
  if (keep > preview_len(f)) keep = preview_len(f);
  double start = offset_of(f, f->tail); /* before the new cut is listed */
  cut *c = &f->cuts[f->ncuts++];
  c->start = start;
  c->dropped = (double)(f->in.len - f->tail - keep);
  f->in.len = f->tail + keep;
  /* run() may have scanned the dropped bytes already: scan the kept ones
   * again, or the '\n' that ends this line (appended at in.len) is missed. */
  if (f->scanned > f->in.len) f->scanned = f->in.len;
  c->at = f->in.len;
  f->skipping = 1;
  return 0;
}

esn_framer_status esn_framer_push(esn_framer *f, const uint8_t *data, size_t len) {
  while (len > 0) {
    if (f->skipping) {
      const uint8_t *nl = (const uint8_t *)memchr(data, '\n', len);
      size_t n = nl ? (size_t)(nl - data) : len;
      cut *c = &f->cuts[f->ncuts - 1];
      c->dropped += (double)n;
      if (nl == NULL) return ESN_FRAMER_OK;
      /* The long line ends here: keep its '\n' so run() sees it end. */
      f->skipping = 0;
      if (append(&f->in, (const uint8_t *)"\n", 1)) return ESN_FRAMER_ENOMEM;
      c->at = f->in.len - 1;
      f->tail = f->in.len;
      data += n + 1;
      len -= n + 1;
      continue;
    }
    /* Store up to the point where the open line would pass max_line. */
    const uint8_t *last = (const uint8_t *)memchr(data, '\n', len);
    if (last != NULL) /* then the last one, from the end */
      for (size_t i = len; i > 0; i--)
        if (data[i - 1] == '\n') {
          last = data + i - 1;
          break;
        }
    size_t open_before = last ? 0 : f->in.len - f->tail;
    size_t open_new = last ? len - (size_t)(last - data) - 1 : len;
    if (open_before + open_new <= f->max_line) {
      if (append(&f->in, data, len)) return ESN_FRAMER_ENOMEM;
      if (last) f->tail = f->in.len - open_new;
      return ESN_FRAMER_OK;
    }
    /* Keep the complete lines and the open line's first bytes (its preview), then cut. */
    size_t room = open_before < preview_len(f) ? preview_len(f) - open_before : 0;
    size_t take = len - open_new + (room < open_new ? room : open_new);
    if (append(&f->in, data, take)) return ESN_FRAMER_ENOMEM;
    if (last) f->tail = f->in.len - (take - (size_t)(last - data) - 1);
    if (start_cut(f)) return ESN_FRAMER_ENOMEM;
    data += take;
    len -= take;
  }
  return ESN_FRAMER_OK;
}

void esn_framer_end(esn_framer *f) { f->ended = 1; }

const uint8_t *esn_framer_batch(const esn_framer *f, size_t *len) {
  if (f->values == 0) {
    *len = 0;
    return f->batch.p;
  }
  if (!f->in_place) {
    *len = f->batch.len;
    return f->batch.p;
  }
  if (routes(f)) {
    *len = f->lines.len - 1;
    return f->lines.p + 1;
  }
  *len = f->lines.len;
  return f->lines.p;
}

int esn_framer_batch_ascii(const esn_framer *f) { return f->ascii; }

const uint8_t *esn_framer_side(const esn_framer *f, size_t *len) {
  *len = f->side.len;
  return f->side.p;
}

size_t esn_framer_batch_values(const esn_framer *f) { return f->values; }
double esn_framer_line(const esn_framer *f) { return f->line_no; }

int esn_framer_has_pending(const esn_framer *f) {
  if (f->skipping) return 1;
  size_t from = f->pos > f->tail ? f->pos : f->tail, s, e;
  if (from >= f->in.len) return 0;
  /* The open line counts when it is not blank (invalid bytes are not blank). */
  esn_js_trim(f->in.p + from, f->in.len - from, &s, &e);
  return e > s;
}

/* Lines that run() has yet to process. */
static int lines_left(const esn_framer *f) {
  return f->pos < f->tail || (f->skipping && !f->open_reported) ||
         (f->ended && f->pos < f->in.len && !f->skipping);
}

/* Appends valid UTF-8 text to the side output; [*a, *b) is its UTF-16 range. */
static int side_text(esn_framer *f, const uint8_t *s, size_t n, uint32_t *a, uint32_t *b) {
  if (append(&f->side, s, n)) return -1;
  *a = (uint32_t)f->side_units;
  f->side_units += esn_utf16_length(s, n);
  *b = (uint32_t)f->side_units;
  return 0;
}

static int add_value(esn_framer *f, const uint8_t *s, size_t n) {
  if (reserve(&f->batch, n + 2)) return -1;
  f->batch.p[f->batch.len++] = f->values ? ',' : '[';
  memcpy(f->batch.p + f->batch.len, s, n);
  f->batch.len += n;
  f->values++;
  return 0;
}

static int add_pending(esn_framer *f, uint32_t rec, uint32_t start, uint32_t end) {
  if (f->npend == f->pend_cap) {
    size_t cap = f->pend_cap ? 2 * f->pend_cap : 256;
    pending *p = (pending *)realloc(f->pend, cap * sizeof *p);
    if (p == NULL) return -1;
    f->pend = p;
    f->pend_cap = cap;
  }
  f->pend[f->npend++] = (pending){rec, start, end};
  return 0;
}

/* Phase 1: frame one complete line, raw bytes s[0, n) (no '\n'): the line cap,
 * TextDecoder replacement, trim. A line to parse is queued in `lines`.
 * Returns 1 when a record was written, 0 for a blank line, -1 when out of memory. */
static int frame_line(esn_framer *f, const uint8_t *s, size_t n, double raw_len, double off,
                      esn_record *r, uint32_t index) {
  memset(r, 0, sizeof *r);
  r->offset = off;
  r->seq = NAN;
  r->sid_start = -1;
  if (raw_len > (double)f->max_line) {
    /* Report with a preview; the line may be cut anywhere, so decode it. */
    size_t pn = n < preview_len(f) ? n : preview_len(f);
    if (reserve(&f->scratch, 3 * pn)) return -1;
    size_t m = esn_utf8_sanitize(s, pn, f->scratch.p);
    size_t ts, te;
    esn_js_trim(f->scratch.p, m, &ts, &te);
    r->kind = ESN_REC_TOO_LONG;
    r->line = ++f->line_no;
    return side_text(f, f->scratch.p + ts, te - ts, &r->start, &r->end) ? -1 : 1;
  }
  /* Decode like TextDecoder: only lines with invalid UTF-8 are rewritten. */
  if (!esn_is_ascii(s, n)) {
    f->ascii = 0;
    if (!esn_json_utf8_valid(s, n)) {
      if (reserve(&f->scratch, 3 * n)) return -1;
      n = esn_utf8_sanitize(s, n, f->scratch.p);
      s = f->scratch.p;
    }
  }
  size_t ts = 0, te = n;
  /* An object line needs no trimming (the usual case): skip the scan. */
  if (!(n >= 2 && s[0] == '{' && s[n - 1] == '}')) esn_js_trim(s, n, &ts, &te);
  f->line_no++;
  if (te == ts) return 0;
  r->line = f->line_no;
  r->kind = ESN_REC_JS; /* until decided */
  uint32_t start = (uint32_t)f->lines.len;
  if (append(&f->lines, s + ts, te - ts) || append(&f->lines, (const uint8_t *)"\n", 1)) return -1;
  return add_pending(f, index, start, (uint32_t)f->lines.len - 1) ? -1 : 1;
}

static int route(esn_framer *f, esn_record *r, double seq, const uint8_t *sid, size_t sl);

/* Phase 2, per line: the verdict on a parsed value, written to the outputs. */
static int decide(esn_framer *f, esn_record *r, esn_json_value root, const uint8_t *s, size_t n) {
  /* Values and routed lines stay in `lines`; build_batch() places them. */
  r->start = (uint32_t)(s - f->lines.p);
  r->end = r->start + (uint32_t)n;
  if (f->mode == ESN_MODE_JSON) {
    r->kind = ESN_REC_VALUE;
    f->values++;
    return 0;
  }
  esn_event_info info;
  esn_verdict v = esn_validate_event(root, &info);
  r->type = (uint8_t)info.type;
  if (v == ESN_VALID_INVALID) {
    r->kind = ESN_REC_INVALID;
    return side_text(f, s, n, &r->start, &r->end);
  }
  f->values++;
  if (f->mode == ESN_MODE_EVENT) {
    r->kind = v == ESN_VALID_CANONICAL ? ESN_REC_VALUE : ESN_REC_NORMALIZE;
    return 0;
  }
  return route(f, r, info.seq, (const uint8_t *)info.session_id, info.session_id_len);
}

/* A routed line: its seq, and its session id (sent once per run). */
static int route(esn_framer *f, esn_record *r, double seq, const uint8_t *sid, size_t sl) {
  r->kind = ESN_REC_ROUTE;
  r->seq = seq;
  if (!(f->sid_in_side && f->last_sid.len == sl && memcmp(f->last_sid.p, sid, sl) == 0)) {
    uint32_t a, b;
    if (side_text(f, sid, sl, &a, &b)) return -1;
    r->sid_start = a;
    r->sid_end = b;
    f->last_sid.len = 0;
    if (append(&f->last_sid, sid, sl)) return -1;
    f->sid_in_side = 1;
  }
  return 0;
}

/* ROUTE_FIELDS: the top-level fields read, and the checks on them: the
 * envelope's rules (contracts/events.js Event, as ESN_PROTOCOL_VERSION_OK and
 * ESN_SESSION_ID_PREFIX in contracts/contracts_gen.h) with a known type and
 * an object payload. The JavaScript twin is routable() in
 * lib/validate/rules-gen.js. */
#define ROUTE_KEY(name, len) {name, len},
static const esn_json_key kRouteKeys[] = {ESN_EVENT_KEYS(ROUTE_KEY)};
#undef ROUTE_KEY
enum {
  RK_TYPE = ESN_EVK_TYPE,
  RK_SEQ = ESN_EVK_SEQ,
  RK_SID = ESN_EVK_SESSION_ID,
  RK_VERSION = ESN_EVK_PROTOCOL_VERSION,
  RK_PAYLOAD = ESN_EVK_PAYLOAD,
  RK_COUNT = ESN_EVK_COUNT
};

static esn_event_type routable(const esn_json_field *fl) {
  const esn_json_field *t = &fl[RK_TYPE], *q = &fl[RK_SEQ], *sid = &fl[RK_SID], *v = &fl[RK_VERSION],
                       *p = &fl[RK_PAYLOAD];
  if (!t->present || t->type != ESN_JSON_STRING) return ESN_EV_NONE;
  if (!v->present || v->type != ESN_JSON_DOUBLE || !ESN_PROTOCOL_VERSION_OK(v->num)) return ESN_EV_NONE;
  if (!sid->present || sid->type != ESN_JSON_STRING || sid->len <= ESN_SESSION_ID_PREFIX_LEN ||
      memcmp(sid->str, ESN_SESSION_ID_PREFIX, ESN_SESSION_ID_PREFIX_LEN) != 0)
    return ESN_EV_NONE;
  if (!q->present || q->type != ESN_JSON_DOUBLE || !(q->num >= 0 && q->num <= 9007199254740991.0) ||
      q->num != floor(q->num))
    return ESN_EV_NONE;
  if (!p->present || p->type != ESN_JSON_OBJECT) return ESN_EV_NONE;
  return esn_event_type_from_name(t->str, t->len);
}

/* Phase 2 of ROUTE_FIELDS, per line: route it, or leave it to the caller. */
static int decide_fields(esn_framer *f, esn_record *r, const esn_json_field *fl, const uint8_t *s,
                         size_t n) {
  r->start = (uint32_t)(s - f->lines.p);
  r->end = r->start + (uint32_t)n;
  esn_event_type t = fl != NULL ? routable(fl) : ESN_EV_NONE;
  if (t == ESN_EV_NONE) {
    r->kind = ESN_REC_JS;
    return side_text(f, s, n, &r->start, &r->end);
  }
  r->type = (uint8_t)t;
  f->values++;
  return route(f, r, fl[RK_SEQ].num, (const uint8_t *)fl[RK_SID].str, fl[RK_SID].len);
}

typedef struct {
  esn_framer *f;
  esn_record *recs;
  size_t next;
  int oom;
} many_ctx;

static int on_fields(void *vctx, size_t offset, const esn_json_field *fields) {
  many_ctx *c = (many_ctx *)vctx;
  esn_framer *f = c->f;
  if (c->next == f->npend || f->pend[c->next].start != offset + 1) return 1;
  pending *p = &f->pend[c->next++];
  if (decide_fields(f, &c->recs[p->rec], fields, f->lines.p + p->start, p->end - p->start)) {
    c->oom = 1;
    return 1;
  }
  return 0;
}

/* A document of the one-pass parse: it must start exactly at the next
 * pending line, else the lines are not one document each. */
static int on_document(void *vctx, size_t offset, esn_json_value root) {
  many_ctx *c = (many_ctx *)vctx;
  esn_framer *f = c->f;
  if (c->next == f->npend || f->pend[c->next].start != offset + 1) return 1;
  pending *p = &f->pend[c->next++];
  if (decide(f, &c->recs[p->rec], root, f->lines.p + p->start, p->end - p->start)) {
    c->oom = 1;
    return 1;
  }
  return 0;
}

/* Phase 3: the batch. When every framed line is in it (the usual case) it is
 * `lines` itself, separators rewritten in place: '[' a ',' b ']' for values,
 * a '\n' b '\n' for routed lines. Otherwise the lines that go in are copied. */
static int build_batch(esn_framer *f, esn_record *recs) {
  if (f->values == 0) return 0;
  uint8_t *L = f->lines.p;
  if (f->values == f->npend) {
    f->in_place = 1;
    if (routes(f)) {
      for (size_t k = 0; k < f->npend; k++) recs[f->pend[k].rec].start--, recs[f->pend[k].rec].end--;
      return 0;
    }
    for (size_t k = 0; k < f->npend; k++) L[f->pend[k].end] = ',';
    L[f->pend[f->npend - 1].end] = ']';
    return 0;
  }
  size_t values = f->values;
  f->values = 0;
  for (size_t k = 0; k < f->npend; k++) {
    esn_record *r = &recs[f->pend[k].rec];
    if (r->kind == ESN_REC_VALUE || r->kind == ESN_REC_NORMALIZE) {
      uint32_t n = r->end - r->start;
      if (add_value(f, L + r->start, n)) return -1;
      r->end = (uint32_t)f->batch.len;
      r->start = r->end - n;
    } else if (r->kind == ESN_REC_ROUTE) {
      uint32_t a = (uint32_t)f->batch.len;
      if (append(&f->batch, L + r->start, r->end - r->start) ||
          append(&f->batch, (const uint8_t *)"\n", 1))
        return -1;
      r->start = a;
      r->end = (uint32_t)f->batch.len - 1;
      f->values++;
    }
  }
  if (!routes(f)) {
    if (reserve(&f->batch, 1)) return -1;
    f->batch.p[f->batch.len++] = ']';
  }
  (void)values;
  return 0;
}

/* Phase 2: parse every pending line, first all in one pass; when that fails
 * (some line is not exactly one JSON document), line by line. */
static int finish_scan(esn_framer *f, esn_record *recs);

static int finish(esn_framer *f, esn_record *recs) {
  if (f->npend == 0) return 0;
  if (f->mode == ESN_MODE_SCAN || f->mode == ESN_MODE_ROUTE_SCAN) return finish_scan(f, recs);
  size_t batch_len = f->batch.len, side_len = f->side.len, side_units = f->side_units;
  size_t values = f->values;
  int sid_in_side = f->sid_in_side;
  many_ctx c = {f, recs, 0, 0};
  /* lines.p[0] is the '[' of an in-place batch: not part of the documents. */
  int fields = f->mode == ESN_MODE_ROUTE_FIELDS;
  esn_json_status st =
      fields ? esn_json_fields_many(f->parser, f->lines.p + 1, f->lines.len - 1, kRouteKeys, RK_COUNT,
                                    on_fields, &c)
             : esn_json_parse_many(f->parser, f->lines.p + 1, f->lines.len - 1, on_document, &c);
  if (c.oom || st == ESN_JSON_ENOMEM) return -1;
  if (st == ESN_JSON_OK && c.next == f->npend) return build_batch(f, recs);
  /* Undo, then decide line by line. The remembered session id may have
   * changed: forget it so it is sent again. */
  f->batch.len = batch_len, f->side.len = side_len, f->side_units = side_units;
  f->values = values;
  f->sid_in_side = 0;
  (void)sid_in_side;
  for (size_t k = 0; k < f->npend; k++) {
    pending *p = &f->pend[k];
    esn_record *r = &recs[p->rec];
    const uint8_t *s = f->lines.p + p->start;
    size_t n = p->end - p->start;
    esn_json_value root;
    r->type = 0;
    r->seq = NAN;
    r->sid_start = -1;
    if (fields) {
      esn_json_field fl[RK_COUNT];
      st = esn_json_fields(f->parser, s, n, kRouteKeys, RK_COUNT, fl);
      if (st == ESN_JSON_ENOMEM) return -1;
      if (decide_fields(f, r, st == ESN_JSON_OK ? fl : NULL, s, n)) return -1;
      continue;
    }
    st = esn_json_parse(f->parser, s, n, &root);
    if (st == ESN_JSON_ENOMEM) return -1;
    if (st != ESN_JSON_OK) {
      r->kind = ESN_REC_JS;
      if (side_text(f, s, n, &r->start, &r->end)) return -1;
      continue;
    }
    if (decide(f, r, root, s, n)) return -1;
  }
  return build_batch(f, recs);
}

/* ROUTE_SCAN: the routing checks on the fields esn_json_scan found, where
 * it can decide them exactly; ESN_EV_NONE sends the line to the caller. */
static esn_event_type scan_routable(const esn_scan_field *fl, double *seq) {
  const esn_scan_field *t = &fl[RK_TYPE], *q = &fl[RK_SEQ], *sid = &fl[RK_SID], *v = &fl[RK_VERSION],
                       *p = &fl[RK_PAYLOAD];
  if (t->kind != ESN_JSON_STRING || t->esc) return ESN_EV_NONE;
  if (v->kind != ESN_JSON_DOUBLE || !ESN_PROTOCOL_VERSION_TEXT_OK(v->p, v->n)) return ESN_EV_NONE;
  if (sid->kind != ESN_JSON_STRING || sid->esc || sid->n <= ESN_SESSION_ID_PREFIX_LEN ||
      memcmp(sid->p, ESN_SESSION_ID_PREFIX, ESN_SESSION_ID_PREFIX_LEN) != 0)
    return ESN_EV_NONE;
  /* A plain integer of at most 15 digits is exact and safe. */
  if (q->kind != ESN_JSON_DOUBLE || q->n > 15) return ESN_EV_NONE;
  double x = 0;
  for (size_t i = 0; i < q->n; i++) {
    uint8_t c = q->p[i];
    if (c < '0' || c > '9') return ESN_EV_NONE;
    x = x * 10 + (c - '0');
  }
  if (p->kind != ESN_JSON_OBJECT) return ESN_EV_NONE;
  *seq = x;
  return esn_event_type_from_name((const char *)t->p, t->n);
}

/* ROUTE_SCAN's fast path: a line in the schema's key order with nothing
 * between the tokens, {"protocolVersion":V,"sessionId":"S","seq":Q,
 * "type":"T","payload":{...}} - what this package and the reference write.
 * Exact for everything but the payload (structure only, as in the general
 * path); ESN_EV_NONE when the line has any other shape. */
static int lit(const uint8_t *s, size_t n, size_t *i, const char *w, size_t wl) {
  if (n - *i < wl || memcmp(s + *i, w, wl) != 0) return 0;
  *i += wl;
  return 1;
}

static esn_event_type route_fast(const uint8_t *s, size_t n, double *seq, const uint8_t **sid,
                                 size_t *sid_len) {
  size_t i = 0;
  if (!lit(s, n, &i, "{\"protocolVersion\":", 19) || i >= n || !ESN_PROTOCOL_VERSION_TEXT_OK(s + i, 1))
    return ESN_EV_NONE;
  i++;
  if (!lit(s, n, &i, ",\"sessionId\":\"" ESN_SESSION_ID_PREFIX, 14 + ESN_SESSION_ID_PREFIX_LEN))
    return ESN_EV_NONE;
  size_t a = i - ESN_SESSION_ID_PREFIX_LEN;
  i = esn_json_string_stop(s, i, n);
  if (i >= n || s[i] != '"' || i - a <= ESN_SESSION_ID_PREFIX_LEN) return ESN_EV_NONE;
  *sid = s + a;
  *sid_len = i - a;
  i++;
  if (!lit(s, n, &i, ",\"seq\":", 7)) return ESN_EV_NONE;
  size_t q = i;
  double x = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') x = x * 10 + (s[i++] - '0');
  if (i == q || i - q > 15 || (s[q] == '0' && i - q > 1)) return ESN_EV_NONE;
  if (!lit(s, n, &i, ",\"type\":\"", 9)) return ESN_EV_NONE;
  size_t t = i;
  i = esn_json_string_stop(s, i, n);
  if (i >= n || s[i] != '"') return ESN_EV_NONE;
  esn_event_type type = esn_event_type_from_name((const char *)s + t, i - t);
  i++;
  if (type == ESN_EV_NONE || !lit(s, n, &i, ",\"payload\":", 11) || i >= n || s[i] != '{') return ESN_EV_NONE;
  size_t e = esn_json_skip_container(s, i, n);
  if (e == 0 || e + 1 != n || s[e] != '}') return ESN_EV_NONE;
  *seq = x;
  return type;
}

/* SCAN / ROUTE_SCAN phase 2: each pending line checked in place. */
static int finish_scan(esn_framer *f, esn_record *recs) {
  int route_mode = f->mode == ESN_MODE_ROUTE_SCAN;
  for (size_t k = 0; k < f->npend; k++) {
    pending *p = &f->pend[k];
    esn_record *r = &recs[p->rec];
    const uint8_t *s = f->lines.p + p->start;
    size_t n = p->end - p->start;
    r->start = p->start;
    r->end = p->end;
    if (!route_mode) {
      /* A bracketed line: its brackets alone (JSON.parse of the batch
       * checks the syntax; if that fails the caller decides line by line). */
      int ok = (s[0] == '{' || s[0] == '[') ? esn_json_skip_container(s, 0, n) == n
                                            : esn_json_scan(s, n, NULL, 0, NULL, NULL, 0);
      if (ok) {
        r->kind = ESN_REC_VALUE;
        f->values++;
      } else {
        r->kind = ESN_REC_JS;
        if (side_text(f, s, n, &r->start, &r->end)) return -1;
      }
      continue;
    }
    esn_scan_field fl[RK_COUNT];
    int key_escaped = 1;
    double seq = 0;
    const uint8_t *sid = NULL;
    size_t sid_len = 0;
    esn_event_type t = route_fast(s, n, &seq, &sid, &sid_len);
    if (t != ESN_EV_NONE) {
      r->type = (uint8_t)t;
      f->values++;
      if (route(f, r, seq, sid, sid_len)) return -1;
      continue;
    }
    if (s[0] == '{' && esn_json_scan(s, n, kRouteKeys, RK_COUNT, fl, &key_escaped, ESN_SCAN_SKIP_NESTED) &&
        !key_escaped)
      t = scan_routable(fl, &seq);
    if (t == ESN_EV_NONE) {
      r->kind = ESN_REC_JS;
      if (side_text(f, s, n, &r->start, &r->end)) return -1;
      continue;
    }
    r->type = (uint8_t)t;
    f->values++;
    if (route(f, r, seq, fl[RK_SID].p, fl[RK_SID].n)) return -1;
  }
  if (build_batch(f, recs)) return -1;
  if (route_mode || f->ascii || f->values == 0) return 0;
  /* A batch with non-ASCII text: value ranges in UTF-16 units. */
  size_t blen;
  const uint8_t *b = esn_framer_batch(f, &blen);
  size_t at = 0, units = 0;
  for (size_t k = 0; k < f->npend; k++) {
    esn_record *r = &recs[f->pend[k].rec];
    if (r->kind != ESN_REC_VALUE) continue;
    units += esn_utf16_length(b + at, r->start - at);
    at = r->start;
    r->start = (uint32_t)units;
    units += esn_utf16_length(b + at, r->end - at);
    at = r->end;
    r->end = (uint32_t)units;
  }
  return 0;
}

/* The cut (if any) that ends at in.p[at]. */
static cut *cut_at(esn_framer *f, size_t at) {
  for (int k = 0; k < f->ncuts; k++)
    if (f->cuts[k].at == at) return &f->cuts[k];
  return NULL;
}

/* Drops processed input, folding passed cuts into `base`. */
static void compact(esn_framer *f) {
  if (f->pos == 0) return;
  int k2 = 0;
  for (int k = 0; k < f->ncuts; k++) {
    cut c = f->cuts[k];
    if (c.at < f->pos) {
      f->base += c.dropped;
    } else {
      c.at -= f->pos;
      f->cuts[k2++] = c;
    }
  }
  f->ncuts = k2;
  f->base += (double)f->pos;
  memmove(f->in.p, f->in.p + f->pos, f->in.len - f->pos);
  f->in.len -= f->pos;
  f->scanned = f->scanned > f->pos ? f->scanned - f->pos : 0;
  f->tail = f->tail > f->pos ? f->tail - f->pos : 0;
  f->pos = 0;
  shrink(&f->in, (size_t)1 << 20);
}

long esn_framer_run(esn_framer *f, esn_record *recs, size_t cap, int *more) {
  f->batch.len = f->side.len = f->side_units = 0;
  f->lines.len = f->npend = 0;
  f->in_place = 0;
  f->ascii = 1;
  if (append(&f->lines, (const uint8_t *)"[", 1)) return ESN_FRAMER_ENOMEM;
  f->values = 0;
  f->sid_in_side = 0;
  shrink(&f->lines, (size_t)1 << 20);
  shrink(&f->batch, (size_t)1 << 20);
  shrink(&f->side, (size_t)1 << 20);
  shrink(&f->scratch, (size_t)1 << 20);
  long n = 0;
  *more = 0;
  while (1) {
    if ((size_t)n == cap) {
      *more = lines_left(f);
      break;
    }
    size_t from = f->scanned > f->pos ? f->scanned : f->pos;
    const uint8_t *nl = from < f->in.len
                            ? (const uint8_t *)memchr(f->in.p + from, '\n', f->in.len - from)
                            : NULL;
    int rc;
    if (nl != NULL) {
      size_t e = (size_t)(nl - f->in.p);
      cut *c = cut_at(f, e);
      int counted = 0;
      double raw = (double)(e - f->pos), off = offset_of(f, f->pos);
      if (c != NULL) {
        raw += c->dropped;
        off = c->start;
        if (c->at == e && f->open_reported && e == f->pos) counted = 1;
      }
      if (counted) {
        /* Already reported while open: only its end remained. */
        f->open_reported = 0;
        rc = 0;
      } else {
        rc = frame_line(f, f->in.p + f->pos, e - f->pos, raw, off, &recs[n], (uint32_t)n);
      }
      f->pos = f->scanned = e + 1;
    } else if (f->skipping && !f->open_reported && f->pos == f->tail) {
      /* Report an open line as soon as it passes max_line. */
      cut *c = &f->cuts[f->ncuts - 1];
      rc = frame_line(f, f->in.p + f->pos, f->in.len - f->pos, (double)(f->max_line) + 1.0,
                      c->start, &recs[n], (uint32_t)n);
      f->open_reported = 1;
      c->dropped += (double)(f->in.len - f->pos);
      f->in.len = f->pos; /* the preview is no longer needed */
      c->at = f->in.len;
      f->scanned = f->in.len;
    } else if (f->ended && f->pos < f->in.len && !f->skipping) {
      /* The last line, without '\n': counted only when not blank. */
      size_t e = f->in.len;
      cut *c = cut_at(f, e);
      double raw = (double)(e - f->pos), off = offset_of(f, f->pos);
      if (c != NULL) raw += c->dropped, off = c->start;
      double before = f->line_no;
      rc = frame_line(f, f->in.p + f->pos, e - f->pos, raw, off, &recs[n], (uint32_t)n);
      if (rc == 0) f->line_no = before;
      f->pos = f->scanned = e;
    } else {
      f->scanned = f->in.len;
      break;
    }
    if (rc < 0) return ESN_FRAMER_ENOMEM;
    n += rc;
  }
  if (finish(f, recs)) return ESN_FRAMER_ENOMEM;
  if (!*more && f->ended) {
    /* End of input ends an open over-long line too; a later push starts afresh. */
    if (f->skipping) {
      f->base += f->cuts[--f->ncuts].dropped;
      f->skipping = f->open_reported = 0;
    }
    f->ended = 0;
  }
  if (!*more) compact(f);
  return n;
}
