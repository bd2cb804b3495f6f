/* The NDJSON framer and text rules: framing, trimming, UTF-8 replacement,
 * line cap, offsets, line numbers, chunking invariance. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson/framer.h"
#include "ndjson/text.h"
#include "validate/validate.h"
#include "test/test.h"

/* Collects every record of a framer as a compact text log. */
typedef struct {
  char log[65536];
  size_t len;
} logbuf;

static void logf_(logbuf *l, const char *s, size_t n) {
  if (l->len + n + 1 >= sizeof l->log) return;
  memcpy(l->log + l->len, s, n);
  l->len += n;
  l->log[l->len] = 0;
}

static void drain(esn_framer *f, logbuf *l, size_t cap) {
  esn_record recs[64];
  int more;
  do {
    long n = esn_framer_run(f, recs, cap, &more);
    CHECK(n >= 0);
    size_t blen, slen;
    const uint8_t *b = esn_framer_batch(f, &blen);
    const uint8_t *side = esn_framer_side(f, &slen);
    (void)side;
    char tmp[256];
    int k = snprintf(tmp, sizeof tmp, "B%zu:", esn_framer_batch_values(f));
    logf_(l, tmp, (size_t)k);
    if (blen) logf_(l, (const char *)b, blen);
    for (long i = 0; i < n; i++) {
      k = snprintf(tmp, sizeof tmp, "|%d@%g+%g", recs[i].kind, recs[i].line, recs[i].offset);
      logf_(l, tmp, (size_t)k);
    }
    logf_(l, "\n", 1);
  } while (more);
}

/* Frames `in` whole and in pieces of `step`; records must agree. */
static void frame_all(const char *in, size_t len, size_t max, size_t step, char *out, size_t outcap) {
  esn_json_parser *p = esn_json_parser_new(1000);
  esn_framer *f = esn_framer_new(p, ESN_MODE_JSON, max);
  /* Records only (batches differ with chunking): log kinds, lines, offsets. */
  size_t o = 0;
  esn_record recs[8];
  for (size_t i = 0; i <= len; i += step) {
    size_t n = len - i < step ? len - i : step;
    if (n) CHECK(esn_framer_push(f, (const uint8_t *)in + i, n) == ESN_FRAMER_OK);
    if (i + step > len) esn_framer_end(f);
    int more;
    do {
      long r = esn_framer_run(f, recs, 8, &more);
      for (long k = 0; k < r; k++)
        o += (size_t)snprintf(out + o, outcap - o, "%d@%g+%g;", recs[k].kind, recs[k].line, recs[k].offset);
    } while (more);
    if (n == 0) break;
  }
  esn_framer_free(f);
  esn_json_parser_free(p);
}

static void test_text(void) {
  uint8_t out[64];
  /* Maximal subparts: E2 82 followed by 'A' is one U+FFFD, then 'A'. */
  size_t n = esn_utf8_sanitize((const uint8_t *)"\xE2\x82" "A", 3, out);
  CHECK(n == 4 && memcmp(out, "\xEF\xBF\xBD" "A", 4) == 0);
  n = esn_utf8_sanitize((const uint8_t *)"\xF0\x80\x80", 3, out); /* overlong: 3 x FFFD */
  CHECK_EQ_INT(n, 9);
  n = esn_utf8_sanitize((const uint8_t *)"\xED\xA0\x80", 3, out); /* surrogate: 3 x FFFD */
  CHECK_EQ_INT(n, 9);
  n = esn_utf8_sanitize((const uint8_t *)"\xC3\xA9", 2, out);
  CHECK(n == 2 && memcmp(out, "\xC3\xA9", 2) == 0);

  size_t a, e;
  const char *s = "\xEF\xBB\xBF \t\xC2\xA0{}\xE2\x80\xA8\r";
  esn_js_trim((const uint8_t *)s, strlen(s), &a, &e);
  CHECK(e - a == 2 && memcmp(s + a, "{}", 2) == 0);
  esn_js_trim((const uint8_t *)"   ", 3, &a, &e);
  CHECK(a == e);
  /* U+200B (zero width space) is not whitespace for trim(). */
  s = "\xE2\x80\x8B{}";
  esn_js_trim((const uint8_t *)s, strlen(s), &a, &e);
  CHECK(a == 0);
  CHECK_EQ_INT(esn_utf16_length((const uint8_t *)"a\xC3\xA9\xF0\x9F\x98\x80", 7), 4);
}

