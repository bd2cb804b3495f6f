'use strict';
// Encryption and authentication of the stream protocol (docs/PROTOCOL.md
// §3, §6, §7): the handshake of a new session, then a Channel per session
// that seals and opens the data lines of both directions, MACs the control
// frames that change what the peer holds (acks, gaps, resume, rekey), binds
// each line's seq to what AES-GCM authenticates, and moves both directions to
// fresh keys from a new ECDH exchange (rekey, forward secrecy). A Channel
// outlives connections: a resumed session keeps its keys and counters, and
// envelope lines are sealed once and replayed as they are.
//
// Runs on lib/crypto: the native envelope cipher when the addon is loaded,
// its node:crypto twin otherwise, crypto.subtle in browsers (then sealing
// returns Promises and the client opens each frame ahead with prepare()).
const { SecureError } = require('../errors');
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { native, backend } = require('../binding');
const { ephemeralKeySync, storedKeySync } = require('../crypto/ecdh');
const { deriveSessionKeysSync } = require('../crypto/hkdf');
const { createEnvelopeCipher, checkEnvelope } = require('../crypto/cipher');
const { openPayload } = require('../crypto/payload');
const { webOnly } = require('../crypto/keys');
const { hkdf32, mac, checkMac, fromB64url } = require('../crypto/hmac');
const { build } = require('../protocol/control');
const web = require('../crypto/web');

const MAX_NONCES = 2 ** 30;

const AUTH_C2S = 'esn2 auth c2s';
const AUTH_S2C = 'esn2 auth s2c';

/** The authentication keys of a session from its first shared secret (encrypted) or its credential (plaintext). */
function authKeys(ikm, sid) {
  return { c2s: hkdf32(ikm, sid, AUTH_C2S), s2c: hkdf32(ikm, sid, AUTH_S2C) };
}

/**
 * The resume verifier of a plaintext session: the key its client proves it
 * holds (derived from the credential; the credential itself is not kept).
 * null for a credential that is not base64url of 32 bytes.
 */
function credentialKey(credential, sid) {
  const b = fromB64url(credential);
  if (!b || b.length !== 32) return null;
  return hkdf32(b, sid, AUTH_C2S);
}

const kidOf = (kid0, ep) => (ep === 0 ? kid0 : `${kid0}.${ep}`);

function wipe(k) {
  if (!k) return;
  if (typeof k.dispose === 'function') k.dispose();
  else if (k instanceof Uint8Array) k.fill(0);
}

/** Opens envelopes sealed under one key, synchronously (addon or node:crypto). */
class KeyOpener {
  constructor(key, sid, kid) {
    // native: one call decodes both base64 fields strictly and opens
    this._fk = native ? new native.crypto.Gcm(Buffer.from(key)) : Buffer.from(key);
    this.kid = kid;
    // native: whole frames of envelope lines open in one call (frame())
    this._frame = native ? new FrameOpener(key, sid, kid) : null;
  }

  openText(envelope) {
    const p = envelope.payload;
    let text;
    try {
      text = openPayload(this._fk, p.nonceB64, p.ciphertextB64);
    } catch {
      throw new SecureError('decryption failed', 'ENCRYPTION_DECRYPTION_FAILED');
    }
    // undefined: not canonical base64, a nonce other than 12 bytes or a ciphertext under 16 bytes
    if (text === undefined) throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    return text;
  }

  dispose() {
    wipe(this._fk);
    this._fk = null;
    if (this._frame) this._frame.dispose();
    this._frame = null;
  }
}

/**
 * Opens a run of envelope lines of one transport frame in one call into the
 * addon (esn_envelope_open_batch: the envelope checked, both base64 fields
 * decoded, AES-GCM opened, the plaintexts written back to back). Only lines
 * that begin exactly as this package's sealers write them for this session
 * and key ({"protocolVersion":2,"sessionId":<sid>,"seq":N,"type":"enc",
 * "payload":{"kid":<kid>,"nonceB64":…) come here: the Link sends any other
 * line, and any line this refuses, through Channel.open, which gives the
 * precise coded reason.
 */
