// Binding for the backoff machine (backoff/backoff.h). One call per
// operation: m.op(code, random, out) writes the events into the caller's
// Float64Array `out` (EVENT_STRIDE slots each) and returns their count.
#include "binding/binding.h"

extern "C" {
#include "backoff/backoff.h"
}

namespace esn {
namespace {

constexpr size_t kEventStride = 3;
enum Op { kConnect = 0, kConnected, kDisconnected, kFatal, kFired, kClose, kReset };

class Backoff : public Napi::ObjectWrap<Backoff> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Backoff",
                       {
                           InstanceMethod<&Backoff::Op>("op"),
                           InstanceMethod<&Backoff::Info>("info"),
                       });
  }

  // new Backoff(maxRetries, initialDelayMs, maxDelayMs, backoffMultiplier, jitter, jitterFactor)
  explicit Backoff(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Backoff>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 6) {
      Napi::TypeError::New(env, "Backoff: expected 6 configuration arguments").ThrowAsJavaScriptException();
      return;
    }
    double v[6];
    for (size_t i = 0; i < 6; i++) {
      if (i == 4) continue;
      if (!info[i].IsNumber()) {
        Napi::TypeError::New(env, "Backoff: configuration values must be numbers").ThrowAsJavaScriptException();
        return;
      }
      v[i] = info[i].As<Napi::Number>().DoubleValue();
    }
    esn_backoff_config c = {v[0], v[1], v[2], v[3], info[4].ToBoolean().Value() ? 1 : 0, v[5]};
    esn_backoff_init(&machine_, &c);
  }

 private:
  Napi::Value Op(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsTypedArray() ||
        info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(env, "Backoff.op(code, random, Float64Array)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Float64Array out = info[2].As<Napi::Float64Array>();
    if (out.ElementLength() < ESN_BACKOFF_MAX_EVENTS * kEventStride) {
      Napi::RangeError::New(env, "Backoff.op: output array too small").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS];
    double random = info[1].As<Napi::Number>().DoubleValue();
    size_t n;
    switch (info[0].As<Napi::Number>().Int32Value()) {
      case kConnect: n = esn_backoff_connect(&machine_, ev); break;
      case kConnected: n = esn_backoff_on_connected(&machine_, ev); break;
      case kDisconnected: n = esn_backoff_on_disconnected(&machine_, random, ev); break;
      case kFatal: n = esn_backoff_on_fatal_error(&machine_, ev); break;
      case kFired: n = esn_backoff_fired(&machine_, ev); break;
      case kClose: n = esn_backoff_close(&machine_, ev); break;
      case kReset: n = esn_backoff_reset(&machine_, ev); break;
      default:
        Napi::RangeError::New(env, "Backoff.op: unknown operation").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    double *o = out.Data();
    for (size_t i = 0; i < n; i++, o += kEventStride) {
      o[0] = double(ev[i].type | (ev[i].state << 8) | (ev[i].prev << 16) | (ev[i].reason_given << 24));
      o[1] = ev[i].attempt;
      o[2] = ev[i].delay_ms;
    }
    return Napi::Number::New(env, double(n));
  }

  // [state code, retryCount, canReconnect]
  Napi::Value Info(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[0].As<Napi::Float64Array>().ElementLength() < 3) {
      Napi::TypeError::New(env, "Backoff.info(Float64Array of 3)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double *o = info[0].As<Napi::Float64Array>().Data();
    o[0] = double(machine_.state);
    o[1] = machine_.retry_count;
    o[2] = esn_backoff_can_reconnect(&machine_);
    return env.Undefined();
  }

  esn_backoff machine_;
};

}  // namespace

void InitBackoff(Napi::Env env, Napi::Object exports) {
  exports.Set("Backoff", Backoff::Define(env));
  exports.Set("BACKOFF_EVENT_STRIDE", Napi::Number::New(env, double(kEventStride)));
  exports.Set("BACKOFF_MAX_EVENTS", Napi::Number::New(env, double(ESN_BACKOFF_MAX_EVENTS)));
}

}  // namespace esn
