/* Replays the fuzzers' committed inputs - fuzz/regress/<harness>/ (inputs
 * that once broke a property or crashed) and fuzz/seeds/<harness>/ - through
 * the same property checks the libFuzzer harnesses run (fuzz/props_*.c), so
 * that `make test` guards them without clang's fuzzer runtime. */
#define _DEFAULT_SOURCE 1
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/test.h"

/* A broken property is a failed check here (the fuzzers abort instead). */
#define ESN_PROP_FAIL(what, file, line)                                          \
  (esn_test_checks++, esn_test_failures++,                                       \
   fprintf(stderr, "%s:%d: property failed: %s (input %s)\n", file, line, what,  \
           esn_regress_current))
static const char *esn_regress_current = "";

#include "fuzz/props_backoff.c"
#include "fuzz/props_base64.c"
#include "fuzz/props_envelope_open.c"
#include "fuzz/props_framer.c"
#include "fuzz/props_pubkey.c"
#include "fuzz/props_validate.c"

#define ESN_FUZZ_DIR ESN_TEST_DATA "/../../csrc/fuzz"

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs prop on every file of dir (sorted); returns how many. */
static int replay(const char *dir, void (*prop)(const uint8_t *, size_t)) {
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  char *names[4096];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 4096)
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], name_cmp);
  for (int i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    size_t len;
    uint8_t *buf = esn_test_read_file(path, &len);
    CHECK(buf != NULL);
    if (buf != NULL) {
      /* an exact-size copy, so that the sanitizer build sees overreads */
      uint8_t *exact = malloc(len ? len : 1);
      memcpy(exact, buf, len);
      esn_regress_current = path;
      prop(exact, len);
      esn_test_checks++;
      free(exact);
      free(buf);
    }
    free(names[i]);
  }
  return n;
}

static void run_harness(const char *name, void (*prop)(const uint8_t *, size_t), int need_regress) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/regress/%s", ESN_FUZZ_DIR, name);
  int r = replay(dir, prop);
  if (need_regress) CHECK(r > 0);
  snprintf(dir, sizeof dir, "%s/seeds/%s", ESN_FUZZ_DIR, name);
  replay(dir, prop);
}

void suite_regress(void) {
  run_harness("backoff", esn_prop_backoff, 0);
  run_harness("base64", esn_prop_base64, 0);
  run_harness("envelope_open", esn_prop_envelope_open, 0);
  run_harness("framer", esn_prop_framer, 1);
  run_harness("pubkey", esn_prop_pubkey, 0);
  run_harness("validate", esn_prop_validate, 0);
}
