/* Runs every suite (see Makefile) and prints a closing line CI can read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test/test.h"

int esn_test_failures = 0;
int esn_test_checks = 0;

uint8_t *esn_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = n >= 0 ? calloc((size_t)n + ESN_JSON_PADDING, 1) : NULL;
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = buf ? (size_t)n : 0;
  return buf;
}

int esn_test_field(esn_json_value obj, const char *key, esn_json_value *out) {
  esn_json_iter it;
  const char *k;
  size_t kl, n = strlen(key);
  esn_json_value v;
  if (esn_json_object_begin(obj, &it) != 0) return 0;
  while (esn_json_object_next(&it, &k, &kl, &v)) {
    if (kl == n && memcmp(k, key, n) == 0) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

int main(void) {
  int suites = 0, failed_suites = 0;
#define X(name)                                            \
  {                                                        \
    int before = esn_test_failures;                        \
    suite_##name();                                        \
    suites++;                                              \
    if (esn_test_failures != before) failed_suites++;      \
    fprintf(stderr, "  c suite %-12s %s\n", #name,         \
            esn_test_failures != before ? "FAILED" : "ok"); \
  }
  ESN_SUITES
#undef X
  printf("C core: %d checks in %d suites, %d failed checks\n", esn_test_checks, suites,
         esn_test_failures);
  return esn_test_failures ? 1 : 0;
}
