'use strict';
// Encryption for the streaming transport: the PROTOCOL.md section 3
// handshake on connect, then one sealing context per direction whose
// counter survives reconnects (a resumed session keeps its keys, so no
// nonce is ever reused). Envelope lines are built once and replayed as is.
// Runs on lib/crypto: the native envelope cipher when the addon is loaded,
// its node:crypto twin otherwise.
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { native, backend } = require('../binding');
const { generateKeyPairSync, deriveSharedSecretSync } = require('../crypto/ecdh');
const { deriveSessionKeysSync } = require('../crypto/hkdf');
const { createEnvelopeCipher, checkEnvelope } = require('../crypto/cipher');
const { openPayload } = require('../crypto/payload');
const { webOnly } = require('../crypto/keys');
const web = require('../crypto/web');

const MAX_NONCES = 2 ** 30;

class SecureError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'SecureError';
    this.code = code;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The 32-bit big-endian counter at the end of an authenticated nonce (12
 * bytes, so 16 characters of canonical base64 without padding): characters
 * 8..15 hold bytes 6..11, the counter is their low 32 bits.
 */
function nonceCounter(nonceB64) {
  let acc = 0;
  for (let i = 8; i < 16; i++) acc = acc * 64 + B64.indexOf(nonceB64[i]);
  return acc % 0x100000000;
}

/**
 * Replay protection of an opener. The outer seq of an envelope is not
 * authenticated (PROTOCOL.md section 3 has no additional data), so replays
 * are caught by the nonce counter: the peer's sealer numbers its envelopes in
 * seq order, so every envelope delivered must carry a higher counter than the
 * last one delivered. The counter is committed by accept(), once the message
 * was delivered.
 */
class ReplayGuard {
  constructor(kid) {
    this.kid = kid;
    this.lastCounter = -1; // nonce counter of the last envelope delivered
    this._opened = -1; // nonce counter of the last envelope opened
  }

  _opening(envelope, counter) {
    if (counter <= this.lastCounter) {
      const err = new SecureError(`replayed envelope dropped (seq ${envelope.seq}, nonce counter ${counter})`, 'ENCRYPTION_NONCE_REUSE');
      err.replay = true;
      throw err;
    }
    this._opened = counter;
  }

  /** The message last opened was delivered: older counters are replays from now on. */
  accept() {
    if (this._opened > this.lastCounter) this.lastCounter = this._opened;
  }
}

/** Opens parsed envelopes (the transport has already JSON-parsed the line). */
class Opener extends ReplayGuard {
  constructor(key, kid) {
    super(kid);
    // native: one call decodes both base64 fields strictly and opens
    this._fk = native ? new native.crypto.Gcm(Buffer.from(key)) : Buffer.from(key);
  }

  /** Opens a parsed envelope; returns the inner JSON text. Throws a coded error. */
  openText(envelope) {
    if (!checkEnvelope(envelope)) throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    const p = envelope.payload;
    let text;
    try {
      text = openPayload(this._fk, p.nonceB64, p.ciphertextB64);
    } catch {
      throw new SecureError('decryption failed', 'ENCRYPTION_DECRYPTION_FAILED');
    }
    // undefined: not canonical base64, a nonce other than 12 bytes or a ciphertext under 16 bytes
    if (text === undefined) throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    this._opening(envelope, nonceCounter(p.nonceB64));
    return text;
  }
}

/**
 * The crypto.subtle twin of Opener (browsers): prepare(lines) opens every
 * envelope of a frame at once (a Promise); openText() then answers from those
 * results synchronously, with Opener's checks and errors, so the Link reads
 * the frame exactly as on the synchronous path. done() forgets the results.
 */
class PreparedOpener extends ReplayGuard {
  constructor(key, kid) {
    super(kid);
    this._web = new web.WebOpener({ key });
    this._results = null; // seq -> { text, counter } | { error }
  }

  async prepare(lines) {
    const results = new Map();
    const work = [];
    for (const line of lines) {
      let v;
      try {
        v = JSON.parse(line);
      } catch {
        continue; // the Link reports it
      }
      if (!checkEnvelope(v) || results.has(v.seq)) continue;
      const slot = {};
      results.set(v.seq, slot);
      work.push(
        this._web.openParsed(v).then(
          (r) => {
            slot.text = r.text;
            slot.counter = r.counter;
          },
          (err) => {
            slot.error = err;
          },
        ),
      );
    }
    await Promise.all(work);
    this._results = results;
  }

  openText(envelope) {
    const r = checkEnvelope(envelope) && this._results ? this._results.get(envelope.seq) : undefined;
    if (!r) throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    if (r.error) throw new SecureError('decryption failed', 'ENCRYPTION_DECRYPTION_FAILED');
    this._opening(envelope, r.counter);
    return r.text;
  }

  done() {
    this._results = null;
  }
}

