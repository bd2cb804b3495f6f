/* libFuzzer harness: the properties of props_framer.c (see there). */
#include "fuzz/props_framer.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esn_prop_framer(data, size);
  return 0;
}
