/*
 * Property checks shared by the libFuzzer harnesses (fuzz_<name>.c) and the
 * regression test (test/test_regress.c), which replays the committed inputs
 * of fuzz/regress/<name>/ and fuzz/seeds/<name>/ through the same code
 * without clang's fuzzer runtime.
 *
 * Each props_<name>.c defines `void esn_prop_<name>(const uint8_t *, size_t)`
 * and only static helpers with a prefix of its own, so that all of them can
 * be #included into one translation unit. A broken property calls
 * ESN_PROP_FAIL: abort() in a fuzzer (libFuzzer saves the input), a counted
 * failure in the unit test.
 */
#ifndef ESN_FUZZ_PROPS_H
#define ESN_FUZZ_PROPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef ESN_PROP_FAIL
#define ESN_PROP_FAIL(what, file, line)                                       \
  (fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what), abort())
#endif

#define PROP(cond)                                                            \
  do {                                                                        \
    if (!(cond)) ESN_PROP_FAIL(#cond, __FILE__, __LINE__);                    \
  } while (0)

void esn_prop_framer(const uint8_t *data, size_t size);
void esn_prop_validate(const uint8_t *data, size_t size);
void esn_prop_base64(const uint8_t *data, size_t size);
void esn_prop_envelope_open(const uint8_t *data, size_t size);
void esn_prop_pubkey(const uint8_t *data, size_t size);
void esn_prop_backoff(const uint8_t *data, size_t size);

#endif
