/* Linked only into the AddressSanitizer build of the addon made by
 * scripts/asan-mocha.js, never into the real one.
 *
 * The run sets ASAN_OPTIONS=leak_check_at_exit=0, so LeakSanitizer checks
 * only the processes that load this addon: they run the check themselves at
 * exit, after Node has torn the environment down (finalizers and cleanup
 * hooks have run). Other processes the tests spawn (tsc, for one) skip it:
 * no leak of ours can happen there, and reporting V8's exit-time leaks of a
 * large heap takes minutes (each JIT frame makes the runtime re-read
 * /proc/self/maps). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* After the check, leaves <ASAN_MOCHA_MARK_DIR>/checked.<pid> so the script
 * can tell that the check did run (an empty log alone proves nothing). */
static void esn_asan_leak_check(void) {
  __lsan_do_leak_check();
  const char *dir = getenv("ASAN_MOCHA_MARK_DIR");
  if (!dir) return;
  char file[4096];
  int n = snprintf(file, sizeof file, "%s/checked.%ld", dir, (long)getpid());
  if (n <= 0 || (size_t)n >= sizeof file) return;
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) close(fd);
}

__attribute__((constructor)) static void esn_asan_register_leak_check(void) {
  atexit(esn_asan_leak_check);
}
