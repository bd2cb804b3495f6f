'use strict';
// lib/crypto/base64.js pinned (docs/MUTATION.md): asBuffer's accepted inputs
// (views keep their offset), fromBase64 = atob's rules (ASCII whitespace
// skipped, padding optional, anything else an InvalidCharacterError), and
// decodeStrict = canonical padded base64 only.
const assert = require('node:assert');
const { toBase64, fromBase64, decodeStrict, asBuffer } = require('../../lib/crypto/base64');

const list = (u8) => Array.from(u8);
const atobBytes = (s) => list(Buffer.from(atob(s), 'latin1'));

describe('crypto/base64 edges', () => {
  it('asBuffer: a Buffer as it is, views without copying (offset kept), ArrayBuffers and arrays; anything else is a TypeError', () => {
    const b = Buffer.from([1, 2]);
    assert.strictEqual(asBuffer(b), b);
    const backing = Uint8Array.from([9, 1, 2, 3, 9]);
    const view = asBuffer(backing.subarray(1, 4));
    assert.deepStrictEqual(list(view), [1, 2, 3]);
    view[0] = 7;
    assert.strictEqual(backing[1], 7); // the same memory
    assert.deepStrictEqual(list(asBuffer(new DataView(backing.buffer, 3, 2))), [3, 9]);
    assert.deepStrictEqual(list(asBuffer(Uint8Array.from([4, 5]).buffer)), [4, 5]);
    assert.deepStrictEqual(list(asBuffer([6, 7])), [6, 7]);
    for (const bad of ['ab', 5, null, undefined, {}]) assert.throws(() => asBuffer(bad), { name: 'TypeError', message: 'expected a Uint8Array' });
  });

  it('toBase64: standard alphabet, padded', () => {
    assert.strictEqual(toBase64(Uint8Array.from([0xfb, 0xff])), '+/8=');
    assert.strictEqual(toBase64([0x61]), 'YQ==');
    assert.strictEqual(toBase64(new Uint8Array(0)), '');
  });

  it('fromBase64 decodes exactly what atob decodes: canonical, unpadded, whitespace inside, non-zero trailing bits', () => {
    for (const s of ['', 'YQ==', 'YWI=', 'YWJj', 'YQ', 'YWI', '+/8=', '+/8', ' Y W I = ', 'YQ\t=\n=', '\fYWJj\r', 'YR==', 'YR', 'YWJ=', ' ', '\n\t', 'YQ== ']) {
      const got = fromBase64(s);
      assert.ok(got instanceof Uint8Array && !Buffer.isBuffer(got), JSON.stringify(s));
      assert.deepStrictEqual(list(got), atobBytes(s), JSON.stringify(s));
    }
  });

  it('fromBase64 refuses what atob refuses, with an InvalidCharacterError DOMException', () => {
    for (const s of ['Y', 'YWJjZ', 'YQ=', 'Y===', '====', '=', 'YQ==YQ==', '-_8=', 'YQ=a', 'a\u00a0b=', 'YW\u000bI=']) {
      assert.throws(() => atob(s), undefined, `atob accepts ${JSON.stringify(s)}`);
      assert.throws(() => fromBase64(s), (err) => {
        assert.ok(err instanceof DOMException, JSON.stringify(s));
        assert.strictEqual(err.name, 'InvalidCharacterError');
        assert.strictEqual(err.message, 'The string to be decoded is not correctly encoded.');
        return true;
      });
    }
  });

  it('fromBase64 takes any value as its string (atob does too)', () => {
    assert.deepStrictEqual(list(fromBase64(1234)), atobBytes('1234'));
  });

  it('decodeStrict: canonical padded base64 only, else null', () => {
    assert.deepStrictEqual(list(decodeStrict('YWI=')), [0x61, 0x62]);
    assert.ok(Buffer.isBuffer(decodeStrict('YQ==')));
    assert.deepStrictEqual(list(decodeStrict('')), []);
    for (const bad of ['YQ', 'YR==', 'YWI', '-_8=', 'YQ==\n', ' YQ=', 'YQ=a', 5, null, undefined, Buffer.from('YQ==')]) assert.strictEqual(decodeStrict(bad), null, String(bad));
  });
});
