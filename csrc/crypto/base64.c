/* Standard base64 (RFC 4648 section 4, '=' padding): an encoder and a strict
 * decoder (canonical input only). On x86-64 CPUs with AVX2 (checked at run
 * time) both run 24 bytes / 32 characters per step with the vector method
 * of W. Mula and D. Lemire ("Faster Base64 Encoding and Decoding Using AVX2
 * Instructions", 2018); the scalar code does the rest and the other CPUs. */
#include <string.h>

#include "crypto/crypto.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ESN_NO_SIMD)
#define ESN_B64_AVX2 1
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

static int have_avx2(void) { return __builtin_cpu_supports("avx2"); }

/* Encodes 24-byte blocks while 28 bytes are readable; returns bytes consumed. */
AVX2 static size_t enc_avx2(const uint8_t *src, size_t n, char *dst) {
  const __m256i shuf = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
                                        1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
  const __m256i shift = _mm256_setr_epi8(
      'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
      '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0, 'a' - 26, '0' - 52, '0' - 52, '0' - 52,
      '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63,
      'A', 0, 0);
  size_t i = 0;
  char *o = dst;
  for (; i + 28 <= n; i += 24, o += 32) {
    __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
    __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 12));
    __m256i in = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
    in = _mm256_shuffle_epi8(in, shuf);
    __m256i t0 = _mm256_and_si256(in, _mm256_set1_epi32(0x0fc0fc00));
    __m256i t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
    __m256i t2 = _mm256_and_si256(in, _mm256_set1_epi32(0x003f03f0));
    __m256i t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
    __m256i idx = _mm256_or_si256(t1, t3);
    __m256i r = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
    __m256i less = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);
    r = _mm256_or_si256(r, _mm256_and_si256(less, _mm256_set1_epi8(13)));
    r = _mm256_add_epi8(_mm256_shuffle_epi8(shift, r), idx);
    _mm256_storeu_si256((__m256i *)(void *)o, r);
  }
  return i;
}

/* Decodes 32-character blocks while i + 32 <= n and 32 bytes of output fit
 * in dst_cap; returns characters consumed, or (size_t)-1 on a character
 * outside the alphabet ('=' included). */
AVX2 static size_t dec_avx2(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_cap) {
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11,
                                          0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13,
                                          0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
                                          0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0,
                                            0, 0, 0, 0);
  const __m256i m2f = _mm256_set1_epi8(0x2f);
  const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i perm = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  size_t i = 0, o = 0;
  for (; i + 32 <= n && o + 32 <= dst_cap; i += 32, o += 24) {
    __m256i s = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
    __m256i hn = _mm256_and_si256(_mm256_srli_epi32(s, 4), m2f);
    __m256i ln = _mm256_and_si256(s, m2f);
    __m256i hi = _mm256_shuffle_epi8(lut_hi, hn);
    __m256i lo = _mm256_shuffle_epi8(lut_lo, ln);
    if (!_mm256_testz_si256(lo, hi)) return (size_t)-1;
    __m256i eq = _mm256_cmpeq_epi8(s, m2f);
    __m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq, hn));
    s = _mm256_add_epi8(s, roll);
    s = _mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140));
    s = _mm256_madd_epi16(s, _mm256_set1_epi32(0x00011000));
    s = _mm256_shuffle_epi8(s, pack);
    s = _mm256_permutevar8x32_epi32(s, perm);
    _mm256_storeu_si256((__m256i *)(void *)(dst + o), s);
  }
  return i;
}
#endif

static const char B64[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const uint8_t DEC[256] = {
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
   52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
  255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
   15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
  255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
   41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255
};

size_t esn_b64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

size_t esn_b64_encode(const uint8_t *src, size_t n, char *dst) {
  char *o = dst;
  size_t i = 0;
#ifdef ESN_B64_AVX2
  if (n >= 28 && have_avx2()) {
    i = enc_avx2(src, n, dst);
    o += i / 3 * 4;
  }
#endif
  for (; i + 12 <= n; i += 12) {
    for (int k = 0; k < 12; k += 3) {
      uint32_t v = ((uint32_t)src[i + k] << 16) | ((uint32_t)src[i + k + 1] << 8) | src[i + k + 2];
      o[0] = B64[v >> 18];
      o[1] = B64[(v >> 12) & 63];
      o[2] = B64[(v >> 6) & 63];
      o[3] = B64[v & 63];
      o += 4;
    }
  }
  for (; i + 3 <= n; i += 3) {
    uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) | src[i + 2];
    o[0] = B64[v >> 18];
    o[1] = B64[(v >> 12) & 63];
    o[2] = B64[(v >> 6) & 63];
    o[3] = B64[v & 63];
    o += 4;
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)src[i] << 16;
    o[0] = B64[v >> 18];
    o[1] = B64[(v >> 12) & 63];
    o[2] = '=';
    o[3] = '=';
    o += 4;
  } else if (n - i == 2) {
    uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8);
    o[0] = B64[v >> 18];
    o[1] = B64[(v >> 12) & 63];
    o[2] = B64[(v >> 6) & 63];
    o[3] = '=';
    o += 4;
  }
  return (size_t)(o - dst);
}

int esn_b64_decode(const char *src, size_t n, uint8_t *dst, size_t *out_len) {
  const uint8_t *s = (const uint8_t *)src;
  if (n % 4 != 0) return -1;
  if (n == 0) {
    *out_len = 0;
    return 0;
  }
  size_t pad = 0;
  if (s[n - 1] == '=') pad = (s[n - 2] == '=') ? 2 : 1;
  size_t full = n - (pad ? 4 : 0); /* characters of complete, unpadded quads */
  uint8_t *o = dst;
  size_t i = 0;
#ifdef ESN_B64_AVX2
  if (full >= 32 && have_avx2()) {
    i = dec_avx2(s, full, dst, n / 4 * 3);
    if (i == (size_t)-1) return -1;
    o += i / 4 * 3;
  }
#endif
  for (; i < full; i += 4) {
    uint32_t a = DEC[s[i]], b = DEC[s[i + 1]], c = DEC[s[i + 2]], d = DEC[s[i + 3]];
    if ((a | b | c | d) & 0x80) return -1;
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = (uint8_t)(v >> 16);
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)v;
    o += 3;
  }
  if (pad) {
    uint32_t a = DEC[s[i]], b = DEC[s[i + 1]];
    if ((a | b) & 0x80) return -1;
    if (pad == 2) {
      if (b & 0x0f) return -1; /* non-canonical trailing bits */
      o[0] = (uint8_t)((a << 2) | (b >> 4));
      o += 1;
    } else {
      uint32_t c = DEC[s[i + 2]];
      if (c & 0x80) return -1;
      if (c & 0x03) return -1;
      uint32_t v = (a << 18) | (b << 12) | (c << 6);
      o[0] = (uint8_t)(v >> 16);
      o[1] = (uint8_t)(v >> 8);
      o += 2;
    }
  }
  *out_len = (size_t)(o - dst);
  return 0;
}
