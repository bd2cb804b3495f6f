/* esn_join_lines: random arrays of nested JSON written the way
 * JSON.stringify writes them; the expected lines are the elements generated
 * one by one and joined with '\n'. Also malformed inputs (never read out of
 * bounds; checked under ASan). */
#include <stdlib.h>
#include <string.h>

#include "ndjson/join.h"
#include "test/test.h"

typedef struct {
  char *p;
  size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap * 2 : 256;
    while (c < b->len + n + 1) c *= 2;
    b->p = realloc(b->p, c);
    b->cap = c;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}
static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}

/* A JSON string with the characters that fool naive scanners. */
static void gen_string(sbuf *b) {
  static const char *const parts[] = {
      "a", "hello", "\\\"", "\\\\", "\\\\\\\"", "},{", "]", "[", ",", "{", "}", ":", "\\n",
      "\\u0000", "\\ud800", "\\udfff", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\\\\\\\",
      "x,y", "\\t", "0123456789abcdef", "\\/"};
  put(b, "\"", 1);
  int n = (int)(rnd() % 12);
  if (rnd() % 8 == 0) n += 40; /* long strings exercise the 8-byte steps */
  for (int i = 0; i < n; i++) puts_(b, parts[rnd() % (sizeof parts / sizeof parts[0])]);
  put(b, "\"", 1);
}

static void gen_value(sbuf *b, int depth);

static void gen_object(sbuf *b, int depth) {
  put(b, "{", 1);
  int n = (int)(rnd() % 5);
  for (int i = 0; i < n; i++) {
    if (i) put(b, ",", 1);
    gen_string(b);
    put(b, ":", 1);
    gen_value(b, depth + 1);
  }
  put(b, "}", 1);
}

static void gen_value(sbuf *b, int depth) {
  unsigned k = rnd() % (depth > 6 ? 5 : 8);
  char num[32];
  switch (k) {
    case 0: gen_string(b); break;
    case 1: snprintf(num, sizeof num, "%d", (int)(rnd() % 100000) - 50000); puts_(b, num); break;
    case 2: puts_(b, "1.5e-7"); break;
    case 3: puts_(b, rnd() % 2 ? "true" : "false"); break;
    case 4: puts_(b, "null"); break;
    case 5:
    case 6: gen_object(b, depth); break;
    default: {
      put(b, "[", 1);
      int n = (int)(rnd() % 5);
      for (int i = 0; i < n; i++) {
        if (i) put(b, ",", 1);
        if (rnd() % 2) gen_object(b, depth + 1); else gen_value(b, depth + 1);
      }
      put(b, "]", 1);
    }
  }
}

static void check_random(int elements, int objects_only) {
  sbuf in = {0}, want = {0}, el = {0};
  put(&in, "[", 1);
  int ascii_want = 1;
  for (int i = 0; i < elements; i++) {
    el.len = 0;
    if (objects_only) gen_object(&el, 0); else gen_value(&el, 0);
    for (size_t j = 0; j < el.len; j++) if ((unsigned char)el.p[j] >= 0x80) ascii_want = 0;
    if (i) { put(&in, ",", 1); put(&want, "\n", 1); }
    put(&in, el.p, el.len);
    put(&want, el.p, el.len);
  }
  put(&in, "]", 1);
  /* an exact-size heap copy so that ASan sees any read past the end */
  uint8_t *buf = malloc(in.len);
  for (int simd = 0; simd < 2; simd++) {
    memcpy(buf, in.p, in.len);
    int ascii = -1;
    size_t n = (simd ? esn_join_lines : esn_join_lines_portable)(buf, in.len, &ascii);
    CHECK(n != ESN_JOIN_BAD);
    CHECK_EQ_INT(n, want.len);
    if (n == want.len) CHECK(memcmp(buf + 1, want.len ? want.p : "", n) == 0);
    CHECK_EQ_INT(ascii, ascii_want);
  }
  free(buf);
  free(in.p);
  free(want.p);
  free(el.p);
}

static void check_bad(const char *s) {
  size_t len = strlen(s);
  uint8_t *buf = malloc(len ? len : 1);
  memcpy(buf, s, len);
  int ascii = -1;
  CHECK_EQ_INT(esn_join_lines(buf, len, &ascii) == ESN_JOIN_BAD, 1);
  memcpy(buf, s, len);
  CHECK_EQ_INT(esn_join_lines_portable(buf, len, &ascii) == ESN_JOIN_BAD, 1);
  free(buf);
}

static void check_ok(const char *in, const char *want) {
  size_t len = strlen(in);
  uint8_t *buf = malloc(len);
  for (int simd = 0; simd < 2; simd++) {
    memcpy(buf, in, len);
    int ascii = -1;
    size_t n = (simd ? esn_join_lines : esn_join_lines_portable)(buf, len, &ascii);
    CHECK_EQ_INT(n, strlen(want));
    if (n == strlen(want)) CHECK(memcmp(buf + 1, want, n) == 0);
  }
  free(buf);
}

void suite_join(void) {
  check_ok("[]", "");
  check_ok("[1]", "1");
  check_ok("[1,2,3]", "1\n2\n3");
  check_ok("[{\"a\":[1,2]},{\"b\":{\"c\":3,\"d\":4}}]", "{\"a\":[1,2]}\n{\"b\":{\"c\":3,\"d\":4}}");
  check_ok("[\"},{\",\"\\\\\",\"\\\"],[\"]", "\"},{\"\n\"\\\\\"\n\"\\\"],[\"");
  check_ok("[\"aaaaaaaaaaaaaaaa\\\"bbbbbbbbbbbbbbb,\",\"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\,\"]",
           "\"aaaaaaaaaaaaaaaa\\\"bbbbbbbbbbbbbbb,\"\n\"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\,\"");

  check_bad("");
  check_bad("[");
  check_bad("]");
  check_bad("{}");
  check_bad("[\"]");
  check_bad("[\"abc]");
  check_bad("[\"abcdefghijklmnopqrstuvwxyz]");
  check_bad("[\"abc\\]");
  check_bad("[\"abcdefghijklmnop\\\"]");
  check_bad("[{]");
  check_bad("[}]");
  check_bad("[1]]");
  check_bad("[[1]");
  check_bad("[{\"a\":1}},{]");

  rng_state = 0x9e3779b97f4a7c15ull;
  for (int round = 0; round < 400; round++) check_random((int)(rnd() % 40), round % 2);
  check_random(2000, 1);
}
