'use strict';
// createEncryptedChannel: the seed README's encrypted channel over any
// transport that carries text lines.
//
// Frames are NDJSON lines (each ending in '\n'):
//   client hello  {"mode":"required","clientHello":{ClientHello},"sessionId":"s_…","keyId":"k_…"}
//   server hello  {ServerHello}  (the reply; keyId echoes the client's)
//   messages      the reference's envelopes, docs/PROTOCOL.md section 3, seq 1, 2, …
// The client's first frame carries its hello (before its first envelope), so
// the server can derive the keys: ECDH P-256 -> HKDF-SHA256 (salt = session
// id) -> one AES-256-GCM key per direction.
const { checkOptions } = require('../options');
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const C = require('../constants');
const { EcdhError, AesGcmError } = require('./errors');
const { StreamError } = require('../errors');
const { generateKeyPairSync, deriveSharedSecretSync, rawPublicKey } = require('./ecdh');
const { deriveSessionKeysSync } = require('./hkdf');
const { createEnvelopeCipher, stringify } = require('./cipher');
const { webOnly } = require('./keys');
const web = require('./web');
const { Serial, isThenable } = require('../serial');

/** What send() gives once the channel is closed (and close() gives the sends still queued). */
const closedError = () => new StreamError('the encrypted channel is closed', 'ERR_CHANNEL_CLOSED');

// Both directions' ciphers behind one small surface: seal(message, seq) gives
// the envelope line, open(line) gives { text, seq, counter }. Synchronous
// (the addon or node:crypto) or, on crypto.subtle, Promises of the same.
function syncCiphers(role, privateKey, peerPub, sessionId, keyId, maxNonces) {
  const secret = deriveSharedSecretSync(privateKey, peerPub);
  const keys = deriveSessionKeysSync(secret, sessionId);
  secret.fill(0);
  const mine = role === 'client' ? keys.clientToServerKey : keys.serverToClientKey;
  const theirs = role === 'client' ? keys.serverToClientKey : keys.clientToServerKey;
  const sealer = createEnvelopeCipher({ key: mine, sessionId, kid: keyId, maxNonces });
  const opener = createEnvelopeCipher({ key: theirs, sessionId, kid: keyId });
  mine.fill(0);
  theirs.fill(0);
  return {
    seal: (message, seq) => sealer.seal(message, seq),
    open(line) {
      try {
        const text = opener.openText(line);
        return { text, seq: opener.lastSeq, counter: opener.lastCounter };
      } catch (err) {
        if (err.reason !== 'envelope') err.seq = opener.lastSeq >= 0 ? opener.lastSeq : undefined;
        throw err;
      }
    },
    dispose() {
      sealer.dispose();
      opener.dispose();
    },
  };
}

async function webCiphers(role, privateKey, peerPub, sessionId, keyId, maxNonces) {
  const keys = await web.sessionKeys(privateKey, peerPub, sessionId);
  const mine = role === 'client' ? keys.clientToServerKey : keys.serverToClientKey;
  const theirs = role === 'client' ? keys.serverToClientKey : keys.clientToServerKey;
  const sealer = new web.WebSealer({ key: mine, sessionId, kid: keyId, maxNonces });
  const opener = new web.WebOpener({ key: theirs });
  return {
    seal: (message, seq) => sealer.sealText(seq, stringify(message)),
    open: (line) => opener.openLine(line),
    dispose() {
      sealer.dispose();
      opener.dispose();
    },
  };
}


