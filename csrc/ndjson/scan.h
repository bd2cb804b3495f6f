/*
 * esn_scan: a one-pass JSON syntax check (RFC 8259, exactly the texts
 * JSON.parse accepts) over a line in place - no copy, no padding, no tape -
 * that can also note where some top-level fields of an object are.
 *
 * Used by the framer's SCAN and ROUTE_SCAN modes: a line that passes is one
 * JSON text, so "[" line "," line ... "]" is one JSON array with exactly one
 * element per line (JavaScript builds the values with one JSON.parse); a
 * line that fails (or that this scanner cannot vouch for: nesting deeper
 * than ESN_SCAN_MAX_DEPTH) is left to JavaScript, which decides it.
 * Input must be valid UTF-8 (bytes >= 0x80 are accepted inside strings only).
 */
#ifndef ESN_SCAN_H
#define ESN_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "json/json.h" /* esn_json_key, esn_json_type */

#ifdef __cplusplus
extern "C" {
#endif

#define ESN_SCAN_MAX_DEPTH 512
#define ESN_SCAN_ABSENT 0xff

/* Where a named top-level field's value is (last occurrence wins, as with
 * JSON.parse). kind: esn_json_type of its first byte (ESN_JSON_DOUBLE for any
 * number, ESN_JSON_TRUE for both booleans), or ESN_SCAN_ABSENT. Strings: p/n
 * is the text between the quotes, `esc` set when it holds an escape.
 * Numbers: p/n is the number's text. Containers and literals: p only. */
typedef struct {
  const uint8_t *p;
  size_t n;
  uint8_t kind;
  uint8_t esc;
} esn_scan_field;

/* Flag: containers inside the top-level value are only checked for their
 * structure (esn_json_skip_container), not for their JSON syntax. */
#define ESN_SCAN_SKIP_NESTED 1

/* s[i] is '{' or '[': the index just past the bracket that closes it,
 * found by brackets and quotes alone (strings and escaped quotes are
 * honoured - a backslash makes the next byte no quote wherever it is, as
 * valid JSON has none outside strings; the kind of bracket, the tokens and
 * the syntax are not checked), or 0 when
 * s[i, n) does not close it. 16 bytes at a time. A line that starts with a
 * bracket closed exactly at its end holds no top-level comma and ends
 * outside any string: if "[" line "," line ... "]" is valid JSON, each of
 * these lines is exactly one of its elements. */
size_t esn_json_skip_container(const uint8_t *s, size_t i, size_t n);

/* The index of the first '"', '\\' or control byte in s[i, n), or n. */
size_t esn_json_string_stop(const uint8_t *s, size_t i, size_t n);

/* 1 when s[0, n) is exactly one JSON text (JSON whitespace around it is
 * allowed), else 0. With nkeys > 0 and an object at the top, fields[i]
 * tells where keys[i] is; *key_escaped (when not NULL) is set when some
 * top-level key holds an escape (then it may name one of the keys). */
int esn_json_scan(const uint8_t *s, size_t n, const esn_json_key *keys, size_t nkeys,
                  esn_scan_field *fields, int *key_escaped, int flags);

#ifdef __cplusplus
}
#endif
#endif
