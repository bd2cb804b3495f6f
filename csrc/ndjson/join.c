/* Top-level comma scan of JSON.stringify array text (see join.h).
 *
 * The text is read in 64-byte blocks. Each block becomes bit masks (bit k =
 * byte k) of quotes, backslashes, opening and closing brackets and commas:
 * SSE2 compares on x86-64, eight-bytes-at-a-time SWAR elsewhere. Escaped
 * bytes come from walking the (rare) backslashes; the inside-of-string mask
 * is the prefix XOR of the unescaped quotes, carried from block to block.
 * Only the brackets and commas outside strings are then visited in order,
 * a few per event, to track the depth: a comma at depth 0 becomes '\n'. */
#include "ndjson/join.h"
#include "ndjson/bits.h"

#include <string.h>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define ESN_JOIN_SSE2 1
#endif

typedef struct {
  uint64_t quote, bslash, open, close, comma;
  uint64_t high; /* nonzero when some byte is >= 0x80 */
} block_masks;

#ifdef ESN_JOIN_SSE2
static inline void classify_sse2(const uint8_t *p, block_masks *m) {
  const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), c = _mm_set1_epi8(',');
  const __m128i lo = _mm_set1_epi8(0x20);
  const __m128i op = _mm_set1_epi8('{'), cl = _mm_set1_epi8('}'); /* '[' | 0x20 == '{' */
  uint64_t mq = 0, mb = 0, mo = 0, mc = 0, mk = 0, mh = 0;
  for (int i = 0; i < 4; i++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
    __m128i v20 = _mm_or_si128(v, lo);
    int s = 16 * i;
    mq |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)) << s;
    mb |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, b)) << s;
    mk |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) << s;
    mo |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v20, op)) << s;
    mc |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v20, cl)) << s;
    mh |= (uint64_t)(uint32_t)_mm_movemask_epi8(v);
  }
  m->quote = mq, m->bslash = mb, m->open = mo, m->close = mc, m->comma = mk, m->high = mh;
}
#endif

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* 0x80 in exactly the bytes of x that are zero. */
static inline uint64_t zero_bytes(uint64_t x) { return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS; }
/* The 0x80 flags of the eight bytes as bits 0..7 (byte k -> bit k). */
static inline uint64_t gather(uint64_t f) { return ((f >> 7) * 0x0102040810204080ull) >> 56; }

static inline void classify_swar(const uint8_t *p, block_masks *m) {
  uint64_t mq = 0, mb = 0, mo = 0, mc = 0, mk = 0, mh = 0;
  for (int i = 0; i < 8; i++) {
    uint64_t w;
    memcpy(&w, p + 8 * i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    uint64_t w20 = w | (ONES * 0x20);
    int s = 8 * i;
    mq |= gather(zero_bytes(w ^ (ONES * '"'))) << s;
    mb |= gather(zero_bytes(w ^ (ONES * '\\'))) << s;
    mk |= gather(zero_bytes(w ^ (ONES * ','))) << s;
    mo |= gather(zero_bytes(w20 ^ (ONES * '{'))) << s;
    mc |= gather(zero_bytes(w20 ^ (ONES * '}'))) << s;
    mh |= w & HIGHS;
  }
  m->quote = mq, m->bslash = mb, m->open = mo, m->close = mc, m->comma = mk, m->high = mh;
}

typedef struct {
  uint64_t escape_carry; /* 1: the first byte of the next block is escaped */
  uint64_t in_string;    /* all ones: the next block starts inside a string */
  uint64_t high;
  size_t depth;
  int bad;
} scan_state;

/* Scans the 64 bytes at p; commas are rewritten in out[0, avail) (bytes
 * past avail are padding). */
static inline void scan_block(scan_state *st, const uint8_t *p, uint8_t *out, size_t avail, int simd) {
  block_masks m;
#ifdef ESN_JOIN_SSE2
  if (simd) classify_sse2(p, &m);
  else classify_swar(p, &m);
#else
  (void)simd;
  classify_swar(p, &m);
#endif
  st->high |= m.high;
  uint64_t escaped = st->escape_carry;
  st->escape_carry = 0;
  uint64_t bs = m.bslash & ~escaped;
  while (bs) { /* each backslash that is not itself escaped escapes the next byte */
    int k = (int)esn_ctz64(bs);
    bs &= bs - 1;
    if (k == 63) {
      st->escape_carry = 1;
    } else {
      escaped |= 1ull << (k + 1);
      bs &= ~(1ull << (k + 1));
    }
  }
  uint64_t inside = esn_prefix_xor(m.quote & ~escaped) ^ st->in_string;
  st->in_string = (uint64_t)0 - (inside >> 63);
  uint64_t structural = (m.open | m.close | m.comma) & ~inside;
  if (avail < 64) structural &= (1ull << avail) - 1;
  while (structural) {
    int k = (int)esn_ctz64(structural);
    structural &= structural - 1;
    uint64_t bit = 1ull << k;
    if (m.open & bit) {
      st->depth++;
    } else if (m.close & bit) {
      if (st->depth == 0) st->bad = 1;
      else st->depth--;
    } else if (st->depth == 0) {
      out[k] = '\n';
    }
  }
}

static inline size_t join_lines(uint8_t *buf, size_t len, int *ascii, int simd) {
  *ascii = 0;
  if (len < 2 || buf[0] != '[' || buf[len - 1] != ']') return ESN_JOIN_BAD;
  scan_state st = {0, 0, 0, 0, 0};
  uint8_t *p = buf + 1;
  size_t n = len - 2; /* the text between the brackets */
  size_t i = 0;
  for (; i + 64 <= n; i += 64) scan_block(&st, p + i, p + i, 64, simd);
  if (i < n) {
    uint8_t tail[64];
    memset(tail, ' ', sizeof tail);
    memcpy(tail, p + i, n - i);
    scan_block(&st, tail, p + i, n - i, simd);
  }
  if (st.bad || st.depth != 0 || st.in_string || st.escape_carry) return ESN_JOIN_BAD;
  *ascii = st.high == 0;
  return n;
}

size_t esn_join_lines(uint8_t *buf, size_t len, int *ascii) { return join_lines(buf, len, ascii, 1); }

size_t esn_join_lines_portable(uint8_t *buf, size_t len, int *ascii) { return join_lines(buf, len, ascii, 0); }