class EncryptedChannel {
  constructor(options) {
    const o = checkOptions('createEncryptedChannel', options);
    this.role = o.role;
    this._onMessage = typeof o.onMessage === 'function' ? o.onMessage : () => {};
    this._onError = typeof o.onError === 'function' ? o.onError : null;
    this._send = typeof o.send === 'function' ? o.send : null;
    this._maxNonces = o.maxNonces;
    this._web = webOnly();
    const kp = o.keyPair || generateKeyPairSync();
    this._priv = kp.privateKey;
    this._pubB64 = Buffer.from(kp.publicKey).toString('base64');
    this.sessionId = o.sessionId || (o.role === 'client' ? `s_${nodeCrypto.randomBytes(12).toString('hex')}` : null);
    this.keyId = o.keyId || (o.role === 'client' ? `k_${nodeCrypto.randomUUID().replace(/-/g, '')}` : null);
    this._ciphers = null;
    this._keysReady = null; // Promise while crypto.subtle derives the keys
    this._txTail = null; // crypto.subtle: frames leave in send order
    // Lines are handled in arrival order (behind crypto.subtle work in browsers).
    // An onMessage handler that throws there goes to onError, else becomes an unhandled rejection.
    this._rx = new Serial((err) => (this._onError ? this._onError(err) : Promise.reject(err)));
    this._lineTask = (line) => this._line(line);
    this._outSeq = 0;
    // Order and replays are judged by the nonce counter alone: it is part of
    // the AES-GCM nonce, so it is authenticated. The envelope's seq is not (the
    // wire format has no additional data) and a relay may rewrite it.
    this._lastCounter = -1; // highest delivered nonce counter
    this._queue = []; // messages sent before the keys exist
    this._partial = '';
    this._helloPending = false;
    this._closed = false;
    this.stats = { sent: 0, delivered: 0, replays: 0, authFailures: 0, malformed: 0 };
    if (o.role === 'client') {
      this._remote = o.remotePublicKey ? rawPublicKey(o.remotePublicKey) : null;
      if (this._remote) this._keysReady = this._keysFrom(this._remote);
      this._helloLine = JSON.stringify({
        mode: C.EncryptionMode.Required,
        clientHello: {
          protocolVersion: C.PROTOCOL_VERSION,
          clientEphemeralPubKeyB64: this._pubB64,
          curve: C.SupportedCurve.P256,
          supportedAlgorithms: [C.EncryptionAlgorithm.AES_GCM_256],
        },
        sessionId: this.sessionId,
        keyId: this.keyId,
      });
      this._helloPending = true;
      // Without the server's key the hello goes out at once (the server answers with its key).
      if (!this._remote && this._send) this._flushHello();
    }
  }

  /** This side's public key: base64 of the raw uncompressed P-256 point. */
  getPublicKey() {
    return this._pubB64;
  }

  /** true once both direction keys exist. */
  get ready() {
    return this._ciphers !== null;
  }

  /** Installs the keys agreed with peerPub: at once, or (crypto.subtle) returns a Promise. */
  _keysFrom(peerPub) {
    const install = (c) => {
      if (this._ciphers) this._ciphers.dispose();
      this._ciphers = c;
      if (this._closed) this._ciphers.dispose();
    };
    const args = [this.role, this._priv, peerPub, this.sessionId, this.keyId, this._maxNonces];
    if (!this._web) {
      install(syncCiphers(...args));
      return null;
    }
    return webCiphers(...args).then(install);
  }

  _emit(frame) {
    if (this._send) this._send(frame);
    return frame;
  }

  _flushHello() {
    if (!this._helloPending) return '';
    this._helloPending = false;
    const f = this._helloLine + '\n';
    if (this._ciphers) return f; // goes out with the first envelope
    this._emit(f);
    return '';
  }

  _report(err) {
    if (this._onError) this._onError(err);
  }

  /** Encrypts and sends a message; resolves to the frame handed to the transport. */
  send(message) {
    if (this._closed) return Promise.reject(closedError());
    if (!this._ciphers) {
      return new Promise((resolve, reject) => this._queue.push({ message, resolve, reject }));
    }
    try {
      return Promise.resolve(this._sendNow(message));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  _sendNow(message) {
    const line = this._ciphers.seal(message, this._outSeq + 1);
    const head = this.role === 'client' ? this._flushHello() : '';
    this._outSeq++; // taken now: the next send seals with the next seq before this one settles
    if (!isThenable(line)) {
      this.stats.sent++;
      return this._emit(head + line + '\n');
    }
    // crypto.subtle: frames leave in send order. A refused seal (KEY_EXPIRED)
    // rejects this send's Promise only, never as an unhandled rejection while
    // the sends before it finish.
    line.catch(() => {});
    const p = (this._txTail || Promise.resolve())
      .then(() => line)
      .then((l) => {
        this.stats.sent++;
        return this._emit(head + l + '\n');
      });
    this._txTail = p.catch(() => {});
    return p;
  }

  _drainQueue() {
    const q = this._queue;
    this._queue = [];
    for (const item of q) {
      try {
        item.resolve(this._sendNow(item.message));
      } catch (err) {
        item.reject(err);
      }
    }
  }

  /** Feeds received data: one or more whole frames, or any chunk of them (partial lines are kept). */
  receive(data) {
    if (this._closed) return;
    const text = this._partial + (typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
    const lines = text.split('\n');
    this._partial = lines.pop();
    for (let line of lines) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() !== '') this._rx.run(this._lineTask, line);
    }
  }

  /**
   * Resolves once every line given to receive() so far has been handled:
   * at once on Node; after the crypto.subtle work in browsers.
   */
  settled() {
    return this._rx.idle();
  }

  _line(line) {
    if (this._closed) return undefined;
    if (!this._ciphers) return this._control(line);
    let r;
    try {
      r = this._ciphers.open(line);
    } catch (err) {
      return this._openFailed(err, line);
    }
    if (isThenable(r)) return r.then((x) => this._opened(x), (err) => this._openFailed(err, line));
    return this._opened(r);
  }

  _openFailed(err, line) {
    if (err.reason !== 'envelope') {
      this.stats.authFailures++;
      this._report(err);
      return undefined;
    }
    return this._control(line);
  }

  _opened({ text, seq, counter }) {
    if (counter <= this._lastCounter) {
      this.stats.replays++;
      const err = new AesGcmError(`replayed frame dropped (seq ${seq})`, C.EncryptionErrorCode.NonceReuse);
      err.seq = seq;
      err.replay = true;
      this._report(err);
      return;
    }
    this._lastCounter = counter;
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.stats.malformed++;
      this._report(new AesGcmError('decrypted message is not JSON', C.EncryptionErrorCode.DecryptionFailed));
      return;
    }
    this.stats.delivered++;
    this._onMessage(message);
  }

