// Test and diagnostic binding for the event validator (validate/validate.h).
// The hot path validates inside the NDJSON decoder; these functions check one
// JSON text at a time:
//
//   validateJson(buf, offset, length) -> 0 canonical | 1 normalize | 2 invalid
//                                        | -1 when simdjson cannot parse it
//   eventInfo(buf, offset, length)    -> [verdict, typeCode, seq, reason]
//                                        (seq NaN when absent, reason null when valid)
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "binding/binding.h"

extern "C" {
#include "validate/validate.h"
}

namespace esn {
namespace {

// Copies the input into a padded buffer (simdjson reads past the end), parses
// it with the instance's shared parser and validates it. Returns -1 when the
// text does not parse, -2 with an exception pending.
int Check(const Napi::CallbackInfo &info, esn_event_info *ev) {
  Napi::Env env = info.Env();
  const uint8_t *data;
  size_t len;
  if (!BytesArg(info, 0, &data, &len)) return -2;
  InstanceData *d = Data(env);
  if (ThrowIf(env, d == nullptr || d->parser == nullptr, "validator: no JSON parser", false)) return -2;
  uint8_t stack[1024];
  uint8_t *buf = stack;
  if (len + ESN_JSON_PADDING > sizeof stack) {
    buf = static_cast<uint8_t *>(malloc(len + ESN_JSON_PADDING));
    if (ThrowIf(env, buf == nullptr, "validator: out of memory", false)) return -2;
  }
  if (len) memcpy(buf, data, len);
  memset(buf + len, 0, ESN_JSON_PADDING);
  esn_json_value root;
  esn_json_status st = esn_json_parse(d->parser, buf, len, &root);
  int r;
  if (st == ESN_JSON_ENOMEM) {
    Napi::Error::New(env, "validator: out of memory parsing JSON").ThrowAsJavaScriptException();
    r = -2;
  } else if (st != ESN_JSON_OK) {
    r = -1;
  } else {
    r = int(esn_validate_event(root, ev));
  }
  if (buf != stack) free(buf);
  return r;
}

Napi::Value ValidateJson(const Napi::CallbackInfo &info) {
  esn_event_info ev;
  int r = Check(info, &ev);
  if (r == -2) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), r);
}

Napi::Value EventInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  esn_event_info ev;
  int r = Check(info, &ev);
  if (r == -2) return env.Undefined();
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(uint32_t(0), Napi::Number::New(env, r));
  if (r < 0) {
    out.Set(uint32_t(1), Napi::Number::New(env, 0));
    out.Set(uint32_t(2), Napi::Number::New(env, NAN));
    out.Set(uint32_t(3), env.Null());
    return out;
  }
  out.Set(uint32_t(1), Napi::Number::New(env, int(ev.type)));
  out.Set(uint32_t(2), Napi::Number::New(env, ev.seq));
  out.Set(uint32_t(3), ev.reason ? Napi::Value(Napi::String::New(env, ev.reason)) : env.Null());
  return out;
}

}  // namespace

void InitValidate(Napi::Env env, Napi::Object exports) {
  exports.Set("validateJson", Napi::Function::New<ValidateJson>(env, "validateJson"));
  exports.Set("eventInfo", Napi::Function::New<EventInfo>(env, "eventInfo"));
}

}  // namespace esn
