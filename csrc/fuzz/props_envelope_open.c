/*
 * Envelope properties (crypto/crypto.h esn_envelope_*). First input byte:
 * even - open the rest as a line with a fixed key (the key of the first
 * envelope of test/vectors/crypto.json, so vector seeds decrypt):
 *   - the status is OK or one of the documented errors (never ESPACE with a
 *     buffer of esn_envelope_open_bound), no plaintext on failure, a valid
 *     seq on success, the same answer twice, and esn_envelope_open_batch
 *     gives the same result for the same line;
 * odd - everything from the input: key, session id, kid, seq, nonce prefix,
 * counter, plaintext:
 *   - seal then open returns the plaintext, seq and nonce counter; the
 *     sealed line is a canonical "enc" event for the validator; it opens
 *     exactly when the session id is "s_..." and the kid non-empty (both
 *     valid UTF-8); seal_batch writes the same line as seal;
 *   - single-bit flips anywhere in the sealed line (positions from the
 *     input): a flip inside the nonce or ciphertext text never opens; any
 *     other flip either fails with an error code or (a field the AEAD does
 *     not cover: seq, session id, kid, whitespace) opens to the same
 *     plaintext; the counter must be exhausted after max_nonces;
 *   - the plaintext bytes are also opened as a line with that key.
 */
#include <math.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz/props.h"
#include "json/json.h"
#include "validate/validate.h"

static const char kEnvKeyHex[] = "6cc230c746def9ea6e330f15d5a354368493e40491ce94fb7235791f67169d1a";

static esn_json_parser *env_parser(void) {
  static esn_json_parser *p;
  if (p == NULL) p = esn_json_parser_new(1000);
  PROP(p != NULL);
  return p;
}

static uint8_t *env_padded(const uint8_t *s, size_t n) {
  uint8_t *b = (uint8_t *)malloc(n + ESN_JSON_PADDING);
  PROP(b != NULL);
  if (n) memcpy(b, s, n);
  memset(b + n, 0, ESN_JSON_PADDING);
  return b;
}

static void env_check_status(esn_crypto_status s) {
  PROP(s >= ESN_CRYPTO_OK && s <= ESN_CRYPTO_ENOMEM);
  PROP(s != ESN_CRYPTO_ESPACE && s != ESN_CRYPTO_ENOMEM);
  PROP((s == ESN_CRYPTO_OK) == (esn_crypto_code(s)[0] == 0));
  PROP(esn_crypto_message(s) != NULL && esn_crypto_message(s)[0] != 0);
}

/* Opens line[0, n) (copied, padded) with e: checks the generic properties and
 * returns the status; the plaintext (malloc'd) in *plain when OK. */
static esn_crypto_status env_open(esn_envelope *e, const uint8_t *line, size_t n, uint8_t **plain,
                                  size_t *plen, double *seq, uint32_t *ctr) {
  uint8_t *b = env_padded(line, n);
  size_t cap = esn_envelope_open_bound(n);
  uint8_t *out = (uint8_t *)malloc(cap ? cap : 1);
  PROP(out != NULL);
  size_t on = 99;
  esn_crypto_status s = esn_envelope_open(e, env_parser(), b, n, out, cap, &on, seq, ctr);
  env_check_status(s);
  if (s == ESN_CRYPTO_OK) {
    PROP(on <= cap);
    PROP(*seq >= 0 && *seq <= 9007199254740991.0 && *seq == floor(*seq));
    /* deterministic */
    uint8_t *out2 = (uint8_t *)malloc(cap ? cap : 1);
    PROP(out2 != NULL);
    size_t on2;
    double seq2;
    uint32_t ctr2;
    PROP(esn_envelope_open(e, env_parser(), b, n, out2, cap, &on2, &seq2, &ctr2) == ESN_CRYPTO_OK);
    PROP(on2 == on && seq2 == *seq && ctr2 == *ctr && memcmp(out, out2, on) == 0);
    free(out2);
  } else {
    PROP(on == 0);
  }
  /* the batch form on the same single line */
  if (memchr(line, '\n', n) == NULL) {
    size_t bcap = cap + 16;
    uint8_t *bout = (uint8_t *)malloc(bcap);
    PROP(bout != NULL);
    esn_open_result res[2];
    size_t consumed = 0;
    size_t nres = esn_envelope_open_batch(e, env_parser(), b, n, bout, bcap, res, 2, &consumed);
    size_t a = 0, z = n;
    if (z && b[z - 1] == '\r') z--;
    while (a < z && (b[a] == ' ' || b[a] == '\t' || b[a] == '\r')) a++;
    PROP(consumed == n);
    if (a == z) {
      PROP(nres == 0);
    } else if (z == n) { /* (a dropped '\r' may change the verdict of a line that is not JSON) */
      PROP(nres == 1 && res[0].status == (int32_t)s);
      if (s == ESN_CRYPTO_OK)
        PROP(res[0].length == on && res[0].seq == *seq && res[0].counter == *ctr &&
             memcmp(bout + res[0].offset, out, on) == 0);
    }
    free(bout);
  }
  free(b);
  if (s == ESN_CRYPTO_OK && plain != NULL) {
    *plain = out;
    *plen = on;
  } else {
    free(out);
  }
  return s;
}

