/* AES-256-GCM contexts and the envelope line of docs/PROTOCOL.md section 3.
 * One EVP_CIPHER_CTX per direction is keyed once; each message only sets the
 * IV, which is what keeps small messages cheap. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

struct esn_gcm {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
};

esn_crypto_status esn_gcm_new(const uint8_t *key, size_t key_len, esn_gcm **out) {
  *out = NULL;
  if (key_len != 32) return esn_fail(ESN_CRYPTO_EALG);
  esn_gcm *g = OPENSSL_zalloc(sizeof *g);
  if (g == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  g->enc = EVP_CIPHER_CTX_new();
  g->dec = EVP_CIPHER_CTX_new();
  if (g->enc == NULL || g->dec == NULL ||
      EVP_EncryptInit_ex(g->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
      EVP_DecryptInit_ex(g->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
    esn_gcm_free(g);
    return esn_fail(ESN_CRYPTO_ENOMEM);
  }
  *out = g;
  return ESN_CRYPTO_OK;
}

void esn_gcm_free(esn_gcm *g) {
  if (g == NULL) return;
  EVP_CIPHER_CTX_free(g->enc); /* clears the key schedule */
  EVP_CIPHER_CTX_free(g->dec);
  OPENSSL_free(g);
}

esn_crypto_status esn_gcm_seal(esn_gcm *g, const uint8_t nonce[12], const uint8_t *aad,
                               size_t aad_len, const uint8_t *src, size_t n, uint8_t *out) {
  int len = 0;
  if (n > (size_t)0x7fffffff - 64) return esn_fail(ESN_CRYPTO_EDECRYPT);
  if (EVP_EncryptInit_ex(g->enc, NULL, NULL, NULL, nonce) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (aad_len && EVP_EncryptUpdate(g->enc, NULL, &len, aad, (int)aad_len) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (n && EVP_EncryptUpdate(g->enc, out, &len, src, (int)n) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (EVP_EncryptFinal_ex(g->enc, out + n, &len) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_GCM_GET_TAG, 16, out + n) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  return ESN_CRYPTO_OK;
}

esn_crypto_status esn_gcm_open(esn_gcm *g, const uint8_t nonce[12], const uint8_t *aad,
                               size_t aad_len, const uint8_t *src, size_t n, uint8_t *out) {
  int len = 0;
  if (n < 16 || n > (size_t)0x7fffffff) return esn_fail(ESN_CRYPTO_EDECRYPT);
  size_t m = n - 16;
  uint8_t tag[16];
  memcpy(tag, src + m, 16); /* src may alias out */
  if (EVP_DecryptInit_ex(g->dec, NULL, NULL, NULL, nonce) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (aad_len && EVP_DecryptUpdate(g->dec, NULL, &len, aad, (int)aad_len) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (m && EVP_DecryptUpdate(g->dec, out, &len, src, (int)m) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (EVP_DecryptFinal_ex(g->dec, out + m, &len) != 1) {
    esn_wipe(out, m); /* never hand out unauthenticated plaintext */
    return esn_fail(ESN_CRYPTO_EDECRYPT);
  }
  return ESN_CRYPTO_OK;
}

/* ---- JSON string quoting as JSON.stringify does ------------------------- */
size_t esn_json_quote(const uint8_t *s, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  char *o = out;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      *o++ = (char)c;
      continue;
    }
    *o++ = '\\';
    switch (c) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '\b': *o++ = 'b'; break;
      case '\f': *o++ = 'f'; break;
      case '\n': *o++ = 'n'; break;
      case '\r': *o++ = 'r'; break;
      case '\t': *o++ = 't'; break;
      default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
  }
  *o++ = '"';
  return (size_t)(o - out);
}

/* ---- envelopes ------------------------------------------------------------ */
struct esn_envelope {
  esn_gcm *gcm;
  uint8_t prefix[8];
  uint64_t counter;
  uint64_t max_nonces;
  char *head; /* {"protocolVersion":2,"sessionId":"…","seq": */
  size_t head_len;
  char *mid; /* ,"type":"enc","payload":{"kid":"…","nonceB64":" */
  size_t mid_len;
  uint8_t *scratch; /* ciphertext before base64 */
  size_t scratch_cap;
};

#define HEAD0 "{\"protocolVersion\":2,\"sessionId\":"
#define HEAD1 ",\"seq\":"
#define MID0 ",\"type\":\"enc\",\"payload\":{\"kid\":"
#define MID1 ",\"nonceB64\":\""
#define CT0 "\",\"ciphertextB64\":\""
#define TAIL "\"}}"

esn_crypto_status esn_envelope_new(const uint8_t key[32], const uint8_t *sid, size_t sid_len,
                                   const uint8_t *kid, size_t kid_len, const uint8_t *prefix,
                                   uint64_t counter, uint64_t max_nonces, esn_envelope **out) {
  *out = NULL;
  esn_envelope *e = OPENSSL_zalloc(sizeof *e);
  if (e == NULL) return esn_fail(ESN_CRYPTO_ENOMEM);
  esn_crypto_status s = esn_gcm_new(key, 32, &e->gcm);
  if (s != ESN_CRYPTO_OK) {
    OPENSSL_free(e);
    return s;
  }
  if (prefix) {
    memcpy(e->prefix, prefix, 8);
  } else if ((s = esn_random(e->prefix, 8)) != ESN_CRYPTO_OK) {
    esn_envelope_free(e);
    return s;
  }
  if (max_nonces > ((uint64_t)1 << 32)) max_nonces = (uint64_t)1 << 32;
  e->counter = counter;
  e->max_nonces = max_nonces;
  e->head = OPENSSL_malloc(sizeof HEAD0 + sizeof HEAD1 + 6 * sid_len + 2);
  e->mid = OPENSSL_malloc(sizeof MID0 + sizeof MID1 + 6 * kid_len + 2);
  if (e->head == NULL || e->mid == NULL) {
    esn_envelope_free(e);
    return esn_fail(ESN_CRYPTO_ENOMEM);
  }
  size_t n = sizeof HEAD0 - 1;
  memcpy(e->head, HEAD0, n);
  n += esn_json_quote(sid, sid_len, e->head + n);
  memcpy(e->head + n, HEAD1, sizeof HEAD1 - 1);
  e->head_len = n + sizeof HEAD1 - 1;
  n = sizeof MID0 - 1;
  memcpy(e->mid, MID0, n);
  n += esn_json_quote(kid, kid_len, e->mid + n);
  memcpy(e->mid + n, MID1, sizeof MID1 - 1);
  e->mid_len = n + sizeof MID1 - 1;
  *out = e;
  return ESN_CRYPTO_OK;
}

void esn_envelope_free(esn_envelope *e) {
  if (e == NULL) return;
  esn_gcm_free(e->gcm);
  esn_wipe(e->prefix, sizeof e->prefix);
  if (e->scratch) {
    esn_wipe(e->scratch, e->scratch_cap);
    OPENSSL_free(e->scratch);
  }
  OPENSSL_free(e->head);
  OPENSSL_free(e->mid);
  OPENSSL_free(e);
}

uint64_t esn_envelope_counter(const esn_envelope *e) { return e->counter; }
void esn_envelope_prefix(const esn_envelope *e, uint8_t out[8]) { memcpy(out, e->prefix, 8); }

size_t esn_envelope_seal_bound(const esn_envelope *e, size_t n) {
  return e->head_len + 16 /* seq digits */ + e->mid_len + 16 /* nonce */ + sizeof CT0 - 1 +
         esn_b64_encoded_len(n + 16) + sizeof TAIL - 1;
}

static int scratch_reserve(esn_envelope *e, size_t n) {
  if (e->scratch_cap >= n) return 1;
  size_t cap = n < 4096 ? 4096 : n + n / 2;
  uint8_t *p = OPENSSL_malloc(cap);
  if (p == NULL) return 0;
  if (e->scratch) {
    esn_wipe(e->scratch, e->scratch_cap);
    OPENSSL_free(e->scratch);
  }
  e->scratch = p;
  e->scratch_cap = cap;
  return 1;
}

static size_t put_u64(uint64_t v, char *o) {
  char tmp[24];
  size_t k = 0;
  do {
    tmp[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < k; i++) o[i] = tmp[k - 1 - i];
  return k;
}

#define MAX_SAFE 9007199254740991.0

esn_crypto_status esn_envelope_seal(esn_envelope *e, uint64_t seq, const uint8_t *nonce,
                                    const uint8_t *src, size_t n, uint8_t *out, size_t cap,
                                    size_t *out_len) {
  *out_len = 0;
  if ((double)seq > MAX_SAFE) return esn_fail(ESN_CRYPTO_EENVELOPE);
  if (cap < esn_envelope_seal_bound(e, n)) return esn_fail(ESN_CRYPTO_ESPACE);
  uint8_t iv[12];
  if (nonce) {
    memcpy(iv, nonce, 12);
  } else {
    if (e->counter >= e->max_nonces) return esn_fail(ESN_CRYPTO_EEXPIRED);
    memcpy(iv, e->prefix, 8);
    uint32_t c = (uint32_t)e->counter;
    iv[8] = (uint8_t)(c >> 24);
    iv[9] = (uint8_t)(c >> 16);
    iv[10] = (uint8_t)(c >> 8);
    iv[11] = (uint8_t)c;
  }
  /* Ciphertext goes to the end of out's bound region when it fits there
   * without overlapping the base64 being written; use scratch otherwise. */
  if (!scratch_reserve(e, n + 16)) return esn_fail(ESN_CRYPTO_ENOMEM);
  esn_crypto_status s = esn_gcm_seal(e->gcm, iv, NULL, 0, src, n, e->scratch);
  if (s != ESN_CRYPTO_OK) return s;
  if (!nonce) e->counter++;
  char *o = (char *)out;
  memcpy(o, e->head, e->head_len);
  o += e->head_len;
  o += put_u64(seq, o);
  memcpy(o, e->mid, e->mid_len);
  o += e->mid_len;
  o += esn_b64_encode(iv, 12, o);
  memcpy(o, CT0, sizeof CT0 - 1);
  o += sizeof CT0 - 1;
  o += esn_b64_encode(e->scratch, n + 16, o);
  memcpy(o, TAIL, sizeof TAIL - 1);
  o += sizeof TAIL - 1;
  *out_len = (size_t)(o - (char *)out);
  return ESN_CRYPTO_OK;
}

esn_crypto_status esn_envelope_seal_batch(esn_envelope *e, const uint8_t *src,
                                          const uint32_t *starts, const uint32_t *lens,
                                          const double *seqs, size_t count, uint8_t *out,
                                          size_t cap, size_t *out_len, size_t *done,
                                          uint32_t *ends) {
  size_t pos = 0, in = 0;
  *done = 0;
  *out_len = 0;
  for (size_t i = 0; i < count; i++) {
    double sq = seqs[i];
    if (!(sq >= 0 && sq <= MAX_SAFE) || sq != (double)(uint64_t)sq) return esn_fail(ESN_CRYPTO_EENVELOPE);
    size_t n = lens[i], w = 0;
    if (starts) in = starts[i];
    if (pos >= cap) return esn_fail(ESN_CRYPTO_ESPACE);
    esn_crypto_status s = esn_envelope_seal(e, (uint64_t)sq, NULL, src + in, n, out + pos,
                                            cap - pos - (cap - pos > 0 ? 1 : 0), &w);
    if (s != ESN_CRYPTO_OK) return s;
    pos += w;
    out[pos++] = '\n';
    if (ends) ends[i] = (uint32_t)pos;
    in += n;
    *done = i + 1;
    *out_len = pos;
  }
  return ESN_CRYPTO_OK;
}

/* ---- the elements of a JSON.stringify'd array ----------------------------
 * The text comes from JSON.stringify: no whitespace, no raw control
 * characters in strings. Only '"', '\\', brackets and top-level commas
 * matter; string contents are skipped 16 bytes at a time with SSE2 (part of
 * every x86-64 CPU). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ESN_NO_SIMD)
#include <emmintrin.h>
static size_t skip_plain(const uint8_t *s, size_t i, size_t n) {
  const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)));
    if (m) return i + (size_t)__builtin_ctz((unsigned)m);
    i += 16;
  }
  while (i < n && s[i] != '"' && s[i] != '\\') i++;
  return i;
}
#else
static size_t skip_plain(const uint8_t *s, size_t i, size_t n) {
  while (i < n && s[i] != '"' && s[i] != '\\') i++;
  return i;
}
#endif

size_t esn_json_array_split(const uint8_t *s, size_t n, uint32_t *starts, uint32_t *lens,
                            size_t max) {
  if (n == 0 || n > 0xffffffffu) return (size_t)-1;
  size_t count = 0, i = 0;
  while (i < n) {
    if (s[i++] != '[') return (size_t)-1;
    if (i < n && s[i] == ']') { /* [] */
      i++;
      continue;
    }
    size_t depth = 0, start = i;
    for (;; i++) {
      if (i >= n) return (size_t)-1;
      uint8_t c = s[i];
      if (c == '"') {
        for (i++;;) {
          i = skip_plain(s, i, n);
          if (i >= n) return (size_t)-1;
          if (s[i] == '"') break;
          i += 2; /* an escape: backslash and the next character */
        }
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (depth > 0) {
          depth--;
          continue;
        }
        if (c != ']' || i == start || count >= max) return (size_t)-1;
        starts[count] = (uint32_t)start;
        lens[count] = (uint32_t)(i - start);
        count++;
        i++;
        break;
      } else if (c == ',' && depth == 0) {
        if (i == start || count >= max) return (size_t)-1;
        starts[count] = (uint32_t)start;
        lens[count] = (uint32_t)(i - start);
        count++;
        start = i + 1;
      }
    }
  }
  return count;
}

size_t esn_envelope_open_bound(size_t line_len) { return line_len / 4 * 3 + 3; }

static int str_eq(const char *s, size_t n, const char *lit) {
  size_t m = strlen(lit);
  return n == m && memcmp(s, lit, m) == 0;
}

esn_crypto_status esn_envelope_open(esn_envelope *e, esn_json_parser *p, const uint8_t *line,
                                    size_t len, uint8_t *out, size_t cap, size_t *out_len,
                                    double *seq, uint32_t *counter) {
  *out_len = 0;
  *seq = -1;
  *counter = 0;
  esn_json_value root, payload = {0, 0}, v;
  esn_json_status js = esn_json_parse(p, line, len, &root);
  if (js == ESN_JSON_ENOMEM) return esn_fail(ESN_CRYPTO_ENOMEM);
  if (js != ESN_JSON_OK) return esn_fail(ESN_CRYPTO_EENVELOPE);
  esn_json_iter it;
  if (esn_json_object_begin(root, &it) != 0) return esn_fail(ESN_CRYPTO_EENVELOPE);
  const char *k;
  size_t kl;
  /* Later duplicates win, as with JSON.parse. */
  int have_pv = 0, have_sid = 0, have_seq = 0, have_type = 0, have_payload = 0;
  double sq = -1;
  while (esn_json_object_next(&it, &k, &kl, &v)) {
    if (str_eq(k, kl, "protocolVersion")) {
      double d;
      have_pv = esn_json_get_number(v, &d) == 0 && (d == 1 || d == 2);
    } else if (str_eq(k, kl, "sessionId")) {
      const char *s;
      size_t sl;
      have_sid = esn_json_get_string(v, &s, &sl) == 0 && sl >= 3 && s[0] == 's' && s[1] == '_';
    } else if (str_eq(k, kl, "seq")) {
      have_seq = esn_json_get_number(v, &sq) == 0 && sq >= 0 && sq <= MAX_SAFE &&
                 sq == (double)(uint64_t)sq;
    } else if (str_eq(k, kl, "type")) {
      const char *s;
      size_t sl;
      have_type = esn_json_get_string(v, &s, &sl) == 0 && str_eq(s, sl, "enc");
    } else if (str_eq(k, kl, "payload")) {
      have_payload = esn_json_type_of(v) == ESN_JSON_OBJECT;
      payload = v;
    }
  }
  /* A line that is not a valid envelope still reports a valid seq, as the JS twin does. */
  if (have_seq) *seq = sq;
  if (!(have_pv && have_sid && have_seq && have_type && have_payload)) return esn_fail(ESN_CRYPTO_EENVELOPE);
  const char *nonce_b64 = NULL, *ct_b64 = NULL;
  size_t nonce_len = 0, ct_len = 0;
  int have_kid = 0, have_nonce = 0, have_ct = 0, tag_ok = 1;
  esn_json_object_begin(payload, &it);
  while (esn_json_object_next(&it, &k, &kl, &v)) {
    const char *s;
    size_t sl;
    int is_str = esn_json_get_string(v, &s, &sl) == 0;
    if (str_eq(k, kl, "kid")) {
      have_kid = is_str && sl >= 1;
    } else if (str_eq(k, kl, "nonceB64")) {
      have_nonce = is_str && sl >= 1;
      nonce_b64 = s;
      nonce_len = sl;
    } else if (str_eq(k, kl, "ciphertextB64")) {
      have_ct = is_str && sl >= 1;
      ct_b64 = s;
      ct_len = sl;
    } else if (str_eq(k, kl, "tagB64")) {
      tag_ok = is_str; /* optional; the tag travels inside ciphertextB64 */
    }
  }
  if (!(have_kid && have_nonce && have_ct && tag_ok)) return esn_fail(ESN_CRYPTO_EENVELOPE);
  /* The JSON values are valid until the next parse: decode them now. */
  uint8_t iv[16];
  size_t ivn = 0;
  if (nonce_len != 16 || esn_b64_decode(nonce_b64, nonce_len, iv, &ivn) != 0 || ivn != 12)
    return esn_fail(ESN_CRYPTO_EDECRYPT);
  if (ct_len % 4 != 0 || ct_len / 4 * 3 > cap) return esn_fail(ct_len % 4 ? ESN_CRYPTO_EDECRYPT : ESN_CRYPTO_ESPACE);
  size_t ctn = 0;
  if (esn_b64_decode(ct_b64, ct_len, out, &ctn) != 0 || ctn < 16) return esn_fail(ESN_CRYPTO_EDECRYPT);
  esn_crypto_status s = esn_gcm_open(e->gcm, iv, NULL, 0, out, ctn, out);
  if (s != ESN_CRYPTO_OK) return s;
  *counter = ((uint32_t)iv[8] << 24) | ((uint32_t)iv[9] << 16) | ((uint32_t)iv[10] << 8) | iv[11];
  *out_len = ctn - 16;
  return ESN_CRYPTO_OK;
}

size_t esn_envelope_open_batch(esn_envelope *e, esn_json_parser *p, const uint8_t *buf,
                               size_t len, uint8_t *out, size_t cap, esn_open_result *res,
                               size_t res_cap, size_t *consumed) {
  size_t pos = 0, used = 0, nres = 0;
  *consumed = 0;
  while (pos < len && nres < res_cap) {
    const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t next = nl ? end + 1 : len;
    size_t l = end - pos;
    if (l && buf[pos + l - 1] == '\r') l--;
    /* skip blank lines */
    size_t a = pos, b = pos + l;
    while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r')) a++;
    if (a == b) {
      pos = next;
      *consumed = pos;
      continue;
    }
    if (cap - used < esn_envelope_open_bound(l)) break;
    esn_open_result *r = &res[nres];
    size_t n = 0;
    double sq = -1;
    uint32_t ctr = 0;
    esn_crypto_status s = esn_envelope_open(e, p, buf + pos, l, out + used, cap - used, &n, &sq, &ctr);
    r->seq = sq;
    r->offset = (uint32_t)used;
    r->length = (uint32_t)n;
    r->status = (int32_t)s;
    r->counter = ctr;
    used += n;
    nres++;
    pos = next;
    *consumed = pos;
  }
  return nres;
}
