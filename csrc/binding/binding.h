// The Node binding: a thin node-addon-api layer over the C core. Each concern
// has its own file (ndjson.cc, crypto.cc, ...) with an Init function that
// addon.cc calls. Errors become JavaScript exceptions with a clear message.
#ifndef ESN_BINDING_H
#define ESN_BINDING_H

#include <napi.h>

#include <cstdlib>

extern "C" {
#include "json/json.h"
}

namespace esn {

// Per-instance (per thread / worker) state: no C statics.
struct InstanceData {
  esn_json_parser *parser = nullptr;  // shared by every decoder of this instance
  Napi::FunctionReference decoder_ctor;
  uint8_t *join_buf = nullptr;  // joinLines: UTF-8 of the array text, reused
  size_t join_cap = 0;
  ~InstanceData() {
    esn_json_parser_free(parser);
    free(join_buf);
  }
};

inline InstanceData *Data(Napi::Env env) { return env.GetInstanceData<InstanceData>(); }

// Throws a TypeError/Error and returns true when `cond` fails.
inline bool ThrowIf(Napi::Env env, bool cond, const char *msg, bool type_error = true) {
  if (!cond) return false;
  if (type_error)
    Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  else
    Napi::Error::New(env, msg).ThrowAsJavaScriptException();
  return true;
}

// Reads a (buffer, offset, length) triple of arguments starting at `i`.
// Accepts any ArrayBufferView. Returns false (with an exception pending) on bad input.
bool BytesArg(const Napi::CallbackInfo &info, size_t i, const uint8_t **data, size_t *len);

void InitNdjson(Napi::Env env, Napi::Object exports);
void InitBackoff(Napi::Env env, Napi::Object exports);
void InitValidate(Napi::Env env, Napi::Object exports);
void InitCrypto(Napi::Env, Napi::Object);

}  // namespace esn

#endif
