'use strict';
// dist/browser.mjs (the browser build) imported in Node, with no addon, no
// node:crypto and no Buffer inside it: the NDJSON vectors and the crypto
// vectors through its reference API (HKDF, envelopes, AES-GCM on
// crypto.subtle), and envelopes it seals opened by this process's cipher
// (native or node:crypto) and the reverse. The Chromium test
// (test/browser/chromium.test.js) runs the same bundle in a real browser.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const { createEnvelopeCipher } = require('..');
const { backend } = require('../lib/binding');
const ndjsonVectors = require('./vectors/ndjson-lines.json').lines;
const cryptoVectors = require('./vectors/crypto.json');

const root = path.resolve(__dirname, '..');
const hex = (h) => new Uint8Array(Buffer.from(h, 'hex'));

describe(`browser bundle in Node (interop with the ${backend} backend)`, function () {
  this.timeout(60000);
  let esn;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esn-bundle-'));
    const out = path.join(dir, 'browser.mjs');
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js'), '--out', out], { stdio: 'pipe' });
    const text = fs.readFileSync(out, 'utf8');
    assert.ok(!/require\(["']node:|from ["']node:/.test(text), 'no node: imports in the bundle');
    esn = await import(pathToFileURL(out).href);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs on the JavaScript backend', () => {
    assert.strictEqual(esn.backend, 'js');
    assert.throws(() => esn.generateKeyPairSync(), { code: 'ERR_SYNC_CRYPTO_UNAVAILABLE' });
  });

  it('every NDJSON vector: parseLine gives the reference verdict', () => {
    for (const v of ndjsonVectors) {
      const r = esn.parseLine(v.line);
      assert.strictEqual(r.success, v.ok, v.why);
      if (v.ok) assert.strictEqual(JSON.stringify(r.data), JSON.stringify(v.data), v.why);
      else assert.ok(r.error.startsWith(v.error), `${v.why}: ${r.error}`);
    }
  });

  it('crypto vectors: HKDF on crypto.subtle and envelopes byte for byte', async () => {
    for (const k of cryptoVectors.hkdf) {
      const salt = k.saltUtf8 === undefined ? null : new TextEncoder().encode(k.saltUtf8);
      const key = await esn.deriveKey(hex(k.sharedSecretHex), salt, k.info);
      assert.strictEqual(Buffer.from(key).toString('hex'), k.keyHex);
    }
    for (const hs of cryptoVectors.handshakes) {
      const keys = await esn.deriveSessionKeys(hex(hs.sharedSecretHex), hs.sessionId);
      assert.strictEqual(Buffer.from(keys.clientToServerKey).toString('hex'), hs.clientToServerKeyHex);
      assert.strictEqual(Buffer.from(keys.serverToClientKey).toString('hex'), hs.serverToClientKeyHex);
    }
    for (const e of cryptoVectors.envelopes) {
      const env = JSON.parse(e.line);
      const key = await esn.importAesGcmKey(hex(e.keyHex));
      const made = await esn.createEncryptedEnvelope(key, env.payload.kid, env.sessionId, env.seq, e.inner, hex(e.nonceHex));
      assert.strictEqual(JSON.stringify(made), e.line);
      assert.deepStrictEqual(await esn.decryptJson(key, env.payload), e.inner);
    }
  });

  it(`envelopes sealed by the bundle open with the ${backend} cipher, and the reverse`, async () => {
    const raw = hex('11'.repeat(32));
    const fast = createEnvelopeCipher({ key: raw, sessionId: 's_bundle', kid: 'k_bundle' });
    const ctx = await esn.SessionEncryptionContext.fromKeyBytes(raw, 'k_bundle');
    for (const size of [0, 10, 1000, 100000]) {
      const inner = { type: 'stdout', payload: { chunk: 'é😀x'.repeat(size) } };
      const env = await ctx.createEnvelope('s_bundle', size + 1, inner);
      assert.deepStrictEqual(JSON.parse(fast.openText(JSON.stringify(env))), inner);
      const line = fast.seal(inner, size + 1);
      assert.deepStrictEqual(await ctx.decryptJson(JSON.parse(line).payload), inner);
    }
    fast.dispose();
  });
});
