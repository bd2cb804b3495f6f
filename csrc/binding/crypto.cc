// Binding of the encryption core (csrc/crypto): P-256 keys (EcKey), HKDF,
// AES-256-GCM (Gcm) and the envelope cipher (EnvelopeCipher) with its batch
// forms. Failures of the crypto itself come back as negative status numbers
// (lib/crypto turns them into EcdhError/HkdfError/AesGcmError with the
// reference's codes); misuse (wrong argument types) throws a TypeError.
#include <cstring>
#include <vector>

#include "binding/binding.h"

extern "C" {
#include "crypto/crypto.h"
}

namespace esn {
namespace {

// Argument readers: one N-API call each (these run once per message on the
// per-call paths, so their cost matters).
size_t ElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int16_array:
    case napi_uint16_array: return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array: return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array: return 8;
    default: return 1;
  }
}

bool BufArg(const Napi::CallbackInfo &info, size_t i, uint8_t **data, size_t *len,
            const char *what) {
  napi_typedarray_type type;
  size_t n = 0;
  void *d = nullptr;
  if (i < info.Length() &&
      napi_get_typedarray_info(info.Env(), info[i], &type, &n, &d, nullptr, nullptr) == napi_ok) {
    *data = static_cast<uint8_t *>(d);
    *len = n * ElementSize(type);
    return true;
  }
  std::string m = std::string(what) + " must be a Buffer or Uint8Array";
  Napi::TypeError::New(info.Env(), m).ThrowAsJavaScriptException();
  return false;
}

bool NumArg(const Napi::CallbackInfo &info, size_t i, double *out, const char *what) {
  if (i < info.Length() && napi_get_value_double(info.Env(), info[i], out) == napi_ok) return true;
  std::string m = std::string(what) + " must be a number";
  Napi::TypeError::New(info.Env(), m).ThrowAsJavaScriptException();
  return false;
}

// The UTF-8 bytes of a string argument, written into buf (resized as
// needed) at offset off; *len receives their count. false (no exception) when
// the argument is not a string.
bool StrArg(const Napi::CallbackInfo &info, size_t i, std::vector<uint8_t> &buf, size_t off, size_t *len) {
  size_t chars = 0;
  if (i >= info.Length() || napi_get_value_string_utf16(info.Env(), info[i], nullptr, 0, &chars) != napi_ok)
    return false;
  if (buf.size() < off + chars * 3 + 1) buf.resize(off + chars * 3 + 1);
  return napi_get_value_string_utf8(info.Env(), info[i], reinterpret_cast<char *>(buf.data() + off),
                                    buf.size() - off, len) == napi_ok;
}

bool RangeArg(const Napi::CallbackInfo &info, size_t i, size_t total, size_t *off, size_t *len) {
  double o, n;
  if (!NumArg(info, i, &o, "offset") || !NumArg(info, i + 1, &n, "length")) return false;
  if (!(o >= 0) || !(n >= 0) || o + n > double(total) || o != double(size_t(o)) || n != double(size_t(n))) {
    Napi::RangeError::New(info.Env(), "offset/length out of the buffer's bounds").ThrowAsJavaScriptException();
    return false;
  }
  *off = size_t(o);
  *len = size_t(n);
  return true;
}

Napi::Value Status(Napi::Env env, esn_crypto_status s) { return Napi::Number::New(env, -double(s)); }

Napi::Buffer<uint8_t> Copy(Napi::Env env, const uint8_t *p, size_t n) {
  return Napi::Buffer<uint8_t>::Copy(env, p, n);
}

// ---- EcKey --------------------------------------------------------------
class EcKey : public Napi::ObjectWrap<EcKey> {
 public:
  static Napi::Function Define(Napi::Env env, esn_crypto_ctx *cx) {
    return DefineClass(env, "EcKey",
                       {InstanceMethod("publicKey", &EcKey::PublicKey),
                        InstanceMethod("privateKey", &EcKey::PrivateKey),
                        InstanceMethod("derive", &EcKey::Derive),
                        InstanceMethod("deriveSessionKeys", &EcKey::DeriveSessionKeys),
                        InstanceMethod("dispose", &EcKey::Dispose)},
                       cx);
  }
  // new EcKey()             a fresh pair
  // new EcKey(priv32)       a pair from a private scalar
  // new EcKey(pub65, true)  a public key (checked on the curve)
  explicit EcKey(const Napi::CallbackInfo &info) : Napi::ObjectWrap<EcKey>(info) {
    Napi::Env env = info.Env();
    cx_ = static_cast<const esn_crypto_ctx *>(info.Data());
    esn_crypto_status s;
    if (info.Length() == 0 || info[0].IsUndefined()) {
      s = esn_ec_generate_ex(cx_, &key_);
    } else {
      uint8_t *d;
      size_t n;
      if (!BufArg(info, 0, &d, &n, "key")) return;
      bool pub = info.Length() > 1 && info[1].ToBoolean();
      s = pub ? esn_ec_from_public_ex(cx_, d, n, &key_) : esn_ec_from_private(d, n, &key_);
    }
    if (s != ESN_CRYPTO_OK) {
      Napi::Error e = Napi::Error::New(env, esn_crypto_message(s));
      e.Set("code", Napi::String::New(env, esn_crypto_code(s)));
      e.ThrowAsJavaScriptException();
    }
  }
  ~EcKey() override { esn_ec_free(key_); }

