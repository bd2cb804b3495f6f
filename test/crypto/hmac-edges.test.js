'use strict';
// lib/crypto/hmac.js pinned against node:crypto (docs/MUTATION.md): the pure
// JavaScript SHA-256 / HMAC that browsers run (taken in Node with
// ENCLAVE_STREAM_WEBCRYPTO=1, set here around each call) at every padding
// boundary and key length, HKDF at every output length, base64url both ways,
// the protocol MAC, the constant-time comparison and random tokens.
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const { sha256js, hmacSha256, hkdf32, mac, checkMac, safeEqual, randomToken, b64url, fromB64url } = require('../../lib/crypto/hmac');
const { withWebCrypto } = require('../helpers/webcrypto-env');

const hex = (b) => Buffer.from(b).toString('hex');
const bytesOf = (n, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

/** Runs fn with the browser's (pure JavaScript) path, whatever the backend. */
const onWebPath = (fn) => withWebCrypto(true, fn);
/** Runs fn with Node's path (node:crypto), whatever this pass sets. */
const onNodePath = (fn) => withWebCrypto(false, fn);

describe('crypto/hmac edges', () => {
  it('sha256js equals node:crypto at every length 0..200 (both padding boundaries, 55/56 and 64) and at 1000', () => {
    for (let n = 0; n <= 200; n++) {
      const d = bytesOf(n);
      assert.strictEqual(hex(sha256js(d)), nodeCrypto.createHash('sha256').update(d).digest('hex'), `length ${n}`);
    }
    const big = bytesOf(1000, 3);
    assert.strictEqual(hex(sha256js(big)), nodeCrypto.createHash('sha256').update(big).digest('hex'));
    assert.strictEqual(hex(sha256js(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hmacSha256 on both paths equals node:crypto for keys of 0, 1, 32, 63, 64, 65 and 100 bytes, keys and messages as strings or bytes', () => {
    for (const kl of [0, 1, 32, 63, 64, 65, 100]) {
      for (const ml of [0, 1, 55, 64, 130]) {
        const key = bytesOf(kl, kl);
        const msg = bytesOf(ml, ml + 1);
        const want = nodeCrypto.createHmac('sha256', key).update(msg).digest('hex');
        const web = onWebPath(() => hmacSha256(key, msg));
        const nodeOut = onNodePath(() => hmacSha256(key, msg));
        assert.ok(web instanceof Uint8Array && nodeOut instanceof Uint8Array);
        assert.strictEqual(hex(web), want, `web key ${kl} msg ${ml}`);
        assert.strictEqual(hex(nodeOut), want, `node key ${kl} msg ${ml}`);
      }
    }
    const want = nodeCrypto.createHmac('sha256', 'kéy').update('méssage').digest('hex');
    assert.strictEqual(hex(onWebPath(() => hmacSha256('kéy', 'méssage'))), want);
    assert.strictEqual(hex(onNodePath(() => hmacSha256('kéy', 'méssage'))), want);
    // an array of byte values is taken as bytes
    assert.strictEqual(hex(onWebPath(() => hmacSha256([1, 2, 3], [4, 5]))), nodeCrypto.createHmac('sha256', Buffer.from([1, 2, 3])).update(Buffer.from([4, 5])).digest('hex'));
  });

  it('ENCLAVE_STREAM_WEBCRYPTO=1 runs the pure JavaScript HMAC (the browser\'s code): node:crypto\'s createHmac is called only without it', () => {
    const real = nodeCrypto.createHmac;
    let calls = 0;
    nodeCrypto.createHmac = (...a) => {
      calls++;
      return real(...a);
    };
    try {
      onWebPath(() => hmacSha256('k', 'm'));
      assert.strictEqual(calls, 0);
      onNodePath(() => hmacSha256('k', 'm'));
      assert.strictEqual(calls, 1);
    } finally {
      nodeCrypto.createHmac = real;
    }
  });

  it('hkdf32 equals RFC 5869 HKDF-SHA256 (node:crypto hkdfSync) at every length 1..32, on both paths; 32 by default', () => {
    const ikm = bytesOf(32, 5);
    for (const [salt, info] of [['s_session', 'esn2 keys'], [bytesOf(16, 2), bytesOf(0)], ['', 'x']]) {
      for (let len = 1; len <= 32; len++) {
        const want = Buffer.from(nodeCrypto.hkdfSync('sha256', ikm, typeof salt === 'string' ? Buffer.from(salt) : salt, typeof info === 'string' ? Buffer.from(info) : info, len)).toString('hex');
        assert.strictEqual(hex(onWebPath(() => hkdf32(ikm, salt, info, len))), want, `web len ${len}`);
        assert.strictEqual(hex(onNodePath(() => hkdf32(ikm, salt, info, len))), want, `node len ${len}`);
      }
      assert.strictEqual(hkdf32(ikm, salt, info).length, 32);
    }
  });

  it('b64url / fromB64url: unpadded URL alphabet both ways; anything else is null', () => {
    const b = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00, 0x3e]);
    assert.strictEqual(b64url(b), '-_-_AD4');
    assert.strictEqual(b64url(Buffer.from('aa')), 'YWE');
    assert.strictEqual(b64url(new Uint8Array(0)), '');
    // a view into a larger buffer: only its own bytes
    assert.strictEqual(b64url(new Uint8Array(Uint8Array.from([9, 9, 0xfb, 0xff, 9]).buffer, 2, 2)), '-_8');
    assert.deepStrictEqual(Array.from(fromB64url('-_-_AD4')), Array.from(b));
    assert.deepStrictEqual(Array.from(fromB64url('')), []);
    for (const bad of ['ab+c', 'ab/c', 'YWE=', 'a b', 'é', 5, null, undefined]) assert.strictEqual(fromB64url(bad), null, String(bad));
    assert.ok(fromB64url('YWE') instanceof Uint8Array);
  });

  it('mac: 16 bytes of HMAC over ["esn2", label, ...fields], base64url; checkMac accepts exactly it', () => {
    const key = bytesOf(32, 9);
    const want = b64url(nodeCrypto.createHmac('sha256', key).update(JSON.stringify(['esn2', 'ack', 5, 's_x'])).digest().subarray(0, 16));
    const tag = mac(key, 'ack', 5, 's_x');
    assert.strictEqual(tag, want);
    assert.strictEqual(tag.length, 22);
    assert.strictEqual(onWebPath(() => mac(key, 'ack', 5, 's_x')), want);
    assert.strictEqual(checkMac(tag, key, 'ack', 5, 's_x'), true);
    assert.strictEqual(checkMac(tag, key, 'ack', 6, 's_x'), false);
    assert.strictEqual(checkMac(tag, key, 'gap', 5, 's_x'), false);
    assert.strictEqual(checkMac(tag.slice(0, 21), key, 'ack', 5, 's_x'), false);
    assert.strictEqual(checkMac(`${tag}A`, key, 'ack', 5, 's_x'), false);
    assert.strictEqual(checkMac(undefined, key, 'ack', 5, 's_x'), false);
  });

  it('safeEqual: equal strings only; a prefix either way, another character or a non-string is not equal', () => {
    assert.strictEqual(safeEqual('', ''), true);
    assert.strictEqual(safeEqual('abc', 'abc'), true);
    assert.strictEqual(safeEqual('abc', 'abd'), false);
    assert.strictEqual(safeEqual('xbc', 'abc'), false);
    assert.strictEqual(safeEqual('ab', 'abc'), false);
    assert.strictEqual(safeEqual('abc', 'ab'), false);
    assert.strictEqual(safeEqual('a\u0000', 'a'), false);
    assert.strictEqual(safeEqual('a', 'a\u0000'), false);
    assert.strictEqual(safeEqual('', 'a'), false);
    assert.strictEqual(safeEqual(1, '1'), false);
    assert.strictEqual(safeEqual('1', 1), false);
    assert.strictEqual(safeEqual(null, null), false);
    assert.strictEqual(safeEqual('a', ['a']), false); // same length, but not a string
    assert.strictEqual(safeEqual(['a'], 'a'), false);
  });

  it('randomToken: n random bytes as base64url (16 by default), never the same twice', () => {
    const a = randomToken();
    assert.match(a, /^[A-Za-z0-9_-]{22}$/);
    assert.match(randomToken(32), /^[A-Za-z0-9_-]{43}$/);
    assert.strictEqual(randomToken(0), '');
    assert.strictEqual(fromB64url(randomToken(5)).length, 5);
    const seen = new Set(Array.from({ length: 50 }, () => randomToken(8)));
    assert.strictEqual(seen.size, 50);
  });
});
