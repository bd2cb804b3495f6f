/* libFuzzer harness: the properties of props_base64.c (see there). */
#include "fuzz/props_base64.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esn_prop_base64(data, size);
  return 0;
}
