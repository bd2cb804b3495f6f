// Module entry: creates the per-instance data and lets each concern register
// its functions. Nothing else lives here.
#include "binding/binding.h"

namespace esn {

bool BytesArg(const Napi::CallbackInfo &info, size_t i, const uint8_t **data, size_t *len) {
  Napi::Env env = info.Env();
  if (info.Length() < i + 3) {
    Napi::TypeError::New(env, "expected (buffer, offset, length) arguments").ThrowAsJavaScriptException();
    return false;
  }
  if (!info[i].IsTypedArray()) {
    Napi::TypeError::New(env, "expected a Buffer or Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (!info[i + 1].IsNumber() || !info[i + 2].IsNumber()) {
    Napi::TypeError::New(env, "offset and length must be numbers").ThrowAsJavaScriptException();
    return false;
  }
  double off = info[i + 1].As<Napi::Number>().DoubleValue();
  double n = info[i + 2].As<Napi::Number>().DoubleValue();
  size_t bytes = ta.ByteLength();
  if (!(off >= 0) || !(n >= 0) || off + n > double(bytes) || off != double(size_t(off)) ||
      n != double(size_t(n))) {
    Napi::RangeError::New(env, "offset/length out of the buffer's bounds").ThrowAsJavaScriptException();
    return false;
  }
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  *data = static_cast<const uint8_t *>(ab.Data()) + ta.ByteOffset() + size_t(off);
  *len = size_t(n);
  return true;
}

}  // namespace esn

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto *data = new esn::InstanceData();
  env.SetInstanceData(data);
  data->parser = esn_json_parser_new(1000);
  if (data->parser == nullptr) {
    Napi::Error::New(env, "enclave-stream-native: out of memory creating the JSON parser")
        .ThrowAsJavaScriptException();
    return exports;
  }
  esn::InitNdjson(env, exports);
  esn::InitBackoff(env, exports);
  esn::InitValidate(env, exports);
  esn::InitCrypto(env, exports);
  return exports;
}

NODE_API_MODULE(enclave_stream_native, Init)
