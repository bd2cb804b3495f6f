/*
 * P-256 public key import properties (crypto/crypto.h esn_ec_*):
 *   - esn_ec_from_public on any bytes returns OK or ENCRYPTION_INVALID_PUBLIC_KEY
 *     and nothing else; the context (_ex) variant gives the same answer;
 *   - an accepted key is 65 bytes 0x04||X||Y and exports back to exactly the
 *     input; it has no private part; ECDH with a fixed private key gives the
 *     same secret through esn_ec_derive, esn_ec_derive_raw and _raw_ex, and a
 *     refused key is refused by derive_raw too;
 *   - the first 32 bytes taken as a private scalar: when accepted, its public
 *     point imports, the scalar exports back, and ECDH is symmetric with the
 *     fixed key pair (derive(a, B) == derive(b, A)).
 */
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz/props.h"

/* clientPrivateKeyHex of the first handshake of test/vectors/crypto.json */
static const char kPkFixedHex[] = "bd4b038c445e86086f5044bdf3e5d6f600d0ff4ef2e794e87016f858f9fd0ad6";

typedef struct {
  esn_crypto_ctx *cx;
  esn_ec_key *fixed;
  uint8_t fixed_pub[65];
} pk_state;

static pk_state *pk_get(void) {
  static pk_state st;
  if (st.fixed == NULL) {
    uint8_t priv[32];
    for (int i = 0; i < 32; i++) {
      unsigned v;
      PROP(sscanf(kPkFixedHex + 2 * i, "%2x", &v) == 1);
      priv[i] = (uint8_t)v;
    }
    PROP(esn_crypto_ctx_new(&st.cx) == ESN_CRYPTO_OK);
    PROP(esn_ec_from_private(priv, 32, &st.fixed) == ESN_CRYPTO_OK);
    PROP(esn_ec_public(st.fixed, st.fixed_pub) == ESN_CRYPTO_OK);
  }
  return &st;
}

void esn_prop_pubkey(const uint8_t *data, size_t size) {
  pk_state *st = pk_get();
  uint8_t *in = (uint8_t *)malloc(size ? size : 1); /* exact size */
  PROP(in != NULL);
  if (size) memcpy(in, data, size);

  esn_ec_key *k = NULL, *k2 = NULL;
  esn_crypto_status s = esn_ec_from_public(in, size, &k);
  esn_crypto_status s2 = esn_ec_from_public_ex(st->cx, in, size, &k2);
  PROP(s == ESN_CRYPTO_OK || s == ESN_CRYPTO_EPUBKEY);
  PROP(s2 == s);
  PROP((s == ESN_CRYPTO_OK) == (k != NULL) && (s2 == ESN_CRYPTO_OK) == (k2 != NULL));
  PROP(strcmp(esn_crypto_code(s), s == ESN_CRYPTO_OK ? "" : "ENCRYPTION_INVALID_PUBLIC_KEY") == 0);
  uint8_t z1[32], z2[32], z3[32], z4[32], pub[65], priv[32];
  esn_crypto_status d2 = esn_ec_derive_raw(st->fixed, in, size, z2);
  if (s == ESN_CRYPTO_OK) {
    PROP(size == 65 && in[0] == 4);
    PROP(esn_ec_public(k, pub) == ESN_CRYPTO_OK && memcmp(pub, in, 65) == 0);
    PROP(esn_ec_private(k, priv) != ESN_CRYPTO_OK);
    PROP(esn_ec_derive(st->fixed, k, z1) == ESN_CRYPTO_OK);
    PROP(esn_ec_derive(st->fixed, k2, z4) == ESN_CRYPTO_OK);
    PROP(d2 == ESN_CRYPTO_OK);
    PROP(esn_ec_derive_raw_ex(st->cx, st->fixed, in, size, z3) == ESN_CRYPTO_OK);
    PROP(memcmp(z1, z2, 32) == 0 && memcmp(z1, z3, 32) == 0 && memcmp(z1, z4, 32) == 0);
  } else {
    PROP(d2 == ESN_CRYPTO_EPUBKEY);
    PROP(esn_ec_derive_raw_ex(st->cx, st->fixed, in, size, z3) == ESN_CRYPTO_EPUBKEY);
  }
  esn_ec_free(k);
  esn_ec_free(k2);

  if (size >= 32) {
    esn_ec_key *a = NULL, *ap = NULL;
    esn_crypto_status ps = esn_ec_from_private(in, 32, &a);
    PROP((ps == ESN_CRYPTO_OK) == (a != NULL));
    if (ps == ESN_CRYPTO_OK) {
      PROP(esn_ec_private(a, priv) == ESN_CRYPTO_OK && memcmp(priv, in, 32) == 0);
      PROP(esn_ec_public(a, pub) == ESN_CRYPTO_OK && pub[0] == 4);
      PROP(esn_ec_from_public(pub, 65, &ap) == ESN_CRYPTO_OK);
      PROP(esn_ec_derive(a, ap, z1) == ESN_CRYPTO_OK); /* with itself: fine for ECDH */
      PROP(esn_ec_derive_raw(a, st->fixed_pub, 65, z1) == ESN_CRYPTO_OK);
      PROP(esn_ec_derive(st->fixed, ap, z2) == ESN_CRYPTO_OK);
      PROP(memcmp(z1, z2, 32) == 0);
    } else {
      /* zero or a scalar >= the group order */
      PROP(ps != ESN_CRYPTO_ESPACE);
    }
    esn_ec_free(a);
    esn_ec_free(ap);
  }
  free(in);
}
