'use strict';
// AES-256-GCM: the reference's API (Promises, CryptoKeys) taking the native
// path whenever the raw key bytes are known, the README's two-argument
// encrypt(secret, text)/decrypt(secret, encrypted), and SessionEncryptionContext.
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const C = require('../constants');
const { native } = require('../binding');
const { AesGcmError } = require('./errors');
const { subtle, isCryptoKey, remember, rawAesKey, nativeGcm, syncCrypto } = require('./keys');
const { toBase64, fromBase64, asBuffer } = require('./base64');
const { deriveKey, deriveKeySync } = require('./hkdf');
const { fastKey, sealPayload, openPayload } = require('./payload');

const DECRYPT = C.EncryptionErrorCode.DecryptionFailed;
const msg = (err) => (err instanceof Error ? err.message : String(err));
const u8 = (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function generateNonce() {
  return nodeCrypto.getRandomValues(new Uint8Array(C.AES_GCM_NONCE_SIZE));
}

function generateCounterNonce(prefix, counter) {
  if (prefix.length !== 8) throw new AesGcmError('Nonce prefix must be 8 bytes', C.EncryptionErrorCode.NonceReuse);
  const nonce = new Uint8Array(C.AES_GCM_NONCE_SIZE);
  nonce.set(prefix);
  const v = Number(BigInt(counter) & 0xffffffffn);
  nonce[8] = (v >>> 24) & 0xff;
  nonce[9] = (v >>> 16) & 0xff;
  nonce[10] = (v >>> 8) & 0xff;
  nonce[11] = v & 0xff;
  return nonce;
}

const isBufferSource = (x) => ArrayBuffer.isView(x) || x instanceof ArrayBuffer;
const kindOf = (x) => (x === null ? 'null' : typeof x);

/** The 12-byte nonce as a Buffer: a BufferSource of 12 bytes, else a coded error. */
function nonceBytes(nonce) {
  if (!isBufferSource(nonce)) {
    throw new AesGcmError(`Invalid nonce: expected an ArrayBuffer or a view of one, got ${kindOf(nonce)}`, DECRYPT);
  }
  if (nonce.byteLength !== C.AES_GCM_NONCE_SIZE) {
    throw new AesGcmError(`Invalid nonce length: expected ${C.AES_GCM_NONCE_SIZE}, got ${nonce.byteLength}`, DECRYPT);
  }
  return asBuffer(nonce);
}

// The data arguments, as crypto.subtle takes them: an ArrayBuffer or a view
// of one (a BufferSource). Anything else, or a detached buffer, is the same
// coded error on every backend. Returns the bytes as a Buffer (null for an
// absent additionalData).
function dataBytes(data, verb, optional = false) {
  if (optional && data == null) return null;
  if (!isBufferSource(data)) {
    throw new AesGcmError(`${verb} failed: expected an ArrayBuffer or a view of one, got ${kindOf(data)}`, DECRYPT);
  }
  try {
    return asBuffer(data);
  } catch (err) {
    throw new AesGcmError(`${verb} failed: ${msg(err)}`, DECRYPT);
  }
}

// Browsers reject an explicit `additionalData: undefined`: leave the key out.
function gcmParams(iv, additionalData) {
  const p = { name: 'AES-GCM', iv, tagLength: C.AES_GCM_TAG_SIZE * 8 };
  if (additionalData) p.additionalData = additionalData;
  return p;
}

async function subtleKey(key) {
  if (isCryptoKey(key)) return key;
  return subtle().importKey('raw', key, { name: 'AES-GCM', length: key.length * 8 }, false, ['encrypt', 'decrypt']);
}

async function encryptBytes(key, plaintext, nonce, additionalData) {
  const iv = nonceBytes(nonce);
  const pt = dataBytes(plaintext, 'Encryption');
  const aad = dataBytes(additionalData, 'Encryption', true);
  const g = nativeGcm(key);
  if (g) {
    const r = g.seal(iv, aad, pt);
    if (typeof r === 'number') throw new AesGcmError('Encryption failed', DECRYPT);
    return u8(r);
  }
  const raw = syncCrypto && !native && rawAesKey(key);
  if (raw && raw.length === 32) {
    try {
      const c = nodeCrypto.createCipheriv('aes-256-gcm', raw, iv);
      if (aad) c.setAAD(aad);
      return u8(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
    } catch (err) {
      throw new AesGcmError(`Encryption failed: ${msg(err)}`, DECRYPT);
    }
  }
  try {
    const ct = await subtle().encrypt(
      gcmParams(nonce, additionalData),
      await subtleKey(key),
      plaintext,
    );
    return new Uint8Array(ct);
  } catch (err) {
    throw new AesGcmError(`Encryption failed: ${msg(err)}`, DECRYPT);
  }
}

async function decryptBytes(key, ciphertext, nonce, additionalData) {
  const iv = nonceBytes(nonce);
  const ct = dataBytes(ciphertext, 'Decryption');
  const aad = dataBytes(additionalData, 'Decryption', true);
  const g = nativeGcm(key);
  if (g) {
    const r = g.open(iv, aad, ct);
    if (typeof r === 'number') throw new AesGcmError('Decryption failed: The operation failed for an operation-specific reason', DECRYPT);
    return u8(r);
  }
  const raw = syncCrypto && !native && rawAesKey(key);
  if (raw && raw.length === 32) {
    try {
      if (ct.length < C.AES_GCM_TAG_SIZE) throw new Error('ciphertext shorter than the tag');
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', raw, iv);
      if (aad) d.setAAD(aad);
      d.setAuthTag(ct.subarray(ct.length - C.AES_GCM_TAG_SIZE));
      return u8(Buffer.concat([d.update(ct.subarray(0, ct.length - C.AES_GCM_TAG_SIZE)), d.final()]));
    } catch {
      throw new AesGcmError('Decryption failed: The operation failed for an operation-specific reason', DECRYPT);
    }
  }
  try {
    const pt = await subtle().decrypt(
      gcmParams(nonce, additionalData),
      await subtleKey(key),
      ciphertext,
    );
    return new Uint8Array(pt);
  } catch (err) {
    throw new AesGcmError(`Decryption failed: ${msg(err)}`, DECRYPT);
  }
}

// ---- the README's two-argument form ----------------------------------------------
// The AES key is HKDF-SHA256(secret, salt = 32 zero bytes, info =
// "enclave-stream-native/encrypt/v1"); `encrypted` is { nonceB64, ciphertextB64 }
// (random 12-byte nonce; ciphertext with its 16-byte tag appended).
const README_INFO = 'enclave-stream-native/encrypt/v1';
const secretKeys = new WeakMap();

async function secretKey(secret) {
  if (!(secret instanceof Uint8Array)) throw new TypeError('encrypt/decrypt: the secret must be a Uint8Array (deriveSharedSecret)');
  let k = secretKeys.get(secret);
  if (!k) {
    k = Buffer.from(syncCrypto ? deriveKeySync(secret, null, README_INFO, 32) : await deriveKey(secret, null, README_INFO, 32));
    secretKeys.set(secret, k);
  }
  return k;
}

async function encryptText(secret, text) {
  const key = await secretKey(secret);
  const nonce = generateNonce();
  const ct = await encryptBytes(key, Buffer.from(String(text), 'utf8'), nonce);
  return { nonceB64: toBase64(nonce), ciphertextB64: toBase64(ct) };
}

async function decryptText(secret, encrypted) {
  const key = await secretKey(secret);
  let e = encrypted;
  if (typeof encrypted === 'string') {
    try {
      e = JSON.parse(encrypted);
    } catch (err) {
      throw new AesGcmError(`Decryption failed: not a JSON { nonceB64, ciphertextB64 }: ${err.message}`, DECRYPT);
    }
  }
  if (!e || typeof e.nonceB64 !== 'string' || typeof e.ciphertextB64 !== 'string') {
    throw new AesGcmError('Decryption failed: expected { nonceB64, ciphertextB64 }', DECRYPT);
  }
  let nonce;
  let ct;
  try {
    nonce = fromBase64(e.nonceB64);
    ct = fromBase64(e.ciphertextB64);
  } catch (err) {
    throw new AesGcmError(`Decryption failed: ${msg(err)}`, DECRYPT);
  }
  return Buffer.from(await decryptBytes(key, ct, nonce)).toString('utf8');
}

/**
 * encrypt(key, plaintext, nonce, additionalData?) -> Promise<Uint8Array>   (reference)
 * encrypt(secret, text)                            -> Promise<{ nonceB64, ciphertextB64 }>   (README)
 */
function encrypt(key, plaintext, nonce, additionalData) {
  if (typeof plaintext === 'string') return encryptText(key, plaintext);
  return encryptBytes(key, plaintext, nonce, additionalData);
}

/**
 * decrypt(key, ciphertext, nonce, additionalData?) -> Promise<Uint8Array>   (reference)
 * decrypt(secret, encrypted)                       -> Promise<string>       (README)
 */
function decrypt(key, ciphertext, nonce, additionalData) {
  if (typeof ciphertext === 'string' || (ciphertext && !ArrayBuffer.isView(ciphertext) && !(ciphertext instanceof ArrayBuffer))) {
    return decryptText(key, ciphertext);
  }
  return decryptBytes(key, ciphertext, nonce, additionalData);
}

// JSON.stringify(undefined) is undefined, which the reference's TextEncoder encodes as ''.
function jsonText(data) {
  const t = JSON.stringify(data);
  return t === undefined ? '' : t;
}

async function encryptJson(key, keyId, data, nonce) {
  const actual = nonce || generateNonce();
  const text = jsonText(data);
  const fk = fastKey(key);
  if (fk && actual.length === C.AES_GCM_NONCE_SIZE) {
    const p = sealPayload(fk, keyId, text, actual);
    if (p) return p;
  }
  const ct = await encryptBytes(key, Buffer.from(text, 'utf8'), actual);
  return { kid: keyId, nonceB64: toBase64(actual), ciphertextB64: toBase64(ct) };
}

async function decryptJson(key, payload) {
  const fk = fastKey(key);
  if (fk) {
    const text = openPayload(fk, payload.nonceB64, payload.ciphertextB64);
    if (text !== undefined) return JSON.parse(text);
  }
  const nonce = fromBase64(payload.nonceB64);
  const ct = fromBase64(payload.ciphertextB64);
  const pt = await decryptBytes(key, ct, nonce);
  return JSON.parse(Buffer.from(pt.buffer, pt.byteOffset, pt.byteLength).toString('utf8'));
}

async function createEncryptedEnvelope(key, keyId, sessionId, seq, innerEvent, nonce) {
  const payload = await encryptJson(key, keyId, innerEvent, nonce);
  return { protocolVersion: C.PROTOCOL_VERSION, sessionId, seq, type: C.EventType.Encrypted, payload };
}

class SessionEncryptionContext {
  constructor(key, keyInfo) {
    // Raw key bytes, when known, let both backends skip crypto.subtle.
    this._key = keyInfo && keyInfo.keyBytes && !rawAesKey(key) ? Buffer.from(keyInfo.keyBytes) : key;
    this._cryptoKey = key;
    this._keyInfo = keyInfo;
    // The counter is kept as a Number (exact below 2^53); getNonceCounter() gives the bigint.
    this._n = Number(keyInfo.nonceCounter);
    this._max = Number(keyInfo.maxNonces);
    this._prefix = nodeCrypto.getRandomValues(new Uint8Array(8));
    this._nonce = Buffer.alloc(C.AES_GCM_NONCE_SIZE); // reused by encryptJson
    this._nonce.set(this._prefix);
  }
  get keyId() {
    return this._keyInfo.keyId;
  }
  _fast() {
    if (this._fk === undefined) this._fk = fastKey(this._key);
    return this._fk;
  }
  needsRotation() {
    return this._n >= this._max;
  }
  // Writes the next counter nonce into this._nonce (prefix || counter mod 2^32, big-endian).
  _step() {
    if (this._n >= this._max) throw new AesGcmError('Key needs rotation: nonce limit reached', C.EncryptionErrorCode.KeyExpired);
    this._nonce.writeUInt32BE(this._n % 0x100000000, 8);
    this._n++;
    return this._nonce;
  }
  _nextNonce() {
    return new Uint8Array(this._step());
  }
  async encrypt(plaintext) {
    const nonce = this._nextNonce();
    const ciphertext = await encryptBytes(this._key, plaintext, nonce);
    return { ciphertext, nonce };
  }
  // The payload when the raw key is known (synchronous), else null.
  _sealFast(data) {
    const fk = this._fast();
    if (!fk) return null;
    const text = jsonText(data);
    const p = sealPayload(fk, this._keyInfo.keyId, text, this._step());
    if (!p) throw new AesGcmError('Encryption failed', DECRYPT);
    return p;
  }
  async encryptJson(data) {
    const p = this._sealFast(data);
    if (p) return p;
    const nonce = this._nextNonce();
    const ct = await encryptBytes(this._key, Buffer.from(jsonText(data), 'utf8'), nonce);
    return { kid: this.keyId, nonceB64: toBase64(nonce), ciphertextB64: toBase64(ct) };
  }
  async createEnvelope(sessionId, seq, innerEvent) {
    const payload = this._sealFast(innerEvent) || (await this.encryptJson(innerEvent));
    return { protocolVersion: C.PROTOCOL_VERSION, sessionId, seq, type: C.EventType.Encrypted, payload };
  }
  async decrypt(payload) {
    return decryptBytes(this._key, fromBase64(payload.ciphertextB64), fromBase64(payload.nonceB64));
  }
  async decryptJson(payload) {
    const fk = this._fast();
    if (fk) {
      const text = openPayload(fk, payload.nonceB64, payload.ciphertextB64);
      if (text !== undefined) return JSON.parse(text);
    }
    const pt = await this.decrypt(payload);
    return JSON.parse(Buffer.from(pt.buffer, pt.byteOffset, pt.byteLength).toString('utf8'));
  }
  getNonceCounter() {
    return BigInt(this._n);
  }
  toKeyInfo() {
    return { ...this._keyInfo, nonceCounter: BigInt(this._n) };
  }
  static async fromKeyBytes(keyBytes, keyId) {
    const key = await subtle().importKey('raw', keyBytes, { name: 'AES-GCM', length: keyBytes.length * 8 }, false, ['encrypt', 'decrypt']);
    remember(key, keyBytes);
    const keyInfo = {
      keyId,
      algorithm: C.EncryptionAlgorithm.AES_GCM_256,
      keyBytes,
      nonceCounter: 0n,
      maxNonces: C.MAX_MESSAGES_PER_KEY,
      createdAt: Date.now(),
    };
    return new SessionEncryptionContext(key, keyInfo);
  }
}

module.exports = {
  generateNonce,
  generateCounterNonce,
  toBase64,
  fromBase64,
  encrypt,
  decrypt,
  encryptJson,
  decryptJson,
  createEncryptedEnvelope,
  SessionEncryptionContext,
  AesGcmError,
  README_INFO,
};
