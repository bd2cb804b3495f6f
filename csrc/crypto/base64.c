/* Standard base64 (RFC 4648 section 4, '=' padding): a fast scalar encoder
 * (four output characters per three input bytes, twelve at a time) and a
 * strict decoder (canonical input only). */
#include <string.h>

#include "crypto/crypto.h"

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
