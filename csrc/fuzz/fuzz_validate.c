/* libFuzzer harness: the properties of props_validate.c (see there). */
#include "fuzz/props_validate.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esn_prop_validate(data, size);
  return 0;
}
