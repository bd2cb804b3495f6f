/* Runs every suite (see Makefile) and prints a closing line CI can read. */
#include <stdio.h>

#include "suites.h"
#include "test/test.h"

int esn_test_failures = 0;
int esn_test_checks = 0;

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
