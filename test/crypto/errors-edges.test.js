'use strict';
// lib/crypto/errors.js pinned (docs/MUTATION.md): fromStatus, the mapping of
// the C core's crypto status numbers (negative, as the binding returns them)
// to the reference's error classes: each status's code and message from the
// generated contract tables, the optional "<prefix>: " of the message, and an
// unknown status (a newer core) as a generic coded error, never a crash.
const assert = require('node:assert');
const { fromStatus, Status, EcdhError, HkdfError, AesGcmError } = require('../../lib/crypto/errors');
const C = require('../../lib/constants');

describe('crypto/errors edges', () => {
  it('each status gives its class, code and message', () => {
    const cases = [
      [HkdfError, Status.KDF, C.EncryptionErrorCode.KeyDerivationFailed, 'key derivation failed'],
      [AesGcmError, Status.DECRYPT, C.EncryptionErrorCode.DecryptionFailed, 'decryption failed: authentication failed or bad nonce/ciphertext'],
      [EcdhError, Status.PUBKEY, C.EncryptionErrorCode.InvalidPublicKey, 'invalid public key: not a raw uncompressed P-256 point'],
      [AesGcmError, Status.EXPIRED, C.EncryptionErrorCode.KeyExpired, 'key needs rotation: nonce limit reached'],
    ];
    for (const [Cls, status, code, message] of cases) {
      const err = fromStatus(Cls, status);
      assert.ok(err instanceof Cls, Cls.name);
      assert.strictEqual(err.code, code);
      assert.strictEqual(err.message, message);
    }
  });

  it('a prefix leads the message as "<prefix>: <message>"; the code is unchanged', () => {
    const err = fromStatus(EcdhError, Status.PUBKEY, 'Failed to derive shared secret');
    assert.strictEqual(err.message, 'Failed to derive shared secret: invalid public key: not a raw uncompressed P-256 point');
    assert.strictEqual(err.code, C.EncryptionErrorCode.InvalidPublicKey);
    assert.strictEqual(fromStatus(HkdfError, Status.KDF, '').message, 'key derivation failed');
  });

  it('an unknown status is a generic "crypto failure" with the handshake code (with or without a prefix)', () => {
    for (const status of [-99, -1000, 5]) {
      const err = fromStatus(AesGcmError, status);
      assert.ok(err instanceof AesGcmError);
      assert.strictEqual(err.message, 'crypto failure');
      assert.strictEqual(err.code, C.EncryptionErrorCode.HandshakeFailed);
    }
    assert.strictEqual(fromStatus(HkdfError, -99, 'Failed to derive key').message, 'Failed to derive key: crypto failure');
  });
});