static void env_fixed(const uint8_t *line, size_t n) {
  static esn_envelope *e;
  if (e == NULL) {
    uint8_t key[32];
    for (int i = 0; i < 32; i++) {
      unsigned v;
      PROP(sscanf(kEnvKeyHex + 2 * i, "%2x", &v) == 1);
      key[i] = (uint8_t)v;
    }
    PROP(esn_envelope_new(key, (const uint8_t *)"s_x", 3, (const uint8_t *)"k", 1, NULL, 0, 10, &e) ==
         ESN_CRYPTO_OK);
  }
  double seq;
  uint32_t ctr;
  env_open(e, line, n, NULL, NULL, &seq, &ctr);
}

static const uint8_t *env_find_last(const uint8_t *s, size_t n, const char *lit) {
  size_t m = strlen(lit);
  const uint8_t *found = NULL;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(s + i, lit, m) == 0) found = s + i;
  return found;
}

#define ENV_HEAD (32 + 1 + 1 + 7 + 8 + 4 + 4)

static void env_keyed(const uint8_t *d, size_t size) {
  if (size < ENV_HEAD) return;
  const uint8_t *key = d, *prefix = d + 41;
  size_t sidn = d[32] % 48, kidn = d[33] % 24;
  uint64_t seq = 0;
  for (int i = 0; i < 7; i++) seq = (seq << 8) | d[34 + i];
  seq &= ((uint64_t)1 << 53) - 1;
  uint32_t counter = ((uint32_t)d[49] << 24) | ((uint32_t)d[50] << 16) | ((uint32_t)d[51] << 8) | d[52];
  uint32_t flips = ((uint32_t)d[53] << 24) | ((uint32_t)d[54] << 16) | ((uint32_t)d[55] << 8) | d[56];
  const uint8_t *rest = d + ENV_HEAD;
  size_t rn = size - ENV_HEAD;
  if (sidn > rn) sidn = rn;
  const uint8_t *sid = rest;
  rest += sidn, rn -= sidn;
  if (kidn > rn) kidn = rn;
  const uint8_t *kid = rest;
  rest += kidn, rn -= kidn;
  const uint8_t *pt = rest;
  size_t ptn = rn;

  uint64_t max_nonces = (uint64_t)counter + 1 + (flips & 1);
  esn_envelope *e = NULL, *e2 = NULL;
  PROP(esn_envelope_new(key, sid, sidn, kid, kidn, prefix, counter, max_nonces, &e) == ESN_CRYPTO_OK);
  PROP(esn_envelope_new(key, sid, sidn, kid, kidn, prefix, counter, max_nonces, &e2) == ESN_CRYPTO_OK);
  uint8_t pfx[8];
  esn_envelope_prefix(e, pfx);
  PROP(memcmp(pfx, prefix, 8) == 0 && esn_envelope_counter(e) == counter);
  size_t bound = esn_envelope_seal_bound(e, ptn);
  uint8_t *line = (uint8_t *)malloc(bound ? bound : 1);
  PROP(line != NULL);
  size_t ln = 0;
  PROP(esn_envelope_seal(e, seq, NULL, pt, ptn, line, bound, &ln) == ESN_CRYPTO_OK);
  PROP(ln <= bound && esn_envelope_counter(e) == (uint64_t)counter + 1);

  /* seal_batch writes the same line, then '\n' */
  {
    uint8_t *bl = (uint8_t *)malloc(bound + 1);
    PROP(bl != NULL);
    uint32_t len32 = (uint32_t)ptn, end = 0;
    double sq = (double)seq;
    size_t bn = 0, done = 0;
    PROP(esn_envelope_seal_batch(e2, pt, NULL, &len32, &sq, 1, bl, bound + 1, &bn, &done, &end) ==
         ESN_CRYPTO_OK);
    PROP(done == 1 && bn == ln + 1 && end == bn && bl[ln] == '\n' && memcmp(bl, line, ln) == 0);
    free(bl);
  }
  /* the counter runs out at max_nonces */
  if (max_nonces == (uint64_t)counter + 1) {
    uint8_t *tmp = (uint8_t *)malloc(bound ? bound : 1);
    PROP(tmp != NULL);
    size_t tn;
    PROP(esn_envelope_seal(e, seq, NULL, pt, ptn, tmp, bound, &tn) == ESN_CRYPTO_EEXPIRED);
    free(tmp);
  }

  int well_formed = sidn >= 3 && sid[0] == 's' && sid[1] == '_' && kidn >= 1 &&
                    esn_json_utf8_valid(sid, sidn) && esn_json_utf8_valid(kid, kidn);
  uint8_t *plain = NULL;
  size_t pn = 0;
  double oseq = -1;
  uint32_t octr = 0;
  esn_crypto_status s = env_open(e, line, ln, &plain, &pn, &oseq, &octr);
  if (well_formed) {
    PROP(s == ESN_CRYPTO_OK);
    PROP(pn == ptn && (ptn == 0 || memcmp(plain, pt, ptn) == 0));
    PROP(oseq == (double)seq && octr == counter);
    /* a canonical "enc" event for the validator */
    uint8_t *b = env_padded(line, ln);
    esn_json_value root;
    PROP(esn_json_parse(env_parser(), b, ln, &root) == ESN_JSON_OK);
    esn_event_info info;
    PROP(esn_validate_event(root, &info) == ESN_VALID_CANONICAL && info.type == ESN_EV_ENC);
    free(b);
  } else {
    PROP(s == ESN_CRYPTO_EENVELOPE);
  }
  free(plain);

  /* single-bit flips */
  if (s == ESN_CRYPTO_OK && ln) {
    const uint8_t *nv = env_find_last(line, ln, "\"nonceB64\":\"");
    const uint8_t *cv = env_find_last(line, ln, "\"ciphertextB64\":\"");
    PROP(nv != NULL && cv != NULL);
    size_t n0 = (size_t)(nv - line) + 12, c0 = (size_t)(cv - line) + 17;
    const uint8_t *nq = memchr(line + n0, '"', ln - n0), *cq = memchr(line + c0, '"', ln - c0);
    PROP(nq != NULL && cq != NULL);
    size_t n1 = (size_t)(nq - line), c1 = (size_t)(cq - line);
    uint32_t x = flips | 1;
    for (int j = 0; j < 8; j++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      size_t bit = j == 0 ? (size_t)flips % (ln * 8) : x % (ln * 8);
      if (j == 1) bit = (n0 + x % (n1 - n0)) * 8 + (x >> 24) % 8; /* inside the nonce */
      if (j == 2) bit = (c0 + x % (c1 - c0)) * 8 + (x >> 24) % 8; /* inside the ciphertext */
      line[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      uint8_t *fp = NULL;
      size_t fn = 0;
      double fs;
      uint32_t fc;
      esn_crypto_status t = env_open(e, line, ln, &fp, &fn, &fs, &fc);
      size_t at = bit / 8;
      if (t == ESN_CRYPTO_OK) {
        PROP(!(at >= n0 && at < n1) && !(at >= c0 && at < c1));
        PROP(fn == ptn && (ptn == 0 || memcmp(fp, pt, ptn) == 0) && fc == counter);
      } else {
        PROP(t != ESN_CRYPTO_OK);
      }
      free(fp);
      line[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
  }
  /* the plaintext as a line, with this key */
  {
    double sq;
    uint32_t c;
    env_open(e, pt, ptn, NULL, NULL, &sq, &c);
  }
  free(line);
  esn_envelope_free(e);
  esn_envelope_free(e2);
}

void esn_prop_envelope_open(const uint8_t *data, size_t size) {
  if (size < 1) return;
  if (data[0] & 1) env_keyed(data + 1, size - 1);
  else env_fixed(data + 1, size - 1);
}
