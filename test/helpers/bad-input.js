'use strict';
// Helpers of the README's bad-input matrix, split by layer into
// test/ndjson/bad-input.test.js, test/crypto/bad-input.test.js and
// test/server/bad-input.test.js: the hooks every part registers (a Harness
// and a guard that records uncaught exceptions and unhandled rejections), a
// man in the middle on one live connection of a StreamServer /
// ReconnectingStream pair, a raw WebSocket peer that speaks the control
// frames by hand, and the inputs the parts share.

const assert = require('node:assert');
const WebSocket = require('ws');
const { generateKeyPairSync } = require('../../index.js');
const { Harness } = require('./stream-harness');

/** A valid stdout event of session s_bad. */
const event = (seq, chunk) => ({ protocolVersion: 2, sessionId: 's_bad', seq, type: 'stdout', payload: { chunk } });

/** [a, a + 1, ..., b]. */
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** An uncompressed P-256 public key (base64) with one bit flipped: off the curve. */
function offCurvePublicKey() {
  const pub = Buffer.from(generateKeyPairSync().publicKeyB64, 'base64');
  pub[64] ^= 1;
  return pub.toString('base64');
}

/**
 * Registers the matrix's hooks in the calling describe: a fresh Harness per
 * test (ctx.h, closed after it) and the process guard, which fails the test
 * on any uncaught exception or unhandled rejection. Returns ctx.
 */
function matrixHooks() {
  const ctx = { h: null, guard: null };
  beforeEach(() => {
    ctx.guard = processGuard();
    ctx.h = new Harness();
  });
  afterEach(async () => {
    await ctx.h.cleanup();
    ctx.guard.uninstall();
    assert.deepStrictEqual(ctx.guard.seen, [], 'uncaught exception or unhandled rejection');
  });
  return ctx;
}

/**
 * Taps the frames a transport writes (a server session's link.transport or a
 * client's _transport): `rewrite(text)` returns the frame to send instead
 * (null drops it). Only this connection is tapped: after a reconnect the new
 * transport writes the genuine bytes again. `tap.inject(text)` writes raw
 * bytes on the connection; `tap.lines` holds every line written.
 */
function tap(transport, rewrite) {
  const orig = transport.send;
  const t = {
    lines: [],
    inject: (text) => orig.call(transport, text),
    restore: () => {
      transport.send = orig;
    },
  };
  transport.send = function (text, cb) {
    for (const l of String(text).split('\n')) if (l) t.lines.push(l);
    const out = rewrite ? rewrite(String(text)) : text;
    if (out === null) {
      if (cb) cb();
      return undefined;
    }
    return orig.call(this, out, cb);
  };
  return t;
}

/** Applies `fn(line, value)` to the first line of a frame for which `pred(value)` holds (once per tap). */
function rewriteLineOnce(pred, fn) {
  let done = false;
  return (text) => {
    if (done) return text;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let v;
      try {
        v = JSON.parse(lines[i]);
      } catch {
        continue;
      }
      if (pred(v)) {
        done = true;
        lines[i] = fn(lines[i], v);
        return lines.join('\n');
      }
    }
    return text;
  };
}

/** An envelope line with one base64 character of its ciphertext changed (still canonical base64). */
function flipCiphertext(line) {
  const env = JSON.parse(line);
  const ct = env.payload.ciphertextB64;
  const i = 8;
  env.payload.ciphertextB64 = ct.slice(0, i) + (ct[i] === 'A' ? 'B' : 'A') + ct.slice(i + 1);
  return JSON.stringify(env);
}

/** An envelope line whose ciphertext lost its last `n` bytes (re-encoded canonically). */
function truncateCiphertext(line, n = 5) {
  const env = JSON.parse(line);
  const ct = Buffer.from(env.payload.ciphertextB64, 'base64');
  env.payload.ciphertextB64 = ct.subarray(0, ct.length - n).toString('base64');
  return JSON.stringify(env);
}

/**
 * A raw WebSocket peer: frames in as arrays of parsed lines, control frames
 * out by hand. The server's challenge (its first frame) is kept aside in
 * `peer.challenge` (a Promise of the nonce), not in `frames`.
 */
async function rawPeer(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const frames = [];
  const waiting = [];
  let gotChallenge;
  const challenge = new Promise((resolve) => {
    gotChallenge = resolve;
  });
  ws.on('message', (data) => {
    const lines = String(data)
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    if (lines.length === 1 && lines[0].t === 'challenge') {
      gotChallenge(lines[0].n);
      return;
    }
    frames.push(lines);
    for (const w of waiting.splice(0)) w();
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('error', () => {});
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    challenge,
    send: (text) => ws.send(text),
    /** Resolves with the next frame's lines (or one already received and not yet taken). */
    async next() {
      while (frames.length === 0) await new Promise((r) => waiting.push(r));
      return frames.shift();
    },
    close: () => ws.terminate(),
  };
}

/**
 * Sends a resuming hello with a valid proof (docs/PROTOCOL.md §6) for a
 * plaintext session whose credential is `cred`, once the peer's challenge is in.
 */
async function resumeHello(peer, { sid, cred, rx }) {
  const { credentialKey } = require('../../lib/transport/secure');
  const { mac, randomToken } = require('../../lib/crypto/hmac');
  const { build } = require('../../lib/protocol/control');
  const n = await peer.challenge;
  const cn = randomToken(16);
  peer.send(build.hello({ sid, resume: true, rx, cn, proof: mac(credentialKey(cred, sid), 'resume', sid, n, cn, rx) }) + '\n');
}

/** Records 'uncaughtException' (monitor) and 'unhandledRejection' while installed. */
function processGuard() {
  const seen = [];
  const onRejection = (reason) => seen.push(reason);
  const onException = (err) => seen.push(err);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtExceptionMonitor', onException);
  return {
    seen,
    uninstall() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtExceptionMonitor', onException);
    },
  };
}

module.exports = { event, range, offCurvePublicKey, matrixHooks, tap, rewriteLineOnce, flipCiphertext, truncateCiphertext, rawPeer, resumeHello, processGuard };
