'use strict';
// Support for the attack suite (test/attacks/*.test.js): the v2 MACs computed
// independently of lib/ (node:crypto, straight from /work/esn-v2-spec.md
// "MACs"), a raw WebSocket peer that speaks the control frames by hand (an
// attacker, or an owner that knows its keys), and small waits/asserts.
//
// Frames are written with the control version the package exports
// (CONTROL_VERSION), so on the version-1 code the attacks are the real
// version-1 attacks, and on version 2 they are version-2 frames.

const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const WebSocket = require('ws');
const lib = require('../../../index.js');
const { Line } = require('../../helpers/mitm-relay');

const V = lib.CONTROL_VERSION;

// ---- MACs (spec "MACs") ----------------------------------------------------

const b64url = (buf) => Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (s) => Buffer.from(String(s).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
const token = (n = 16) => b64url(nodeCrypto.randomBytes(n));

function hkdf(ikm, sid, info) {
  return Buffer.from(nodeCrypto.hkdfSync('sha256', Buffer.from(ikm), Buffer.from(sid, 'utf8'), Buffer.from(info, 'utf8'), 32));
}

/** mac(K, label, ...fields): 16 bytes of HMAC-SHA256 over JSON ["esn2", label, ...fields], base64url. */
function mac(key, label, ...fields) {
  return b64url(nodeCrypto.createHmac('sha256', key).update(JSON.stringify(['esn2', label, ...fields]), 'utf8').digest().subarray(0, 16));
}

/** authC / authS of a session from its first ECDH secret (encrypted) or its credential (plaintext). */
function authKeys(ikm, sid) {
  return { authC: hkdf(ikm, sid, 'esn2 auth c2s'), authS: hkdf(ikm, sid, 'esn2 auth s2c') };
}
const credentialKeys = (cred, sid) => authKeys(fromB64url(cred), sid);

// ---- control frames ----------------------------------------------------------

/** One control line of the exported version: ctl('ack', { s: 1 }). */
const ctl = (t, fields = {}, version = V) => JSON.stringify({ $esn: version, t, ...fields });

/** A ClientHello (reference shape) for a fresh key pair of the package. */
function clientHello() {
  const kp = lib.generateKeyPairSync();
  return { kp, enc: { protocolVersion: 2, clientEphemeralPubKeyB64: kp.publicKeyB64, curve: 'P-256', supportedAlgorithms: ['AES-GCM-256'] } };
}

// ---- a raw peer ----------------------------------------------------------------

/**
 * A raw WebSocket peer. Every line received is kept as a Line (mitm-relay.js);
 * control(t) waits for the next control line of type t not yet taken (any
 * control line when t is omitted), events() lists the data lines received.
 */
async function rawPeer(url, { maxPayload } = {}) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: maxPayload || 512 * 1024 * 1024 });
  const lines = [];
  const waiting = [];
  const taken = new Set();
  let closeInfo = null;
  ws.on('message', (data) => {
    for (const raw of String(data).split('\n')) if (raw.trim()) lines.push(new Line(raw, 's2c'));
    for (const w of waiting.splice(0)) w();
  });
  const closed = new Promise((resolve) =>
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: String(reason) };
      for (const w of waiting.splice(0)) w();
      resolve(closeInfo);
    }),
  );
  ws.on('error', () => {});
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const peer = {
    ws,
    lines,
    closed,
    get isClosed() {
      return closeInfo !== null;
    },
    /** Sends a frame: a string, or lines (joined, '\n' terminated). */
    send(x) {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(Array.isArray(x) ? x.map(String).join('\n') + '\n' : String(x));
    },
    /** The next control line of type `t` (or any, or one of a list) not yet taken; null if the socket closes first. */
    async control(t, ms = 5000) {
      const want = t === undefined ? null : Array.isArray(t) ? t : [t];
      const t0 = Date.now();
      for (;;) {
        for (let i = 0; i < lines.length; i++) {
          const l = lines[i];
          if (!taken.has(i) && l.kind === 'control' && (!want || want.includes(l.t))) {
            taken.add(i);
            return l.v;
          }
        }
        if (closeInfo) return null;
        const left = ms - (Date.now() - t0);
        if (left <= 0) throw new Error(`raw peer: no ${want ? want.join('/') : 'control'} frame within ${ms} ms (got: ${lines.map((l) => l.t || 'data').join(', ') || 'nothing'})`);
        await new Promise((r) => {
          const timer = setTimeout(r, Math.min(left, 50));
          waiting.push(() => {
            clearTimeout(timer);
            r();
          });
        });
      }
    },
    /** Data lines received (events or envelopes). */
    events() {
      return lines.filter((l) => l.kind === 'data').map((l) => l.v);
    },
    /** From now on, acknowledges every data line received (plaintext acks, or MACed with `authC`). */
    autoAck(authC) {
      const ack = () => {
        const last = lines.filter((l) => l.kind === 'data').pop();
        if (!last || last.seq === undefined || last.seq === peer._acked) return;
        peer._acked = last.seq;
        peer.send(ctl('ack', authC ? { s: last.seq, m: mac(authC, 'ack', last.seq) } : { s: last.seq }));
      };
      ws.on('message', ack);
      ack();
    },
    pauseReading() {
      ws._socket.pause();
    },
    resumeReading() {
      ws._socket.resume();
    },
    close() {
      ws.terminate();
    },
  };
  return peer;
}