static void test_basic(void) {
  esn_json_parser *p = esn_json_parser_new(1000);
  esn_framer *f = esn_framer_new(p, ESN_MODE_JSON, 64);
  logbuf l = {{0}, 0};
  const char *in = "{\"a\":1}\n\n  [2] \r\nnot json\n\"x\"";
  esn_framer_push(f, (const uint8_t *)in, strlen(in));
  drain(f, &l, 64);
  CHECK(strcmp(l.log, "B2:[{\"a\":1},[2]]|0@1+0|0@3+9|3@4+17\n") == 0);
  if (strcmp(l.log, "B2:[{\"a\":1},[2]]|0@1+0|0@3+9|3@4+17\n") != 0) fprintf(stderr, "%s", l.log);
  CHECK(esn_framer_has_pending(f));
  esn_framer_end(f);
  l.len = 0;
  drain(f, &l, 64);
  CHECK(strcmp(l.log, "B1:[\"x\"]|0@5+26\n") == 0);
  CHECK(!esn_framer_has_pending(f));
  /* After end, input continues as new lines (NdjsonStreamParser.flush). */
  esn_framer_push(f, (const uint8_t *)"1\n", 2);
  l.len = 0;
  drain(f, &l, 64);
  CHECK(strcmp(l.log, "B1:[1]|0@6+29\n") == 0);
  esn_framer_free(f);
  esn_json_parser_free(p);
}

static void test_too_long(void) {
  esn_json_parser *p = esn_json_parser_new(1000);
  esn_framer *f = esn_framer_new(p, ESN_MODE_JSON, 10);
  logbuf l = {{0}, 0};
  /* An open line over the cap is reported before its newline arrives. */
  esn_framer_push(f, (const uint8_t *)"1\n\"aaaaaaaaaaaaaaaa", 19);
  drain(f, &l, 64);
  CHECK(strcmp(l.log, "B1:[1]|0@1+0|4@2+2\n") == 0);
  if (strcmp(l.log, "B1:[1]|0@1+0|4@2+2\n") != 0) fprintf(stderr, "%s", l.log);
  for (int i = 0; i < 1000; i++) esn_framer_push(f, (const uint8_t *)"aaaaaaaaaa", 10);
  l.len = 0;
  drain(f, &l, 64);
  CHECK(strcmp(l.log, "B0:\n") == 0);
  esn_framer_push(f, (const uint8_t *)"aa\"\n2\n", 6);
  l.len = 0;
  drain(f, &l, 64);
  /* Line 3 ("2") starts after 2 + 17 + 10000 + 4 bytes. */
  CHECK(strcmp(l.log, "B1:[2]|0@3+10023\n") == 0);
  if (strcmp(l.log, "B1:[2]|0@3+10023\n") != 0) fprintf(stderr, "%s", l.log);
  /* A complete long line inside one chunk. */
  esn_framer_push(f, (const uint8_t *)"[1,2,3,4,5,6,7]\n3\n", 18);
  l.len = 0;
  drain(f, &l, 64);
  CHECK(strcmp(l.log, "B1:[3]|4@4+10025|0@5+10041\n") == 0);
  if (strcmp(l.log, "B1:[3]|4@4+10025|0@5+10041\n") != 0) fprintf(stderr, "%s", l.log);
  esn_framer_free(f);
  esn_json_parser_free(p);
}

