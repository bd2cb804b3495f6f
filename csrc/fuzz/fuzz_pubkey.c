/* libFuzzer harness: the properties of props_pubkey.c (see there). */
#include "fuzz/props_pubkey.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  esn_prop_pubkey(data, size);
  return 0;
}
