/*
 * esn_crypto: the encryption core of docs/PROTOCOL.md section 3.
 *
 *   ECDH P-256 (raw uncompressed public points, 32-byte X shared secret),
 *   HKDF-SHA256, AES-256-GCM (12-byte nonce, 16-byte tag appended), strict
 *   standard base64, and the envelope line
 *   {"protocolVersion":2,"sessionId":…,"seq":N,"type":"enc","payload":{"kid":…,"nonceB64":…,"ciphertextB64":…}}
 *
 * OpenSSL EVP interfaces only. In the addon the symbols come from the Node
 * binary; the C test program links the system libcrypto. No Node headers.
 * Every function returns an esn_crypto_status; each maps to one of the
 * reference's EncryptionErrorCode values (esn_crypto_code).
 */
#ifndef ESN_CRYPTO_H
#define ESN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "contracts/contracts_gen.h"
#include "json/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* esn_crypto_status (ESN_CRYPTO_OK, ESN_CRYPTO_EHANDSHAKE, ...) and its map to
 * the reference's codes and the messages, ESN_CRYPTO_STATUS_MAP, are generated:
 * contracts/contracts_gen.h, from contracts/codes.js. */

/* The reference's error code string for a status ("" for OK). */
const char *esn_crypto_code(esn_crypto_status s);
/* A short human-readable message for a status. */
const char *esn_crypto_message(esn_crypto_status s);

/* ---- base64 (standard alphabet, '=' padding) ---------------------------- */
size_t esn_b64_encoded_len(size_t n);
/* Writes esn_b64_encoded_len(n) bytes; returns that length. */
size_t esn_b64_encode(const uint8_t *src, size_t n, char *dst);
/* Strict: length multiple of 4, only the alphabet, '=' only as final padding,
 * unused bits zero. Returns 0 and *out_len, or -1. dst needs n/4*3 bytes. */
int esn_b64_decode(const char *src, size_t n, uint8_t *dst, size_t *out_len);

/* ---- a context of fetched algorithms ---------------------------------------
 * OpenSSL 3 looks algorithms up (and builds the P-256 group) on every
 * EVP_PKEY_CTX_new_id; a context made once per addon instance skips that.
 * The *_ex functions take one (or NULL: the same results, slower). It holds
 * no secrets and is read-only after creation. */
typedef struct esn_crypto_ctx esn_crypto_ctx;
esn_crypto_status esn_crypto_ctx_new(esn_crypto_ctx **out);
void esn_crypto_ctx_free(esn_crypto_ctx *c);

/* ---- P-256 ECDH ---------------------------------------------------------- */
typedef struct esn_ec_key esn_ec_key; /* a key pair or a public key */

/* A fresh key pair. */
esn_crypto_status esn_ec_generate(esn_ec_key **out);
/* A key pair from a 32-byte private scalar (public point computed). */
esn_crypto_status esn_ec_from_private(const uint8_t *priv, size_t len, esn_ec_key **out);
/* A public key from a raw uncompressed point (65 bytes, 0x04||X||Y), checked
 * to lie on the curve: ESN_CRYPTO_EPUBKEY otherwise. */
esn_crypto_status esn_ec_from_public(const uint8_t *pub, size_t len, esn_ec_key **out);
/* Frees (the private scalar is wiped by OpenSSL). NULL is fine. */
void esn_ec_free(esn_ec_key *k);
/* The raw uncompressed public point (65 bytes). */
esn_crypto_status esn_ec_public(const esn_ec_key *k, uint8_t out[65]);
/* The private scalar (32 bytes, big-endian); EHANDSHAKE for a public key. */
esn_crypto_status esn_ec_private(const esn_ec_key *k, uint8_t out[32]);
/* ECDH: the 32-byte X coordinate of priv * peer. */
esn_crypto_status esn_ec_derive(const esn_ec_key *priv, const esn_ec_key *peer, uint8_t out[32]);
/* ECDH against a raw point (import + check + derive). */
esn_crypto_status esn_ec_derive_raw(const esn_ec_key *priv, const uint8_t *pub, size_t len,
                                    uint8_t out[32]);