static void test_chunking(void) {
  /* Random input of JSON-ish lines: every chunk size gives the same records. */
  static char in[20000];
  static char whole[200000], piece[200000];
  unsigned seed = 12345;
  size_t len = 0;
  const char *atoms[] = {"{\"a\":[1,2,{\"b\":\"\xC3\xA9\"}]}", "  42 ", "\xEF\xBB\xBF[]", "bad",
                         "\"\xF0\x9F\x98\x80\"", "", "\xE2\x82", "\"0123456789012345678901234567890123456789\"",
                         "\r", "null"};
  while (len < sizeof in - 64) {
    seed = seed * 1103515245u + 12345u;
    const char *a = atoms[(seed >> 16) % 10];
    size_t n = strlen(a);
    memcpy(in + len, a, n);
    len += n;
    in[len++] = '\n';
  }
  frame_all(in, len, 30, len, whole, sizeof whole);
  static const size_t steps[] = {1, 2, 3, 7, 64, 1000};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    frame_all(in, len, 30, steps[i], piece, sizeof piece);
    CHECK(strcmp(whole, piece) == 0);
  }
}

/* The one-pass parse of a batch must give each line the verdict it gets
 * alone, however the lines combine (strings or arrays spanning lines, two
 * values on a line, truncated values). */
static void test_batch_equals_single(void) {
  const char *atoms[] = {"\"a",    "b\"",  "[1,",  "2]",  "1 2", "{}{}", "{\"a\":", "3}",
                         "[[1]]", "\"x\"", "null", "{",    "}",   "tru",  "7",     "],[",
                         "\"\\\"", "[\"]\"]", "1e5", "-"};
  const size_t natoms = sizeof atoms / sizeof atoms[0];
  esn_json_parser *p = esn_json_parser_new(1000);
  unsigned seed = 99;
  char in[4096];
  const char *lines[64];
  for (int round = 0; round < 3000; round++) {
    size_t len = 0;
    int nl = 0;
    seed = seed * 1103515245u + 12345u;
    int count = 1 + (int)((seed >> 16) % 12);
    for (int k = 0; k < count; k++) {
      seed = seed * 1103515245u + 12345u;
      const char *a = atoms[(seed >> 16) % natoms];
      lines[nl++] = a;
      size_t n = strlen(a);
      memcpy(in + len, a, n);
      len += n;
      in[len++] = '\n';
    }
    esn_framer *f = esn_framer_new(p, ESN_MODE_JSON, 1000);
    esn_framer_push(f, (const uint8_t *)in, len);
    esn_record recs[64];
    int more;
    long n = esn_framer_run(f, recs, 64, &more);
    CHECK_EQ_INT(n, nl);
    for (long k = 0; k < n && k < nl; k++) {
      uint8_t pad[128] = {0};
      size_t l = strlen(lines[k]);
      memcpy(pad, lines[k], l);
      esn_json_value root;
      int alone_ok = esn_json_parse(p, pad, l, &root) == ESN_JSON_OK;
      CHECK_EQ_INT(recs[k].kind, alone_ok ? ESN_REC_VALUE : ESN_REC_JS);
    }
    esn_framer_free(f);
  }
  esn_json_parser_free(p);
}

/* esn_json_fields / _many: the named top-level fields, last occurrence wins,
 * escaped keys, documents that are not objects, trailing content. */