class FrameOpener {
  constructor(key, sid, kid) {
    this._c = new native.crypto.EnvelopeCipher(Buffer.from(key), Buffer.from(sid, 'utf8'), Buffer.from(kid, 'utf8'), null, 0, 0, new Float64Array(4));
    this.head = Buffer.from(`{"protocolVersion":2,"sessionId":${JSON.stringify(sid)},"seq":`, 'utf8');
    this.tail = Buffer.from(`,"type":"enc","payload":{"kid":${JSON.stringify(kid)},"nonceB64":"`, 'utf8');
    this.kid = kid;
    this.res = null; // per line: seq, offset, length, -status, counter (the scratch of the run being read)
    this.out = null; // the plaintexts of that run
  }

  /**
   * Opens the lines of buf[start, end) (`count` lines, each shaped as above)
   * into this.out / this.res; returns the result count. The scratch is
   * shared by every session (an idle session holds none of it); a Link
   * reading a frame while another one is being read (from inside an app
   * handler) gets its own. Call release() once the run's results are read.
   */
  open(buf, start, end, count) {
    const mine = SCRATCH.busy ? { res: null, out: null, busy: false } : SCRATCH;
    mine.busy = true;
    if (mine.res === null || mine.res.length < 5 * count) mine.res = new Float64Array(Math.max(5 * count, 320));
    if (mine.out === null || mine.out.length < end - start) mine.out = Buffer.allocUnsafe(Math.max(end - start, 64 * 1024));
    this.res = mine.res;
    this.out = mine.out;
    this._scratch = mine;
    try {
      return this._c.openBatch(buf, start, end - start, this.out, this.res);
    } catch (err) {
      this.release(); // (a disposed cipher) the shared scratch is not left busy
      throw err;
    }
  }

  release() {
    const mine = this._scratch;
    if (!mine) return;
    mine.out.fill(0, 0, Math.min(mine.out.length, this._used || mine.out.length)); // no plaintext left behind
    mine.busy = false;
    this._scratch = this.res = this.out = null;
  }

  dispose() {
    this._c.dispose();
  }
}

// The plaintext scratch of FrameOpener.open (one at a time; see there).
const SCRATCH = { res: null, out: null, busy: false };

/** The crypto.subtle twin: open() is a Promise of the text. */
class WebKeyOpener {
  constructor(key) {
    this._web = new web.WebOpener({ key });
  }

  open(envelope) {
    return this._web.openParsed(envelope).then((r) => r.text);
  }

  dispose() {
    this._web.dispose();
  }
}

/**
 * One session's encryption state, on either side. `role` is the side this
 * Channel runs on; it seals its direction and opens the peer's.
 */
class Channel {
  constructor({ role, sid, kid, auth, async = false }) {
    this.role = role;
    this.sid = sid;
    this.kid = kid; // epoch 0's key id (the ServerHello's keyId)
    this.async = async;
    this._auth = auth;
    this._authMine = role === 'client' ? auth.c2s : auth.s2c;
    this._authPeer = role === 'client' ? auth.s2c : auth.c2s;
    this._raw = new Map(); // kid -> { ep, c2s, s2c } raw keys of the epochs held (sync only; for export())
    this.epoch = -1;
    this.sealer = null;
    this.openers = new Map(); // kid -> KeyOpener | WebKeyOpener (the epochs the peer may still use)
    this._epochOf = new Map(); // kid -> epoch, of the openers held
    this._firstSeq = 0; // server: the first event seq sealed under the current epoch
    this._peerSwitch = null; // server: { ep, s }: client messages from seq s on are sealed under epoch ep
    this.peerKid = null; // kid the peer seals under in the current epoch
    this.rekeys = 0;
    this.epochMessages = 0; // sealed + opened under the current epoch
    this.epochStart = Date.now();
    this._opened = null; // kid of the envelope last opened
    this._results = null; // async: prepared openings of the frame being read
    this._pending = null; // server: { ep, kp, frame } while a rekey awaits its answer
    this._answer = null; // client: { ep, spub, frame } resent until an event under the new key arrives
  }