esn_crypto_status esn_ec_generate_ex(const esn_crypto_ctx *cx, esn_ec_key **out);
esn_crypto_status esn_ec_from_public_ex(const esn_crypto_ctx *cx, const uint8_t *pub, size_t len,
                                        esn_ec_key **out);
esn_crypto_status esn_ec_derive_raw_ex(const esn_crypto_ctx *cx, const esn_ec_key *priv,
                                       const uint8_t *pub, size_t len, uint8_t out[32]);

/* ---- HKDF-SHA256 ---------------------------------------------------------- */
/* salt == NULL means 32 zero bytes (the reference's default). */
esn_crypto_status esn_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                                  size_t salt_len, const uint8_t *info, size_t info_len,
                                  uint8_t *out, size_t out_len);
/* Both session keys: salt = session id bytes (NULL: zero salt),
 * info enclavejs-c2s-enc / enclavejs-s2c-enc. */
esn_crypto_status esn_session_keys(const uint8_t secret[32], const uint8_t *sid, size_t sid_len,
                                   uint8_t c2s[32], uint8_t s2c[32]);

esn_crypto_status esn_hkdf_sha256_ex(const esn_crypto_ctx *cx, const uint8_t *ikm, size_t ikm_len,
                                     const uint8_t *salt, size_t salt_len, const uint8_t *info,
                                     size_t info_len, uint8_t *out, size_t out_len);
esn_crypto_status esn_session_keys_ex(const esn_crypto_ctx *cx, const uint8_t secret[32],
                                      const uint8_t *sid, size_t sid_len, uint8_t c2s[32],
                                      uint8_t s2c[32]);

/* ---- AES-256-GCM ---------------------------------------------------------- */
typedef struct esn_gcm esn_gcm; /* one key, one encrypt and one decrypt context */

esn_crypto_status esn_gcm_new(const uint8_t *key, size_t key_len, esn_gcm **out);
/* Wipes the key schedule and frees. NULL is fine. */
void esn_gcm_free(esn_gcm *g);
/* out receives n + 16 bytes (ciphertext || tag). nonce: 12 bytes. */
esn_crypto_status esn_gcm_seal(esn_gcm *g, const uint8_t nonce[12], const uint8_t *aad,
                               size_t aad_len, const uint8_t *src, size_t n, uint8_t *out);
/* src is ciphertext || tag (n >= 16); out receives n - 16 bytes. On an
 * authentication failure the output is wiped and EDECRYPT returned. */
esn_crypto_status esn_gcm_open(esn_gcm *g, const uint8_t nonce[12], const uint8_t *aad,
                               size_t aad_len, const uint8_t *src, size_t n, uint8_t *out);

/* ---- envelopes --------------------------------------------------------------
 * A sealing/opening context: key, session id, kid, 8-byte random nonce
 * prefix and a 32-bit big-endian counter (nonce = prefix || counter), which
 * refuses to seal once it reaches max_nonces. */
typedef struct esn_envelope esn_envelope;

/* sid/kid are UTF-8 (escaped here as JSON.stringify does). prefix may be
 * NULL (random). max_nonces is capped at 2^32 (the counter is 32-bit). */
esn_crypto_status esn_envelope_new(const uint8_t key[32], const uint8_t *sid, size_t sid_len,
                                   const uint8_t *kid, size_t kid_len, const uint8_t *prefix,
                                   uint64_t counter, uint64_t max_nonces, esn_envelope **out);
void esn_envelope_free(esn_envelope *e);
uint64_t esn_envelope_counter(const esn_envelope *e);
void esn_envelope_prefix(const esn_envelope *e, uint8_t out[8]);

/* Upper bound of a sealed line (without newline) for n plaintext bytes. */
size_t esn_envelope_seal_bound(const esn_envelope *e, size_t n);
/* Seals plaintext (the UTF-8 of the inner event's JSON) as the envelope line
 * for `seq` (0 .. 2^53-1) into out (cap bytes; no newline). nonce: NULL for
 * the next counter nonce, else exactly this nonce (the counter is not used:
 * for test vectors). *out_len receives the line length. */
