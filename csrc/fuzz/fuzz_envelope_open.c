/* libFuzzer harness: the properties of props_envelope_open.c (see there). */
#include "fuzz/props_envelope_open.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esn_prop_envelope_open(data, size);
  return 0;
}
