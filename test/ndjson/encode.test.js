'use strict';
// Encoding many values at once (serializeEvents, stringifyNDJSON,
// StreamEncoder.encodeBatch and its batched writes) must give exactly the
// per-element JSON.stringify join, whichever path runs: on the native backend
// arrays of plain objects are stringified whole and split into lines in C.
const assert = require('node:assert/strict');
const lib = require('../..');
const { native, backend } = require('../../lib/binding');
const { prng } = require('../helpers/prng');
const { turn } = require('../helpers/turn');

const STRINGS = [
  '', 'x', '},{', '],[', '{', '}', '[', ']', ',', ':', '"', '\\', '\\"', '\\\\"', '"\\', 'a"b', '\\u0022',
  '\n', '\t', '\u0000', '\u001f', 'é', '€', '😀', '𝄞', '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '\u2028',
  '"},{"seq":1}', '\\",\\"', 'x'.repeat(70), '\\'.repeat(65), '"'.repeat(63),
];

function randString(r) {
  let s = '';
  const n = r.int(6);
  for (let i = 0; i < n; i++) s += r.pick(STRINGS);
  return s;
}

function randValue(r, depth) {
  switch (r.int(depth > 4 ? 6 : 10)) {
    case 0: return randString(r);
    case 1: return r.int(2000) - 1000;
    case 2: return r() * 1e6;
    case 3: return r.pick([true, false, null, NaN, Infinity, -0]);
    case 4: return r.pick([undefined, () => 1, Symbol('s')]); // skipped in objects, null in arrays
    case 5: return new Date(1700000000000 + r.int(1e9)); // toJSON below the top level
    case 6:
    case 7: return randObject(r, depth + 1);
    default: {
      const a = [];
      const n = r.int(5);
      for (let i = 0; i < n; i++) a.push(r.int(2) ? randObject(r, depth + 1) : randValue(r, depth + 1));
      return a;
    }
  }
}

function randObject(r, depth) {
  const o = {};
  const n = r.int(5);
  for (let i = 0; i < n; i++) o[randString(r) || 'k'] = randValue(r, depth + 1);
  if (r.int(20) === 0) o.nested = { toJSON: (key) => `key=${key}` };
  return o;
}

// A top-level element: mostly objects (the fast path), sometimes not.
function randElement(r, plain) {
  if (plain || r.int(40)) {
    const k = r.int(12);
    if (k === 0) return [randValue(r, 1), randObject(r, 1)];
    if (k === 1) return Object.assign(Object.create(null), randObject(r, 1));
    if (k === 2) return new Number(r.int(9));
    return { protocolVersion: 2, sessionId: 's_' + r.int(1e6), seq: r.int(1e6), type: 'log', payload: randObject(r, 1) };
  }
  return r.pick([
    undefined,
    null,
    7,
    'str},{',
    () => 1,
    Symbol('x'),
    new Date(0),
    { toJSON: (key) => ({ key }) },
    { toJSON: (key) => (key === '' ? undefined : key) },
    { toJSON: 'not a function', a: 1 },
  ]);
}

function perElement(values) {
  return values.map((v) => JSON.stringify(v)).join('\n');
}

function lines(values) {
  let out = '';
  for (const v of values) out += JSON.stringify(v) + '\n';
  return out;
}

function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}

