// Binding for the NDJSON framer (ndjson/framer.h): one call per chunk.
//
//   const d = new Decoder(mode, maxLineBytes)
//   d.write(buf, offset, length, recs) -> batch | undefined
//   d.writeString(str, recs)           -> batch | undefined
//   d.next(recs) / d.end(recs)         -> batch | undefined
//   d.side()                           -> side text of the last batch
//   joinLines(arrayText, newline)      -> NDJSON lines | undefined
//
// `recs` is a caller-owned, reused Float64Array: ESN_RECS_HEADER slots
// (record count, 1 when more lines are ready: call next), then
// ESN_REC_STRIDE slots per record, ESN_REC_SLOT_* (contracts/contracts_gen.h,
// generated from contracts/codes.js; lib/ndjson/line-decoder.js reads them
// through lib/contracts.js). The batch is a string (the
// JSON array text of the values) in JSON/EVENT mode, a Buffer of the routed
// lines in ROUTE mode.
#include <cstdint>
#include <cstdlib>

#include "binding/binding.h"

extern "C" {
#include "ndjson/framer.h"
#include "ndjson/join.h"
}

namespace esn {
namespace {

constexpr size_t kStride = ESN_REC_STRIDE;
constexpr size_t kHeader = ESN_RECS_HEADER;

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Decoder",
                       {
                           InstanceMethod<&Decoder::Write>("write"),
                           InstanceMethod<&Decoder::WriteString>("writeString"),
                           InstanceMethod<&Decoder::Next>("next"),
                           InstanceMethod<&Decoder::End>("end"),
                           InstanceMethod<&Decoder::Side>("side"),
                           InstanceMethod<&Decoder::Reset>("reset"),
                           InstanceMethod<&Decoder::LineNumber>("lineNumber"),
                           InstanceMethod<&Decoder::HasPending>("hasPending"),
                       });
  }

  explicit Decoder(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Decoder>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "Decoder(mode, maxLineBytes): expected two numbers")
          .ThrowAsJavaScriptException();
      return;
    }
    int mode = info[0].As<Napi::Number>().Int32Value();
    double max = info[1].As<Napi::Number>().DoubleValue();
    if (mode < ESN_MODE_JSON || mode > ESN_MODE_ROUTE_SCAN) {
      Napi::RangeError::New(env, "Decoder: unknown mode").ThrowAsJavaScriptException();
      return;
    }
    if (!(max >= 1) || max > 4294967295.0) {
      Napi::RangeError::New(env, "Decoder: maxLineBytes must be between 1 and 2^32-1")
          .ThrowAsJavaScriptException();
      return;
    }
    mode_ = mode;
    framer_ = esn_framer_new(Data(env)->parser, esn_mode(mode), size_t(max));
    if (framer_ == nullptr) Napi::Error::New(env, "Decoder: out of memory").ThrowAsJavaScriptException();
  }

  ~Decoder() override {
    esn_framer_free(framer_);
    free(scratch_);
    free(text_);
  }

 private:
  bool Records(const Napi::CallbackInfo &info, size_t i, double **out, size_t *cap) {
    Napi::Env env = info.Env();
    if (info.Length() <= i || !info[i].IsTypedArray() ||
        info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(env, "expected a Float64Array for the records").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Float64Array a = info[i].As<Napi::Float64Array>();
    if (a.ElementLength() < kHeader + kStride) {
      Napi::RangeError::New(env, "records array too small").ThrowAsJavaScriptException();
      return false;
    }
    *out = a.Data();
    *cap = (a.ElementLength() - kHeader) / kStride;
    return true;
  }

  Napi::Value Run(const Napi::CallbackInfo &info, size_t recs_arg) {
    Napi::Env env = info.Env();
    double *recs;
    size_t cap;
    if (!Records(info, recs_arg, &recs, &cap)) return env.Undefined();
    if (cap > 1u << 20) cap = 1u << 20;
    int more = 0;
    // The C records (mixed field types) are copied into the Float64Array.
    if (scratch_cap_ < cap) {
      esn_record *p = static_cast<esn_record *>(realloc(scratch_, cap * sizeof(esn_record)));
      if (p == nullptr) {
        Napi::Error::New(env, "Decoder: out of memory").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      scratch_ = p;
      scratch_cap_ = cap;
    }
    esn_record *rv = scratch_;
    long total = esn_framer_run(framer_, rv, cap, &more);
    if (total < 0) {
      Napi::Error::New(env, "Decoder: out of memory").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    recs[ESN_RECS_COUNT] = double(total);
    recs[ESN_RECS_MORE] = more;
    double *o = recs + kHeader;
    for (long k = 0; k < total; k++, o += kStride) {
      const esn_record &r = rv[k];
      o[ESN_REC_SLOT_KIND] = double(r.kind | (r.type << ESN_REC_TYPE_SHIFT));
      o[ESN_REC_SLOT_LINE] = r.line;
      o[ESN_REC_SLOT_OFFSET] = r.offset;
      o[ESN_REC_SLOT_SEQ] = r.seq;
      o[ESN_REC_SLOT_START] = r.start;
      o[ESN_REC_SLOT_END] = r.end;
      o[ESN_REC_SLOT_SID_START] = double(r.sid_start);
      o[ESN_REC_SLOT_SID_END] = r.sid_end;
    }
    size_t blen;
    const uint8_t *b = esn_framer_batch(framer_, &blen);
    if (blen == 0) return env.Undefined();
    if (mode_ == ESN_MODE_ROUTE || mode_ == ESN_MODE_ROUTE_FIELDS || mode_ == ESN_MODE_ROUTE_SCAN) return Napi::Buffer<uint8_t>::Copy(env, b, blen);
    // ASCII batches (the usual case) become strings without UTF-8 decoding.
    napi_value str;
    napi_status st = esn_framer_batch_ascii(framer_)
                         ? napi_create_string_latin1(env, reinterpret_cast<const char *>(b), blen, &str)
                         : napi_create_string_utf8(env, reinterpret_cast<const char *>(b), blen, &str);
    if (st != napi_ok) {
      Napi::Error::New(env, "Decoder: cannot create the batch string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Value(env, str);
  }

  Napi::Value Write(const Napi::CallbackInfo &info) {
    const uint8_t *data;
    size_t len;
    if (!BytesArg(info, 0, &data, &len)) return info.Env().Undefined();
    if (esn_framer_push(framer_, data, len) != ESN_FRAMER_OK) {
      Napi::Error::New(info.Env(), "Decoder: out of memory").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Run(info, 3);
  }

  // writeString(str, recs): the string's UTF-8 (lone surrogates become
  // U+FFFD, as TextEncoder does) goes straight into a reused buffer: no
  // Buffer object per chunk.
  Napi::Value WriteString(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "writeString: expected a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    size_t units;
    if (napi_get_value_string_utf16(env, info[0], nullptr, 0, &units) != napi_ok) {
      Napi::Error::New(env, "writeString: cannot read the string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    size_t need = 3 * units + 1;  // UTF-8 bytes per UTF-16 unit <= 3, plus the NUL
    if (text_cap_ < need) {
      uint8_t *p = static_cast<uint8_t *>(realloc(text_, need));
      if (p == nullptr) {
        Napi::Error::New(env, "Decoder: out of memory").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      text_ = p;
      text_cap_ = need;
    }
    size_t len;
    if (napi_get_value_string_utf8(env, info[0], reinterpret_cast<char *>(text_), need, &len) != napi_ok) {
      Napi::Error::New(env, "writeString: cannot read the string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    esn_framer_status st = esn_framer_push(framer_, text_, len);
    if (text_cap_ > (size_t(1) << 20) * 3 && need < (size_t(1) << 18)) {
      free(text_);  // give back the buffer of an unusually large string
      text_ = nullptr;
      text_cap_ = 0;
    }
    if (st != ESN_FRAMER_OK) {
      Napi::Error::New(env, "Decoder: out of memory").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Run(info, 1);
  }

  Napi::Value Next(const Napi::CallbackInfo &info) { return Run(info, 0); }

  Napi::Value End(const Napi::CallbackInfo &info) {
    esn_framer_end(framer_);
    return Run(info, 0);
  }

  Napi::Value Side(const Napi::CallbackInfo &info) {
    size_t len;
    const uint8_t *s = esn_framer_side(framer_, &len);
    return Napi::String::New(info.Env(), reinterpret_cast<const char *>(s ? s : (const uint8_t *)""), len);
  }

  Napi::Value Reset(const Napi::CallbackInfo &info) {
    esn_framer_reset(framer_);
    return info.Env().Undefined();
  }

  Napi::Value LineNumber(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), esn_framer_line(framer_));
  }

  Napi::Value HasPending(const Napi::CallbackInfo &info) {
    return Napi::Boolean::New(info.Env(), esn_framer_has_pending(framer_) != 0);
  }

  esn_framer *framer_ = nullptr;
  esn_record *scratch_ = nullptr;
  size_t scratch_cap_ = 0;
  uint8_t *text_ = nullptr;
  size_t text_cap_ = 0;
  int mode_ = 0;
};

// joinLines(text, newline) -> string | undefined: the JSON text of an array
// as JSON.stringify writes it, as NDJSON lines (top-level elements joined by
// '\n', no brackets, and a final '\n' when `newline` is truthy and there
// are lines); undefined when the text is not such an array. The text's
// UTF-8 goes into a per-instance reused buffer, is rewritten in place and
// comes back as a Latin-1 string when it is ASCII (no decoding).
// JSON.stringify escapes lone surrogates, so its text survives UTF-8 intact.
Napi::Value JoinLines(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "joinLines: expected a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool newline = info.Length() > 1 && info[1].ToBoolean().Value();
  InstanceData *d = Data(env);
  size_t units;
  if (napi_get_value_string_utf16(env, info[0], nullptr, 0, &units) != napi_ok) {
    Napi::Error::New(env, "joinLines: cannot read the string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (units > (SIZE_MAX - 1) / 3) {
    Napi::RangeError::New(env, "joinLines: string too long").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t need = 3 * units + 1;  // UTF-8 bytes per UTF-16 unit <= 3, plus the NUL
  if (d->join_cap < need) {
    free(d->join_buf);  // nothing to keep: no realloc copy
    d->join_buf = static_cast<uint8_t *>(malloc(need));
    d->join_cap = d->join_buf ? need : 0;
    if (d->join_buf == nullptr) {
      Napi::Error::New(env, "joinLines: out of memory").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  size_t len;
  if (napi_get_value_string_utf8(env, info[0], reinterpret_cast<char *>(d->join_buf), need, &len) != napi_ok) {
    Napi::Error::New(env, "joinLines: cannot read the string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int ascii = 0;
  size_t n = esn_join_lines(d->join_buf, len, &ascii);
  napi_value out = nullptr;
  napi_status st = napi_ok;
  if (n != ESN_JOIN_BAD) {
    if (newline && n > 0) d->join_buf[1 + n++] = '\n';  // over the closing bracket
    const char *p = reinterpret_cast<const char *>(d->join_buf + 1);
    st = ascii ? napi_create_string_latin1(env, p, n, &out) : napi_create_string_utf8(env, p, n, &out);
  }
  if (d->join_cap > (size_t(1) << 26) && need < (size_t(1) << 20)) {
    free(d->join_buf);  // give back the buffer of an unusually large text
    d->join_buf = nullptr;
    d->join_cap = 0;
  }
  if (n == ESN_JOIN_BAD) return env.Undefined();
  if (st != napi_ok) {
    Napi::Error::New(env, "joinLines: cannot create the string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Value(env, out);
}

}  // namespace

void InitNdjson(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Decoder::Define(env);
  Data(env)->decoder_ctor = Napi::Persistent(ctor);
  exports.Set("Decoder", ctor);
  exports.Set("RECORD_STRIDE", Napi::Number::New(env, double(kStride)));
  exports.Set("RECORD_HEADER", Napi::Number::New(env, double(kHeader)));
  exports.Set("joinLines", Napi::Function::New<JoinLines>(env, "joinLines"));
}

}  // namespace esn
