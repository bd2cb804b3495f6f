'use strict';
// HKDF-SHA256 session keys: the reference's async API plus synchronous forms
// (native: one call for both keys).
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { native } = require('../binding');
const C = require('../constants');
const { HkdfError, fromStatus } = require('./errors');
const { subtle, remember, syncCrypto, needSync } = require('./keys');
const { asBuffer } = require('./base64');

const msg = (err) => (err instanceof Error ? err.message : String(err));
const ZERO_SALT = Buffer.alloc(32);

/** Synchronous HKDF-SHA256; salt null = 32 zero bytes. */
function deriveKeySync(sharedSecret, salt, info, keyLength = C.AES_256_KEY_SIZE) {
  needSync('deriveKeySync');
  try {
    const ikm = asBuffer(sharedSecret);
    const s = salt == null ? null : asBuffer(salt);
    const inf = Buffer.from(String(info), 'utf8');
    if (native) {
      const r = native.crypto.hkdf(ikm, s, inf, keyLength);
      if (typeof r === 'number') throw fromStatus(HkdfError, r);
      return new Uint8Array(r);
    }
    return new Uint8Array(nodeCrypto.hkdfSync('sha256', ikm, s || ZERO_SALT, inf, keyLength));
  } catch (err) {
    if (err instanceof HkdfError) throw err;
    throw new HkdfError(`Failed to derive key: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
}

/** HKDF-SHA256 on crypto.subtle (browsers). */
async function deriveKeyWeb(sharedSecret, salt, info, keyLength) {
  try {
    const ikm = await subtle().importKey('raw', asBuffer(sharedSecret), 'HKDF', false, ['deriveBits']);
    const s = salt == null ? ZERO_SALT : asBuffer(salt);
    const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: s, info: Buffer.from(String(info), 'utf8') }, ikm, keyLength * 8);
    return new Uint8Array(bits);
  } catch (err) {
    throw new HkdfError(`Failed to derive key: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
}

async function deriveKey(sharedSecret, salt, info, keyLength = C.AES_256_KEY_SIZE) {
  if (!syncCrypto) return deriveKeyWeb(sharedSecret, salt, info, keyLength);
  return deriveKeySync(sharedSecret, salt, info, keyLength);
}

/** Both direction keys: salt = UTF-8 of the session id (null: zero salt). */
function deriveSessionKeysSync(sharedSecret, sessionId) {
  const sid = sessionId == null ? null : Buffer.from(String(sessionId), 'utf8');
  if (native) {
    const secret = asBuffer(sharedSecret);
    if (secret.length === 32) {
      const r = native.crypto.sessionKeys(secret, sid);
      if (typeof r === 'number') throw fromStatus(HkdfError, r, 'Failed to derive key');
      return { clientToServerKey: new Uint8Array(r.subarray(0, 32)), serverToClientKey: new Uint8Array(r.subarray(32)) };
    }
  }
  return {
    clientToServerKey: deriveKeySync(sharedSecret, sid, C.HkdfInfo.ClientToServer),
    serverToClientKey: deriveKeySync(sharedSecret, sid, C.HkdfInfo.ServerToClient),
  };
}

async function deriveSessionKeys(sharedSecret, sessionId) {
  if (!syncCrypto) {
    const sid = sessionId == null ? null : Buffer.from(String(sessionId), 'utf8');
    const [clientToServerKey, serverToClientKey] = await Promise.all([
      deriveKeyWeb(sharedSecret, sid, C.HkdfInfo.ClientToServer, C.AES_256_KEY_SIZE),
      deriveKeyWeb(sharedSecret, sid, C.HkdfInfo.ServerToClient, C.AES_256_KEY_SIZE),
    ]);
    return { clientToServerKey, serverToClientKey };
  }
  return deriveSessionKeysSync(sharedSecret, sessionId);
}

/** A non-extractable AES-GCM CryptoKey; its bytes are kept for the native path. */
async function importAesGcmKey(keyBytes) {
  let key;
  try {
    key = await subtle().importKey('raw', keyBytes, { name: 'AES-GCM', length: keyBytes.length * 8 }, false, ['encrypt', 'decrypt']);
  } catch (err) {
    throw new HkdfError(`Failed to import AES key: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
  return remember(key, keyBytes);
}

async function deriveSessionCryptoKeys(sharedSecret, sessionId) {
  const { clientToServerKey, serverToClientKey } = await deriveSessionKeys(sharedSecret, sessionId);
  const [c2s, s2c] = await Promise.all([importAesGcmKey(clientToServerKey), importAesGcmKey(serverToClientKey)]);
  return { clientToServerKey: c2s, serverToClientKey: s2c };
}

module.exports = {
  deriveKey,
  deriveSessionKeys,
  importAesGcmKey,
  deriveSessionCryptoKeys,
  HkdfError,
  deriveKeySync,
  deriveSessionKeysSync,
};
