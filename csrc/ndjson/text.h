/*
 * esn_text: the text rules of NDJSON framing (docs/PROTOCOL.md section 1):
 * WHATWG UTF-8 decoding with replacement, JavaScript String.prototype.trim
 * on UTF-8 bytes, and UTF-16 lengths (JavaScript string offsets).
 */
#ifndef ESN_TEXT_H
#define ESN_TEXT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Replace each maximal invalid subpart of buf[0, len) by U+FFFD (EF BF BD),
 * exactly as TextDecoder (fatal: false) does. `out` must hold 3 * len bytes.
 * Returns the number of bytes written. */
size_t esn_utf8_sanitize(const uint8_t *buf, size_t len, uint8_t *out);

/* Bounds of buf[0, len) without the leading and trailing characters that
 * String.prototype.trim removes (buf must be valid UTF-8). */
void esn_js_trim(const uint8_t *buf, size_t len, size_t *start, size_t *end);

/* Length in UTF-16 code units of valid UTF-8 text. */
size_t esn_utf16_length(const uint8_t *buf, size_t len);

/* 1 when buf[0, len) holds only ASCII bytes. */
int esn_is_ascii(const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
