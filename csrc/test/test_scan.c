/* The in-place JSON line scanner (ndjson/scan.h) and the framer modes that
 * use it (SCAN, ROUTE_SCAN). */
#include <stdlib.h>
#include <string.h>

#include "ndjson/framer.h"
#include "ndjson/scan.h"
#include "validate/validate.h"
#include "test/test.h"

static int scan(const char *s) { return esn_json_scan((const uint8_t *)s, strlen(s), NULL, 0, NULL, NULL, 0); }

static size_t skip(const char *s) { return esn_json_skip_container((const uint8_t *)s, 0, strlen(s)); }

/* The bracket matcher byte by byte: the model of esn_json_skip_container
 * (a backslash makes the next byte no quote, in or out of strings). */
static size_t skip_model(const uint8_t *s, size_t n) {
  long depth = 0;
  int in_str = 0, esc = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    int escaped = esc;
    esc = !escaped && c == '\\';
    if (c == '"' && !escaped) in_str = !in_str;
    else if (in_str) continue;
    else if (c == '{' || c == '[') depth++;
    else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
  }
  return 0;
}

static void test_scan_syntax(void) {
  static const char *ok[] = {"{}", "[]", "1", "-0.5e+3", "0", "-0", "1E9", "\"a\\u00e9\\n\\\"\\\\\\/\"", "true",
                             "false", "null", "{\"a\":[1,{\"b\":null}],\"c\":\"\"}", " {\"a\" : 1 } ",
                             "[[[[]]]]", "\"\\ud800\"", "\"\xc3\xa9\"", "{\"k\":\"0123456789abcdef0123456789\"}"};
  static const char *bad[] = {"", " ", "01", "1.", "-", "+1", ".5", "1e", "{\"a\":1,}", "[1,]", "{\"a\" 1}",
                              "\"\x01\"", "\"\\x\"", "\"\\u12\"", "tru", "nul", "{\"a\":1}}", "1 2", "[1 2]",
                              "{1:2}", "\"abc", "{\"a\":1", "[", "]", ",", "\xc3\xa9", "{\"a\":1},{\"b\":2}"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    if (!scan(ok[i])) fprintf(stderr, "scan rejected: %s\n", ok[i]);
    CHECK(scan(ok[i]) == 1);
  }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (scan(bad[i])) fprintf(stderr, "scan accepted: %s\n", bad[i]);
    CHECK(scan(bad[i]) == 0);
  }
  /* nesting past ESN_SCAN_MAX_DEPTH is left to the caller */
  char deep[2 * ESN_SCAN_MAX_DEPTH + 8];
  size_t k = 0;
  for (int i = 0; i < ESN_SCAN_MAX_DEPTH + 1; i++) deep[k++] = '[';
  for (int i = 0; i < ESN_SCAN_MAX_DEPTH + 1; i++) deep[k++] = ']';
  deep[k] = 0;
  CHECK(scan(deep) == 0);
  CHECK(skip(deep) == k);
}

static void test_skip_container(void) {
  CHECK_EQ_INT(skip("{\"a\":\"}\"}"), 9);
  CHECK_EQ_INT(skip("{\"a\":\"\\\"}\"}"), 11);
  CHECK_EQ_INT(skip("[1,{\"x\":[2]}]"), 13);
  CHECK_EQ_INT(skip("{\"a\":1},{\"b\":2}"), 7);
  CHECK_EQ_INT(skip("{\"a"), 0);
  CHECK_EQ_INT(skip("{\"a\":\"\\\\\"}"), 10);
  /* random texts of brackets, quotes and backslashes, across block bounds */
  uint32_t x = 12345;
  uint8_t buf[300];
  static const char alphabet[] = "{}[]\"\\a,";
  for (int round = 0; round < 20000; round++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    size_t n = 1 + x % 299;
    buf[0] = (x & 0x1000) ? '{' : '[';
    for (size_t i = 1; i < n; i++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      /* mostly plain bytes, so that matches happen far from the start */
      buf[i] = (x % 8 < 5) ? 'a' : (uint8_t)alphabet[(x >> 8) % 8];
    }
    size_t got = esn_json_skip_container(buf, 0, n), want = skip_model(buf, n);
    if (got != want) fprintf(stderr, "skip %zu != %zu: %.*s\n", got, want, (int)n, buf);
    CHECK_EQ_INT(got, want);
  }
}

