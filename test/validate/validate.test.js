'use strict';
// Differential test: the hand-written validator (lib/validate/index.js) against the
// zod schemas (lib/validate/schemas.js) on generated and recorded event lines.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { z } = require('zod');

const V = require('../../lib/validate');
const S = require('../../lib/validate/schemas');
const { randomCases, randomDatetimes, DATETIMES_OK, DATETIMES_BAD } = require('../helpers/event-cases');

const LINES = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'vectors', 'ndjson-lines.json'), 'utf8')).lines;
const SID = 's_4c9184f37cff01bcdc32dc486ec36961';

// Asserts every property the fast validator promises for one value.
function agree(value, label) {
  const z = S.parseStreamEventOrEncrypted(value);
  const c = V.checkEvent(value);
  assert.strictEqual(c !== 2, z.success, `verdict ${c} vs zod ${z.success}: ${label}`);
  const p = V.parseEventValue(value);
  assert.strictEqual(p.success, z.success, label);
  if (!z.success) {
    assert.strictEqual(p.error, z.error.message, label);
    return c;
  }
  const n = V.normalizeEvent(value);
  assert.deepStrictEqual(n, z.data, label);
  const zText = JSON.stringify(z.data);
  assert.strictEqual(JSON.stringify(n), zText, `key order: ${label}`);
  assert.deepStrictEqual(p.data, z.data, label);
  return c;
}

function agreeJson(value, label) {
  const c = agree(value, label);
  assert.strictEqual(V.checkJsonEvent(value), c, `checkJsonEvent: ${label}`);
  const pj = V.parseJsonEventValue(value);
  const pz = S.parseStreamEventOrEncrypted(value);
  assert.strictEqual(pj.success, pz.success, label);
  if (pj.success) assert.deepStrictEqual(pj.data, pz.data, label);
  else assert.strictEqual(pj.error, pz.error.message, label);
  if (c !== 2) {
    const canonical = JSON.stringify(S.parseStreamEventOrEncrypted(value).data) === JSON.stringify(value);
    assert.strictEqual(c === 0, canonical, `canonical ${c}: ${label}`);
  }
  return c;
}

