/* P-256 keys and ECDH, HKDF-SHA256, randomness and status strings, over
 * OpenSSL 3 EVP interfaces. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

struct esn_ec_key {
  EVP_PKEY *pkey;
  int has_private;
};

const char *esn_crypto_code(esn_crypto_status s) {
  switch (s) {
#define XX(status, code, message) \
  case status:                    \
    return code;
    ESN_CRYPTO_STATUS_MAP(XX)
#undef XX
  }
  return "ENCRYPTION_HANDSHAKE_FAILED";
}

const char *esn_crypto_message(esn_crypto_status s) {
  switch (s) {
#define XX(status, code, message) \
  case status:                    \
    return message;
    ESN_CRYPTO_STATUS_MAP(XX)
#undef XX
  }
  return "unknown error";
}

esn_crypto_status esn_fail(esn_crypto_status s) {
  ERR_clear_error();
  return s;
}

void esn_wipe(void *p, size_t n) {
  if (p && n) OPENSSL_cleanse(p, n);
}

esn_crypto_status esn_random(uint8_t *out, size_t n) {
  if (n == 0) return ESN_CRYPTO_OK;
  return RAND_bytes(out, (int)n) == 1 ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_ENOMEM);
}

static esn_ec_key *wrap(EVP_PKEY *pkey, int has_private) {
  esn_ec_key *k = OPENSSL_zalloc(sizeof *k);
  if (k == NULL) {
    EVP_PKEY_free(pkey);
    return NULL;
  }
  k->pkey = pkey;
  k->has_private = has_private;
  return k;
}

/* ---- fetched algorithms, kept for the life of an addon instance ---------- */
struct esn_crypto_ctx {
  EVP_PKEY *p256; /* P-256 domain parameters (no key): template for new keys */
  EVP_KDF *hkdf;
  EVP_MAC *hmac;
  EVP_MAC_CTX *hmac_sha256; /* digest set once; dup'd per HMAC (no digest fetch per call) */
};

esn_crypto_status esn_crypto_ctx_new(esn_crypto_ctx **out) {
  *out = NULL;
  esn_crypto_ctx *c = OPENSSL_zalloc(sizeof *c);
  if (c == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
  int ok = pc != NULL && EVP_PKEY_paramgen_init(pc) > 0 &&
           EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc, NID_X9_62_prime256v1) > 0 &&
           EVP_PKEY_paramgen(pc, &c->p256) > 0;
  EVP_PKEY_CTX_free(pc);
  c->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (c->hmac != NULL) c->hmac_sha256 = EVP_MAC_CTX_new(c->hmac);
  if (c->hmac_sha256 != NULL) {
    OSSL_PARAM dp[2];
    dp[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    dp[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(c->hmac_sha256, dp) <= 0) ok = 0;
  }
  if (!ok || c->hkdf == NULL || c->hmac_sha256 == NULL) {
    esn_crypto_ctx_free(c);
    return esn_fail(ESN_CRYPTO_ENOMEM);
  }
  *out = c;
  return ESN_CRYPTO_OK;
}

void esn_crypto_ctx_free(esn_crypto_ctx *c) {
  if (c == NULL) return;
  EVP_PKEY_free(c->p256);
  EVP_KDF_free(c->hkdf);
  EVP_MAC_CTX_free(c->hmac_sha256);
  EVP_MAC_free(c->hmac);
  OPENSSL_free(c);
}

esn_crypto_status esn_ec_generate(esn_ec_key **out) { return esn_ec_generate_ex(NULL, out); }

esn_crypto_status esn_ec_generate_ex(const esn_crypto_ctx *cx, esn_ec_key **out) {
  *out = NULL;
  if (cx) {
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, cx->p256, NULL);
    int ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_keygen(ctx, &pkey) > 0;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
      EVP_PKEY_free(pkey);
      return esn_fail(ESN_CRYPTO_EHANDSHAKE);
    }
    *out = wrap(pkey, 1);
    return *out ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_ENOMEM);
  }
  EVP_PKEY *pkey = NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
  if (ctx == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  int ok = EVP_PKEY_keygen_init(ctx) > 0 &&
           EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) > 0 &&
           EVP_PKEY_keygen(ctx, &pkey) > 0;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    EVP_PKEY_free(pkey);
    return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  }
  *out = wrap(pkey, 1);
  return *out ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_ENOMEM);
}

esn_crypto_status esn_ec_from_private(const uint8_t *priv, size_t len, esn_ec_key **out) {
  *out = NULL;
  if (len != 32) return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  /* The scalar must be in [1, n - 1]. */
  static const uint8_t order[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  uint8_t any = 0;
  for (int i = 0; i < 32; i++) any |= priv[i];
  if (any == 0 || memcmp(priv, order, 32) >= 0) return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  /* SEC1 ECPrivateKey without the public key: OpenSSL computes the point. */
  static const uint8_t head[7] = {0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20};
  static const uint8_t tail[12] = {0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                   0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  uint8_t der[51];
  memcpy(der, head, 7);
  memcpy(der + 7, priv, 32);
  memcpy(der + 39, tail, 12);
  const unsigned char *p = der;
  EVP_PKEY *pkey = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)sizeof der);
  esn_wipe(der, sizeof der);
  if (pkey == NULL) return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  *out = wrap(pkey, 1);
  return *out ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_ENOMEM);
}

