#include "ndjson/scan.h"
#include "ndjson/bits.h"

#include <string.h>

/* String contents go 16 (SSE2, baseline on x86-64) or 8 (portable words)
 * bytes at a time: the first '"', '\\' or control byte of a block is found
 * with one compare and a count of trailing zeros. */
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define ESN_SCAN_SSE2 1
#endif

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Bit 7 of byte k is set for the first byte k that is zero / less than k
 * (bytes above the first hit may be set too: only the lowest bit is used). */
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)
#define HAS_LESS(x, k) (((x) - ONES * (k)) & ~(x) & HIGHS)

static inline uint64_t load64(const uint8_t *p) {
  uint64_t x;
  memcpy(&x, p, sizeof x);
  return x;
}

static inline int little_endian(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* Index of the first '"', '\\' or byte < 0x20 in s[i, n), or n. */
static inline size_t string_stop(const uint8_t *s, size_t i, size_t n) {
#ifdef ESN_SCAN_SSE2
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), hi = _mm_set1_epi8((char)0xE0),
                zero = _mm_setzero_si128();
  while (i + 16 <= n) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
                             _mm_cmpeq_epi8(_mm_and_si128(x, hi), zero));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    if (bits) return i + esn_ctz64(bits);
    i += 16;
  }
#endif
  if (little_endian()) {
    while (i + 8 <= n) {
      uint64_t x = load64(s + i);
      uint64_t m = HAS_LESS(x, 0x20) | HAS_ZERO(x ^ (ONES * '"')) | HAS_ZERO(x ^ (ONES * '\\'));
      if (m) return i + esn_ctz64(m) / 8;
      i += 8;
    }
  }
  while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20) i++;
  return i;
}

static inline int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static inline size_t skip_ws(const uint8_t *s, size_t i, size_t n) {
  while (i < n && is_ws(s[i])) i++;
  return i;
}

static inline int is_hex(uint8_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

size_t esn_json_string_stop(const uint8_t *s, size_t i, size_t n) { return string_stop(s, i, n); }

/* s[*pi] is '"'. On success *pi is just past the closing quote. */
static inline int scan_string(const uint8_t *s, size_t n, size_t *pi, int *esc) {
  size_t i = *pi + 1;
  for (;;) {
    i = string_stop(s, i, n);
    if (i >= n) return 0;
    uint8_t c = s[i];
    if (c == '"') {
      *pi = i + 1;
      return 1;
    }
    if (c < 0x20) return 0;
    *esc = 1;
    if (i + 1 >= n) return 0;
    uint8_t d = s[i + 1];
    if (d == 'u') {
      if (i + 6 > n || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) || !is_hex(s[i + 4]) || !is_hex(s[i + 5]))
        return 0;
      i += 6;
    } else if (d == '"' || d == '\\' || d == '/' || d == 'b' || d == 'f' || d == 'n' || d == 'r' ||
               d == 't') {
      i += 2;
    } else {
      return 0;
    }
  }
}

static inline int digit(uint8_t c) { return c >= '0' && c <= '9'; }

static inline int scan_number(const uint8_t *s, size_t n, size_t *pi) {
  size_t i = *pi;
  if (s[i] == '-') i++;
  if (i >= n) return 0;
  if (s[i] == '0') {
    i++;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && digit(s[i])) i++;
  } else {
    return 0;
  }
  if (i < n && s[i] == '.') {
    i++;
    if (i >= n || !digit(s[i])) return 0;
    while (i < n && digit(s[i])) i++;
  }
  if (i < n && (s[i] | 0x20) == 'e') {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i >= n || !digit(s[i])) return 0;
    while (i < n && digit(s[i])) i++;
  }
  *pi = i;
  return 1;
}

static inline int literal(const uint8_t *s, size_t n, size_t *pi, const char *w, size_t wl) {
  if (n - *pi < wl || memcmp(s + *pi, w, wl) != 0) return 0;
  *pi += wl;
  return 1;
}

/* Masks of a 64-byte block: bit k for byte k. */
typedef struct {
  uint64_t quote, backslash, open, close;
} block_masks;

static inline void block64(const uint8_t *x, block_masks *m) {
#ifdef ESN_SCAN_SSE2
  const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ob = _mm_set1_epi8('{'),
                os = _mm_set1_epi8('['), cb = _mm_set1_epi8('}'), cs = _mm_set1_epi8(']');
  uint64_t mq = 0, mb = 0, mo = 0, mc = 0;
  for (int k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(x + 16 * k));
    mq |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) << (16 * k);
    mb |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)) << (16 * k);
    mo |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, ob), _mm_cmpeq_epi8(v, os)))
          << (16 * k);
    mc |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cb), _mm_cmpeq_epi8(v, cs)))
          << (16 * k);
  }
  m->quote = mq, m->backslash = mb, m->open = mo, m->close = mc;
#else
  uint64_t mq = 0, mb = 0, mo = 0, mc = 0;
  for (int k = 0; k < 64; k++) {
    uint8_t c = x[k];
    mq |= (uint64_t)(c == '"') << k;
    mb |= (uint64_t)(c == '\\') << k;
    mo |= (uint64_t)(c == '{' || c == '[') << k;
    mc |= (uint64_t)(c == '}' || c == ']') << k;
  }
  m->quote = mq, m->backslash = mb, m->open = mo, m->close = mc;
#endif
}