describe('validate: fast validator vs zod', () => {
  it('every ndjson-lines vector', () => {
    for (const rec of LINES) {
      const text = rec.line.trim();
      if (text === '') continue;
      let value;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      const c = agreeJson(value, rec.why);
      assert.strictEqual(c !== 2, rec.ok, rec.why);
      if (rec.ok) assert.strictEqual(JSON.stringify(V.normalizeEvent(value)), JSON.stringify(rec.data), rec.why);
    }
  });

  it('randomized lines (seeded, 4000 cases)', () => {
    const counts = [0, 0, 0];
    let notJson = 0;
    for (const seed of [1, 2, 3, 4]) {
      const lines = randomCases(seed, 1000);
      for (let i = 0; i < lines.length; i++) {
        let value;
        try {
          value = JSON.parse(lines[i]);
        } catch {
          notJson++;
          continue;
        }
        counts[agreeJson(value, `seed ${seed} #${i}: ${lines[i].slice(0, 200)}`)]++;
      }
    }
    // the generator must exercise all three verdicts
    assert.ok(counts[0] > 500 && counts[1] > 100 && counts[2] > 500, `verdicts ${counts}`);
    assert.ok(notJson < 200);
  });

  it('randomCases is deterministic and line-shaped', () => {
    const a = randomCases(42, 300);
    assert.deepStrictEqual(a, randomCases(42, 300));
    assert.notDeepStrictEqual(a, randomCases(43, 300));
    for (const l of a) assert.ok(!l.includes('\n'));
    const all = randomCases(7, 3000).join('\n');
    assert.ok(/"seq":[^,]*,"protocolVersion"|\{"(seq|type|protocolVersion|sessionId|payload)":.*"\1":/.test(all), 'duplicate keys');
    assert.ok(/\[{1100}/.test(all), 'deep nesting');
    assert.ok(all.includes('1e400'), '1e400');
    assert.ok(all.includes('123456789012345678901234567890'), 'huge integer');
    assert.ok(all.includes('\\ud800'), 'lone surrogate escape');
  });

  it('ISO datetimes: same verdict as zod', () => {
    const zdt = z.string().datetime();
    const cases = [...DATETIMES_OK, ...DATETIMES_BAD, ...randomDatetimes(9, 3000)];
    // every leap-year rule and month length
    for (const y of ['0000', '0004', '1900', '2000', '2023', '2024', '2100', '2400', '9996']) {
      for (let m = 1; m <= 12; m++) {
        for (const d of [28, 29, 30, 31, 32]) {
          cases.push(`${y}-${String(m).padStart(2, '0')}-${d}T00:00:00Z`);
        }
      }
    }
    for (const s of cases) assert.strictEqual(V.isDatetime(s), zdt.safeParse(s).success, JSON.stringify(s));
    assert.strictEqual(V.isDatetime(5), false);
    assert.strictEqual(V.isDatetime(null), false);
  });

  it('boundary numbers', () => {
    const base = (seq, payload) => ({ protocolVersion: 2, sessionId: SID, seq, type: 'tool_progress', payload });
    const nums = [0, -0, 1, 7, -1, 1.5, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324, Infinity, -Infinity, NaN, '7', null, true];
    for (const n of nums) {
      agreeJson(base(n, { callId: 'c_1', phase: 'sending', elapsedMs: 1 }), `seq ${n}`);
      agree(base(1, { callId: 'c_1', phase: 'sending', elapsedMs: n }), `elapsedMs ${n}`);
      agree(base(1, { callId: 'c_1', phase: 'sending', bytesReceived: n, elapsedMs: 0 }), `bytesReceived ${n}`);
      agree({ protocolVersion: 2, sessionId: SID, seq: 1, type: 'deadline_exceeded', payload: { elapsedMs: 0, budgetMs: n } }, `budgetMs ${n}`);
      agree({ protocolVersion: n, sessionId: SID, seq: 1, type: 'stdout', payload: { chunk: '' } }, `protocolVersion ${n}`);
      agree({
        protocolVersion: 2, sessionId: SID, seq: 1, type: 'final',
        payload: { ok: true, errors: [{ code: 'c', message: 'm', details: [{ type: 'upstream_info', statusCode: n, url: '' }] }] },
      }, `statusCode ${n}`);
    }
  });

  it('non-canonical but valid values are normalized like zod', () => {
    const reordered = { sessionId: SID, protocolVersion: 2, seq: 3, type: 'stdout', payload: { chunk: 'x' } };
    assert.strictEqual(agreeJson(reordered, 'top-level order'), 1);
    const data = JSON.parse('{"a":1,"__proto__":{"x":1},"b":2}');
    assert.strictEqual(agreeJson({ protocolVersion: 2, sessionId: SID, seq: 3, type: 'log', payload: { level: 'info', message: 'm', data } }, '__proto__ in log.data'), 1);
    const ok = JSON.parse(`{"protocolVersion":2,"sessionId":"${SID}","seq":3,"type":"log","payload":{"level":"info","message":"m","data":{"2":1,"a":2,"1":3}}}`);
    assert.strictEqual(agreeJson(ok, 'numeric keys in record'), 0);
    const extra = JSON.parse(`{"protocolVersion":2,"sessionId":"${SID}","seq":3,"type":"final","payload":{"ok":true,"errors":[{"code":"c","message":"m","details":[{"limit":1,"type":"quota_info","used":2}]}]}}`);
    assert.strictEqual(agreeJson(extra, 'detail key order'), 1);
    const env = JSON.parse(`{"protocolVersion":2,"sessionId":"${SID}","seq":3,"type":"enc","payload":{"nonceB64":"n","kid":"k","ciphertextB64":"c"}}`);
    assert.strictEqual(agreeJson(env, 'envelope order'), 1);
  });

  it('values that JSON cannot produce keep zod verdicts and output', () => {
    const ev = (payload, type = 'log') => ({ protocolVersion: 2, sessionId: SID, seq: 0, type, payload });
    const sym = Symbol('s');
    const withSym = { a: 1 };
    withSym[sym] = 2;
    const hiddenSym = { a: 1 };
    Object.defineProperty(hiddenSym, sym, { value: 1, enumerable: false });
    const hidden = { a: 1 };
    Object.defineProperty(hidden, 'b', { value: 2, enumerable: false });
    class Thing { constructor() { this.a = 1; } }
    const odd = [
      Object.create(null), new Date(0), new Map(), new Thing(), withSym, hiddenSym, hidden, { constructor: 1 },
      { constructor: () => 1 }, Object.create({ inherited: 1 }), [], null, 'x', undefined,
    ];
    for (let i = 0; i < odd.length; i++) agree(ev({ level: 'warn', message: 'm', data: odd[i] }), `log.data #${i}`);
    // optional keys present with undefined, inherited keys, `args` present as undefined
    agree(ev({ level: 'warn', message: 'm', data: undefined }), 'data undefined');
    agree(ev({ callId: 'c_1', toolName: 't', args: undefined }, 'tool_call'), 'args undefined');
    agree(ev({ callId: 'c_1', toolName: 't' }, 'tool_call'), 'args absent');
    agree(ev(Object.create({ callId: 'c_1', toolName: 't', args: 1 }), 'tool_call'), 'inherited keys');
    agree(ev({ ok: true, result: undefined, error: undefined, errors: undefined, stats: undefined }, 'final'), 'final undefineds');
    agree(ev({ path: [], error: { code: 'c', message: 'm', path: undefined, details: undefined }, hasNext: false }, 'partial_result'), 'partial undefineds');
    agree(ev({ path: ['a', , 'b'], hasNext: false }, 'partial_result'), 'sparse array');
    agree(ev({ chunk: 'x' }, 'stdout'), 'plain');
    agree(Object.assign([], { protocolVersion: 2, sessionId: SID, seq: 0, type: 'enc', payload: { kid: 'k', nonceB64: 'n', ciphertextB64: 'c' } }), 'array envelope');
    for (const v of [null, undefined, 0, 'x', true, [], () => 1, Symbol('x')]) {
      assert.strictEqual(V.checkEvent(v), 2);
      assert.strictEqual(V.parseEventValue(v).success, false);
    }
  });

  it('parseJsonEventValue returns canonical values as they are, parseEventValue copies', () => {
    const v = JSON.parse(`{"protocolVersion":2,"sessionId":"${SID}","seq":1,"type":"stdout","payload":{"chunk":"x"}}`);
    const r = V.parseJsonEventValue(v);
    assert.strictEqual(r.success, true);
    assert.strictEqual(r.data, v);
    const copy = V.parseEventValue(v);
    assert.notStrictEqual(copy.data, v);
    assert.deepStrictEqual(copy.data, v);
    const bad = V.parseEventValue({ protocolVersion: 2 });
    assert.strictEqual(bad.success, false);
    assert.strictEqual(typeof bad.error, 'string');
    assert.ok(bad.error.length > 0);
  });
});
