/* libFuzzer harness: the properties of props_backoff.c (see there). */
#include "fuzz/props_backoff.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esn_prop_backoff(data, size);
  return 0;
}