esn_crypto_status esn_ec_from_public(const uint8_t *pub, size_t len, esn_ec_key **out) {
  return esn_ec_from_public_ex(NULL, pub, len, out);
}

esn_crypto_status esn_ec_from_public_ex(const esn_crypto_ctx *cx, const uint8_t *pub, size_t len,
                                        esn_ec_key **out) {
  *out = NULL;
  if (len != 65 || pub[0] != 0x04) return esn_fail(ESN_CRYPTO_EPUBKEY);
  if (cx) {
    /* Decoding the point checks that both coordinates are below p and that
     * it lies on the curve; the uncompressed form cannot be the point at
     * infinity. */
    EVP_PKEY *pkey = EVP_PKEY_new();
    if (pkey == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
    if (EVP_PKEY_copy_parameters(pkey, cx->p256) <= 0 ||
        EVP_PKEY_set1_encoded_public_key(pkey, pub, len) <= 0) {
      EVP_PKEY_free(pkey);
      return esn_fail(ESN_CRYPTO_EPUBKEY);
    }
    *out = wrap(pkey, 0);
    return *out ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_ENOMEM);
  }
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
  if (ctx == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  OSSL_PARAM params[3];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, len);
  params[2] = OSSL_PARAM_construct_end();
  EVP_PKEY *pkey = NULL;
  int ok = EVP_PKEY_fromdata_init(ctx) > 0 &&
           EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    EVP_PKEY_free(pkey);
    return esn_fail(ESN_CRYPTO_EPUBKEY);
  }
  /* Import decodes the point (on the curve); also refuse the point at
   * infinity and anything else the quick public check catches. */
  EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new(pkey, NULL);
  ok = chk != NULL && EVP_PKEY_public_check_quick(chk) > 0;
  EVP_PKEY_CTX_free(chk);
  if (!ok) {
    EVP_PKEY_free(pkey);
    return esn_fail(ESN_CRYPTO_EPUBKEY);
  }
  *out = wrap(pkey, 0);
  return *out ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_ENOMEM);
}

void esn_ec_free(esn_ec_key *k) {
  if (k == NULL) return;
  EVP_PKEY_free(k->pkey); /* OpenSSL clears the private scalar */
  OPENSSL_free(k);
}

esn_crypto_status esn_ec_public(const esn_ec_key *k, uint8_t out[65]) {
  size_t n = 0;
  if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, out, 65, &n) <= 0 || n != 65)
    return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  return ESN_CRYPTO_OK;
}

esn_crypto_status esn_ec_private(const esn_ec_key *k, uint8_t out[32]) {
  if (!k->has_private) return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  BIGNUM *bn = NULL;
  if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) <= 0) return esn_fail(ESN_CRYPTO_EHANDSHAKE);
  int ok = BN_bn2binpad(bn, out, 32) == 32;
  BN_clear_free(bn);
  return ok ? ESN_CRYPTO_OK : esn_fail(ESN_CRYPTO_EHANDSHAKE);
}

esn_crypto_status esn_ec_derive(const esn_ec_key *priv, const esn_ec_key *peer, uint8_t out[32]) {
  if (!priv->has_private) return esn_fail(ESN_CRYPTO_EKDF);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv->pkey, NULL);
  if (ctx == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  size_t n = 32;
  /* The peer was checked on import (esn_ec_from_public). */
  int ok = EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer_ex(ctx, peer->pkey, 0) > 0 &&
           EVP_PKEY_derive(ctx, out, &n) > 0 && n == 32;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    esn_wipe(out, 32);
    return esn_fail(ESN_CRYPTO_EKDF);
  }
  return ESN_CRYPTO_OK;
}

esn_crypto_status esn_ec_derive_raw(const esn_ec_key *priv, const uint8_t *pub, size_t len,
                                    uint8_t out[32]) {
  return esn_ec_derive_raw_ex(NULL, priv, pub, len, out);
}

esn_crypto_status esn_ec_derive_raw_ex(const esn_crypto_ctx *cx, const esn_ec_key *priv,
                                       const uint8_t *pub, size_t len, uint8_t out[32]) {
  esn_ec_key *peer = NULL;
  esn_crypto_status s = esn_ec_from_public_ex(cx, pub, len, &peer);
  if (s != ESN_CRYPTO_OK) return s;
  s = esn_ec_derive(priv, peer, out);
  esn_ec_free(peer);
  return s;
}

/* HMAC-SHA256 over up to three parts, from the context's template. */
static int hmac3(const esn_crypto_ctx *cx, const uint8_t *key, size_t key_len, const uint8_t *a,
                 size_t a_len, const uint8_t *b, size_t b_len, const uint8_t *c, size_t c_len,
                 uint8_t out[32]) {
  EVP_MAC_CTX *m = EVP_MAC_CTX_dup(cx->hmac_sha256);
  if (m == NULL) return 0;
  size_t n = 0;
  int ok = EVP_MAC_init(m, key, key_len, NULL) > 0 && (a_len == 0 || EVP_MAC_update(m, a, a_len) > 0) &&
           (b_len == 0 || EVP_MAC_update(m, b, b_len) > 0) &&
           (c_len == 0 || EVP_MAC_update(m, c, c_len) > 0) && EVP_MAC_final(m, out, &n, 32) > 0 &&
           n == 32;
  EVP_MAC_CTX_free(m);
  return ok;
}

