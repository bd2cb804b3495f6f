/*
 * Base64 properties (crypto/crypto.h esn_b64_*), on exact-size buffers at
 * several alignments:
 *   - decode(encode(x)) == x, the encoding has esn_b64_encoded_len(n)
 *     characters, all of the alphabet, '=' only as final padding;
 *   - decoding arbitrary text agrees with a plain reference decoder written
 *     from RFC 4648 (strict: canonical input only), and whatever decodes
 *     re-encodes to exactly the same text;
 *   - in the fuzzer (ESN_FUZZ_B64_SCALAR: base64.c built a second time with
 *     ESN_NO_SIMD, symbols renamed) the AVX2 and the scalar paths give the
 *     same bytes and the same verdicts.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz/props.h"

#ifdef ESN_FUZZ_B64_SCALAR
size_t esn_b64_encode_scalar(const uint8_t *src, size_t n, char *dst);
int esn_b64_decode_scalar(const char *src, size_t n, uint8_t *dst, size_t *out_len);
#endif

static int b64_val(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* RFC 4648 section 4, strict: returns 0 and the bytes, or -1. */
static int b64_ref_decode(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len) {
  if (n % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int last = i + 4 == n;
    int v[4], pad = 0;
    for (int k = 0; k < 4; k++) {
      if (s[i + k] == '=' && last && k >= 2) {
        v[k] = 0;
        pad++;
        continue;
      }
      if (pad) return -1; /* a character after '=' */
      v[k] = b64_val(s[i + k]);
      if (v[k] < 0) return -1;
    }
    uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) | (uint32_t)v[3];
    if (pad == 2 && (w & 0xFFFF)) return -1; /* non-zero unused bits */
    if (pad == 1 && (w & 0xFF)) return -1;
    out[o++] = (uint8_t)(w >> 16);
    if (pad < 2) out[o++] = (uint8_t)(w >> 8);
    if (pad < 1) out[o++] = (uint8_t)w;
  }
  *out_len = o;
  return 0;
}

/* Exact sizes, so that AddressSanitizer sees a single byte too far. */
static void *b64_alloc(size_t n) {
  void *p = malloc(n ? n : 1);
  PROP(p != NULL);
  return p;
}

static void b64_check_roundtrip(const uint8_t *x, size_t n) {
  size_t el = esn_b64_encoded_len(n);
  PROP(el == (n + 2) / 3 * 4);
  char *enc = (char *)b64_alloc(el);
  PROP(esn_b64_encode(x, n, enc) == el);
  for (size_t i = 0; i < el; i++) {
    uint8_t c = (uint8_t)enc[i];
    if (c == '=') PROP(i >= el - 2 && (i == el - 1 || enc[el - 1] == '='));
    else PROP(b64_val(c) >= 0);
  }
#ifdef ESN_FUZZ_B64_SCALAR
  char *enc2 = (char *)b64_alloc(el);
  PROP(esn_b64_encode_scalar(x, n, enc2) == el && memcmp(enc, enc2, el) == 0);
  free(enc2);
#endif
  uint8_t *dec = (uint8_t *)b64_alloc(el / 4 * 3);
  size_t dn = 0;
  PROP(esn_b64_decode(enc, el, dec, &dn) == 0 && dn == n && memcmp(dec, x, n) == 0);
  free(dec);
  free(enc);
}

static void b64_check_decode(const uint8_t *s, size_t n) {
  size_t cap = n / 4 * 3;
  uint8_t *out = (uint8_t *)b64_alloc(cap), *ref = (uint8_t *)b64_alloc(cap);
  size_t on = 0, rn = 0;
  int r = esn_b64_decode((const char *)s, n, out, &on);
  int rr = b64_ref_decode(s, n, ref, &rn);
  PROP(r == rr);
  if (r == 0) {
    PROP(on == rn && on <= cap && memcmp(out, ref, on) == 0);
    char *re = (char *)b64_alloc(esn_b64_encoded_len(on));
    PROP(esn_b64_encode(out, on, re) == n && memcmp(re, s, n) == 0);
    free(re);
  }
#ifdef ESN_FUZZ_B64_SCALAR
  size_t sn = 0;
  int rs = esn_b64_decode_scalar((const char *)s, n, ref, &sn);
  PROP(rs == r);
  if (r == 0) PROP(sn == on && memcmp(ref, out, on) == 0);
#endif
  free(out);
  free(ref);
}

void esn_prop_base64(const uint8_t *data, size_t size) {
  /* Exact-size copies at a few alignments (the vector loads are unaligned). */
  for (size_t shift = 0; shift < 3; shift++) {
    uint8_t *c = (uint8_t *)b64_alloc(size + shift);
    if (size) memcpy(c + shift, data, size);
    b64_check_roundtrip(c + shift, size);
    b64_check_decode(c + shift, size);
    /* the input with its length cut to a multiple of 4 decodes more often */
    b64_check_decode(c + shift, size & ~(size_t)3);
    free(c);
  }
}