  _control(line) {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      m = null;
    }
    try {
      if (this.role === 'server' && m && m.clientHello && typeof m.sessionId === 'string' && typeof m.keyId === 'string') {
        const h = m.clientHello;
        if (h.curve !== C.SupportedCurve.P256) throw new EcdhError(`unsupported curve ${h.curve}`, C.EncryptionErrorCode.HandshakeFailed);
        if (!Array.isArray(h.supportedAlgorithms) || !h.supportedAlgorithms.includes(C.EncryptionAlgorithm.AES_GCM_256)) {
          throw new EcdhError('no supported algorithm', C.EncryptionErrorCode.UnsupportedAlgorithm);
        }
        const peer = rawPublicKey(h.clientEphemeralPubKeyB64);
        this.sessionId = m.sessionId;
        this.keyId = m.keyId;
        const answer = () => {
          this._lastCounter = -1;
          this._emit(
            JSON.stringify({
              protocolVersion: C.PROTOCOL_VERSION,
              serverEphemeralPubKeyB64: this._pubB64,
              curve: C.SupportedCurve.P256,
              selectedAlgorithm: C.EncryptionAlgorithm.AES_GCM_256,
              kdf: C.KeyDerivation.HKDF_SHA256,
              keyId: this.keyId,
            }) + '\n',
          );
          this._drainQueue();
        };
        const pending = this._keysFrom(peer);
        if (pending) return pending.then(answer, (err) => this._report(err));
        answer();
        return undefined;
      }
      if (this.role === 'client' && m && typeof m.serverEphemeralPubKeyB64 === 'string') {
        if (m.selectedAlgorithm !== C.EncryptionAlgorithm.AES_GCM_256) {
          throw new EcdhError('unsupported algorithm', C.EncryptionErrorCode.UnsupportedAlgorithm);
        }
        const peer = rawPublicKey(m.serverEphemeralPubKeyB64);
        if (this._remote) {
          if (!peer.equals(this._remote)) throw new EcdhError('server key differs from remotePublicKey', C.EncryptionErrorCode.HandshakeFailed);
        } else {
          this._remote = peer;
          const pending = this._keysFrom(peer);
          if (pending) return pending.then(() => this._drainQueue(), (err) => this._report(err));
          this._drainQueue();
        }
        return undefined;
      }
    } catch (err) {
      this._report(err);
      return;
    }
    this.stats.malformed++;
    const err = new AesGcmError('not a valid encrypted envelope', C.EncryptionErrorCode.DecryptionFailed);
    err.reason = 'envelope';
    this._report(err);
  }

  /** Wipes the keys; pending sends reject. */
  close() {
    this._closed = true;
    if (this._ciphers) this._ciphers.dispose();
    if (this._priv && typeof this._priv.fill === 'function') this._priv.fill(0);
    for (const item of this._queue) item.reject(closedError());
    this._queue = [];
  }
}

/** createEncryptedChannel(options) -> Promise<EncryptedChannel> (as in the README). */
async function createEncryptedChannel(options) {
  let o = options;
  // crypto.subtle makes the ephemeral key pair asynchronously
  if (o && webOnly()) o = { ...o, keyPair: o.keyPair ? await web.importKeyPair(o.keyPair) : await web.keyPair() };
  const ch = new EncryptedChannel(o);
  if (ch._keysReady) await ch._keysReady;
  return ch;
}

module.exports = { createEncryptedChannel, EncryptedChannel };