  /** Installs the keys of epoch `ep` (raw bytes, or CryptoKeys when async). */
  _install(ep, c2s, s2c) {
    const kid = kidOf(this.kid, ep);
    const mine = this.role === 'client' ? c2s : s2c;
    const peer = this.role === 'client' ? s2c : c2s;
    const old = this.sealer;
    if (this.async) {
      const s = new web.WebSealer({ key: mine, sessionId: this.sid, kid, maxNonces: MAX_NONCES });
      this.sealer = { kid, sealText: (seq, text) => s.sealText(seq, text).catch(coded), dispose: () => s.dispose() };
      this.openers.set(kid, new WebKeyOpener(peer));
      this._epochOf.set(kid, ep);
    } else {
      this._epochOf.set(kid, ep);
      this.sealer = createEnvelopeCipher({ key: mine, sessionId: this.sid, kid, maxNonces: MAX_NONCES });
      this.openers.set(kid, new KeyOpener(peer, this.sid, kid));
      this._raw.set(kid, { ep, c2s: Buffer.from(c2s), s2c: Buffer.from(s2c) });
      c2s.fill(0);
      s2c.fill(0);
    }
    wipe(old);
    this.epoch = ep;
    this.peerKid = kid;
    this.epochMessages = 0;
    this.epochStart = Date.now();
  }

  // ---- data lines ------------------------------------------------------

  /**
   * The envelope line of data line `seq` whose inner JSON is `inner` (a
   * string; a Promise of it when async). Client messages are sealed as
   * {"s":seq,"m":message} so the seq is authenticated; server events carry
   * their own seq and sessionId.
   */
  seal(seq, inner) {
    const text = this.role === 'client' ? `{"s":${seq},"m":${inner}}` : inner;
    this.epochMessages++;
    if (this.async) return this.sealer.sealText(seq, text);
    try {
      return this.sealer.sealText(seq, text);
    } catch (err) {
      throw coded(err, true);
    }
  }

