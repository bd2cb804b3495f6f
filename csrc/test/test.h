/* A minimal test harness for the C core: CHECK records failures and goes on. */
#ifndef ESN_TEST_H
#define ESN_TEST_H

#include <stdio.h>
#include <string.h>

extern int esn_test_failures;
extern int esn_test_checks;

#define CHECK(cond)                                                         \
  do {                                                                      \
    esn_test_checks++;                                                      \
    if (!(cond)) {                                                          \
      esn_test_failures++;                                                  \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                  \
  do {                                                                      \
    long long va_ = (long long)(a), vb_ = (long long)(b);                   \
    esn_test_checks++;                                                      \
    if (va_ != vb_) {                                                       \
      esn_test_failures++;                                                  \
      fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, va_, vb_); \
    }                                                                       \
  } while (0)

#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

/* A whole file, with ESN_JSON_PADDING zero bytes after it (NULL on failure). */
uint8_t *esn_test_read_file(const char *path, size_t *len);
/* The first field `key` of a JSON object: 1 when found. */
int esn_test_field(esn_json_value obj, const char *key, esn_json_value *out);

/* Each test file defines one suite function, listed in test_main.c. */
typedef void (*esn_suite_fn)(void);

#endif
