/*
 * esn_json: a small C API over simdjson's DOM parser.
 *
 * This header is the only way the C core sees simdjson; json.cpp is the only
 * C++ file of the core. Values are read-only views into the parser's tape and
 * stay valid until the next esn_json_parse() on the same parser.
 */
#ifndef ESN_JSON_H
#define ESN_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable (any value) after the end of a parsed input. */
#define ESN_JSON_PADDING 64

typedef enum {
  ESN_JSON_OK = 0,
  /* Not JSON, or JSON simdjson cannot represent (numbers beyond double or
   * 64-bit integer range, nesting deeper than max_depth, lone surrogate
   * escapes). Callers that must follow JSON.parse exactly send these lines to
   * the JavaScript path, which decides. */
  ESN_JSON_EFAIL = 1,
  ESN_JSON_ENOMEM = 2
} esn_json_status;

typedef enum {
  ESN_JSON_NULL = 0,
  ESN_JSON_TRUE,
  ESN_JSON_FALSE,
  ESN_JSON_INT64,
  ESN_JSON_UINT64,
  ESN_JSON_DOUBLE,
  ESN_JSON_STRING,
  ESN_JSON_ARRAY,
  ESN_JSON_OBJECT
} esn_json_type;

typedef struct esn_json_parser esn_json_parser;

/* A value: an opaque view (two machine words). Copy freely. */
typedef struct {
  const void *doc;
  size_t index;
} esn_json_value;

/* Iterator over an object's fields or an array's elements. */
typedef struct {
  const void *doc;
  size_t index;
  size_t end;
} esn_json_iter;

esn_json_parser *esn_json_parser_new(size_t max_depth);
void esn_json_parser_free(esn_json_parser *p);
/* Bytes of input the parser is currently sized for, and a way to give memory
 * back after an unusually large document. */
size_t esn_json_parser_capacity(const esn_json_parser *p);
void esn_json_parser_shrink(esn_json_parser *p, size_t keep);

/* Parse buf[0, len). buf must have ESN_JSON_PADDING readable bytes after len. */
esn_json_status esn_json_parse(esn_json_parser *p, const uint8_t *buf, size_t len,
                               esn_json_value *root);

/* Parses the whitespace-separated documents of buf[0, len) (padded) in one
 * pass - much cheaper than one esn_json_parse per small document - calling
 * each(ctx, offset, root) in order with the document's byte offset; `each`
 * returns 0 to go on. Returns ESN_JSON_OK when the whole input was parsed
 * into documents and every call returned 0, else ESN_JSON_EFAIL (or ENOMEM);
 * the calls already made stand. Documents must be under max_batch bytes. */
esn_json_status esn_json_parse_many(esn_json_parser *p, const uint8_t *buf, size_t len,
                                    int (*each)(void *ctx, size_t offset, esn_json_value root),
                                    void *ctx);

/* ---- Shallow reading (simdjson On-Demand) ------------------------------
 * Reads only the named top-level fields of a document that must be an object:
 * strings are unescaped, numbers read as doubles, other values only typed.
 * Everything else is skipped by its structure alone: the skipped values are
 * NOT checked to be valid JSON (stage 1 still rejects invalid UTF-8, control
 * characters in strings and unterminated strings). When a key occurs more
 * than once, the last occurrence wins (as with JSON.parse). */
typedef struct {
  const char *name;
  size_t len;
} esn_json_key;

typedef struct {
  uint8_t present;
  uint8_t type;    /* esn_json_type; numbers are ESN_JSON_DOUBLE, booleans ESN_JSON_TRUE */
  const char *str; /* ESN_JSON_STRING: unescaped, valid until the next document */
  size_t len;
  double num;      /* numbers */
} esn_json_field;

/* The most keys esn_json_fields/_many read at once. */
#define ESN_JSON_MAX_FIELDS 8

/* One document buf[0, len) (ESN_JSON_PADDING readable bytes after it).
 * ESN_JSON_OK when it is exactly one object whose named fields could be
 * read (fields[i] for keys[i]); ESN_JSON_EFAIL otherwise (not an object,
 * trailing content, a named string or number that cannot be decoded, ...). */
esn_json_status esn_json_fields(esn_json_parser *p, const uint8_t *buf, size_t len,
                                const esn_json_key *keys, size_t nkeys, esn_json_field *fields);

/* The whitespace-separated documents of buf[0, len) (padded) in one pass,
 * calling each(ctx, offset, fields) per document in order; `each` returns 0
 * to go on. ESN_JSON_OK when every document was an object read as above and
 * every call returned 0, else ESN_JSON_EFAIL (or ENOMEM); the calls already
 * made stand. */
esn_json_status esn_json_fields_many(esn_json_parser *p, const uint8_t *buf, size_t len,
                                     const esn_json_key *keys, size_t nkeys,
                                     int (*each)(void *ctx, size_t offset, const esn_json_field *fields),
                                     void *ctx);

esn_json_type esn_json_type_of(esn_json_value v);

/* 1 when buf[0, len) is valid UTF-8 (simdjson's SIMD validator), else 0. */
int esn_json_utf8_valid(const uint8_t *buf, size_t len);

/* Scalars. Each returns 0 on success, -1 when the value has another type. */
int esn_json_get_string(esn_json_value v, const char **s, size_t *len);
int esn_json_get_int64(esn_json_value v, int64_t *out);
int esn_json_get_uint64(esn_json_value v, uint64_t *out);
/* Any number as a double (as JSON.parse would see it). */
int esn_json_get_number(esn_json_value v, double *out);

/* Containers. *_begin returns -1 when the value is not of that kind.
 * *_next returns 1 with the next item, 0 at the end. */
int esn_json_object_begin(esn_json_value v, esn_json_iter *it);
int esn_json_object_next(esn_json_iter *it, const char **key, size_t *key_len,
                         esn_json_value *val);
int esn_json_array_begin(esn_json_value v, esn_json_iter *it);
int esn_json_array_next(esn_json_iter *it, esn_json_value *val);
/* Number of fields/elements (counts duplicate keys). -1 for other types. */
long esn_json_size(esn_json_value v);

#ifdef __cplusplus
}
#endif
#endif /* ESN_JSON_H */