  /** async: opens every envelope of a frame's lines ahead, so open() answers synchronously. */
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
      if (!checkEnvelope(v)) continue;
      const o = this.openers.get(v.payload.kid);
      if (!o) continue;
      const slot = {};
      results.set(v.payload.nonceB64 + v.payload.ciphertextB64.slice(0, 32), slot);
      work.push(
        o.open(v).then(
          (text) => {
            slot.text = text;
          },
          () => {
            slot.error = true;
          },
        ),
      );
    }
    await Promise.all(work);
    this._results = results;
  }

  done() {
    this._results = null;
  }

  /**
   * The message inside the envelope `v` received as data line `seq`, or
   * throws the coded reason it cannot be delivered (`what` names the line).
   */
  open(v, seq, what) {
    if (!v || v.type !== 'enc') throw new SecureError(`plaintext ${what} on an encrypted session`, 'ENCRYPTION_REQUIRED');
    if (!checkEnvelope(v)) throw new SecureError('malformed envelope', 'ENCRYPTION_DECRYPTION_FAILED');
    if (v.sessionId !== this.sid) throw new SecureError(`${what} envelope of another session (${JSON.stringify(v.sessionId)})`, 'ERR_STREAM_ENVELOPE');
    const kid = v.payload.kid;
    const o = this.openers.get(kid);
    if (!o) throw new SecureError(`${what} envelope under an unknown key id ${JSON.stringify(kid)}`, 'ERR_STREAM_ENVELOPE');
    let text;
    if (this.async) {
      const r = this._results && this._results.get(v.payload.nonceB64 + v.payload.ciphertextB64.slice(0, 32));
      if (!r || r.error) throw new SecureError('decryption failed', 'ENCRYPTION_DECRYPTION_FAILED');
      text = r.text;
    } else {
      text = o.openText(v);
    }
    return this.opened(text, seq, what, kid);
  }

  /**
   * Native, synchronous channels: the opener of whole frames for the key
   * the peer seals under now (see FrameOpener), or null.
   */
  frameOpener() {
    if (this.async) return null;
    const o = this.openers.get(this.peerKid);
    return (o && o._frame) || null;
  }

  /**
   * The message inside `text`, the plaintext of the envelope received as data
   * line `seq` and opened under key `kid`: its seq (and, for events, its
   * session id) must be the line's; or throws the coded reason.
   */
  opened(text, seq, what, kid) {
    let inner;
    try {
      inner = JSON.parse(text);
    } catch {
      throw new SecureError(`decrypted ${what} is not JSON`, 'ENCRYPTION_DECRYPTION_FAILED');
    }
    let innerSeq;
    let msg;
    if (this.role === 'client') {
      // a server event: its own seq and sessionId are inside the ciphertext
      innerSeq = inner !== null && typeof inner === 'object' ? inner.seq : undefined;
      if (innerSeq === seq && inner.sessionId !== this.sid) throw new SecureError(`${what} ${seq} was sealed for another session`, 'ERR_STREAM_ORDER');
      msg = inner;
    } else {
      const ok = inner !== null && typeof inner === 'object' && !Array.isArray(inner) && 'm' in inner;
      innerSeq = ok ? inner.s : undefined;
      msg = ok ? inner.m : undefined;
    }
    if (innerSeq !== seq) {
      if (Number.isSafeInteger(innerSeq) && innerSeq < seq) {
        const err = new SecureError(`replayed ${what}: seq ${innerSeq} presented as ${seq}`, 'ENCRYPTION_NONCE_REUSE');
        err.replay = true;
        throw err;
      }
      throw new SecureError(`${what} out of order: seq ${JSON.stringify(innerSeq)} presented as ${seq}`, 'ERR_STREAM_ORDER');
    }
    this._opened = kid;
    return msg;
  }

  /**
   * The line last opened (data line `seq`) was delivered: lines arrive in
   * seq order, so keys of epochs older than its key are forgotten.
   */
  accept(seq) {
    this.epochMessages++;
    const kid = this._opened;
    this._forgetBelow(this._epochOf.get(kid));
    if (this._answer && kid === kidOf(this.kid, this._answer.ep)) this._answer = null;
    if (this._peerSwitch !== null) this._settle(seq);
  }

  /** Forgets (wipes) the opening keys of epochs below `ep`. */
  _forgetBelow(ep) {
    if (!(ep > 0)) return;
    for (const [k, o] of this.openers) {
      if (this._epochOf.get(k) < ep) {
        o.dispose();
        this.openers.delete(k);
        this._epochOf.delete(k);
        this._forgetRaw(k);
      }
    }
  }

  /** Server: every client message before the client's switch was delivered (rx): older keys go. */
  _settle(rx) {
    const p = this._peerSwitch;
    if (rx >= p.s - 1) {
      this._forgetBelow(p.ep);
      this._peerSwitch = null;
    }
  }

  // ---- control frame MACs ----------------------------------------------

  /** MAC of a control frame this side sends. */
  mac(label, ...fields) {
    return mac(this._authMine, label, ...fields);
  }

  /** true when `tag` is the peer's MAC of these fields. */
  check(tag, label, ...fields) {
    return checkMac(tag, this._authPeer, label, ...fields);
  }

  // ---- rekey -----------------------------------------------------------

  /**
   * Server: true when the current keys have done their share (messages or
   * age) and no event sealed under an older epoch is still held (`heldFrom`:
   * the oldest seq held), so the client never needs more than two keys.
   */
  due(maxMessages, maxMs, heldFrom) {
    return this._pending === null && heldFrom >= this._firstSeq && (this.epochMessages >= maxMessages || Date.now() - this.epochStart >= maxMs);
  }

  /** Server: starts a rekey; returns the `rekey` frame (resent by resendFrame() until answered). */
  startRekey() {
    const ep = this.epoch + 1;
    const kp = ephemeralKeySync();
    const frame = build.rekey('rekey', ep, kp.publicKeyB64, this.mac('rekey', ep, kp.publicKeyB64));
    this._pending = { ep, kp, frame };
    return frame;
  }

  /**
   * Server: the client's `rekeyed`; installs the new epoch, whose events
   * start at `nextSeq`; `rx` is the last client message delivered. Throws a
   * coded error for a forged or stray answer.
   */
  onRekeyed(f, nextSeq, rx) {
    const p = this._pending;
    if (!p || f.ep !== p.ep) {
      if (f.ep <= this.epoch) return; // a resent answer to a finished rekey
      throw new SecureError(`rekeyed for epoch ${f.ep} that was not offered`, 'ERR_STREAM_CONTROL');
    }
    if (!this.check(f.m, 'rekeyed', f.ep, p.kp.publicKeyB64, f.pub, f.s)) throw new SecureError('rekeyed frame failed authentication', 'ERR_STREAM_AUTH');
    const secret = derive(p.kp, f.pub);
    this._pending = null;
    const { clientToServerKey, serverToClientKey } = deriveSessionKeysSync(secret, this.sid);
    secret.fill(0);
    this._install(f.ep, clientToServerKey, serverToClientKey);
    this._firstSeq = nextSeq;
    this._peerSwitch = { ep: f.ep, s: f.s };
    this._settle(rx);
    this.rekeys++;
  }

  /**
   * Client: the server's `rekey`. Returns the `rekeyed` frame to send (a
   * Promise of it when async), or null for a stale one; `nextSeq()` is the
   * seq of the first message the new key will seal. Throws a coded error
   * for a forged frame.
   */
  onRekey(f, nextSeq) {
    const a = this._answer;
    if (a && f.ep === a.ep && f.pub === a.spub) return a.frame; // resent by the server after a resume
    if (f.ep <= this.epoch) return null;
    if (f.ep !== this.epoch + 1) throw new SecureError(`rekey to epoch ${f.ep} from epoch ${this.epoch}`, 'ERR_STREAM_CONTROL');
    if (!this.check(f.m, 'rekey', f.ep, f.pub)) throw new SecureError('rekey frame failed authentication', 'ERR_STREAM_AUTH');
    // The server offers epoch ep only once every event it holds was sealed
    // under ep - 1 (see due()): keys older than that can go now.
    const answer = (pub) => {
      this._forgetBelow(f.ep - 1);
      const s = nextSeq();
      const frame = build.rekey('rekeyed', f.ep, pub, this.mac('rekeyed', f.ep, f.pub, pub, s), s);
      this._answer = { ep: f.ep, spub: f.pub, frame };
      this.rekeys++;
      return frame;
    };
    if (this.async) {
      return (async () => {
        const kp = await web.keyPair();
        const secret = await deriveWeb(kp.privateKey, f.pub);
        const keys = await web.keysFromSecret(secret, this.sid);
        secret.fill(0);
        this._install(f.ep, keys.clientToServerKey, keys.serverToClientKey);
        return answer(kp.publicKeyB64);
      })();
    }
    const kp = ephemeralKeySync();
    const secret = derive(kp, f.pub);
    const { clientToServerKey, serverToClientKey } = deriveSessionKeysSync(secret, this.sid);
    secret.fill(0);
    this._install(f.ep, clientToServerKey, serverToClientKey);
    return answer(kp.publicKeyB64);
  }

  /** The rekey frame to send again on a new connection (before any data), or null. */
  resendFrame() {
    if (this.role === 'server') return this._pending ? this._pending.frame : null;
    return this._answer ? this._answer.frame : null;
  }

  _forgetRaw(kid) {
    const r = this._raw.get(kid);
    if (!r) return;
    r.c2s.fill(0);
    r.s2c.fill(0);
    this._raw.delete(kid);
  }

  /**
   * The channel as JSON-serializable secrets (ReconnectingStream.resumeState):
   * the authentication keys and the keys of every epoch still held. Sync
   * channels only (crypto.subtle keys are not extractable).
   */
  export() {
    if (this.async) return null;
    const b64 = (b) => Buffer.from(b).toString('base64');
    const epochs = [...this._raw.values()].sort((a, b) => a.ep - b.ep).map((r) => ({ ep: r.ep, c2s: b64(r.c2s), s2c: b64(r.s2c) }));
    const a = this._answer;
    return {
      kid: this.kid,
      auth: { c2s: b64(this._auth.c2s), s2c: b64(this._auth.s2c) },
      epochs,
      answer: a ? { ep: a.ep, spub: a.spub, frame: a.frame } : null,
      rekeys: this.rekeys,
      firstSeq: this._firstSeq,
      // server: an offered rekey, so whichever server holds the session next can complete it
      pending: this._pending ? { ep: this._pending.ep, priv: b64(this._pending.kp.privateKey()), pub: this._pending.kp.publicKeyB64, frame: this._pending.frame } : null,
      peerSwitch: this._peerSwitch,
    };
  }

  /**
   * A Channel from export() (a client's resumeState, or a session store's
   * record for role 'server'); its sealer gets a fresh random nonce prefix,
   * so no nonce repeats whichever process seals next.
   */
  static restore(sid, x, role = 'client') {
    const key = (v) => {
      const b = Buffer.from(String(v), 'base64');
      if (b.length !== 32) throw new SecureError('resume state: a key is not 32 bytes', 'ERR_STREAM_RESUME_STATE');
      return new Uint8Array(b);
    };
    if (!x || typeof x.kid !== 'string' || !x.auth || !Array.isArray(x.epochs) || x.epochs.length === 0) {
      throw new SecureError('resume state: malformed encryption keys', 'ERR_STREAM_RESUME_STATE');
    }
    const ch = new Channel({ role, sid, kid: x.kid, auth: { c2s: key(x.auth.c2s), s2c: key(x.auth.s2c) } });
    for (const e of [...x.epochs].sort((a, b) => a.ep - b.ep)) {
      if (!Number.isSafeInteger(e.ep) || e.ep < 0) throw new SecureError('resume state: bad epoch', 'ERR_STREAM_RESUME_STATE');
      ch._install(e.ep, key(e.c2s), key(e.s2c));
    }
    if (x.answer) ch._answer = { ep: x.answer.ep, spub: x.answer.spub, frame: String(x.answer.frame) };
    ch.rekeys = Number.isSafeInteger(x.rekeys) ? x.rekeys : 0;
    if (Number.isSafeInteger(x.firstSeq)) ch._firstSeq = x.firstSeq;
    if (x.pending) ch._pending = { ep: x.pending.ep, kp: storedKeySync(key(x.pending.priv), x.pending.pub), frame: String(x.pending.frame) };
    if (x.peerSwitch) ch._peerSwitch = { ep: x.peerSwitch.ep, s: x.peerSwitch.s };
    return ch;
  }

  dispose() {
    wipe(this.sealer);
    this.sealer = null;
    for (const o of this.openers.values()) o.dispose();
    this.openers.clear();
    for (const k of [...this._raw.keys()]) this._forgetRaw(k);
    if (this._pending) this._pending.kp.dispose();
    this._pending = null;
  }
}

