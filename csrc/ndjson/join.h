/*
 * esn_join: turns the JSON text of an array, as JSON.stringify writes it (no
 * whitespace, well-formed escapes), into NDJSON lines: the top-level elements
 * separated by '\n', without the outer brackets. One JSON.stringify of a
 * whole array costs about half as much as one call per element; this scan
 * makes the array text into the per-element join.
 */
#ifndef ESN_JOIN_H
#define ESN_JOIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESN_JOIN_BAD ((size_t)-1)

/* Rewrites buf[0, len) in place: each top-level ',' becomes '\n'. On
 * success the lines are buf[1, 1 + result) (the text between the outer
 * brackets) and *ascii is 1 when every byte is below 0x80. Returns
 * ESN_JOIN_BAD (buf possibly modified) when buf is not an array whose
 * strings and brackets are closed (then nothing is promised about buf).
 * Whitespace outside strings is not expected; it is kept as is. */
size_t esn_join_lines(uint8_t *buf, size_t len, int *ascii);

/* The same without SIMD (what CPUs without SSE2 run); for tests. */
size_t esn_join_lines_portable(uint8_t *buf, size_t len, int *ascii);

#ifdef __cplusplus
}
#endif
#endif