/** One direction's sealing context (8 random nonce bytes + 32-bit counter). */
class Sealer {
  constructor(key, kid, sessionId) {
    this.kid = kid;
    this.sessionId = sessionId;
    this._c = createEnvelopeCipher({ key, sessionId, kid, maxNonces: MAX_NONCES });
  }
  get counter() {
    return this._c.nonceCounter;
  }
  /** Seals one inner line (JSON text) as the envelope line for `seq`. */
  sealLine(seq, innerLine) {
    try {
      return this._c.sealText(seq, innerLine);
    } catch (err) {
      throw new SecureError(err.message, err.code || 'ENCRYPTION_HANDSHAKE_FAILED');
    }
  }
}

function makeChannel(secret, sessionId, kid, role) {
  const { clientToServerKey: c2s, serverToClientKey: s2c } = deriveSessionKeysSync(secret, sessionId);
  const ch =
    role === 'client'
      ? { kid, sealer: new Sealer(c2s, kid, sessionId), opener: new Opener(s2c, kid) }
      : { kid, sealer: new Sealer(s2c, kid, sessionId), opener: new Opener(c2s, kid) };
  c2s.fill(0);
  s2c.fill(0);
  return ch;
}

function computeSecret(privateKey, b64) {
  try {
    return deriveSharedSecretSync(privateKey, String(b64));
  } catch (err) {
    throw new SecureError(`invalid peer public key: ${err.message}`, 'ENCRYPTION_INVALID_PUBLIC_KEY');
  }
}

function clientHello(publicKeyB64) {
  return { protocolVersion: 2, clientEphemeralPubKeyB64: publicKeyB64, curve: 'P-256', supportedAlgorithms: ['AES-GCM-256'] };
}

function checkServerHello(serverHello) {
  if (!serverHello || serverHello.curve !== 'P-256' || serverHello.selectedAlgorithm !== 'AES-GCM-256') {
    throw new SecureError('unsupported server hello', 'ENCRYPTION_HANDSHAKE_FAILED');
  }
}

/**
 * Client side: returns { hello, finish(serverHello, sessionId) -> channel }.
 * On crypto.subtle (browsers) hello and finish() are Promises, the channel
 * has `async: true`, its sealer's sealLine() returns a Promise and its
 * opener is a PreparedOpener (each frame is prepared before it is read).
 */
function clientHandshake() {
  if (webOnly()) return webClientHandshake();
  const kp = generateKeyPairSync();
  const hello = clientHello(kp.publicKeyB64);
  return {
    hello,
    finish(serverHello, sessionId) {
      checkServerHello(serverHello);
      const secret = computeSecret(kp.privateKey, serverHello.serverEphemeralPubKeyB64);
      kp.privateKey.fill(0);
      const ch = makeChannel(secret, sessionId, serverHello.keyId, 'client');
      secret.fill(0);
      return ch;
    },
  };
}

function webClientHandshake() {
  const kp = web.keyPair();
  kp.catch(() => {}); // reported by hello
  return {
    async: true,
    hello: kp.then((k) => clientHello(k.publicKeyB64)),
    async finish(serverHello, sessionId) {
      checkServerHello(serverHello);
      const k = await kp;
      let keys;
      try {
        keys = await web.sessionKeys(k.privateKey, String(serverHello.serverEphemeralPubKeyB64), sessionId);
      } catch (err) {
        throw new SecureError(`invalid peer public key: ${err.message}`, 'ENCRYPTION_INVALID_PUBLIC_KEY');
      }
      const kid = serverHello.keyId;
      const sealer = new web.WebSealer({ key: keys.clientToServerKey, sessionId, kid, maxNonces: MAX_NONCES });
      const coded = (err) => {
        throw new SecureError(err.message, err.code || 'ENCRYPTION_HANDSHAKE_FAILED');
      };
      return {
        kid,
        async: true,
        sealer: { kid, sessionId, sealLine: (seq, innerLine) => sealer.sealText(seq, innerLine).catch(coded) },
        opener: new PreparedOpener(keys.serverToClientKey, kid),
      };
    },
  };
}

/** Server side: answers a ClientHello; returns { serverHello, channel }. */
function serverHandshake(clientHello, sessionId) {
  if (!clientHello || clientHello.curve !== 'P-256') throw new SecureError('unsupported curve', 'ENCRYPTION_HANDSHAKE_FAILED');
  if (!Array.isArray(clientHello.supportedAlgorithms) || !clientHello.supportedAlgorithms.includes('AES-GCM-256')) {
    throw new SecureError('no supported algorithm', 'ENCRYPTION_UNSUPPORTED_ALGORITHM');
  }
  const kp = generateKeyPairSync();
  const secret = computeSecret(kp.privateKey, clientHello.clientEphemeralPubKeyB64);
  kp.privateKey.fill(0);
  const keyId = `k_${nodeCrypto.randomUUID()}`;
  const serverHello = {
    protocolVersion: 2,
    serverEphemeralPubKeyB64: kp.publicKeyB64,
    curve: 'P-256',
    selectedAlgorithm: 'AES-GCM-256',
    kdf: 'HKDF-SHA-256',
    keyId,
  };
  const channel = makeChannel(secret, sessionId, keyId, 'server');
  secret.fill(0);
  return { serverHello, channel };
}

module.exports = { clientHandshake, serverHandshake, SecureError, backend: `lib/crypto (${backend})` };
