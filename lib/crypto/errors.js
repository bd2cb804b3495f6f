'use strict';
// The mapping from the C core's crypto status numbers to the reference's
// error classes (lib/errors.js) and EncryptionErrorCode codes. The statuses,
// codes and messages are generated from csrc/contracts/codes.js
// (lib/contracts.js), so both backends read the same tables.
const { EcdhError, HkdfError, AesGcmError } = require('../errors');
const { CRYPTO_STATUS, CRYPTO_CODES, CRYPTO_MESSAGES } = require('../contracts');

/** Builds an error of class Cls from a native status (a negative number). */
function fromStatus(Cls, status, prefix) {
  const s = -status;
  const msg = CRYPTO_MESSAGES[s] || 'crypto failure';
  return new Cls(prefix ? `${prefix}: ${msg}` : msg, CRYPTO_CODES[s] || 'ENCRYPTION_HANDSHAKE_FAILED');
}

/** Status numbers of csrc/crypto/crypto.h, as the binding returns them (negated). */
const Status = CRYPTO_STATUS;

module.exports = { EcdhError, HkdfError, AesGcmError, fromStatus, Status };
