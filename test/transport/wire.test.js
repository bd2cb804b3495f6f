'use strict';
// lib/transport/wire.js: the transport's one encoder of lines. stringify()
// must be JSON.stringify byte for byte (it only skips JSON.stringify's
// character-by-character scan of strings that need no escaping); encodeLine
// wraps failures in a coded WireError; frameLines splits and trims frames.
const assert = require('node:assert');
const { stringify, encodeLine, frameLines } = require('../../lib/transport/wire');
const { prng } = require('../helpers/prng');

const STRINGS = ['', 'x', 'plain text', 'a"b', 'back\\slash', 'tab\there', 'nl\nnl', '\u0000', '\u001f', '\u007f', '\u2028\u2029', 'é ü ß', '😀', '\ud83d', '\ude00x', '</script>', 'x'.repeat(2000)];

function randomValue(r, depth) {
  switch (r.int(depth > 5 ? 6 : 10)) {
    case 0:
      return r.pick(STRINGS) + (r.int(2) ? String.fromCharCode(r.int(0x10000)) : '');
    case 1:
      return r.pick([0, -0, 1, -1, 1.5, 1e21, 5e-7, 2 ** 53, NaN, Infinity, -Infinity, r() * 1e6]);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return r.pick([undefined, () => 1, Symbol('s')]);
    case 4:
      return r.int(3) ? 'abc' : new Date(r.int(1e12));
    case 5:
      return r.pick(STRINGS);
    case 6:
    case 7: {
      const o = r.int(4) ? {} : Object.create(null);
      const n = r.int(6);
      for (let i = 0; i < n; i++) o[r.pick(['a', 'b', 'chunk', '1', '0', 'x"y', 'é', String(r.int(100))])] = randomValue(r, depth + 1);
      return o;
    }
    default: {
      const a = [];
      const n = r.int(5);
      for (let i = 0; i < n; i++) a.push(randomValue(r, depth + 1));
      if (r.int(6) === 0) a.length += 2; // holes
      return a;
    }
  }
}

describe('transport/wire', () => {
  it('stringify() equals JSON.stringify on 20,000 random values (strings needing escapes, surrogates, holes, toJSON, null prototypes, omitted members)', () => {
    const r = prng(12);
    for (let i = 0; i < 20000; i++) {
      const v = randomValue(r, 0);
      assert.strictEqual(stringify(v), JSON.stringify(v), `value #${i}`);
    }
  });

  it('stringify() leaves to JSON.stringify what it does not handle: class instances, boxed values, deep nesting, a cycle (TypeError), BigInt (TypeError)', () => {
    class P {
      constructor() {
        this.a = 1;
      }
    }
    let deep = { x: 1 };
    for (let i = 0; i < 10; i++) deep = { d: deep, a: [deep] };
    for (const v of [new P(), { n: new Number(3), s: new String('s'), b: new Boolean(false) }, deep, new Map([[1, 2]])]) assert.strictEqual(stringify(v), JSON.stringify(v));
    const cyc = { a: {} };
    cyc.a.b = cyc;
    assert.throws(() => stringify(cyc), TypeError);
    assert.throws(() => stringify({ n: 1n }), TypeError);
  });

  it('encodeLine() throws a coded WireError (ERR_STREAM_ENCODE) for what cannot be a line', () => {
    const cyc = {};
    cyc.self = cyc;
    for (const v of [cyc, { n: 1n }, undefined, () => 1]) assert.throws(() => encodeLine(v), { name: 'WireError', code: 'ERR_STREAM_ENCODE' });
    assert.strictEqual(encodeLine({ chunk: 'a\nb' }), '{"chunk":"a\\nb"}');
  });

  it('frameLines() splits a frame (string or bytes) into trimmed lines and skips blank ones', () => {
    const text = '{"a":1}\n  {"b":2}  \r\n\n   \n{"c":3}';
    const want = ['{"a":1}', '{"b":2}', '{"c":3}'];
    assert.deepStrictEqual(frameLines(text), want);
    assert.deepStrictEqual(frameLines(Buffer.from(text)), want);
    assert.deepStrictEqual(frameLines(new Uint8Array(Buffer.from(text))), want);
    assert.deepStrictEqual(frameLines(''), []);
  });
});
