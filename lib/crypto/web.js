'use strict';
// The channel and stream-transport crypto on crypto.subtle alone: what
// browsers run (Node runs the synchronous twins in cipher.js / ecdh.js /
// hkdf.js, native or node:crypto). Every operation returns a Promise; the
// envelopes are byte for byte those of the synchronous EnvelopeCipher
// (docs/PROTOCOL.md section 3): nonce = 8 random bytes || 32-bit big-endian counter.
// Nonce counters are taken when a seal is called, so sealing in call order
// and awaiting in any order still numbers the envelopes in call order.
const { Buffer } = require('../platform/buffer');
const C = require('../constants');
const { subtle, isCryptoKey } = require('./keys');
const { EcdhError, HkdfError, AesGcmError } = require('./errors');
const { rawPublicKey } = require('./ecdh');
const { checkEnvelope, MAX_NONCES } = require('./cipher');
const { decodeStrict } = require('./base64');

const DECRYPT = C.EncryptionErrorCode.DecryptionFailed;
const AUTH_FAILED = 'decryption failed: authentication failed or bad nonce/ciphertext';
const msg = (err) => (err instanceof Error ? err.message : String(err));

/** An ephemeral P-256 key pair: { privateKey: CryptoKey, publicKey: Uint8Array(65), publicKeyB64 }. */
async function keyPair() {
  try {
    const kp = await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const pub = Buffer.from(await subtle().exportKey('raw', kp.publicKey));
    return { privateKey: kp.privateKey, publicKey: new Uint8Array(pub), publicKeyB64: pub.toString('base64') };
  } catch (err) {
    throw new EcdhError(`Failed to generate key pair: ${msg(err)}`, C.EncryptionErrorCode.HandshakeFailed);
  }
}

const b64url = (b) => Buffer.from(b).toString('base64url');

/**
 * A given key pair for crypto.subtle: CryptoKeys (generateKeyPair()) or raw
 * bytes (a 32-byte private key with its 65-byte public point).
 */
async function importKeyPair(kp) {
  let pub = kp.publicKey;
  if (isCryptoKey(pub)) pub = new Uint8Array(await subtle().exportKey('raw', pub));
  pub = rawPublicKey(pub);
  let priv = kp.privateKey;
  if (!isCryptoKey(priv)) {
    const d = Buffer.from(priv);
    if (d.length !== 32) throw new EcdhError('Invalid private key: expected 32 bytes', C.EncryptionErrorCode.HandshakeFailed);
    const jwk = { kty: 'EC', crv: 'P-256', d: b64url(d), x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33)), ext: false };
    try {
      priv = await subtle().importKey('jwk', jwk, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    } catch (err) {
      throw new EcdhError(`Invalid private key: ${msg(err)}`, C.EncryptionErrorCode.HandshakeFailed);
    }
  }
  return { privateKey: priv, publicKey: new Uint8Array(pub), publicKeyB64: pub.toString('base64') };
}