/** A raw peer that opens a new plaintext session; resolves { peer, welcome, cred }. */
async function openPlain(url, sid) {
  const peer = await rawPeer(url);
  peer.send(ctl('hello', { sid, resume: false, rx: 0 }));
  const welcome = await peer.control(['welcome', 'reject']);
  return { peer, welcome, cred: welcome && welcome.cred };
}

/** A raw peer that opens a new encrypted session (its own ECDH handshake); resolves { peer, welcome, auth }. */
async function openEncrypted(url, sid) {
  const peer = await rawPeer(url);
  const { kp, enc } = clientHello();
  peer.send(ctl('hello', { sid, resume: false, rx: 0, enc }));
  const welcome = await peer.control(['welcome', 'reject']);
  assert.strictEqual(welcome && welcome.t, 'welcome', `no welcome: ${JSON.stringify(welcome)}`);
  const secret = lib.deriveSharedSecretSync(kp.privateKey, welcome.enc.serverEphemeralPubKeyB64);
  return { peer, welcome, auth: authKeys(secret, welcome.sid) };
}

/**
 * Resumes `sid` as its owner: waits for the challenge, answers with a proof
 * under authC over `rx`. Resolves { peer, reply } (reply: the welcome or reject).
 */
async function resumeAs(url, { sid, rx, authC }) {
  const peer = await rawPeer(url);
  const ch = await peer.control('challenge');
  const cn = token();
  const proof = mac(authC, 'resume', sid, ch.n, cn, rx);
  peer.send(ctl('hello', { sid, resume: true, rx, cn, proof }));
  const reply = await peer.control(['welcome', 'reject']);
  return { peer, reply, cn, n: ch.n };
}

// ---- waits -------------------------------------------------------------------

/**
 * Resolves once `got` holds n events; rejects at once if one is out of order
 * (event i must be seq i+1 with payload chunk String(i+1) when `chunks`).
 */
function inOrder(got, n, { what = 'events', key = (m) => m.seq, ms = 20000, chunks = true, stop } = {}) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      for (let i = 0; i < got.length; i++) {
        const m = got[i];
        if (key(m) !== i + 1 || (chunks && m.payload && m.payload.chunk !== undefined && String(m.payload.chunk).split(' ')[0] !== String(i + 1))) {
          reject(new Error(`${what}: delivered #${i + 1} is ${JSON.stringify(m).slice(0, 160)} (out of order / not the genuine one)`));
          return;
        }
      }
      if (got.length > n) return reject(new Error(`${what}: ${got.length} delivered, expected ${n} (duplicates)`));
      if (got.length === n) return resolve();
      if (stop && stop()) return reject(new Error(`${what}: stopped (${stop.why || 'condition'}) after ${got.length} of ${n}`));
      if (Date.now() - t0 > ms) return reject(new Error(`${what}: timed out with ${got.length} of ${n} delivered`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

const range = (a, b) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
const chunkEvent = (i, pad = '') => ({ type: 'stdout', payload: { chunk: pad ? `${i} ${pad}` : `${i}` } });
const FAST = { initialDelay: 5, maxDelay: 20, jitter: false, maxAttempts: 20 };

module.exports = {
  V,
  lib,
  b64url,
  fromB64url,
  token,
  hkdf,
  mac,
  authKeys,
  credentialKeys,
  ctl,
  clientHello,
  rawPeer,
  openPlain,
  openEncrypted,
  resumeAs,
  inOrder,
  range,
  chunkEvent,
  FAST,
  MAX_SAFE: Number.MAX_SAFE_INTEGER,
};