size_t esn_json_skip_container(const uint8_t *s, size_t i, size_t n) {
  long depth = 0;
  uint64_t in_str = 0; /* all ones while a string continues into the next block */
  int escape = 0;      /* the next block's first byte is escaped */
  uint8_t tail[64];
  for (size_t b = i; b < n; b += 64) {
    const uint8_t *x = s + b;
    if (n - b < 64) { /* the last bytes, padded with zeros (no zero byte is structural) */
      memset(tail, 0, sizeof tail);
      memcpy(tail, s + b, n - b);
      x = tail;
    }
    block_masks m;
    block64(x, &m);
    uint64_t bs = m.backslash, escaped = 0;
    if (escape) escaped = 1, bs &= ~(uint64_t)1, escape = 0;
    while (bs) { /* each unescaped backslash escapes the byte after it */
      unsigned k = esn_ctz64(bs);
      if (k == 63) {
        escape = 1;
        break;
      }
      escaped |= (uint64_t)1 << (k + 1);
      bs &= ~((uint64_t)3 << k);
    }
    uint64_t str = esn_prefix_xor(m.quote & ~escaped) ^ in_str;
    in_str = (uint64_t)0 - (str >> 63);
    uint64_t open = m.open & ~str, close = m.close & ~str, ev = open | close;
    while (ev) {
      unsigned k = esn_ctz64(ev);
      ev &= ev - 1;
      if ((open >> k) & 1) depth++;
      else if (--depth == 0) return b + k + 1;
    }
  }
  return 0;
}

static size_t find_key(const esn_json_key *keys, size_t nkeys, const uint8_t *k, size_t kl) {
  for (size_t i = 0; i < nkeys; i++)
    if (keys[i].len == kl && (uint8_t)keys[i].name[0] == k[0] && memcmp(keys[i].name, k, kl) == 0) return i;
  return nkeys;
}

int esn_json_scan(const uint8_t *s, size_t n, const esn_json_key *keys, size_t nkeys,
                  esn_scan_field *fields, int *key_escaped, int flags) {
  uint8_t stack[ESN_SCAN_MAX_DEPTH];
  size_t depth = 0, i = 0;
  size_t cur = nkeys; /* the top-level field being read, nkeys: none */
  int capture = 0;    /* the top level is an object whose fields are wanted */
  for (size_t k = 0; k < nkeys; k++) fields[k].kind = ESN_SCAN_ABSENT;
  if (key_escaped) *key_escaped = 0;

value:
  i = skip_ws(s, i, n);
  if (i >= n) return 0;
  {
    esn_scan_field *f = capture && depth == 1 && cur < nkeys ? &fields[cur] : NULL;
    uint8_t c = s[i];
    size_t start = i;
    int esc = 0;
    switch (c) {
      case '{':
      case '[':
        if (f) f->kind = c == '{' ? ESN_JSON_OBJECT : ESN_JSON_ARRAY, f->p = s + i;
        if (depth > 0 && (flags & ESN_SCAN_SKIP_NESTED)) {
          i = esn_json_skip_container(s, i, n);
          if (i == 0) return 0;
          goto after;
        }
        if (depth == ESN_SCAN_MAX_DEPTH) return 0;
        if (depth == 0 && c == '{' && nkeys > 0) capture = 1;
        stack[depth++] = c;
        i = skip_ws(s, i + 1, n);
        if (i < n && s[i] == (c == '{' ? '}' : ']')) {
          depth--;
          i++;
          goto after;
        }
        if (c == '{') goto key;
        goto value;
      case '"':
        if (!scan_string(s, n, &i, &esc)) return 0;
        if (f) f->kind = ESN_JSON_STRING, f->p = s + start + 1, f->n = i - start - 2, f->esc = (uint8_t)esc;
        goto after;
      case 't':
        if (!literal(s, n, &i, "true", 4)) return 0;
        if (f) f->kind = ESN_JSON_TRUE, f->p = s + start;
        goto after;
      case 'f':
        if (!literal(s, n, &i, "false", 5)) return 0;
        if (f) f->kind = ESN_JSON_TRUE, f->p = s + start;
        goto after;
      case 'n':
        if (!literal(s, n, &i, "null", 4)) return 0;
        if (f) f->kind = ESN_JSON_NULL, f->p = s + start;
        goto after;
      default:
        if (c != '-' && !digit(c)) return 0;
        if (!scan_number(s, n, &i)) return 0;
        if (f) f->kind = ESN_JSON_DOUBLE, f->p = s + start, f->n = i - start;
        goto after;
    }
  }

key:
  /* at a key's opening quote (after '{' or ',', whitespace skipped) */
  i = skip_ws(s, i, n);
  if (i >= n || s[i] != '"') return 0;
  {
    size_t start = i;
    int esc = 0;
    if (!scan_string(s, n, &i, &esc)) return 0;
    if (capture && depth == 1) {
      if (esc) {
        if (key_escaped) *key_escaped = 1;
        cur = nkeys;
      } else {
        cur = find_key(keys, nkeys, s + start + 1, i - start - 2);
      }
    }
  }
  i = skip_ws(s, i, n);
  if (i >= n || s[i] != ':') return 0;
  i++;
  goto value;

after:
  i = skip_ws(s, i, n);
  if (depth == 0) return i == n;
  if (i >= n) return 0;
  {
    uint8_t top = stack[depth - 1];
    uint8_t c = s[i++];
    if (c == ',') {
      if (top == '{') goto key;
      goto value;
    }
    if (c != (top == '{' ? '}' : ']')) return 0;
    depth--;
    goto after;
  }
}