/** ECDH with the peer's raw point (Uint8Array or base64): the 32-byte shared secret. */
async function sharedSecret(privateKey, peerPublicKey) {
  const raw = rawPublicKey(peerPublicKey); // throws EcdhError INVALID_PUBLIC_KEY
  let peer;
  try {
    peer = await subtle().importKey('raw', raw, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  } catch (err) {
    throw new EcdhError(`Failed to import public key: ${msg(err)}`, C.EncryptionErrorCode.InvalidPublicKey);
  }
  try {
    return new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: peer }, privateKey, 256));
  } catch (err) {
    throw new EcdhError(`Failed to derive shared secret: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
}

/** HKDF-SHA256 (salt = UTF-8 session id) of a shared secret into the two direction keys, as AES-GCM CryptoKeys. */
async function keysFromSecret(secret, sessionId) {
  const salt = sessionId == null ? new Uint8Array(32) : Buffer.from(String(sessionId), 'utf8');
  try {
    const ikm = await subtle().importKey('raw', secret, 'HKDF', false, ['deriveKey']);
    const derive = (info) =>
      subtle().deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt, info: Buffer.from(info, 'utf8') },
        ikm,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      );
    const [clientToServerKey, serverToClientKey] = await Promise.all([derive(C.HkdfInfo.ClientToServer), derive(C.HkdfInfo.ServerToClient)]);
    return { clientToServerKey, serverToClientKey };
  } catch (err) {
    throw new HkdfError(`Failed to derive key: ${msg(err)}`, C.EncryptionErrorCode.KeyDerivationFailed);
  }
}

/**
 * ECDH with the peer's raw point (Uint8Array or base64), then HKDF-SHA256
 * (salt = UTF-8 session id) into the two direction keys, as AES-GCM CryptoKeys.
 */
async function sessionKeys(privateKey, peerPublicKey, sessionId) {
  const secret = await sharedSecret(privateKey, peerPublicKey);
  try {
    return await keysFromSecret(secret, sessionId);
  } finally {
    secret.fill(0);
  }
}

/** An AES-GCM CryptoKey from 32 raw bytes (tests and interop). */
function importAesKey(bytes) {
  return subtle().importKey('raw', bytes, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Seals inner events (JSON text) into envelope lines, one direction, one key. */
class WebSealer {
  constructor({ key, sessionId, kid, maxNonces = MAX_NONCES, noncePrefix, nonceCounter = 0 }) {
    this.key = key; // AES-GCM CryptoKey
    this.kid = kid;
    this.sessionId = sessionId;
    this.maxNonces = Math.min(maxNonces, 2 ** 32);
    this._prefix = noncePrefix ? Buffer.from(noncePrefix) : globalThis.crypto.getRandomValues(Buffer.alloc(8));
    this._counter = nonceCounter;
    this._head = `{"protocolVersion":2,"sessionId":${JSON.stringify(sessionId)},"seq":`;
    this._mid = `,"type":"enc","payload":{"kid":${JSON.stringify(kid)},"nonceB64":"`;
  }

  get nonceCounter() {
    return this._counter;
  }

  /** Promise of the envelope line (no '\n') of `text` as message `seq`. */
  sealText(seq, text) {
    if (!this.key) return Promise.reject(new Error('the cipher was disposed'));
    if (this._counter >= this.maxNonces) {
      return Promise.reject(new AesGcmError('Key needs rotation: nonce limit reached', C.EncryptionErrorCode.KeyExpired));
    }
    const iv = Buffer.alloc(12);
    this._prefix.copy(iv, 0);
    iv.writeUInt32BE(this._counter >>> 0, 8);
    this._counter++;
    const head = `${this._head}${seq}${this._mid}${iv.toString('base64')}","ciphertextB64":"`;
    return subtle()
      .encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, this.key, Buffer.from(text, 'utf8'))
      .then((ct) => `${head}${Buffer.from(ct).toString('base64')}"}}`);
  }

  dispose() {
    this.key = null;
  }
}

/** Opens envelope lines or parsed envelopes of one direction. */
class WebOpener {
  constructor({ key }) {
    this.key = key;
  }

  /**
   * Promise of { text, seq, counter } for one envelope line. A line that is
   * not an envelope rejects with err.reason === 'envelope'.
   */
  async openLine(line) {
    let env;
    try {
      env = JSON.parse(line);
    } catch {
      env = null;
    }
    return this.openParsed(env);
  }

  /** Promise of { text, seq, counter } for a parsed envelope; rejects with a coded AesGcmError. */
  async openParsed(env) {
    if (!checkEnvelope(env)) {
      const err = new AesGcmError('not a valid encrypted envelope', DECRYPT);
      err.reason = 'envelope';
      if (env && Number.isSafeInteger(env.seq) && env.seq >= 0) err.seq = env.seq;
      throw err;
    }
    const iv = decodeStrict(env.payload.nonceB64);
    const ct = decodeStrict(env.payload.ciphertextB64);
    const fail = () => {
      const err = new AesGcmError(AUTH_FAILED, DECRYPT);
      err.seq = env.seq;
      return err;
    };
    if (!iv || iv.length !== 12 || !ct || ct.length < 16) throw fail();
    if (!this.key) throw new Error('the cipher was disposed');
    let pt;
    try {
      pt = await subtle().decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, this.key, ct);
    } catch {
      throw fail();
    }
    return { text: Buffer.from(pt).toString('utf8'), seq: env.seq, counter: iv.readUInt32BE(8) };
  }

  dispose() {
    this.key = null;
  }
}

module.exports = { keyPair, importKeyPair, sessionKeys, sharedSecret, keysFromSecret, importAesKey, WebSealer, WebOpener };