static void test_scan_fields(void) {
  static const esn_json_key keys[] = {{"type", 4}, {"seq", 3}, {"payload", 7}};
  esn_scan_field f[3];
  int esc;
  const char *s = "{\"seq\":1,\"type\":\"log\",\"x\":{\"type\":1},\"payload\":{\"a\":[1]},\"seq\":25}";
  CHECK(esn_json_scan((const uint8_t *)s, strlen(s), keys, 3, f, &esc, 0) == 1);
  CHECK(!esc);
  CHECK(f[0].kind == ESN_JSON_STRING && f[0].n == 3 && memcmp(f[0].p, "log", 3) == 0 && !f[0].esc);
  CHECK(f[1].kind == ESN_JSON_DOUBLE && f[1].n == 2 && memcmp(f[1].p, "25", 2) == 0);
  CHECK(f[2].kind == ESN_JSON_OBJECT);
  CHECK(esn_json_scan((const uint8_t *)s, strlen(s), keys, 3, f, &esc, ESN_SCAN_SKIP_NESTED) == 1);
  CHECK(f[2].kind == ESN_JSON_OBJECT && f[1].n == 2);
  const char *e = "{\"typ\\u0065\":\"x\",\"type\":\"a\\nb\"}";
  CHECK(esn_json_scan((const uint8_t *)e, strlen(e), keys, 3, f, &esc, 0) == 1);
  CHECK(esc);
  CHECK(f[0].kind == ESN_JSON_STRING && f[0].esc);
  CHECK(f[1].kind == ESN_SCAN_ABSENT && f[2].kind == ESN_SCAN_ABSENT);
  /* SKIP_NESTED checks only the structure of nested values */
  const char *lax = "{\"type\":\"a\",\"payload\":{\"a\":tru}}";
  CHECK(esn_json_scan((const uint8_t *)lax, strlen(lax), keys, 3, f, &esc, ESN_SCAN_SKIP_NESTED) == 1);
  CHECK(esn_json_scan((const uint8_t *)lax, strlen(lax), keys, 3, f, &esc, 0) == 0);
}

/* Frames `in` whole in `mode`; returns the records' kinds as a string. */
static void kinds(esn_mode mode, const char *in, char *out, const uint8_t **batch, size_t *blen, esn_record *recs) {
  static esn_json_parser *p;
  static esn_framer *f;
  if (p == NULL) p = esn_json_parser_new(1000);
  esn_framer_free(f);
  f = esn_framer_new(p, mode, 0);
  CHECK(esn_framer_push(f, (const uint8_t *)in, strlen(in)) == ESN_FRAMER_OK);
  esn_framer_end(f);
  int more;
  long n = esn_framer_run(f, recs, 16, &more);
  CHECK(n >= 0 && !more);
  for (long i = 0; i < n; i++) out[i] = (char)('0' + recs[i].kind);
  out[n < 0 ? 0 : n] = 0;
  *batch = esn_framer_batch(f, blen);
}

static void test_framer_scan_modes(void) {
  char k[32];
  const uint8_t *b;
  size_t blen;
  esn_record r[16];
  kinds(ESN_MODE_SCAN, "{\"a\":1}\n1 2\n[1,\n \"x\" \n{\"a\":1},{\"b\":2}\n{\"a\":tru}\n", k, &b, &blen, r);
  CHECK(strcmp(k, "033030") == 0);
  CHECK(blen == 23 && memcmp(b, "[{\"a\":1},\"x\",{\"a\":tru}]", 23) == 0);
  CHECK(r[0].start == 1 && r[0].end == 8 && r[3].start == 9 && r[3].end == 12);
  /* value ranges in UTF-16 units when the batch is not ASCII */
  kinds(ESN_MODE_SCAN, "\"\xc3\xa9\xf0\x9f\x98\x80\"\n[1]\n", k, &b, &blen, r);
  CHECK(strcmp(k, "00") == 0);
  CHECK(r[0].start == 1 && r[0].end == 6 && r[1].start == 7 && r[1].end == 10);

  const char *ev =
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":7,\"type\":\"log\",\"payload\":{\"m\":\"}\"}}\n"
      "{\"seq\":8,\"type\":\"stdout\",\"sessionId\":\"s_b\",\"protocolVersion\":1,\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":1.5,\"type\":\"log\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"s\\u0065q\":1,\"type\":\"log\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":9,\"type\":\"nope\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":10,\"type\":\"log\",\"payload\":[]}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":01,\"type\":\"log\",\"payload\":{}}\n"
      "{\"protocolVersion\":2,\"sessionId\":\"s_a\",\"seq\":11,\"type\":\"log\",\"payload\":{}} x\n";
  kinds(ESN_MODE_ROUTE_SCAN, ev, k, &b, &blen, r);
  CHECK(strcmp(k, "55333333") == 0);
  CHECK(r[0].seq == 7 && r[0].type == ESN_EV_LOG && r[1].seq == 8 && r[1].type == ESN_EV_STDOUT);
  CHECK(r[0].end < blen && b[r[0].end] == '\n' && b[r[0].start] == '{' && b[r[0].end - 1] == '}');
}

void suite_scan(void) {
  test_scan_syntax();
  test_skip_container();
  test_scan_fields();
  test_framer_scan_modes();
}
