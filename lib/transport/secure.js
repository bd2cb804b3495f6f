'use strict';
// Encryption for the streaming transport: the PROTOCOL.md section 3
// handshake on connect, then one sealing context per direction whose
// counter survives reconnects (a resumed session keeps its keys, so no
// nonce is ever reused). Envelope lines are built once and replayed as is.
//
// This adapter runs on node:crypto; it is the single place to switch to
// lib/crypto's native cipher objects.

const nodeCrypto = require('node:crypto');

const INFO_C2S = 'enclavejs-c2s-enc';
const INFO_S2C = 'enclavejs-s2c-enc';
const MAX_NONCES = 2 ** 30;

class SecureError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'SecureError';
    this.code = code;
  }
}

function deriveKey(secret, sessionId, info) {
  const salt = sessionId == null ? Buffer.alloc(32) : Buffer.from(sessionId, 'utf8');
  return Buffer.from(nodeCrypto.hkdfSync('sha256', secret, salt, Buffer.from(info, 'utf8'), 32));
}

/** One direction's AES-256-GCM context (8 random nonce bytes + 32-bit counter). */
class SealContext {
  constructor(key, kid, sessionId) {
    this.key = key;
    this.kid = kid;
    this.sessionId = sessionId;
    this.prefix = nodeCrypto.randomBytes(8);
    this.counter = 0;
    this._head = `{"protocolVersion":2,"sessionId":${JSON.stringify(sessionId)},"seq":`;
    this._kid = `,"type":"enc","payload":{"kid":${JSON.stringify(kid)},"nonceB64":"`;
  }

  /** Seals one inner line (JSON text) as the envelope line for `seq`. */
  sealLine(seq, innerLine) {
    if (this.counter >= MAX_NONCES) throw new SecureError('nonce space exhausted', 'ENCRYPTION_KEY_EXPIRED');
    const nonce = Buffer.allocUnsafe(12);
    this.prefix.copy(nonce, 0);
    nonce.writeUInt32BE(this.counter++, 8);
    const c = nodeCrypto.createCipheriv('aes-256-gcm', this.key, nonce);
    const ct = Buffer.concat([c.update(innerLine, 'utf8'), c.final(), c.getAuthTag()]);
    return `${this._head}${seq}${this._kid}${nonce.toString('base64')}","ciphertextB64":"${ct.toString('base64')}"}}`;
  }
}

class OpenContext {
  constructor(key, kid) {
    this.key = key;
    this.kid = kid;
  }

  /** Opens a parsed envelope; returns the inner JSON text. Throws a coded error. */
  openText(envelope) {
    const p = envelope && envelope.payload;
    if (!p || typeof p.nonceB64 !== 'string' || typeof p.ciphertextB64 !== 'string') {
      throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    }
    const nonce = Buffer.from(p.nonceB64, 'base64');
    let ct = Buffer.from(p.ciphertextB64, 'base64');
    if (typeof p.tagB64 === 'string' && p.tagB64.length) ct = Buffer.concat([ct, Buffer.from(p.tagB64, 'base64')]);
    if (nonce.length !== 12 || ct.length < 16) throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    try {
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', this.key, nonce);
      d.setAuthTag(ct.subarray(ct.length - 16));
      return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('utf8');
    } catch {
      throw new SecureError('decryption failed', 'ENCRYPTION_DECRYPTION_FAILED');
    }
  }
}

function makeChannel(secret, sessionId, kid, role) {
  const c2s = deriveKey(secret, sessionId, INFO_C2S);
  const s2c = deriveKey(secret, sessionId, INFO_S2C);
  return role === 'client'
    ? { kid, sealer: new SealContext(c2s, kid, sessionId), opener: new OpenContext(s2c, kid) }
    : { kid, sealer: new SealContext(s2c, kid, sessionId), opener: new OpenContext(c2s, kid) };
}

function importPeerKey(ecdh, b64) {
  try {
    const raw = Buffer.from(String(b64), 'base64');
    if (raw.length !== 65 || raw[0] !== 4) throw new Error('not an uncompressed P-256 point');
    return ecdh.computeSecret(raw);
  } catch (err) {
    throw new SecureError(`invalid peer public key: ${err.message}`, 'ENCRYPTION_INVALID_PUBLIC_KEY');
  }
}

/** Client side: returns { hello, finish(serverHello, sessionId) -> channel }. */
function clientHandshake() {
  const ecdh = nodeCrypto.createECDH('prime256v1');
  const pub = ecdh.generateKeys();
  const hello = {
    protocolVersion: 2,
    clientEphemeralPubKeyB64: pub.toString('base64'),
    curve: 'P-256',
    supportedAlgorithms: ['AES-GCM-256'],
  };
  return {
    hello,
    finish(serverHello, sessionId) {
      if (!serverHello || serverHello.curve !== 'P-256' || serverHello.selectedAlgorithm !== 'AES-GCM-256') {
        throw new SecureError('unsupported server hello', 'ENCRYPTION_HANDSHAKE_FAILED');
      }
      const secret = importPeerKey(ecdh, serverHello.serverEphemeralPubKeyB64);
      return makeChannel(secret, sessionId, serverHello.keyId, 'client');
    },
  };
}

/** Server side: answers a ClientHello; returns { serverHello, channel }. */
function serverHandshake(clientHello, sessionId) {
  if (!clientHello || clientHello.curve !== 'P-256') throw new SecureError('unsupported curve', 'ENCRYPTION_HANDSHAKE_FAILED');
  if (!Array.isArray(clientHello.supportedAlgorithms) || !clientHello.supportedAlgorithms.includes('AES-GCM-256')) {
    throw new SecureError('no supported algorithm', 'ENCRYPTION_UNSUPPORTED_ALGORITHM');
  }
  const ecdh = nodeCrypto.createECDH('prime256v1');
  const pub = ecdh.generateKeys();
  const secret = importPeerKey(ecdh, clientHello.clientEphemeralPubKeyB64);
  const keyId = `k_${nodeCrypto.randomUUID()}`;
  const serverHello = {
    protocolVersion: 2,
    serverEphemeralPubKeyB64: pub.toString('base64'),
    curve: 'P-256',
    selectedAlgorithm: 'AES-GCM-256',
    kdf: 'HKDF-SHA-256',
    keyId,
  };
  return { serverHello, channel: makeChannel(secret, sessionId, keyId, 'server') };
}

module.exports = { clientHandshake, serverHandshake, SecureError, backend: 'node:crypto' };
