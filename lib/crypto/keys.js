'use strict';
// Raw key material behind WebCrypto CryptoKeys this package created, so the
// native path can be taken for them (CryptoKeys made elsewhere go through
// crypto.subtle). Also the lazily created native AES contexts per key.
const { Buffer } = require('../platform/buffer');
const { native } = require('../binding');
const nodeCrypto = require('../platform/crypto');
const { asBuffer } = require('./base64');

// true where synchronous crypto exists (the addon, or node:crypto for the
// JavaScript backend); false in browsers, where everything runs on
// crypto.subtle and the synchronous fast API is unavailable.
const syncCrypto = !!native || typeof nodeCrypto.createCipheriv === 'function';

/**
 * true when the channel and the stream transport run on crypto.subtle
 * (lib/crypto/web.js): always in browsers; in Node when
 * ENCLAVE_STREAM_WEBCRYPTO=1 (how the tests run the browser's code path).
 */
function webOnly() {
  if (!syncCrypto) return true;
  return typeof process !== 'undefined' && !!process.env && process.env.ENCLAVE_STREAM_WEBCRYPTO === '1';
}

/** Throws the coded error of a synchronous function called where only WebCrypto exists. */
function needSync(name) {
  if (syncCrypto) return;
  const err = new Error(`${name} is synchronous and needs Node.js (the addon or node:crypto); in browsers use the async API`);
  err.code = 'ERR_SYNC_CRYPTO_UNAVAILABLE';
  throw err;
}

const raw = new WeakMap(); // CryptoKey -> Buffer (32-byte AES key)
const gcms = new WeakMap(); // CryptoKey | Uint8Array -> native Gcm

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  return s || require('../platform/crypto').webcrypto.subtle;
}

function isCryptoKey(k) {
  return typeof CryptoKey !== 'undefined' ? k instanceof CryptoKey : !!(k && k.algorithm && k.usages);
}

function remember(cryptoKey, bytes) {
  raw.set(cryptoKey, Buffer.from(bytes));
  return cryptoKey;
}

/** Raw bytes of an AES key (Uint8Array given, or a CryptoKey we imported), else null. */
function rawAesKey(key) {
  if (key instanceof Uint8Array) return asBuffer(key);
  return raw.get(key) || null;
}

/** A cached native AES-GCM context for this key, or null (no addon / unknown key). */
function nativeGcm(key) {
  if (!native) return null;
  const hit = gcms.get(key);
  // A Uint8Array key can change after use: its context is reused only while the bytes match.
  if (hit && (hit.bytes === null || sameBytes(hit.bytes, key))) return hit.g;
  const bytes = rawAesKey(key);
  if (!bytes || bytes.length !== 32) return null;
  const g = new native.crypto.Gcm(bytes);
  if (typeof key === 'object') gcms.set(key, { g, bytes: key instanceof Uint8Array ? Buffer.from(bytes) : null });
  return g;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

module.exports = { syncCrypto, webOnly, needSync, subtle, isCryptoKey, remember, rawAesKey, nativeGcm };