function coded(err, sync) {
  const e = new SecureError(err.message, err.code || 'ENCRYPTION_HANDSHAKE_FAILED');
  if (sync) return e;
  throw e;
}

/** The shared secret of an ephemeral key (used once: disposed here) and the peer's public key (base64). */
function derive(kp, b64) {
  try {
    return kp.derive(String(b64));
  } catch (err) {
    throw new SecureError(`invalid peer public key: ${err.message}`, 'ENCRYPTION_INVALID_PUBLIC_KEY');
  } finally {
    kp.dispose();
  }
}

/** derive() on crypto.subtle: the shared secret of a private CryptoKey and the peer's public key (base64). */
async function deriveWeb(privateKey, b64) {
  try {
    return await web.sharedSecret(privateKey, String(b64));
  } catch (err) {
    throw new SecureError(`invalid peer public key: ${err.message}`, 'ENCRYPTION_INVALID_PUBLIC_KEY');
  }
}

function clientHello(publicKeyB64) {
  return { protocolVersion: 2, clientEphemeralPubKeyB64: publicKeyB64, curve: 'P-256', supportedAlgorithms: ['AES-GCM-256'] };
}

function checkServerHello(serverHello) {
  if (!serverHello || serverHello.curve !== 'P-256' || serverHello.selectedAlgorithm !== 'AES-GCM-256' || typeof serverHello.keyId !== 'string' || !serverHello.keyId) {
    throw new SecureError('unsupported server hello', 'ENCRYPTION_HANDSHAKE_FAILED');
  }
}