 private:
  bool Live(Napi::Env env) {
    if (key_) return true;
    Napi::Error::New(env, "EcKey was disposed").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Value PublicKey(const Napi::CallbackInfo &info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    uint8_t out[65];
    esn_crypto_status s = esn_ec_public(key_, out);
    if (s != ESN_CRYPTO_OK) return Status(info.Env(), s);
    return Copy(info.Env(), out, 65);
  }
  Napi::Value PrivateKey(const Napi::CallbackInfo &info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    uint8_t out[32];
    esn_crypto_status s = esn_ec_private(key_, out);
    if (s != ESN_CRYPTO_OK) return Status(info.Env(), s);
    Napi::Value v = Copy(info.Env(), out, 32);
    esn_wipe(out, 32);
    return v;
  }
  // derive(peerPub65) -> Buffer(32) | -status
  Napi::Value Derive(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint8_t *d;
    size_t n;
    if (!BufArg(info, 0, &d, &n, "public key")) return env.Undefined();
    uint8_t out[32];
    esn_crypto_status s = esn_ec_derive_raw_ex(cx_, key_, d, n, out);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    Napi::Value v = Copy(env, out, 32);
    esn_wipe(out, 32);
    return v;
  }
  // deriveSessionKeys(peerPub65, sessionIdUtf8 | null) -> Buffer(64) c2s||s2c | -status
  Napi::Value DeriveSessionKeys(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint8_t *d, *sid = nullptr;
    size_t n, sidn = 0;
    if (!BufArg(info, 0, &d, &n, "public key")) return env.Undefined();
    if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined() &&
        !BufArg(info, 1, &sid, &sidn, "session id"))
      return env.Undefined();
    uint8_t secret[32], keys[64];
    esn_crypto_status s = esn_ec_derive_raw_ex(cx_, key_, d, n, secret);
    if (s == ESN_CRYPTO_OK) s = esn_session_keys_ex(cx_, secret, sid, sidn, keys, keys + 32);
    esn_wipe(secret, 32);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    Napi::Value v = Copy(env, keys, 64);
    esn_wipe(keys, 64);
    return v;
  }
  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    esn_ec_free(key_);
    key_ = nullptr;
    return info.Env().Undefined();
  }
  esn_ec_key *key_ = nullptr;
  const esn_crypto_ctx *cx_ = nullptr;  // the instance's fetched algorithms (may be null)
};

