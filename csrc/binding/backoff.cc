// Binding for the backoff machine (backoff/backoff.h), used by
// lib/reconnect/state-machine.js. One call per step:
//   m.step(code, arg, out) writes into the caller's reused Float64Array `out`:
//   out[0] = the next step (0: done), then ESN_BEV_STRIDE slots per record
//   [type | state << 8 | prev << 16 | reason << 24, attempt, delayMs]
//   (contracts/contracts_gen.h, generated from contracts/codes.js),
//   and returns the number of records.
//   m.info(out) writes [state, retryCount, canReconnect, timerArmed].
#include "binding/binding.h"

extern "C" {
#include "backoff/backoff.h"
}

namespace esn {
namespace {

constexpr size_t kEventStride = ESN_BEV_STRIDE;
constexpr size_t kStepOutLength = 1 + ESN_BACKOFF_MAX_EVENTS * kEventStride;

bool FloatArrayArg(const Napi::CallbackInfo &info, size_t i, size_t min_length, double **data) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return false;
  Napi::TypedArray t = info[i].As<Napi::TypedArray>();
  if (t.TypedArrayType() != napi_float64_array || t.ElementLength() < min_length) return false;
  *data = info[i].As<Napi::Float64Array>().Data();
  return true;
}

class Backoff : public Napi::ObjectWrap<Backoff> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Backoff",
                       {
                           InstanceMethod<&Backoff::Step>("step"),
                           InstanceMethod<&Backoff::Info>("info"),
                       });
  }

  // new Backoff(maxRetries, initialDelayMs, maxDelayMs, backoffMultiplier, jitter, jitterFactor):
  // numbers (any value: NaN and infinities included) and a boolean.
  explicit Backoff(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Backoff>(info) {
    Napi::Env env = info.Env();
    esn_backoff_init(&machine_, nullptr);
    if (info.Length() < 6 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber() || !info[4].IsBoolean() || !info[5].IsNumber()) {
      Napi::TypeError::New(env,
                           "Backoff(maxRetries, initialDelayMs, maxDelayMs, backoffMultiplier, jitter, "
                           "jitterFactor): five numbers and a boolean")
          .ThrowAsJavaScriptException();
      return;
    }
    esn_backoff_config c;
    c.max_retries = info[0].As<Napi::Number>().DoubleValue();
    c.initial_delay_ms = info[1].As<Napi::Number>().DoubleValue();
    c.max_delay_ms = info[2].As<Napi::Number>().DoubleValue();
    c.backoff_multiplier = info[3].As<Napi::Number>().DoubleValue();
    c.jitter = info[4].As<Napi::Boolean>().Value() ? 1 : 0;
    c.jitter_factor = info[5].As<Napi::Number>().DoubleValue();
    esn_backoff_init(&machine_, &c);
  }

 private:
  Napi::Value Step(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    double *o;
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() ||
        !FloatArrayArg(info, 2, kStepOutLength, &o)) {
      Napi::TypeError::New(env, "Backoff.step(code, arg, out): two numbers and a Float64Array of 13 or more")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int32_t code = info[0].As<Napi::Number>().Int32Value();
    if (code <= ESN_BSTEP_DONE || code >= ESN_BSTEP_COUNT_) {
      Napi::RangeError::New(env, "Backoff.step: unknown step").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    esn_backoff_event ev[ESN_BACKOFF_MAX_EVENTS];
    int next = ESN_BSTEP_DONE;
    size_t n = esn_backoff_step(&machine_, code, info[1].As<Napi::Number>().DoubleValue(), ev, &next);
    o[0] = double(next);
    double *r = o + 1;
    for (size_t i = 0; i < n; i++, r += kEventStride) {
      r[ESN_BEV_SLOT_WORD] = double(uint32_t(ev[i].type) | uint32_t(ev[i].state) << ESN_BEV_STATE_SHIFT |
                                    uint32_t(ev[i].prev) << ESN_BEV_PREV_SHIFT |
                                    uint32_t(ev[i].reason) << ESN_BEV_REASON_SHIFT);
      r[ESN_BEV_SLOT_ATTEMPT] = ev[i].attempt;
      r[ESN_BEV_SLOT_DELAY_MS] = ev[i].delay_ms;
    }
    return Napi::Number::New(env, double(n));
  }

  Napi::Value Info(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    double *o;
    if (!FloatArrayArg(info, 0, 4, &o)) {
      Napi::TypeError::New(env, "Backoff.info(out): a Float64Array of 4 or more").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    o[0] = double(machine_.state);
    o[1] = machine_.retry_count;
    o[2] = esn_backoff_can_reconnect(&machine_) ? 1 : 0;
    o[3] = machine_.timer_armed ? 1 : 0;
    return env.Undefined();
  }

  esn_backoff machine_;
};

}  // namespace

void InitBackoff(Napi::Env env, Napi::Object exports) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("Backoff", Backoff::Define(env));
  o.Set("EVENT_STRIDE", Napi::Number::New(env, double(kEventStride)));
  o.Set("MAX_EVENTS", Napi::Number::New(env, double(ESN_BACKOFF_MAX_EVENTS)));
  exports.Set("backoff", o);
}

}  // namespace esn