esn_crypto_status esn_envelope_seal(esn_envelope *e, uint64_t seq, const uint8_t *nonce,
                                    const uint8_t *src, size_t n, uint8_t *out, size_t cap,
                                    size_t *out_len);
/* count messages: plaintext i is src[starts[i], starts[i] + lens[i]) (starts
 * NULL: back to back), with seqs[i]; writes the lines, each followed by
 * '\n', into out, and (ends not NULL) the end offset of line i (after its
 * '\n') into ends[i]. Returns the status of the first failure (lines before
 * it stand, *done says how many). */
esn_crypto_status esn_envelope_seal_batch(esn_envelope *e, const uint8_t *src,
                                          const uint32_t *starts, const uint32_t *lens,
                                          const double *seqs, size_t count, uint8_t *out,
                                          size_t cap, size_t *out_len, size_t *done,
                                          uint32_t *ends);

/* The elements of one or more JSON arrays back to back, as JSON.stringify
 * writes them ("[e1,e2,…][e3,…]", no whitespace): element i is
 * s[starts[i], starts[i] + lens[i]). Returns the count (at most max), or
 * (size_t)-1 for text of another shape (or more than max elements, or
 * n >= 2^32). Strings are skipped, escapes honoured. */
size_t esn_json_array_split(const uint8_t *s, size_t n, uint32_t *starts, uint32_t *lens,
                            size_t max);

/* Opens one envelope line (ESN_JSON_PADDING readable bytes after len): checks
 * it like EncryptedEnvelopeSchema (protocolVersion 1|2, sessionId "s_…",
 * seq non-negative safe integer, type "enc", payload kid/nonceB64/ciphertextB64
 * non-empty strings, tagB64 optional string), decodes, authenticates and
 * decrypts into out (cap >= esn_envelope_open_bound(len)). *seq receives the
 * envelope's seq, *counter the nonce's last 4 bytes (big-endian). */
size_t esn_envelope_open_bound(size_t line_len);
esn_crypto_status esn_envelope_open(esn_envelope *e, esn_json_parser *p, const uint8_t *line,
                                    size_t len, uint8_t *out, size_t cap, size_t *out_len,
                                    double *seq, uint32_t *counter);

/* Per-line result of esn_envelope_open_batch. */
typedef struct {
  double seq;        /* -1 when unknown */
  uint32_t offset;   /* plaintext offset in out */
  uint32_t length;   /* plaintext length */
  int32_t status;    /* esn_crypto_status */
  uint32_t counter;  /* nonce counter */
} esn_open_result;

/* Opens every non-empty '\n'-separated line of buf[0, len) (padded; a '\r'
 * before '\n' is dropped). Results go to res (res_cap entries), plaintexts
 * back to back into out. Stops early when res or out is full: *consumed
 * says how many input bytes were handled (whole lines). Returns the number
 * of results. */
size_t esn_envelope_open_batch(esn_envelope *e, esn_json_parser *p, const uint8_t *buf,
                               size_t len, uint8_t *out, size_t cap, esn_open_result *res,
                               size_t res_cap, size_t *consumed);

/* JSON string literal of UTF-8 s as JSON.stringify writes it (quotes
 * included) into out (needs 6*n+2 bytes). Returns the length. */
size_t esn_json_quote(const uint8_t *s, size_t n, char *out);

/* Wipes memory (not optimised away). */
void esn_wipe(void *p, size_t n);
/* Returns the failure status `s` with OpenSSL's (per-thread) error queue
 * emptied. Every function here fails through it, so it returns with the
 * queue as clean as it found it: Node's own crypto runs on the same thread
 * and aborts the process when it finds an error it did not leave (a bad
 * public key from a peer must not become a crash in crypto.subtle). */
esn_crypto_status esn_fail(esn_crypto_status s);
/* Cryptographically secure random bytes. */
esn_crypto_status esn_random(uint8_t *out, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* ESN_CRYPTO_H */