static void test_json_fields(void) {
  esn_json_parser *p = esn_json_parser_new(0);
  static const esn_json_key keys[] = {{"type", 4}, {"seq", 3}, {"payload", 7}};
  esn_json_field fl[3];
  uint8_t buf[256];
#define FIELDS(text) \
  (memset(buf, ' ', sizeof buf), memcpy(buf, text, strlen(text)), \
   esn_json_fields(p, buf, strlen(text), keys, 3, fl))
  CHECK_EQ_INT(FIELDS("{\"type\":\"a\",\"seq\":1,\"type\":\"b\\u0063\",\"x\":[1,{}],\"payload\":{\"k\":tru}}"),
               ESN_JSON_OK);
  CHECK(fl[0].present && fl[0].type == ESN_JSON_STRING && fl[0].len == 2 && memcmp(fl[0].str, "bc", 2) == 0);
  CHECK(fl[1].present && fl[1].type == ESN_JSON_DOUBLE && fl[1].num == 1);
  CHECK(fl[2].present && fl[2].type == ESN_JSON_OBJECT);
  CHECK_EQ_INT(FIELDS("{\"s\\u0065q\":7e0,\"type\":null}"), ESN_JSON_OK);
  CHECK(fl[1].present && fl[1].num == 7 && fl[0].type == ESN_JSON_NULL && !fl[2].present);
  CHECK_EQ_INT(FIELDS("{\"seq\":1} {}"), ESN_JSON_EFAIL);
  CHECK_EQ_INT(FIELDS("[1]"), ESN_JSON_EFAIL);
  CHECK_EQ_INT(FIELDS("{\"seq\":1e400}"), ESN_JSON_EFAIL);
  CHECK_EQ_INT(FIELDS("{\"type\":\"\\ud800\"}"), ESN_JSON_EFAIL);
  CHECK_EQ_INT(FIELDS("{\"seq\":1"), ESN_JSON_EFAIL);
  CHECK_EQ_INT(FIELDS("\xef\xbb\xbf{}"), ESN_JSON_EFAIL);
#undef FIELDS
  esn_json_parser_free(p);
}

/* ROUTE_FIELDS: routable lines route, the others go to the caller (JS);
 * one bad line does not change the verdict on its neighbours. */
static void test_route_fields(void) {
  esn_json_parser *p = esn_json_parser_new(0);
  const char *in =
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":1,\"type\":\"stdout\",\"payload\":{\"chunk\":5}}\n"
      "{\"protocolVersion\":3,\"sessionId\":\"s_a\",\"seq\":2,\"type\":\"stdout\",\"payload\":{}}\n"
      "\r\n"
      "{\"seq\":3,\"seq\":4.0,\"protocolVersion\":1,\"sessionId\":\"s_b\",\"type\":\"enc\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_\",\"seq\":5,\"type\":\"log\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":-1,\"type\":\"log\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":6,\"type\":\"nope\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":7,\"type\":\"log\",\"payload\":[]}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":9007199254740992,\"type\":\"log\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_c\",\"seq\":8,\"type\":\"final\",\"payload\":{}}\n";
  static const int kinds[] = {ESN_REC_ROUTE, ESN_REC_JS, ESN_REC_ROUTE, ESN_REC_JS, ESN_REC_JS,
                              ESN_REC_JS,    ESN_REC_JS, ESN_REC_JS,    ESN_REC_ROUTE};
  static const double seqs[] = {1, 0, 4, 0, 0, 0, 0, 0, 8};
  for (int variant = 0; variant < 2; variant++) {
    esn_framer *f = esn_framer_new(p, ESN_MODE_ROUTE_FIELDS, 1000);
    esn_framer_push(f, (const uint8_t *)in, strlen(in));
    /* variant 1: a line that is not one document forces the per-line path */
    if (variant) esn_framer_push(f, (const uint8_t *)"1 2\n", 4);
    esn_record recs[16];
    int more;
    long n = esn_framer_run(f, recs, 16, &more);
    CHECK_EQ_INT(n, 9 + variant);
    size_t blen;
    const uint8_t *b = esn_framer_batch(f, &blen);
    for (int k = 0; k < 9; k++) {
      CHECK_EQ_INT(recs[k].kind, kinds[k]);
      if (kinds[k] == ESN_REC_ROUTE) {
        CHECK(recs[k].seq == seqs[k]);
        CHECK(recs[k].end <= blen && b[recs[k].start] == '{' && b[recs[k].end - 1] == '}');
      }
    }
    CHECK_EQ_INT(recs[2].type, ESN_EV_ENC);
    CHECK_EQ_INT(recs[2].line, 4);
    if (variant) CHECK_EQ_INT(recs[9].kind, ESN_REC_JS);
    esn_framer_free(f);
  }
  esn_json_parser_free(p);
}

void suite_framer(void) {
  test_json_fields();
  test_route_fields();
  test_batch_equals_single();
  test_text();
  test_basic();
  test_too_long();
  test_chunking();
}
