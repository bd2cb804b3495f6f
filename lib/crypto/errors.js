'use strict';
// The mapping from the C core's crypto status numbers to the reference's
// error classes (lib/errors.js) and EncryptionErrorCode codes.
const { native } = require('../binding');
const { EcdhError, HkdfError, AesGcmError } = require('../errors');

const codes = native ? native.crypto.codes : [];
const messages = native ? native.crypto.messages : [];

/** Builds an error of class Cls from a native status (a negative number). */
function fromStatus(Cls, status, prefix) {
  const s = -status;
  const msg = messages[s] || 'crypto failure';
  return new Cls(prefix ? `${prefix}: ${msg}` : msg, codes[s] || 'ENCRYPTION_HANDSHAKE_FAILED');
}

/** Status numbers of csrc/crypto/crypto.h. */
const Status = Object.freeze({
  OK: 0,
  HANDSHAKE: -1,
  KDF: -2,
  DECRYPT: -3,
  NONCE: -4,
  EXPIRED: -5,
  ALG: -6,
  PUBKEY: -7,
  ENVELOPE: -8,
  SPACE: -9,
  NOMEM: -10,
});

module.exports = { EcdhError, HkdfError, AesGcmError, fromStatus, Status };
