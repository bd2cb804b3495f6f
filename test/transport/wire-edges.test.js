'use strict';
// lib/transport/wire.js pinned where test/wire.test.js's random comparison
// cannot see (docs/MUTATION.md): the exact WireError messages, UTF-8 byte
// lengths, decodeLine, and stringify() on the shapes at the edge of its fast
// path (depth 4 and 5, empty containers, members left out, holes).
const assert = require('node:assert');
const { stringify, encodeLine, decodeLine, byteLength, frameLines } = require('../../lib/transport/wire');
const { splitLines } = require('../../lib/ndjson');
const { WireError, StreamError } = require('../../lib/errors');

function nested(depth) {
  let v = { leaf: 'x' };
  for (let i = 0; i < depth; i++) v = i % 2 ? { o: v } : [v];
  return v;
}

describe('transport/wire edges', () => {
  it('encodeLine: the message says why (JSON.stringify\'s error, or the type that has no JSON text)', () => {
    const check = (v, message) => assert.throws(() => encodeLine(v), (err) => {
      assert.ok(err instanceof WireError && err instanceof StreamError);
      assert.strictEqual(err.code, 'ERR_STREAM_ENCODE');
      assert.strictEqual(err.message, message);
      return true;
    });
    check({ n: 1n }, 'cannot serialize message: Do not know how to serialize a BigInt');
    check(undefined, 'cannot serialize a value of type undefined');
    check(() => 1, 'cannot serialize a value of type function');
    check(Symbol('s'), 'cannot serialize a value of type symbol');
    check({ toJSON: () => undefined }, 'cannot serialize a value of type object');
  });

  it('encodeLine: strings, numbers, booleans and null are lines of their own', () => {
    assert.strictEqual(encodeLine('a"b'), '"a\\"b"');
    assert.strictEqual(encodeLine('plain'), '"plain"');
    assert.strictEqual(encodeLine(3), '3');
    assert.strictEqual(encodeLine(false), 'false');
    assert.strictEqual(encodeLine(null), 'null');
    assert.strictEqual(encodeLine([]), '[]');
    assert.strictEqual(encodeLine({}), '{}');
  });

  it('stringify: the exact text at depths 0..7 (the fast path gives up past depth 4)', () => {
    for (let d = 0; d <= 7; d++) assert.strictEqual(stringify(nested(d)), JSON.stringify(nested(d)), `depth ${d}`);
    assert.strictEqual(stringify(nested(5)), '[{"o":[{"o":[{"leaf":"x"}]}]}]');
  });

  it('stringify: members left out of objects, null in arrays, holes, non-finite numbers, -0, escaped keys', () => {
    const v = { a: undefined, b: () => 1, c: Symbol('c'), d: 1, 'k"y': [undefined, () => 1, NaN, -Infinity, -0, , true], e: null }; // eslint-disable-line no-sparse-arrays
    const want = '{"d":1,"k\\"y":[null,null,null,null,0,null,true],"e":null}';
    assert.strictEqual(stringify(v), want);
    assert.strictEqual(JSON.stringify(v), want);
    assert.strictEqual(stringify({ a: undefined }), '{}');
    assert.strictEqual(stringify({ a: undefined, b: 2 }), '{"b":2}');
    assert.strictEqual(stringify([]), '[]');
    assert.strictEqual(stringify(['a', 'b']), '["a","b"]');
    assert.strictEqual(stringify(Object.assign(Object.create(null), { z: 'é' })), '{"z":"é"}');
    // an object whose prototype is Array.prototype is not an array: JSON.stringify writes it as an object
    assert.strictEqual(stringify(Object.assign(Object.create(Array.prototype), { a: 1 })), '{"a":1}');
    assert.strictEqual(stringify({ v: Object.assign(Object.create(Array.prototype), { a: 1 }) }), '{"v":{"a":1}}');
  });

  it('stringify: strings needing escapes (control characters, quote, backslash, lone surrogates); a surrogate pair as it is', () => {
    assert.strictEqual(stringify('\u0000\u001f'), '"\\u0000\\u001f"');
    assert.strictEqual(stringify(' '), '" "');
    assert.strictEqual(stringify('\\'), '"\\\\"');
    assert.strictEqual(stringify('\ud800'), '"\\ud800"');
    assert.strictEqual(stringify('\udfff'), '"\\udfff"');
    assert.strictEqual(stringify('😀'), '"😀"');
    assert.strictEqual(stringify('\u007f\u2028'), '"\u007f\u2028"');
  });

  it('stringify: a key named "undefined", toJSON on a plain object', () => {
    assert.strictEqual(stringify({ undefined: 1 }), '{"undefined":1}');
    assert.strictEqual(stringify({ a: 1, undefined: 2 }), '{"a":1,"undefined":2}');
    assert.strictEqual(stringify({ toJSON: () => 'x', a: 1 }), '"x"');
    assert.strictEqual(stringify({ o: { toJSON: () => [1] } }), '{"o":[1]}');
  });

  it('stringify serializes the usual shapes itself (its reason to exist): JSON.stringify is called only for strings needing escapes and for what it leaves to it', () => {
    const real = JSON.stringify;
    let calls = 0;
    JSON.stringify = function (...a) {
      calls++;
      return real.apply(this, a);
    };
    const count = (v) => {
      calls = 0;
      const s = stringify(v);
      const n = calls;
      assert.strictEqual(s, real(v));
      return n;
    };
    try {
      assert.strictEqual(count({ type: 'stdout', payload: { chunk: 'abc', n: 1, ok: true, z: null, u: undefined }, list: ['a', 1, false, null] }), 0);
      assert.strictEqual(count('plain'), 0);
      assert.strictEqual(count({ f: () => 1, s: Symbol('s'), u: undefined, a: [() => 1, Symbol('t')] }), 0);
      assert.strictEqual(count(Object.assign(Object.create(null), { a: 'b' })), 0);
      assert.strictEqual(count(nested(4)), 0); // depth 4: still the fast path
      assert.strictEqual(count(nested(5)), 1); // past it: one JSON.stringify of the whole value
      assert.strictEqual(count({ s: 'a"b' }), 1); // the one string needing escapes
      assert.strictEqual(count({ d: new Date(0) }), 1);
      assert.strictEqual(count([new Map()]), 1);
      assert.strictEqual(count(5), 1);
    } finally {
      JSON.stringify = real;
    }
  });

  it('decodeLine is JSON.parse (it throws a SyntaxError on what is not JSON)', () => {
    assert.deepStrictEqual(decodeLine('{"a":[1,"b"]}'), { a: [1, 'b'] });
    assert.throws(() => decodeLine('{"a":'), SyntaxError);
  });

  it('byteLength counts UTF-8 bytes', () => {
    assert.deepStrictEqual(['', 'a', 'é', '€', '😀', 'aé€😀'].map(byteLength), [0, 1, 2, 3, 4, 10]);
  });

  it('frameLines is the package\'s one splitter (lib/ndjson splitLines)', () => {
    assert.strictEqual(frameLines, splitLines);
  });
});