/**
 * Client side: returns { hello, finish(serverHello, sessionId) -> Channel }.
 * On crypto.subtle (browsers) hello and finish() are Promises and the
 * Channel is async.
 */
function clientHandshake() {
  if (webOnly()) return webClientHandshake();
  const kp = ephemeralKeySync();
  return {
    hello: clientHello(kp.publicKeyB64),
    finish(serverHello, sid) {
      checkServerHello(serverHello);
      const secret = derive(kp, serverHello.serverEphemeralPubKeyB64);
      const ch = new Channel({ role: 'client', sid, kid: serverHello.keyId, auth: authKeys(secret, sid) });
      const { clientToServerKey, serverToClientKey } = deriveSessionKeysSync(secret, sid);
      secret.fill(0);
      ch._install(0, clientToServerKey, serverToClientKey);
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
    async finish(serverHello, sid) {
      checkServerHello(serverHello);
      const k = await kp;
      const secret = await deriveWeb(k.privateKey, serverHello.serverEphemeralPubKeyB64);
      const keys = await web.keysFromSecret(secret, sid);
      const ch = new Channel({ role: 'client', sid, kid: serverHello.keyId, auth: authKeys(secret, sid), async: true });
      secret.fill(0);
      ch._install(0, keys.clientToServerKey, keys.serverToClientKey);
      return ch;
    },
  };
}

/** Server side: answers a ClientHello; returns { serverHello, channel }. */
function serverHandshake(hello, sid) {
  if (!hello || hello.curve !== 'P-256') throw new SecureError('unsupported curve', 'ENCRYPTION_HANDSHAKE_FAILED');
  if (!Array.isArray(hello.supportedAlgorithms) || !hello.supportedAlgorithms.includes('AES-GCM-256')) {
    throw new SecureError('no supported algorithm', 'ENCRYPTION_UNSUPPORTED_ALGORITHM');
  }
  const kp = ephemeralKeySync();
  const secret = derive(kp, hello.clientEphemeralPubKeyB64);
  const keyId = `k_${nodeCrypto.randomUUID()}`;
  const serverHello = {
    protocolVersion: 2,
    serverEphemeralPubKeyB64: kp.publicKeyB64,
    curve: 'P-256',
    selectedAlgorithm: 'AES-GCM-256',
    kdf: 'HKDF-SHA-256',
    keyId,
  };
  const channel = new Channel({ role: 'server', sid, kid: keyId, auth: authKeys(secret, sid) });
  const { clientToServerKey, serverToClientKey } = deriveSessionKeysSync(secret, sid);
  secret.fill(0);
  channel._install(0, clientToServerKey, serverToClientKey);
  return { serverHello, channel };
}

module.exports = {
  clientHandshake,
  serverHandshake,
  credentialKey,
  Channel,
  SecureError,
  MAX_NONCES,
  backend: `lib/crypto (${backend})`,
};
