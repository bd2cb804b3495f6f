/* The encryption core against test/vectors/crypto.json: key import, ECDH,
 * HKDF, envelope lines byte for byte, every bad input's code; plus base64,
 * counter nonces and the key-expiry limit. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto/crypto.h"
#include "json/json.h"
#include "test/test.h"

/* Copies a string field (NUL-terminated) into a fresh allocation. */
static char *str(esn_json_value obj, const char *key, size_t *len) {
  esn_json_value v;
  const char *s;
  size_t n;
  if (!esn_test_field(obj, key, &v) || esn_json_get_string(v, &s, &n) != 0) return NULL;
  char *c = malloc(n + ESN_JSON_PADDING + 1);
  memcpy(c, s, n);
  memset(c + n, 0, ESN_JSON_PADDING + 1);
  if (len) *len = n;
  return c;
}

static void hex(const char *h, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(h + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

static esn_crypto_status pub_from_b64_ex(const esn_crypto_ctx *cx, const char *b64, size_t n,
                                         esn_ec_key **k) {
  uint8_t raw[128];
  size_t rn = 0;
  *k = NULL;
  if (n > 160 || esn_b64_decode(b64, n, raw, &rn) != 0) return ESN_CRYPTO_EPUBKEY;
  return esn_ec_from_public_ex(cx, raw, rn, k);
}

static esn_crypto_status pub_from_b64(const char *b64, size_t n, esn_ec_key **k) {
  return pub_from_b64_ex(NULL, b64, n, k);
}

static void test_base64(void) {
  const char *cases[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                            {"foobar", "Zm9vYmFy"}, {"hello world!!", "aGVsbG8gd29ybGQhIQ=="}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char enc[64];
    uint8_t dec[64];
    size_t n = esn_b64_encode((const uint8_t *)cases[i][0], strlen(cases[i][0]), enc);
    CHECK(n == strlen(cases[i][1]) && memcmp(enc, cases[i][1], n) == 0);
    size_t dn = 0;
    CHECK(esn_b64_decode(cases[i][1], strlen(cases[i][1]), dec, &dn) == 0);
    CHECK(dn == strlen(cases[i][0]) && memcmp(dec, cases[i][0], dn) == 0);
  }
  const char *bad[] = {"Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm 9", "Zm9v\n", "=Zm9", "Zm-_"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t dec[16];
    size_t dn;
    CHECK(esn_b64_decode(bad[i], strlen(bad[i]), dec, &dn) != 0);
  }
  /* all byte values round trip at every length (vector and scalar paths),
   * and the output matches a plain reference encoder */
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t src[600], back[600];
  char enc[820], ref[820];
  uint32_t x = 12345;
  for (int i = 0; i < 600; i++) {
    x = x * 1103515245u + 12345u;
    src[i] = (uint8_t)(x >> 16);
  }
  for (size_t n = 0; n <= 600; n++) {
    size_t el = esn_b64_encode(src, n, enc), dn = 0, r = 0;
    for (size_t i = 0; i < n; i += 3) {
      uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0) |
                   (i + 2 < n ? src[i + 2] : 0);
      ref[r++] = A[v >> 18];
      ref[r++] = A[(v >> 12) & 63];
      ref[r++] = i + 1 < n ? A[(v >> 6) & 63] : '=';
      ref[r++] = i + 2 < n ? A[v & 63] : '=';
    }
    CHECK(el == esn_b64_encoded_len(n) && el == r && memcmp(enc, ref, r) == 0);
    CHECK(esn_b64_decode(enc, el, back, &dn) == 0 && dn == n && memcmp(src, back, n) == 0);
  }
  /* any character outside the alphabet, at any position, is refused */
  const uint8_t nots[] = {'=', '-', '_', ' ', '.', '@', '[', '`', '{', ':', '*', 0, 0x80, 0xc3, 0xff, '\n'};
  size_t el = esn_b64_encode(src, 300, enc);
  for (size_t pos = 0; pos < el; pos++) {
    for (size_t j = 0; j < sizeof nots; j++) {
      if (nots[j] == '=' && pos >= el - 2) continue; /* may be valid padding there */
      char saved = enc[pos];
      size_t dn = 0;
      enc[pos] = (char)nots[j];
      CHECK(esn_b64_decode(enc, el, back, &dn) != 0);
      enc[pos] = saved;
    }
  }
}

static void test_vectors(void) {
  esn_crypto_ctx *cx = NULL;
  CHECK_EQ_INT(esn_crypto_ctx_new(&cx), ESN_CRYPTO_OK);
  size_t flen = 0;
  uint8_t *file = esn_test_read_file(ESN_TEST_DATA "/crypto.json", &flen);
  CHECK(file != NULL);
  if (!file) return;
  esn_json_parser *p = esn_json_parser_new(64);
  esn_json_parser *p2 = esn_json_parser_new(64);
  esn_json_value root, arr, item;
  CHECK(esn_json_parse(p, file, flen, &root) == ESN_JSON_OK);
  esn_json_iter it;

  /* hkdf */
  CHECK(esn_test_field(root, "hkdf", &arr));
  esn_json_array_begin(arr, &it);
  int nh = 0;
  while (esn_json_array_next(&it, &item)) {
    char *ss = str(item, "sharedSecretHex", NULL), *info = str(item, "info", NULL);
    char *key = str(item, "keyHex", NULL);
    size_t sl = 0;
    char *salt = str(item, "saltUtf8", &sl);
    uint8_t secret[32], want[32], got[32];
    hex(ss, secret, 32);
    hex(key, want, 32);
    CHECK_EQ_INT(esn_hkdf_sha256(secret, 32, (uint8_t *)salt, salt ? sl : 0, (uint8_t *)info,
                                 strlen(info), got, 32),
                 ESN_CRYPTO_OK);
    CHECK(memcmp(got, want, 32) == 0);
    memset(got, 0, 32);
    CHECK_EQ_INT(esn_hkdf_sha256_ex(cx, secret, 32, (uint8_t *)salt, salt ? sl : 0, (uint8_t *)info,
                                    strlen(info), got, 32),
                 ESN_CRYPTO_OK);
    CHECK(memcmp(got, want, 32) == 0);
    free(ss), free(info), free(key), free(salt);
    nh++;
  }
  CHECK_EQ_INT(nh, 2);

  /* handshakes */
  uint8_t keys[8][2][32];
  CHECK(esn_test_field(root, "handshakes", &arr));
  esn_json_array_begin(arr, &it);
  int nhs = 0;
  while (esn_json_array_next(&it, &item) && nhs < 8) {
    size_t sidn, cpn, spn;
    char *sid = str(item, "sessionId", &sidn);
    char *cpriv = str(item, "clientPrivateKeyHex", NULL), *spriv = str(item, "serverPrivateKeyHex", NULL);
    char *cpub = str(item, "clientPublicKeyB64", &cpn), *spub = str(item, "serverPublicKeyB64", &spn);
    char *shared = str(item, "sharedSecretHex", NULL);
    char *c2sh = str(item, "clientToServerKeyHex", NULL), *s2ch = str(item, "serverToClientKeyHex", NULL);
    uint8_t cp[32], sp[32], want[32], a[32], b[32], c2s[32], s2c[32], pub[65];
    char pubb64[100];
    hex(cpriv, cp, 32);
    hex(spriv, sp, 32);
    hex(shared, want, 32);
    esn_ec_key *ck = NULL, *sk = NULL, *cpk = NULL, *spk = NULL;
    CHECK_EQ_INT(esn_ec_from_private(cp, 32, &ck), ESN_CRYPTO_OK);
    CHECK_EQ_INT(esn_ec_from_private(sp, 32, &sk), ESN_CRYPTO_OK);
    CHECK_EQ_INT(esn_ec_public(ck, pub), ESN_CRYPTO_OK);
    CHECK(esn_b64_encode(pub, 65, pubb64) == cpn && memcmp(pubb64, cpub, cpn) == 0);
    CHECK_EQ_INT(esn_ec_public(sk, pub), ESN_CRYPTO_OK);
    CHECK(esn_b64_encode(pub, 65, pubb64) == spn && memcmp(pubb64, spub, spn) == 0);
    uint8_t back[32];
    CHECK(esn_ec_private(ck, back) == ESN_CRYPTO_OK && memcmp(back, cp, 32) == 0);
    CHECK_EQ_INT(pub_from_b64(spub, spn, &spk), ESN_CRYPTO_OK);
    CHECK_EQ_INT(pub_from_b64(cpub, cpn, &cpk), ESN_CRYPTO_OK);
    CHECK(esn_ec_private(cpk, back) == ESN_CRYPTO_EHANDSHAKE);
    CHECK_EQ_INT(esn_ec_derive(ck, spk, a), ESN_CRYPTO_OK);
    CHECK_EQ_INT(esn_ec_derive(sk, cpk, b), ESN_CRYPTO_OK);
    CHECK(memcmp(a, want, 32) == 0 && memcmp(b, want, 32) == 0);
    CHECK_EQ_INT(esn_session_keys(a, (uint8_t *)sid, sidn, c2s, s2c), ESN_CRYPTO_OK);
    hex(c2sh, want, 32);
    CHECK(memcmp(c2s, want, 32) == 0);
    memcpy(keys[nhs][0], want, 32);
    hex(s2ch, want, 32);
    CHECK(memcmp(s2c, want, 32) == 0);
    /* the same through the context of fetched algorithms */
    uint8_t a2[32], c2s2[32], s2c2[32], sraw[65];
    size_t srn = 0;
    CHECK(esn_b64_decode(spub, spn, sraw, &srn) == 0 && srn == 65);
    CHECK_EQ_INT(esn_ec_derive_raw_ex(cx, ck, sraw, 65, a2), ESN_CRYPTO_OK);
    CHECK(memcmp(a2, a, 32) == 0);
    CHECK_EQ_INT(esn_session_keys_ex(cx, a2, (uint8_t *)sid, sidn, c2s2, s2c2), ESN_CRYPTO_OK);
    CHECK(memcmp(c2s2, c2s, 32) == 0 && memcmp(s2c2, s2c, 32) == 0);
    memcpy(keys[nhs][1], want, 32);
    esn_ec_free(ck), esn_ec_free(sk), esn_ec_free(cpk), esn_ec_free(spk);
    free(sid), free(cpriv), free(spriv), free(cpub), free(spub), free(shared), free(c2sh), free(s2ch);
    nhs++;
  }
  CHECK_EQ_INT(nhs, 3);

  /* envelopes: open each line, reseal with its nonce, compare byte for byte */
  CHECK(esn_test_field(root, "envelopes", &arr));
  esn_json_array_begin(arr, &it);
  int ne = 0;
  while (esn_json_array_next(&it, &item)) {
    size_t ln;
    char *line = str(item, "line", &ln), *keyh = str(item, "keyHex", NULL), *nonceh = str(item, "nonceHex", NULL);
    uint8_t key[32], nonce[12];
    hex(keyh, key, 32);
    hex(nonceh, nonce, 12);
    /* the envelope's session id and kid, taken from the line itself */
    esn_json_value env, pl, sv, kv;
    CHECK(esn_json_parse(p2, (uint8_t *)line, ln, &env) == ESN_JSON_OK);
    esn_test_field(env, "sessionId", &sv);
    esn_test_field(env, "payload", &pl);
    esn_test_field(pl, "kid", &kv);
    const char *sid, *kid;
    size_t sidn, kidn;
    esn_json_get_string(sv, &sid, &sidn);
    esn_json_get_string(kv, &kid, &kidn);
    char sidc[128], kidc[128];
    memcpy(sidc, sid, sidn);
    memcpy(kidc, kid, kidn);
    esn_envelope *e = NULL;
    CHECK_EQ_INT(esn_envelope_new(key, (uint8_t *)sidc, sidn, (uint8_t *)kidc, kidn, NULL, 0,
                                  (uint64_t)1 << 30, &e),
                 ESN_CRYPTO_OK);
    size_t cap = esn_envelope_open_bound(ln);
    uint8_t *plain = malloc(cap), *resealed = malloc(esn_envelope_seal_bound(e, cap) + 1);
    size_t pn = 0, rn = 0;
    double seq = -1;
    uint32_t ctr = 0;
    CHECK_EQ_INT(esn_envelope_open(e, p2, (uint8_t *)line, ln, plain, cap, &pn, &seq, &ctr), ESN_CRYPTO_OK);
    CHECK(ctr == (((uint32_t)nonce[8] << 24) | ((uint32_t)nonce[9] << 16) | ((uint32_t)nonce[10] << 8) | nonce[11]));
    CHECK_EQ_INT(esn_envelope_seal(e, (uint64_t)seq, nonce, plain, pn, resealed,
                                   esn_envelope_seal_bound(e, pn), &rn),
                 ESN_CRYPTO_OK);
    CHECK(rn == ln && memcmp(resealed, line, ln) == 0);
    esn_envelope_free(e);
    free(plain), free(resealed), free(line), free(keyh), free(nonceh);
    ne++;
  }
  CHECK_EQ_INT(ne, 30);

  /* bad inputs */
  CHECK(esn_test_field(root, "bad", &arr));
  esn_json_array_begin(arr, &it);
  int nb = 0;
  while (esn_json_array_next(&it, &item)) {
    char *code = str(item, "code", NULL);
    size_t n;
    char *pk = str(item, "publicKeyB64", &n);
    if (pk) {
      esn_ec_key *k = NULL;
      esn_crypto_status s = pub_from_b64(pk, n, &k);
      CHECK(k == NULL);
      CHECK(strcmp(esn_crypto_code(s), code) == 0);
      s = pub_from_b64_ex(cx, pk, n, &k);
      CHECK(k == NULL);
      CHECK(strcmp(esn_crypto_code(s), code) == 0);
      free(pk);
    } else {
      char *line = str(item, "line", &n), *keyh = str(item, "keyHex", NULL);
      uint8_t key[32];
      hex(keyh, key, 32);
      esn_envelope *e = NULL;
      esn_envelope_new(key, (uint8_t *)"s_x", 3, (uint8_t *)"k", 1, NULL, 0, 10, &e);
      size_t cap = esn_envelope_open_bound(n), pn = 99;
      uint8_t *plain = malloc(cap);
      double seq;
      uint32_t ctr;
      esn_crypto_status s = esn_envelope_open(e, p2, (uint8_t *)line, n, plain, cap, &pn, &seq, &ctr);
      CHECK(s != ESN_CRYPTO_OK && pn == 0);
      CHECK(strcmp(esn_crypto_code(s), code) == 0);
      esn_envelope_free(e);
      free(plain), free(line), free(keyh);
    }
    free(code);
    nb++;
  }
  CHECK_EQ_INT(nb, 9);
  esn_json_parser_free(p);
  esn_json_parser_free(p2);
  free(file);
  esn_crypto_ctx_free(cx);
}

static void test_counter_and_batch(void) {
  uint8_t key[32] = {1}, prefix[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  esn_envelope *e = NULL, *d = NULL;
  CHECK_EQ_INT(esn_envelope_new(key, (uint8_t *)"s_\"q\n", 5, (uint8_t *)"k_1", 3, prefix, 0, 3, &e),
               ESN_CRYPTO_OK);
  CHECK_EQ_INT(esn_envelope_new(key, (uint8_t *)"s_x", 3, (uint8_t *)"k_1", 3, NULL, 0, 3, &d), ESN_CRYPTO_OK);
  const char *msgs = "{\"a\":1}{}{\"b\":[1,2]}";
  uint32_t lens[3] = {7, 2, 11};
  double seqs[3] = {5, 6, 9007199254740991.0};
  uint8_t out[2048 + ESN_JSON_PADDING];
  size_t on = 0, done = 0;
  uint32_t ends[3] = {0};
  CHECK_EQ_INT(esn_envelope_seal_batch(e, (const uint8_t *)msgs, NULL, lens, seqs, 3, out, 2048, &on,
                                       &done, ends),
               ESN_CRYPTO_OK);
  CHECK_EQ_INT(done, 3);
  CHECK(ends[2] == on && out[ends[0] - 1] == '\n' && out[ends[1] - 1] == '\n' && ends[0] < ends[1]);
  CHECK(memcmp(out, "{\"protocolVersion\":2,\"sessionId\":\"s_\\\"q\\n\",\"seq\":5,", 50) == 0);
  CHECK(strstr((char *)out, "\"seq\":9007199254740991,") != NULL);
  memset(out + on, 0, ESN_JSON_PADDING);
  /* the fourth message: counter reached max_nonces */
  size_t w;
  uint8_t line[512];
  CHECK_EQ_INT(esn_envelope_seal(e, 1, NULL, (const uint8_t *)"{}", 2, line, sizeof line, &w), ESN_CRYPTO_EEXPIRED);
  CHECK_EQ_INT(esn_envelope_counter(e), 3);
  /* open the batch (with a blank line and a CRLF inserted) */
  esn_json_parser *p = esn_json_parser_new(64);
  uint8_t plain[2048];
  esn_open_result res[8];
  size_t consumed = 0;
  size_t nres = esn_envelope_open_batch(d, p, out, on, plain, sizeof plain, res, 8, &consumed);
  CHECK_EQ_INT(nres, 3);
  CHECK_EQ_INT(consumed, on);
  for (size_t i = 0; i < nres; i++) {
    CHECK_EQ_INT(res[i].status, ESN_CRYPTO_OK);
    CHECK_EQ_INT(res[i].counter, i);
    CHECK(res[i].seq == seqs[i]);
  }
  CHECK(res[2].length == 11 && memcmp(plain + res[2].offset, "{\"b\":[1,2]}", 11) == 0);
  /* not envelopes */
  const char *nots[] = {"{}", "[1]", "{\"protocolVersion\":2,\"sessionId\":\"s_\",\"seq\":1,\"type\":\"enc\",\"payload\":{\"kid\":\"k\",\"nonceB64\":\"AAAAAAAAAAAAAAAA\",\"ciphertextB64\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}",
                        "{\"protocolVersion\":2,\"sessionId\":\"s_1\",\"seq\":1.5,\"type\":\"enc\",\"payload\":{\"kid\":\"k\",\"nonceB64\":\"AAAAAAAAAAAAAAAA\",\"ciphertextB64\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}",
                        "{\"protocolVersion\":3,\"sessionId\":\"s_1\",\"seq\":1,\"type\":\"enc\",\"payload\":{\"kid\":\"k\",\"nonceB64\":\"AAAAAAAAAAAAAAAA\",\"ciphertextB64\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}",
                        "{\"protocolVersion\":2,\"sessionId\":\"s_1\",\"seq\":1,\"type\":\"enc\",\"payload\":{\"kid\":\"\",\"nonceB64\":\"AAAAAAAAAAAAAAAA\",\"ciphertextB64\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}",
                        "{\"protocolVersion\":2,\"sessionId\":\"s_1\",\"seq\":1,\"type\":\"enc\",\"payload\":{\"kid\":\"k\",\"nonceB64\":\"AAAAAAAAAAAAAAAA\",\"ciphertextB64\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"tagB64\":1}}",
                        "not json"};
  for (size_t i = 0; i < sizeof nots / sizeof nots[0]; i++) {
    size_t n = strlen(nots[i]), pn;
    memcpy(line, nots[i], n);
    memset(line + n, 0, ESN_JSON_PADDING);
    double seq;
    uint32_t ctr;
    CHECK_EQ_INT(esn_envelope_open(d, p, line, n, plain, sizeof plain, &pn, &seq, &ctr), ESN_CRYPTO_EENVELOPE);
  }
  /* not an envelope, but with a valid seq: the seq is reported (as by the JS twin); none without one */
  {
    const char *ls[] = {"{\"protocolVersion\":2,\"sessionId\":\"s_1\",\"seq\":7,\"type\":\"event\",\"payload\":{}}",
                        "{\"seq\":-1,\"type\":\"enc\"}", "[7]"};
    const double want[] = {7, -1, -1};
    for (size_t i = 0; i < 3; i++) {
      size_t n = strlen(ls[i]), pn;
      memcpy(line, ls[i], n);
      memset(line + n, 0, ESN_JSON_PADDING);
      double seq = 99;
      uint32_t ctr;
      CHECK_EQ_INT(esn_envelope_open(d, p, line, n, plain, sizeof plain, &pn, &seq, &ctr), ESN_CRYPTO_EENVELOPE);
      CHECK(seq == want[i]);
    }
  }
  /* well-formed but the all-zero ciphertext does not authenticate */
  {
    const char *l = "{\"protocolVersion\":1,\"sessionId\":\"s_1\",\"seq\":0,\"type\":\"enc\",\"payload\":{\"kid\":\"k\",\"nonceB64\":\"AAAAAAAAAAAAAAAA\",\"ciphertextB64\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"tagB64\":\"\"}}";
    size_t n = strlen(l), pn;
    memcpy(line, l, n);
    memset(line + n, 0, ESN_JSON_PADDING);
    double seq;
    uint32_t ctr;
    CHECK_EQ_INT(esn_envelope_open(d, p, line, n, plain, sizeof plain, &pn, &seq, &ctr), ESN_CRYPTO_EDECRYPT);
  }
  esn_json_parser_free(p);
  esn_envelope_free(e);
  esn_envelope_free(d);
  /* bad keys */
  esn_gcm *g = NULL;
  CHECK_EQ_INT(esn_gcm_new(key, 16, &g), ESN_CRYPTO_EALG);
  esn_ec_key *k = NULL;
  CHECK_EQ_INT(esn_ec_from_private(key, 31, &k), ESN_CRYPTO_EHANDSHAKE);
  uint8_t zero[32] = {0};
  CHECK(esn_ec_from_private(zero, 32, &k) != ESN_CRYPTO_OK);
  /* a generated pair derives the same secret both ways */
  esn_ec_key *a = NULL, *b = NULL;
  uint8_t pa[65], pb[65], s1[32], s2[32];
  CHECK_EQ_INT(esn_ec_generate(&a), ESN_CRYPTO_OK);
  CHECK_EQ_INT(esn_ec_generate(&b), ESN_CRYPTO_OK);
  esn_ec_public(a, pa);
  esn_ec_public(b, pb);
  CHECK(pa[0] == 4 && pb[0] == 4);
  CHECK_EQ_INT(esn_ec_derive_raw(a, pb, 65, s1), ESN_CRYPTO_OK);
  CHECK_EQ_INT(esn_ec_derive_raw(b, pa, 65, s2), ESN_CRYPTO_OK);
  CHECK(memcmp(s1, s2, 32) == 0);
  pb[64] ^= 1;
  CHECK_EQ_INT(esn_ec_derive_raw(a, pb, 65, s1), ESN_CRYPTO_EPUBKEY);
  /* a refusal leaves OpenSSL's error queue empty (Node's crypto, on the same
     thread, aborts on an error it did not leave) */
  CHECK(ERR_peek_error() == 0);
  esn_ec_free(a);
  esn_ec_free(b);
  /* the same with the context: fresh, distinct keys; off-curve points refused */
  esn_crypto_ctx *cx = NULL;
  CHECK_EQ_INT(esn_crypto_ctx_new(&cx), ESN_CRYPTO_OK);
  CHECK_EQ_INT(esn_ec_generate_ex(cx, &a), ESN_CRYPTO_OK);
  CHECK_EQ_INT(esn_ec_generate_ex(cx, &b), ESN_CRYPTO_OK);
  esn_ec_public(a, pa);
  esn_ec_public(b, pb);
  CHECK(pa[0] == 4 && pb[0] == 4 && memcmp(pa, pb, 65) != 0);
  CHECK_EQ_INT(esn_ec_derive_raw_ex(cx, a, pb, 65, s1), ESN_CRYPTO_OK);
  CHECK_EQ_INT(esn_ec_derive_raw(b, pa, 65, s2), ESN_CRYPTO_OK);
  CHECK(memcmp(s1, s2, 32) == 0);
  for (int i = 1; i < 65; i += 7) {
    pb[i] ^= 0x10;
    CHECK_EQ_INT(esn_ec_derive_raw_ex(cx, a, pb, 65, s1), ESN_CRYPTO_EPUBKEY);
    pb[i] ^= 0x10;
  }
  CHECK(ERR_peek_error() == 0);
  memset(pb + 1, 0xff, 32); /* x >= p */
  CHECK_EQ_INT(esn_ec_derive_raw_ex(cx, a, pb, 65, s1), ESN_CRYPTO_EPUBKEY);
  CHECK(ERR_peek_error() == 0);
  {
    /* a forged tag, a bad private scalar: refused, the queue left empty */
    uint8_t key[32] = {1}, nonce[12] = {2}, msg[40] = {3}, sealed[56], opened[40];
    esn_gcm *g = NULL;
    CHECK_EQ_INT(esn_gcm_new(key, 32, &g), ESN_CRYPTO_OK);
    CHECK_EQ_INT(esn_gcm_seal(g, nonce, NULL, 0, msg, 40, sealed), ESN_CRYPTO_OK);
    sealed[55] ^= 1;
    CHECK_EQ_INT(esn_gcm_open(g, nonce, NULL, 0, sealed, 56, opened), ESN_CRYPTO_EDECRYPT);
    CHECK(ERR_peek_error() == 0);
    esn_gcm_free(g);
    uint8_t zero[32] = {0};
    esn_ec_key *z = NULL;
    CHECK_EQ_INT(esn_ec_from_private(zero, 32, &z), ESN_CRYPTO_EHANDSHAKE);
    CHECK(ERR_peek_error() == 0);
  }
  esn_ec_free(a);
  esn_ec_free(b);
  /* the context's HMAC-based HKDF agrees with OpenSSL's HKDF (no context):
     every output length over several blocks, empty/absent salt and info */
  {
    static const uint8_t rfc_ikm[22] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                        0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
    static const uint8_t rfc_salt[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t rfc_info[10] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9};
    static const uint8_t rfc_okm[42] = {
        0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
        0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
        0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65};
    uint8_t o1[100], o2[100];
    CHECK_EQ_INT(esn_hkdf_sha256_ex(cx, rfc_ikm, 22, rfc_salt, 13, rfc_info, 10, o1, 42), ESN_CRYPTO_OK);
    CHECK(memcmp(o1, rfc_okm, 42) == 0); /* RFC 5869 A.1 */
    uint8_t ikm[40], salt[40], info[40];
    for (size_t i = 0; i < 40; i++) ikm[i] = (uint8_t)(i * 7 + 1), salt[i] = (uint8_t)(i * 13 + 5), info[i] = (uint8_t)(i * 3);
    for (size_t len = 1; len <= 100; len++) {
      size_t il = len % 41, sl = (len * 3) % 41, nl = (len * 5) % 41;
      const uint8_t *sp = (len % 4 == 0) ? NULL : salt;
      CHECK_EQ_INT(esn_hkdf_sha256(ikm, il, sp, sl, info, nl, o1, len), ESN_CRYPTO_OK);
      CHECK_EQ_INT(esn_hkdf_sha256_ex(cx, ikm, il, sp, sl, info, nl, o2, len), ESN_CRYPTO_OK);
      CHECK(memcmp(o1, o2, len) == 0);
    }
    uint8_t c1[32], t1[32], c2[32], t2[32];
    CHECK_EQ_INT(esn_session_keys(ikm, (const uint8_t *)"s_abc", 5, c1, t1), ESN_CRYPTO_OK);
    CHECK_EQ_INT(esn_session_keys_ex(cx, ikm, (const uint8_t *)"s_abc", 5, c2, t2), ESN_CRYPTO_OK);
    CHECK(memcmp(c1, c2, 32) == 0 && memcmp(t1, t2, 32) == 0 && memcmp(c1, t1, 32) != 0);
    CHECK_EQ_INT(esn_session_keys(ikm, NULL, 0, c1, t1), ESN_CRYPTO_OK);
    CHECK_EQ_INT(esn_session_keys_ex(cx, ikm, NULL, 0, c2, t2), ESN_CRYPTO_OK);
    CHECK(memcmp(c1, c2, 32) == 0 && memcmp(t1, t2, 32) == 0);
  }
  esn_crypto_ctx_free(cx);
}

static void test_array_split(void) {
  uint32_t st[8], ln[8];
  const char *a = "[{\"a\":\"x\\\"y,]}\"},{\"b\":[1,2]},3,\"\\\\\",null]";
  size_t k = esn_json_array_split((const uint8_t *)a, strlen(a), st, ln, 8);
  CHECK_EQ_INT(k, 5);
  const char *want[] = {"{\"a\":\"x\\\"y,]}\"}", "{\"b\":[1,2]}", "3", "\"\\\\\"", "null"};
  for (size_t i = 0; i < 5 && i < k; i++) CHECK(ln[i] == strlen(want[i]) && memcmp(a + st[i], want[i], ln[i]) == 0);
  /* a long string with a quote after 40 characters (the vector skip) */
  char big[200];
  snprintf(big, sizeof big, "[\"%s\\\"%s\",{}]", "0123456789012345678901234567890123456789",
           "abcdefghijklmnopqrstuvwxyz");
  k = esn_json_array_split((const uint8_t *)big, strlen(big), st, ln, 8);
  CHECK(k == 2 && ln[1] == 2 && big[st[1]] == '{');
  CHECK_EQ_INT(esn_json_array_split((const uint8_t *)"[]", 2, st, ln, 8), 0);
  /* arrays back to back */
  const char *cat = "[1][\"],[\",{\"a\":[]}][][7]";
  k = esn_json_array_split((const uint8_t *)cat, strlen(cat), st, ln, 8);
  CHECK_EQ_INT(k, 4);
  CHECK(k == 4 && ln[0] == 1 && cat[st[0]] == '1' && ln[1] == 5 && ln[2] == 8 && cat[st[3]] == '7');
  CHECK(esn_json_array_split((const uint8_t *)"[1]x", 4, st, ln, 8) == (size_t)-1);
  CHECK(esn_json_array_split((const uint8_t *)"[1] [2]", 7, st, ln, 8) == (size_t)-1);
  const char *bad[] = {"", "[", "{}", "[1,]", "[,1]", "[1", "[\"a]", "[{]", "[}]", "[1,2,3]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK(esn_json_array_split((const uint8_t *)bad[i], strlen(bad[i]), st, ln, 2) == (size_t)-1);
}

void suite_crypto(void) {
  test_array_split();
  test_base64();
  test_vectors();
  test_counter_and_batch();
}
