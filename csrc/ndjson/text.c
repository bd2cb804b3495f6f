#include "ndjson/text.h"

#include <string.h>

size_t esn_utf8_sanitize(const uint8_t *s, size_t n, uint8_t *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    uint8_t b = s[i];
    if (b < 0x80) {
      out[o++] = b;
      i++;
      continue;
    }
    int need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
    } else if (b == 0xE0) {
      need = 2;
      lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      need = 2;
    } else if (b == 0xED) {
      need = 2;
      hi = 0x9F;
    } else if (b == 0xF0) {
      need = 3;
      lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      need = 3;
    } else if (b == 0xF4) {
      need = 3;
      hi = 0x8F;
    } else {
      out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
      i++;
      continue;
    }
    size_t j = i + 1;
    int k;
    for (k = 0; k < need; k++, j++) {
      if (j >= n || s[j] < lo || s[j] > hi) break;
      lo = 0x80, hi = 0xBF;
    }
    if (k < need) {
      /* The maximal subpart s[i, j) becomes one U+FFFD; s[j] is read again. */
      out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
      i = j;
      continue;
    }
    memcpy(out + o, s + i, j - i);
    o += j - i;
    i = j;
  }
  return o;
}

/* Length of the whitespace character starting at s[0] (0 when none). */
static size_t ws_at(const uint8_t *s, size_t n) {
  uint8_t b = s[0];
  if (b == 0x20 || (b >= 0x09 && b <= 0x0D)) return 1;
  if (b < 0xC2) return 0;
  if (b == 0xC2) return (n >= 2 && s[1] == 0xA0) ? 2 : 0;
  if (n < 3) return 0;
  if (b == 0xE1) return (s[1] == 0x9A && s[2] == 0x80) ? 3 : 0;
  if (b == 0xE2) {
    if (s[1] == 0x80) return (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF) ? 3 : 0;
    if (s[1] == 0x81) return s[2] == 0x9F ? 3 : 0;
    return 0;
  }
  if (b == 0xE3) return (s[1] == 0x80 && s[2] == 0x80) ? 3 : 0;
  if (b == 0xEF) return (s[1] == 0xBB && s[2] == 0xBF) ? 3 : 0;
  return 0;
}

/* Length of the whitespace character ending at s[n - 1] (0 when none). */
static size_t ws_before(const uint8_t *s, size_t n) {
  uint8_t b = s[n - 1];
  if (b == 0x20 || (b >= 0x09 && b <= 0x0D)) return 1;
  if (b < 0x80) return 0;
  if (n >= 2 && s[n - 2] == 0xC2 && b == 0xA0) return 2;
  if (n >= 3 && ws_at(s + n - 3, 3) == 3) return 3;
  return 0;
}

void esn_js_trim(const uint8_t *s, size_t n, size_t *start, size_t *end) {
  size_t a = 0, e = n, w;
  while (a < e && (w = ws_at(s + a, e - a)) != 0) a += w;
  while (e > a && (w = ws_before(s + a, e - a)) != 0) e -= w;
  *start = a;
  *end = e;
}

size_t esn_utf16_length(const uint8_t *s, size_t n) {
  size_t units = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t b = s[i];
    units += (b & 0xC0) != 0x80;
    units += b >= 0xF0;
  }
  return units;
}

int esn_is_ascii(const uint8_t *s, size_t n) {
  size_t i = 0;
  uint64_t acc = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    acc |= w;
  }
  for (; i < n; i++) acc |= s[i];
  return (acc & 0x8080808080808080ull) == 0;
}