// ---- Gcm: one AES-256-GCM key -------------------------------------------
class Gcm : public Napi::ObjectWrap<Gcm> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Gcm",
                       {InstanceMethod("seal", &Gcm::Seal), InstanceMethod("open", &Gcm::Open),
                        InstanceMethod("sealB64", &Gcm::SealB64), InstanceMethod("openB64", &Gcm::OpenB64),
                        InstanceMethod("dispose", &Gcm::Dispose)});
  }
  explicit Gcm(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Gcm>(info) {
    uint8_t *k;
    size_t n;
    if (!BufArg(info, 0, &k, &n, "key")) return;
    esn_crypto_status s = esn_gcm_new(k, n, &gcm_);
    if (s != ESN_CRYPTO_OK) {
      Napi::Error e = Napi::Error::New(info.Env(), esn_crypto_message(s));
      e.Set("code", Napi::String::New(info.Env(), esn_crypto_code(s)));
      e.ThrowAsJavaScriptException();
    }
  }
  ~Gcm() override {
    esn_gcm_free(gcm_);
    if (!scratch_.empty()) esn_wipe(scratch_.data(), scratch_.size());
    if (!text_.empty()) esn_wipe(text_.data(), text_.size());
    if (!out_.empty()) esn_wipe(out_.data(), out_.size());
  }

 private:
  // seal(nonce12, aad|null, src) -> Buffer | -status ; open likewise
  Napi::Value Run(const Napi::CallbackInfo &info, bool seal) {
    Napi::Env env = info.Env();
    if (!gcm_) {
      Napi::Error::New(env, "Gcm was disposed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint8_t *nonce, *aad = nullptr, *src;
    size_t nn, an = 0, sn;
    if (!BufArg(info, 0, &nonce, &nn, "nonce")) return env.Undefined();
    if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined() &&
        !BufArg(info, 1, &aad, &an, "additional data"))
      return env.Undefined();
    if (!BufArg(info, 2, &src, &sn, "data")) return env.Undefined();
    if (nn != 12) return Status(env, ESN_CRYPTO_EDECRYPT);
    if (!seal && sn < 16) return Status(env, ESN_CRYPTO_EDECRYPT);
    size_t on = seal ? sn + 16 : sn - 16;
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, on ? on : 1);
    esn_crypto_status s = seal ? esn_gcm_seal(gcm_, nonce, aad, an, src, sn, out.Data())
                               : esn_gcm_open(gcm_, nonce, aad, an, src, sn, out.Data());
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    if (on == 0) return Napi::Buffer<uint8_t>::New(env, 0);
    return out;
  }
  Napi::Value Seal(const Napi::CallbackInfo &info) { return Run(info, true); }
  Napi::Value Open(const Napi::CallbackInfo &info) { return Run(info, false); }
  bool LiveGcm(Napi::Env env) {
    if (gcm_) return true;
    Napi::Error::New(env, "Gcm was disposed").ThrowAsJavaScriptException();
    return false;
  }
  // sealB64(src, len, nonce12, out) -> chars written | -status: out receives
  // base64(nonce) (16 characters) then base64(ciphertext || tag).
  // sealB64(text, nonce12) -> string | -status: the same for the UTF-8 of
  // a string, returned as one string (16 characters of nonce, then the
  // ciphertext's base64).
  Napi::Value SealB64(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!LiveGcm(env)) return env.Undefined();
    uint8_t *src, *nonce, *out;
    size_t nn, ol, n = 0;
    bool text = info.Length() == 2;
    if (text) {
      if (!StrArg(info, 0, text_, 0, &n)) {
        Napi::TypeError::New(env, "text must be a string").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      src = text_.data();
      if (!BufArg(info, 1, &nonce, &nn, "nonce")) return env.Undefined();
      if (out_.size() < 16 + esn_b64_encoded_len(n + 16)) out_.resize(16 + esn_b64_encoded_len(n + 16));
      out = out_.data();
      ol = out_.size();
    } else {
      size_t sl;
      double len;
      if (!BufArg(info, 0, &src, &sl, "data") || !NumArg(info, 1, &len, "length") ||
          !BufArg(info, 2, &nonce, &nn, "nonce") || !BufArg(info, 3, &out, &ol, "output"))
        return env.Undefined();
      if (!(len >= 0) || len > double(sl)) {
        Napi::RangeError::New(env, "length out of the buffer's bounds").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      n = size_t(len);
    }
    if (nn != 12) return Status(env, ESN_CRYPTO_EDECRYPT);
    if (ol < 16 + esn_b64_encoded_len(n + 16)) return Status(env, ESN_CRYPTO_ESPACE);
    if (scratch_.size() < n + 16) scratch_.resize(n + 16 + (n + 16) / 2);
    esn_crypto_status s = esn_gcm_seal(gcm_, nonce, nullptr, 0, src, n, scratch_.data());
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    size_t w = esn_b64_encode(nonce, 12, reinterpret_cast<char *>(out));
    w += esn_b64_encode(scratch_.data(), n + 16, reinterpret_cast<char *>(out) + w);
    if (text) return Napi::Value(env, Latin1(env, out, w));
    return Napi::Number::New(env, double(w));
  }
  static napi_value Latin1(napi_env env, const uint8_t *p, size_t n) {
    napi_value v = nullptr;
    napi_create_string_latin1(env, reinterpret_cast<const char *>(p), n, &v);
    return v;
  }
  // openB64(buf, nonceLen, ctLen, out) -> plaintext bytes | -status. buf holds
  // the nonce's base64 then the ciphertext's. -EENVELOPE: not canonical
  // base64, a nonce other than 12 bytes or a ciphertext under 16 bytes (the
  // caller takes its general path); -EDECRYPT: authentication failed.
  // openB64(nonceB64, ciphertextB64) -> string | -status: the same from the
  // two strings, returning the plaintext as a string.
  Napi::Value OpenB64(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!LiveGcm(env)) return env.Undefined();
    uint8_t *buf, *out;
    size_t ol, a = 0, b = 0, dn = 0;
    bool text = info.Length() == 2;
    if (text) {
      if (!StrArg(info, 0, text_, 0, &a) || !StrArg(info, 1, text_, a, &b)) {
        Napi::TypeError::New(env, "nonceB64 and ciphertextB64 must be strings").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      buf = text_.data();
      if (out_.size() < b / 4 * 3 + 1) out_.resize(b / 4 * 3 + 1);
      out = out_.data();
      ol = out_.size();
    } else {
      size_t bl;
      double n1, n2;
      if (!BufArg(info, 0, &buf, &bl, "data") || !NumArg(info, 1, &n1, "nonce length") ||
          !NumArg(info, 2, &n2, "ciphertext length") || !BufArg(info, 3, &out, &ol, "output"))
        return env.Undefined();
      if (!(n1 >= 0) || !(n2 >= 0) || n1 + n2 > double(bl)) {
        Napi::RangeError::New(env, "lengths out of the buffer's bounds").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      a = size_t(n1);
      b = size_t(n2);
    }
    uint8_t iv[16];
    if (a != 16 || esn_b64_decode(reinterpret_cast<const char *>(buf), a, iv, &dn) != 0 || dn != 12)
      return Status(env, ESN_CRYPTO_EENVELOPE);
    if (b % 4 != 0) return Status(env, ESN_CRYPTO_EENVELOPE);
    if (ol < b / 4 * 3) return Status(env, ESN_CRYPTO_ESPACE);
    if (esn_b64_decode(reinterpret_cast<const char *>(buf) + a, b, out, &dn) != 0 || dn < 16)
      return Status(env, ESN_CRYPTO_EENVELOPE);
    esn_crypto_status s = esn_gcm_open(gcm_, iv, nullptr, 0, out, dn, out);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    size_t m = dn - 16;
    if (!text) return Napi::Number::New(env, double(m));
    uint8_t any = 0;
    for (size_t i = 0; i < m; i++) any |= out[i];
    if (any < 0x80) return Napi::Value(env, Latin1(env, out, m));
    return Napi::String::New(env, reinterpret_cast<const char *>(out), m);
  }
  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    esn_gcm_free(gcm_);
    gcm_ = nullptr;
    if (!scratch_.empty()) esn_wipe(scratch_.data(), scratch_.size());
    if (!text_.empty()) esn_wipe(text_.data(), text_.size());
    if (!out_.empty()) esn_wipe(out_.data(), out_.size());
    return info.Env().Undefined();
  }
  esn_gcm *gcm_ = nullptr;
  std::vector<uint8_t> scratch_;  // ciphertext before base64
  std::vector<uint8_t> text_;     // UTF-8 of string arguments
  std::vector<uint8_t> out_;      // results of the string forms
};

// ---- EnvelopeCipher -----------------------------------------------------
// state (Float64Array(4), shared with JS): [0] nonce counter, [1] aux
// (bytes needed / lines done / input consumed), [2] seq of the last opened
// envelope, [3] its nonce counter.
class EnvelopeCipher : public Napi::ObjectWrap<EnvelopeCipher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "EnvelopeCipher",
                       {InstanceMethod("seal", &EnvelopeCipher::Seal),
                        InstanceMethod("sealBatch", &EnvelopeCipher::SealBatch),
                        InstanceMethod("sealArray", &EnvelopeCipher::SealArray),
                        InstanceMethod("open", &EnvelopeCipher::Open),
                        InstanceMethod("openBatch", &EnvelopeCipher::OpenBatch),
                        InstanceMethod("prefix", &EnvelopeCipher::Prefix),
                        InstanceMethod("dispose", &EnvelopeCipher::Dispose)});
  }
  // (key32, sidUtf8, kidUtf8, prefix8|null, counter, maxNonces, state Float64Array(4))
  explicit EnvelopeCipher(const Napi::CallbackInfo &info) : Napi::ObjectWrap<EnvelopeCipher>(info) {
    Napi::Env env = info.Env();
    uint8_t *key, *sid, *kid, *prefix = nullptr;
    size_t kn, sn, dn, pn = 0;
    double counter, max;
    if (!BufArg(info, 0, &key, &kn, "key") || !BufArg(info, 1, &sid, &sn, "session id") ||
        !BufArg(info, 2, &kid, &dn, "kid"))
      return;
    if (!info[3].IsNull() && !info[3].IsUndefined() && !BufArg(info, 3, &prefix, &pn, "nonce prefix")) return;
    if (!NumArg(info, 4, &counter, "counter") || !NumArg(info, 5, &max, "maxNonces")) return;
    if (info.Length() < 7 || !info[6].IsTypedArray() ||
        info[6].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[6].As<Napi::TypedArray>().ElementLength() < 4) {
      Napi::TypeError::New(env, "state must be a Float64Array(4)").ThrowAsJavaScriptException();
      return;
    }
    state_ref_ = Napi::Persistent(info[6].As<Napi::Object>());
    Napi::Float64Array st = info[6].As<Napi::Float64Array>();
    state_ = st.Data();
    if (prefix && pn != 8) {
      Throw(env, ESN_CRYPTO_ENONCE);
      return;
    }
    if (kn != 32) {
      Throw(env, ESN_CRYPTO_EALG);
      return;
    }
    if (!(counter >= 0) || !(max >= 0)) {
      Napi::RangeError::New(env, "counter and maxNonces must be >= 0").ThrowAsJavaScriptException();
      return;
    }
    esn_crypto_status s = esn_envelope_new(key, sid, sn, kid, dn, prefix, uint64_t(counter),
                                           max > 4294967296.0 ? (uint64_t(1) << 32) : uint64_t(max), &env_);
    if (s != ESN_CRYPTO_OK) {
      Throw(env, s);
      return;
    }
    state_[0] = counter;
    for (size_t i = 0; i < sn; i++) ascii_ = ascii_ && sid[i] < 0x80;
    for (size_t i = 0; i < dn; i++) ascii_ = ascii_ && kid[i] < 0x80;
  }
  ~EnvelopeCipher() override {
    esn_envelope_free(env_);
    if (!text_.empty()) esn_wipe(text_.data(), text_.size());
    if (!line_.empty()) esn_wipe(line_.data(), line_.size());
  }

 private:
  static void Throw(Napi::Env env, esn_crypto_status s) {
    Napi::Error e = Napi::Error::New(env, esn_crypto_message(s));
    e.Set("code", Napi::String::New(env, esn_crypto_code(s)));
    e.ThrowAsJavaScriptException();
  }
  bool Live(Napi::Env env) {
    if (env_) return true;
    Napi::Error::New(env, "EnvelopeCipher was disposed").ThrowAsJavaScriptException();
    return false;
  }
  // seal(text, seq, nonce12?) -> the line as a string | -status (the UTF-8
  // of a string sealed without a Buffer round trip).
  Napi::Value SealString(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uint8_t *nonce = nullptr;
    size_t n = 0, nl;
    double seq;
    if (!StrArg(info, 0, text_, 0, &n)) {
      Napi::TypeError::New(env, "text must be a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (!NumArg(info, 1, &seq, "seq")) return env.Undefined();
    if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) {
      if (!BufArg(info, 2, &nonce, &nl, "nonce")) return env.Undefined();
      if (nl != 12) return Status(env, ESN_CRYPTO_EDECRYPT);
    }
    if (!(seq >= 0 && seq <= 9007199254740991.0) || seq != double(uint64_t(seq)))
      return Status(env, ESN_CRYPTO_EENVELOPE);
    size_t need = esn_envelope_seal_bound(env_, n);
    if (line_.size() < need) line_.resize(need);
    size_t w = 0;
    esn_crypto_status s = esn_envelope_seal(env_, uint64_t(seq), nonce, text_.data(), n, line_.data(), need, &w);
    state_[0] = double(esn_envelope_counter(env_));
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    napi_value v = nullptr;
    if (ascii_)
      napi_create_string_latin1(env, reinterpret_cast<const char *>(line_.data()), w, &v);
    else
      napi_create_string_utf8(env, reinterpret_cast<const char *>(line_.data()), w, &v);
    return Napi::Value(env, v);
  }
  // seal(src, off, len, seq, out, outOff, nonce12?) -> bytes written | -status
  Napi::Value Seal(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    if (info.Length() <= 3) return SealString(info);
    uint8_t *src, *out, *nonce = nullptr;
    size_t sl, off, len, ol, nl;
    double seq, ooff;
    if (!BufArg(info, 0, &src, &sl, "data") || !RangeArg(info, 1, sl, &off, &len) ||
        !NumArg(info, 3, &seq, "seq") || !BufArg(info, 4, &out, &ol, "output") ||
        !NumArg(info, 5, &ooff, "output offset"))
      return env.Undefined();
    if (info.Length() > 6 && !info[6].IsUndefined() && !info[6].IsNull()) {
      if (!BufArg(info, 6, &nonce, &nl, "nonce")) return env.Undefined();
      if (nl != 12) return Status(env, ESN_CRYPTO_EDECRYPT);
    }
    if (!(seq >= 0 && seq <= 9007199254740991.0) || seq != double(uint64_t(seq)))
      return Status(env, ESN_CRYPTO_EENVELOPE);
    if (!(ooff >= 0) || ooff > double(ol)) return Status(env, ESN_CRYPTO_ESPACE);
    size_t need = esn_envelope_seal_bound(env_, len);
    if (ol - size_t(ooff) < need) {
      state_[1] = double(need + size_t(ooff));
      return Status(env, ESN_CRYPTO_ESPACE);
    }
    size_t w = 0;
    esn_crypto_status s =
        esn_envelope_seal(env_, uint64_t(seq), nonce, src + off, len, out + size_t(ooff), ol - size_t(ooff), &w);
    state_[0] = double(esn_envelope_counter(env_));
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    return Napi::Number::New(env, double(w));
  }
  // sealBatch(src, lens Uint32Array, seqs Float64Array, count, out) -> bytes | -status
  // state[1] = messages sealed (on failure: those before the failing one).
  Napi::Value SealBatch(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint8_t *src, *out;
    size_t sl, ol;
    double count;
    if (!BufArg(info, 0, &src, &sl, "data")) return env.Undefined();
    if (info.Length() < 5 || !info[1].IsTypedArray() || !info[2].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(env, "expected (data, Uint32Array lengths, Float64Array seqs, count, output)")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint32Array lens = info[1].As<Napi::Uint32Array>();
    Napi::Float64Array seqs = info[2].As<Napi::Float64Array>();
    if (!NumArg(info, 3, &count, "count") || !BufArg(info, 4, &out, &ol, "output")) return env.Undefined();
    if (!(count >= 0) || count > double(lens.ElementLength()) || count > double(seqs.ElementLength())) {
      Napi::RangeError::New(env, "count exceeds the lengths/seqs arrays").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    size_t n = size_t(count), total = 0, need = 0;
    for (size_t i = 0; i < n; i++) {
      total += lens[i];
      need += esn_envelope_seal_bound(env_, lens[i]) + 1;
    }
    if (total > sl) {
      Napi::RangeError::New(env, "lengths exceed the data").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    state_[1] = 0;
    if (ol < need) {
      state_[1] = double(need);
      return Status(env, ESN_CRYPTO_ESPACE);
    }
    uint32_t *ends = EndsArg(info, 5, n);
    if (env.IsExceptionPending()) return env.Undefined();
    size_t w = 0, done = 0;
    esn_crypto_status s =
        esn_envelope_seal_batch(env_, src, nullptr, lens.Data(), seqs.Data(), n, out, ol, &w, &done, ends);
    state_[0] = double(esn_envelope_counter(env_));
    state_[1] = double(done);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    return Napi::Number::New(env, double(w));
  }
  // Optional Uint32Array(>= n) for the line end offsets at info[i].
  uint32_t *EndsArg(const Napi::CallbackInfo &info, size_t i, size_t n) {
    if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return nullptr;
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        info[i].As<Napi::TypedArray>().ElementLength() < n) {
      Napi::TypeError::New(info.Env(), "ends must be a Uint32Array of at least count elements")
          .ThrowAsJavaScriptException();
      return nullptr;
    }
    return info[i].As<Napi::Uint32Array>().Data();
  }
  // sealArray(src, len, seqs Float64Array, count, out, ends Uint32Array|null) -> bytes | -status
  // src[0, len) is JSON.stringify(arrayOfCountEvents): element i is sealed
  // with seqs[i]. -ESN_CRYPTO_EENVELOPE when the text is not such an array
  // of exactly count elements. ESPACE: state[1] = bytes needed.
  Napi::Value SealArray(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint8_t *src, *out;
    size_t sl, ol;
    double len, count;
    if (!BufArg(info, 0, &src, &sl, "data") || !NumArg(info, 1, &len, "length")) return env.Undefined();
    if (info.Length() < 5 || !info[2].IsTypedArray() ||
        info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(env, "expected (data, length, Float64Array seqs, count, output)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Float64Array seqs = info[2].As<Napi::Float64Array>();
    if (!NumArg(info, 3, &count, "count") || !BufArg(info, 4, &out, &ol, "output")) return env.Undefined();
    if (!(len >= 0) || len > double(sl) || !(count >= 0) || count > double(seqs.ElementLength())) {
      Napi::RangeError::New(env, "length/count out of bounds").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    size_t n = size_t(count), total = size_t(len);
    uint32_t *ends = EndsArg(info, 5, n);
    if (env.IsExceptionPending()) return env.Undefined();
    size_t per = esn_envelope_seal_bound(env_, 0) + 1 + 32;  // fixed part, newline, tag and rounding
    size_t need = n * per + total / 3 * 4 + 8;
    state_[1] = 0;
    if (ol < need) {
      state_[1] = double(need);
      return Status(env, ESN_CRYPTO_ESPACE);
    }
    starts_.resize(n + 1);
    lens_.resize(n + 1);
    size_t k = esn_json_array_split(src, total, starts_.data(), lens_.data(), n);
    if (k != n) return Status(env, ESN_CRYPTO_EENVELOPE);
    size_t w = 0, done = 0;
    esn_crypto_status s = esn_envelope_seal_batch(env_, src, starts_.data(), lens_.data(), seqs.Data(), n,
                                                  out, ol, &w, &done, ends);
    state_[0] = double(esn_envelope_counter(env_));
    state_[1] = double(done);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    return Napi::Number::New(env, double(w));
  }
  // Input needs ESN_JSON_PADDING readable bytes after it: use the caller's
  // buffer when it has them, else a padded copy.
  const uint8_t *Padded(uint8_t *buf, size_t total, size_t off, size_t len) {
    if (total - off - len >= ESN_JSON_PADDING) return buf + off;
    pad_.resize(len + ESN_JSON_PADDING);
    memcpy(pad_.data(), buf + off, len);
    memset(pad_.data() + len, 0, ESN_JSON_PADDING);
    return pad_.data();
  }
  // open(line) -> the inner JSON text as a string | -status (string form)
  Napi::Value OpenString(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    size_t len = 0;
    if (!StrArg(info, 0, text_, 0, &len)) {
      Napi::TypeError::New(env, "line must be a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (text_.size() < len + ESN_JSON_PADDING) text_.resize(len + ESN_JSON_PADDING);
    memset(text_.data() + len, 0, ESN_JSON_PADDING);
    size_t need = esn_envelope_open_bound(len);
    if (line_.size() < need) line_.resize(need);
    size_t n = 0;
    double seq = -1;
    uint32_t ctr = 0;
    esn_crypto_status s =
        esn_envelope_open(env_, Data(env)->parser, text_.data(), len, line_.data(), line_.size(), &n, &seq, &ctr);
    state_[2] = seq;
    state_[3] = double(ctr);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++) any |= line_[i];
    napi_value v = nullptr;
    if (any < 0x80)
      napi_create_string_latin1(env, reinterpret_cast<const char *>(line_.data()), n, &v);
    else
      napi_create_string_utf8(env, reinterpret_cast<const char *>(line_.data()), n, &v);
    return Napi::Value(env, v);
  }
  // open(buf, off, len, out) -> plaintext bytes | -status; state[2] seq, state[3] counter
  Napi::Value Open(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    if (info.Length() == 1) return OpenString(info);
    uint8_t *buf, *out;
    size_t bl, off, len, ol;
    if (!BufArg(info, 0, &buf, &bl, "line") || !RangeArg(info, 1, bl, &off, &len) ||
        !BufArg(info, 3, &out, &ol, "output"))
      return env.Undefined();
    size_t need = esn_envelope_open_bound(len);
    if (ol < need) {
      state_[1] = double(need);
      return Status(env, ESN_CRYPTO_ESPACE);
    }
    const uint8_t *line = Padded(buf, bl, off, len);
    size_t n = 0;
    double seq = -1;
    uint32_t ctr = 0;
    esn_crypto_status s = esn_envelope_open(env_, Data(env)->parser, line, len, out, ol, &n, &seq, &ctr);
    state_[2] = seq;
    state_[3] = double(ctr);
    if (s != ESN_CRYPTO_OK) return Status(env, s);
    return Napi::Number::New(env, double(n));
  }
  // openBatch(buf, off, len, out, results Float64Array(5*k)) -> lines; state[1] = bytes consumed.
  // results per line: seq, offset, length, status, counter.
  Napi::Value OpenBatch(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Live(env)) return env.Undefined();
    uint8_t *buf, *out;
    size_t bl, off, len, ol;
    if (!BufArg(info, 0, &buf, &bl, "data") || !RangeArg(info, 1, bl, &off, &len) ||
        !BufArg(info, 3, &out, &ol, "output"))
      return env.Undefined();
    if (info.Length() < 5 || !info[4].IsTypedArray() ||
        info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      Napi::TypeError::New(env, "results must be a Float64Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Float64Array rs = info[4].As<Napi::Float64Array>();
    size_t cap = rs.ElementLength() / 5;
    const uint8_t *data = Padded(buf, bl, off, len);
    res_.resize(cap ? cap : 1);
    size_t consumed = 0;
    size_t k = esn_envelope_open_batch(env_, Data(env)->parser, data, len, out, ol, res_.data(), cap, &consumed);
    double *r = rs.Data();
    for (size_t i = 0; i < k; i++) {
      r[5 * i] = res_[i].seq;
      r[5 * i + 1] = res_[i].offset;
      r[5 * i + 2] = res_[i].length;
      r[5 * i + 3] = -double(res_[i].status);
      r[5 * i + 4] = res_[i].counter;
    }
    state_[1] = double(consumed);
    return Napi::Number::New(env, double(k));
  }
  Napi::Value Prefix(const Napi::CallbackInfo &info) {
    if (!Live(info.Env())) return info.Env().Undefined();
    uint8_t p[8];
    esn_envelope_prefix(env_, p);
    return Copy(info.Env(), p, 8);
  }
  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    esn_envelope_free(env_);
    env_ = nullptr;
    if (!text_.empty()) esn_wipe(text_.data(), text_.size());
    if (!line_.empty()) esn_wipe(line_.data(), line_.size());
    return info.Env().Undefined();
  }
  esn_envelope *env_ = nullptr;
  Napi::ObjectReference state_ref_;
  double *state_ = nullptr;
  std::vector<uint8_t> pad_;
  std::vector<uint8_t> text_, line_;  // the string form of seal
  bool ascii_ = true;                 // session id and kid are ASCII (lines are Latin-1 strings)
  std::vector<esn_open_result> res_;
  std::vector<uint32_t> starts_, lens_;
};

// hkdf(ikm, salt|null, info, length) -> Buffer | -status
Napi::Value Hkdf(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint8_t *ikm, *salt = nullptr, *inf;
  size_t in, sn = 0, fn;
  double len;
  if (!BufArg(info, 0, &ikm, &in, "secret")) return env.Undefined();
  if (!info[1].IsNull() && !info[1].IsUndefined() && !BufArg(info, 1, &salt, &sn, "salt")) return env.Undefined();
  if (!BufArg(info, 2, &inf, &fn, "info") || !NumArg(info, 3, &len, "length")) return env.Undefined();
  if (!(len >= 1 && len <= 255 * 32) || len != double(size_t(len))) return Status(env, ESN_CRYPTO_EKDF);
  std::vector<uint8_t> out(static_cast<size_t>(len));
  esn_crypto_status s = esn_hkdf_sha256_ex(static_cast<const esn_crypto_ctx *>(info.Data()), ikm, in, salt, sn,
                                           inf, fn, out.data(), out.size());
  if (s != ESN_CRYPTO_OK) return Status(env, s);
  Napi::Value v = Copy(env, out.data(), out.size());
  esn_wipe(out.data(), out.size());
  return v;
}

// sessionKeys(secret32, sid|null) -> Buffer(64) | -status
Napi::Value SessionKeys(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  uint8_t *sec, *sid = nullptr;
  size_t sn, idn = 0;
  if (!BufArg(info, 0, &sec, &sn, "secret")) return env.Undefined();
  if (!info[1].IsNull() && !info[1].IsUndefined() && !BufArg(info, 1, &sid, &idn, "session id")) return env.Undefined();
  if (sn != 32) return Status(env, ESN_CRYPTO_EKDF);
  uint8_t keys[64];
  esn_crypto_status s =
      esn_session_keys_ex(static_cast<const esn_crypto_ctx *>(info.Data()), sec, sid, idn, keys, keys + 32);
  if (s != ESN_CRYPTO_OK) return Status(env, s);
  Napi::Value v = Copy(env, keys, 64);
  esn_wipe(keys, 64);
  return v;
}

}  // namespace

void InitCrypto(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
  // Fetched algorithms for this instance, freed when its environment goes
  // away (a null context only makes key exchange slower).
  esn_crypto_ctx *cx = nullptr;
  if (esn_crypto_ctx_new(&cx) == ESN_CRYPTO_OK &&
      napi_add_env_cleanup_hook(env, [](void *p) { esn_crypto_ctx_free(static_cast<esn_crypto_ctx *>(p)); }, cx) !=
          napi_ok) {
    esn_crypto_ctx_free(cx);
    cx = nullptr;
  }
  c.Set("EcKey", EcKey::Define(env, cx));
  c.Set("Gcm", Gcm::Define(env));
  c.Set("EnvelopeCipher", EnvelopeCipher::Define(env));
  c.Set("hkdf", Napi::Function::New(env, Hkdf, "hkdf", cx));
  c.Set("sessionKeys", Napi::Function::New(env, SessionKeys, "sessionKeys", cx));
  Napi::Array codes = Napi::Array::New(env);
  for (int i = 0; i < ESN_CRYPTO_STATUS_COUNT; i++)
    codes.Set(uint32_t(i), Napi::String::New(env, esn_crypto_code(esn_crypto_status(i))));
  c.Set("codes", codes);
  Napi::Array msgs = Napi::Array::New(env);
  for (int i = 0; i < ESN_CRYPTO_STATUS_COUNT; i++)
    msgs.Set(uint32_t(i), Napi::String::New(env, esn_crypto_message(esn_crypto_status(i))));
  c.Set("messages", msgs);
  exports.Set("crypto", c);
}

}  // namespace esn
