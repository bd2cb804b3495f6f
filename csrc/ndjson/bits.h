/*
 * Bit helpers shared by the 64-byte block scanners of csrc/ndjson (join.c:
 * an array text into lines; scan.c: framing and the bracket check). Header
 * only, static inline.
 */
#ifndef ESN_NDJSON_BITS_H
#define ESN_NDJSON_BITS_H

#include <stdint.h>

/* Index of the lowest set bit of x (x != 0). */
static inline unsigned esn_ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return (unsigned)__builtin_ctzll(x);
#else
  unsigned n = 0;
  while (!(x & 1)) x >>= 1, n++;
  return n;
#endif
}

/* Bit k = parity of the set bits of x at positions 0..k (inside-a-string masks from quote masks). */
static inline uint64_t esn_prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

#endif /* ESN_NDJSON_BITS_H */
