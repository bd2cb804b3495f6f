'use strict';
// lib/crypto/keys.js pinned (docs/MUTATION.md): which path Node takes
// (synchronous unless ENCLAVE_STREAM_WEBCRYPTO=1, read at each call), the
// CryptoKey test (also where no CryptoKey global exists), the raw bytes
// remembered for CryptoKeys this package made, and the per-key native AES
// contexts (reused only while a Uint8Array key's bytes and length are
// unchanged; null on the JavaScript backend). The browser's side of keys.js
// (no synchronous crypto) is pinned in hkdf-edges.test.js, which loads the
// browser module graph.
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const { native } = require('../../lib/binding');
const aes = require('../../lib/crypto/aes-gcm');
const { syncCrypto, webOnly, needSync, subtle, isCryptoKey, remember, rawAesKey, nativeGcm } = require('../../lib/crypto/keys');
const { withWebCrypto } = require('../helpers/webcrypto-env');

async function aesKey() {
  return globalThis.crypto.subtle.importKey('raw', new Uint8Array(32).fill(3), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

describe('crypto/keys edges', () => {
  it('Node has synchronous crypto; webOnly() is true exactly when ENCLAVE_STREAM_WEBCRYPTO is "1", read at each call', () => {
    assert.strictEqual(syncCrypto, true);
    assert.strictEqual(withWebCrypto(false, webOnly), false);
    assert.strictEqual(withWebCrypto('1', webOnly), true);
    assert.strictEqual(withWebCrypto('0', webOnly), false);
    assert.strictEqual(withWebCrypto('true', webOnly), false);
  });

  it('needSync() does not throw in Node, on any path', () => {
    assert.strictEqual(withWebCrypto(false, () => needSync('x')), undefined);
    assert.strictEqual(withWebCrypto(true, () => needSync('x')), undefined);
  });

  it('subtle() is the global crypto.subtle', () => {
    assert.strictEqual(subtle(), globalThis.crypto.subtle);
  });

  it('isCryptoKey: real CryptoKeys only (a look-alike object is not one)', async () => {
    assert.strictEqual(isCryptoKey(await aesKey()), true);
    assert.strictEqual(isCryptoKey({ algorithm: { name: 'AES-GCM' }, usages: ['encrypt'] }), false);
    assert.strictEqual(isCryptoKey(new Uint8Array(32)), false);
    assert.strictEqual(isCryptoKey(null), false);
  });

  it('isCryptoKey where no CryptoKey global exists: an object with an algorithm and usages', async () => {
    const real = await aesKey();
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'CryptoKey');
    delete globalThis.CryptoKey;
    try {
      assert.strictEqual(typeof CryptoKey, 'undefined');
      assert.strictEqual(isCryptoKey(real), true);
      assert.strictEqual(isCryptoKey({ algorithm: { name: 'AES-GCM' }, usages: ['encrypt'] }), true);
      assert.strictEqual(isCryptoKey({ algorithm: { name: 'AES-GCM' } }), false);
      assert.strictEqual(isCryptoKey({ usages: ['encrypt'] }), false);
      assert.strictEqual(isCryptoKey(new Uint8Array(32)), false);
      assert.strictEqual(isCryptoKey(null), false);
      assert.strictEqual(isCryptoKey(undefined), false);
    } finally {
      Object.defineProperty(globalThis, 'CryptoKey', desc);
    }
    assert.strictEqual(isCryptoKey({ algorithm: { name: 'AES-GCM' }, usages: ['encrypt'] }), false);
  });

  it('rawAesKey: a Uint8Array as a Buffer over the same bytes; a remembered CryptoKey\'s copy of its bytes; anything else null', async () => {
    const u8 = new Uint8Array(32).fill(1);
    const b = rawAesKey(u8);
    assert.ok(Buffer.isBuffer(b));
    u8[0] = 9;
    assert.strictEqual(b[0], 9);
    const key = await aesKey();
    assert.strictEqual(rawAesKey(key), null);
    const bytes = new Uint8Array(32).fill(5);
    assert.strictEqual(remember(key, bytes), key);
    bytes[0] = 0; // remember() keeps a copy
    assert.deepStrictEqual(Array.from(rawAesKey(key)), new Array(32).fill(5));
    assert.strictEqual(rawAesKey(await aesKey()), null);
    assert.strictEqual(rawAesKey('k'.repeat(32)), null);
  });

  it(`nativeGcm: ${native ? 'one context per key, reused while a Uint8Array key keeps its bytes' : 'null on the JavaScript backend'}`, async () => {
    const u8 = new Uint8Array(32).fill(7);
    if (!native) {
      assert.strictEqual(nativeGcm(u8), null);
      return;
    }
    const g = nativeGcm(u8);
    assert.ok(g);
    assert.strictEqual(nativeGcm(u8), g);
    u8[31] = 8; // changed bytes: a new context
    const g2 = nativeGcm(u8);
    assert.notStrictEqual(g2, g);
    assert.strictEqual(nativeGcm(u8), g2);
    assert.strictEqual(nativeGcm(new Uint8Array(16)), null); // not an AES-256 key
    assert.strictEqual(nativeGcm(await aesKey()), null); // a CryptoKey whose bytes are unknown
    const key = remember(await aesKey(), new Uint8Array(32).fill(1));
    const gk = nativeGcm(key);
    assert.ok(gk);
    assert.strictEqual(nativeGcm(key), gk);
  });

  it('a key whose buffer is resized (32 -> 16 bytes) is then an AES-128 key: no cached AES-256 context is reused', async () => {
    const ab = new ArrayBuffer(32, { maxByteLength: 64 });
    const key = new Uint8Array(ab); // tracks the buffer's length
    key.fill(4);
    const nonce = new Uint8Array(12).fill(1);
    const pt = Buffer.from('resized');
    const seal = (k) => {
      const c = nodeCrypto.createCipheriv(`aes-${k.length * 8}-gcm`, Buffer.from(k), nonce);
      return Array.from(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
    };
    const first = await aes.encrypt(key, pt, nonce);
    assert.deepStrictEqual(Array.from(first), seal(new Uint8Array(32).fill(4)));
    ab.resize(16);
    assert.strictEqual(key.length, 16);
    if (native) assert.strictEqual(nativeGcm(key), null);
    assert.deepStrictEqual(Array.from(await aes.encrypt(key, pt, nonce)), seal(new Uint8Array(16).fill(4)));
    ab.resize(32); // the same 32 bytes again (the grown part is zeros)
    assert.deepStrictEqual(Array.from(await aes.encrypt(key, pt, nonce)), seal(Uint8Array.from({ length: 32 }, (_, i) => (i < 16 ? 4 : 0))));
  });
});
