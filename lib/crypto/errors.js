'use strict';
// The reference's three error classes (each with a readonly `code` from
// EncryptionErrorCode) and the mapping from the C core's status numbers.
const { native } = require('../binding');

class EcdhError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
    this.name = 'EcdhError';
  }
}

class HkdfError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
    this.name = 'HkdfError';
  }
}

class AesGcmError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
    this.name = 'AesGcmError';
  }
}

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