describe(`batch encoding (${backend} backend)`, function () {
  this.timeout(30000); // a loaded CI box is slow; the assertions are about results
  it('serializeEvents and stringifyNDJSON equal the per-element join on random arrays', () => {
    const r = prng(0x5eed);
    for (let round = 0; round < 200; round++) {
      const n = r.pick([0, 1, 15, 16, 17, 40, 255, 256, 257, 600]);
      const plain = round % 3 !== 0;
      const values = [];
      for (let i = 0; i < n; i++) values.push(randElement(r, plain));
      assert.equal(lib.serializeEvents(values), perElement(values));
      const encodable = values.every((v) => JSON.stringify(v) !== undefined);
      if (encodable) {
        assert.equal(lib.stringifyNDJSON(values), lines(values));
        assert.equal(new lib.StreamEncoder().encodeBatch(values), lines(values));
      } else {
        assert.equal(thrown(() => lib.stringifyNDJSON(values)).code, 'ERR_NDJSON_ENCODE');
      }
    }
  });

  it('keeps toJSON keys, undefined, functions and holes as the per-element calls do', () => {
    const base = Array.from({ length: 20 }, (_, i) => ({ i }));
    const cases = [
      [...base, { toJSON: (key) => `key=${JSON.stringify(key)}` }],
      [...base, undefined],
      [...base, () => 1],
      [...base, Symbol('s')],
      [...base, new Date(86400000)],
      [...base, { a: undefined, b: () => 1, c: [undefined, () => 1], d: { toJSON: (k) => k } }],
    ];
    const holes = base.slice();
    holes[30] = { last: true };
    cases.push(holes);
    for (const values of cases) assert.equal(lib.serializeEvents(values), perElement(values));
    assert.equal(lib.serializeEvents(cases[0]).split('\n').pop(), '"key=\\"\\""');
    assert.equal(lib.serializeEvents(cases[1]).endsWith('}\n'), true); // an empty last line, as join gives
  });

  it('honours a toJSON set on Array.prototype or Object.prototype', () => {
    const values = Array.from({ length: 40 }, (_, i) => ({ i, list: [i] }));
    for (const proto of [Array.prototype, Object.prototype]) {
      // eslint-disable-next-line no-extend-native
      Object.defineProperty(proto, 'toJSON', {
        value(key) {
          return `${Array.isArray(this) ? 'array' : 'object'}@${key}`;
        },
        configurable: true,
        writable: true,
      });
      try {
        assert.equal(lib.serializeEvents(values), perElement(values));
        assert.equal(lib.stringifyNDJSON(values), lines(values));
      } finally {
        delete proto.toJSON;
      }
    }
  });

  it('keeps strings exact: unicode, lone surrogates (escaped), quotes and brackets inside strings', () => {
    const values = [];
    for (const s of STRINGS) values.push({ s, [s]: [s, { s }], n: [[[{ s }]]] });
    while (values.length < 300) values.push({ big: '😀é"},{\\'.repeat(values.length) });
    const out = lib.serializeEvents(values);
    assert.equal(out, perElement(values));
    assert.deepEqual(out.split('\n').map((l) => JSON.parse(l)), JSON.parse(JSON.stringify(values)));
    assert.equal(lib.serializeEvents([...values].reverse()), perElement([...values].reverse()));
  });

  it('throws what the per-element path throws: BigInt, cycles, throwing getters', () => {
    const base = Array.from({ length: 30 }, (_, i) => ({ i }));
    const cyclic = { a: 1 };
    cyclic.self = cyclic;
    const withArray = base.slice();
    withArray.push({ back: withArray });
    const bad = [
      [...base, { n: 1n }],
      [...base, cyclic],
      withArray,
      [
        ...base,
        {
          get boom() {
            throw new RangeError('getter');
          },
        },
      ],
    ];
    for (const values of bad) {
      const want = thrown(() => perElement(values));
      const got = thrown(() => lib.serializeEvents(values));
      assert.equal(got.constructor, want.constructor);
      assert.equal(got.message, want.message);
      const coded = thrown(() => lib.stringifyNDJSON(values));
      assert.equal(coded.code, 'ERR_NDJSON_ENCODE');
      assert.ok(coded.message.includes(want.message.split('\n')[0]), coded.message);
    }
  });

  it('StreamEncoder: corked writes (_writev) give the same bytes as one line per message', async () => {
    const r = prng(7);
    const values = Array.from({ length: 300 }, () => randElement(r, true));
    const enc = new lib.StreamEncoder();
    const parts = [];
    enc.on('data', (c) => parts.push(Buffer.from(c)));
    enc.cork();
    for (const v of values) enc.write(v);
    process.nextTick(() => enc.uncork());
    await turn();
    enc.end();
    await new Promise((resolve, reject) => enc.on('end', resolve).on('error', reject).resume());
    assert.equal(Buffer.concat(parts).toString(), lines(values));
  });

  it('StreamEncoder: a bad message in a corked batch errors the stream with a coded error', async () => {
    const enc = new lib.StreamEncoder();
    enc.on('data', () => {});
    enc.cork();
    for (let i = 0; i < 20; i++) enc.write({ i });
    enc.write({ n: 1n });
    const err = await new Promise((resolve) => {
      enc.on('error', resolve);
      enc.uncork();
    });
    assert.equal(err.code, 'ERR_NDJSON_ENCODE');
  });

  it('serializeEvents of a non-array fails as events.map would', () => {
    assert.throws(() => lib.serializeEvents({ length: 1, 0: {} }), TypeError);
    assert.throws(() => lib.stringifyNDJSON({ length: 1, 0: {} }), TypeError);
  });

  (native ? it : it.skip)('native joinLines: lines of array text, undefined on text that is not an array', () => {
    assert.equal(native.joinLines('[{"a":[1,2]},{"b":"},{"}]', false), '{"a":[1,2]}\n{"b":"},{"}');
    assert.equal(native.joinLines('[{"a":1},2,"é"]', true), '{"a":1}\n2\n"é"\n');
    assert.equal(native.joinLines('[]', true), '');
    for (const bad of ['', '[', '{}', '["]', '["\\"]', '[{]', '[}]', '[1]]', 'x'.repeat(100)]) {
      assert.equal(native.joinLines(bad, false), undefined, bad);
    }
    assert.throws(() => native.joinLines(42), TypeError);
    assert.throws(() => native.joinLines(), TypeError);
  });
});