/* RFC 5869 expand from a 32-byte PRK. */
static int hkdf_expand(const esn_crypto_ctx *cx, const uint8_t prk[32], const uint8_t *info,
                       size_t info_len, uint8_t *out, size_t out_len) {
  uint8_t t[32];
  size_t done = 0, t_len = 0;
  int ok = 1;
  for (uint8_t i = 1; ok && done < out_len; i++) {
    ok = hmac3(cx, prk, 32, t, t_len, info, info_len, &i, 1, t);
    t_len = 32;
    size_t k = out_len - done < 32 ? out_len - done : 32;
    if (ok) memcpy(out + done, t, k);
    done += k;
  }
  esn_wipe(t, sizeof t);
  return ok;
}

esn_crypto_status esn_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                                  size_t salt_len, const uint8_t *info, size_t info_len,
                                  uint8_t *out, size_t out_len) {
  return esn_hkdf_sha256_ex(NULL, ikm, ikm_len, salt, salt_len, info, info_len, out, out_len);
}

esn_crypto_status esn_hkdf_sha256_ex(const esn_crypto_ctx *cx, const uint8_t *ikm, size_t ikm_len,
                                     const uint8_t *salt, size_t salt_len, const uint8_t *info,
                                     size_t info_len, uint8_t *out, size_t out_len) {
  static const uint8_t zero_salt[32] = {0};
  if (salt == NULL) {
    salt = zero_salt;
    salt_len = 32;
  }
  if (out_len == 0 || out_len > 255 * 32) return esn_fail(ESN_CRYPTO_EKDF);
  if (cx) {
    /* An empty salt is the same as HashLen zero bytes (RFC 5869 2.2). */
    uint8_t prk[32];
    int ok = hmac3(cx, salt_len ? salt : zero_salt, salt_len ? salt_len : 32, ikm, ikm_len, NULL, 0,
                   NULL, 0, prk) &&
             hkdf_expand(cx, prk, info, info_len, out, out_len);
    esn_wipe(prk, sizeof prk);
    if (!ok) {
      esn_wipe(out, out_len);
      return esn_fail(ESN_CRYPTO_EKDF);
    }
    return ESN_CRYPTO_OK;
  }
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
  if (ctx == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  size_t n = out_len;
  /* An empty salt is the same as HashLen zero bytes (RFC 5869 2.2). */
  int ok = EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
           (salt_len == 0 || EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, (int)salt_len) > 0) &&
           EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm_len ? ikm : zero_salt, (int)ikm_len) > 0 &&
           (info_len == 0 || EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)info_len) > 0) &&
           EVP_PKEY_derive(ctx, out, &n) > 0 && n == out_len;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    esn_wipe(out, out_len);
    return esn_fail(ESN_CRYPTO_EKDF);
  }
  return ESN_CRYPTO_OK;
}

esn_crypto_status esn_session_keys(const uint8_t secret[32], const uint8_t *sid, size_t sid_len,
                                   uint8_t c2s[32], uint8_t s2c[32]) {
  return esn_session_keys_ex(NULL, secret, sid, sid_len, c2s, s2c);
}

esn_crypto_status esn_session_keys_ex(const esn_crypto_ctx *cx, const uint8_t secret[32],
                                      const uint8_t *sid, size_t sid_len, uint8_t c2s[32],
                                      uint8_t s2c[32]) {
  if (cx) {
    /* One extract (same secret and salt), two expands. */
    static const uint8_t zero_salt[32] = {0};
    uint8_t prk[32];
    int ok = hmac3(cx, sid_len ? sid : zero_salt, sid_len ? sid_len : 32, secret, 32, NULL, 0,
                   NULL, 0, prk) &&
             hkdf_expand(cx, prk, (const uint8_t *)"enclavejs-c2s-enc", 17, c2s, 32) &&
             hkdf_expand(cx, prk, (const uint8_t *)"enclavejs-s2c-enc", 17, s2c, 32);
    esn_wipe(prk, sizeof prk);
    if (!ok) {
      esn_wipe(c2s, 32);
      esn_wipe(s2c, 32);
      return esn_fail(ESN_CRYPTO_EKDF);
    }
    return ESN_CRYPTO_OK;
  }
  esn_crypto_status s = esn_hkdf_sha256(secret, 32, sid, sid_len,
                                        (const uint8_t *)"enclavejs-c2s-enc", 17, c2s, 32);
  if (s != ESN_CRYPTO_OK) return s;
  s = esn_hkdf_sha256(secret, 32, sid, sid_len, (const uint8_t *)"enclavejs-s2c-enc", 17, s2c, 32);
  if (s != ESN_CRYPTO_OK) esn_wipe(c2s, 32);
  return s;
}
