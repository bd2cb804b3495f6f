'use strict';
// Encryption: ECDH P-256 / HKDF-SHA256 / AES-256-GCM (docs/PROTOCOL.md section 3).
const ecdh = require('./ecdh');
const hkdf = require('./hkdf');
const aes = require('./aes-gcm');
const cipher = require('./cipher');
const channel = require('./channel');
const { backend } = require('../binding');

module.exports = {
  // reference API
  generateKeyPair: ecdh.generateKeyPair,
  exportPublicKey: ecdh.exportPublicKey,
  importPublicKey: ecdh.importPublicKey,
  deriveSharedSecret: ecdh.deriveSharedSecret,
  createClientHello: ecdh.createClientHello,
  createServerHello: ecdh.createServerHello,
  processClientHello: ecdh.processClientHello,
  processServerHello: ecdh.processServerHello,
  EcdhError: ecdh.EcdhError,
  deriveKey: hkdf.deriveKey,
  deriveSessionKeys: hkdf.deriveSessionKeys,
  importAesGcmKey: hkdf.importAesGcmKey,
  deriveSessionCryptoKeys: hkdf.deriveSessionCryptoKeys,
  HkdfError: hkdf.HkdfError,
  generateNonce: aes.generateNonce,
  generateCounterNonce: aes.generateCounterNonce,
  toBase64: aes.toBase64,
  fromBase64: aes.fromBase64,
  encrypt: aes.encrypt,
  decrypt: aes.decrypt,
  encryptJson: aes.encryptJson,
  decryptJson: aes.decryptJson,
  createEncryptedEnvelope: aes.createEncryptedEnvelope,
  SessionEncryptionContext: aes.SessionEncryptionContext,
  AesGcmError: aes.AesGcmError,
  // seed README
  createEncryptedChannel: channel.createEncryptedChannel,
  // synchronous fast API
  createEnvelopeCipher: cipher.createEnvelopeCipher,
  generateKeyPairSync: ecdh.generateKeyPairSync,
  publicKeyFromPrivate: ecdh.publicKeyFromPrivate,
  deriveSharedSecretSync: ecdh.deriveSharedSecretSync,
  deriveSessionKeysSync: hkdf.deriveSessionKeysSync,
  cryptoBackend: backend,
};
