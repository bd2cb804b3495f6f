'use strict';
// Differential test of the C event validator (csrc/validate) against the zod
// schemas (lib/validate/schemas.js parseStreamEventOrEncrypted) and the JS twin
// (lib/validate/index.js checkEvent). For every line simdjson parses, all three
// must agree on valid/invalid, and a CANONICAL verdict from C must mean
// JSON.stringify(zod data) === JSON.stringify(JSON.parse(line)).
const assert = require('node:assert');
const { native } = require('../../lib/binding');
const { parseStreamEventOrEncrypted } = require('../../lib/validate/schemas');
const { checkEvent } = require('../../lib/validate');
const { EVENT_TYPE_CODE } = require('../../lib/constants');
const { randomCases, DATETIMES_OK, DATETIMES_BAD, NUM_TOKENS } = require('../helpers/event-cases');
const { prng } = require('../helpers/prng');
const vectors = require('../vectors/ndjson-lines.json');

const MAX_DEPTH = 1000; // the addon's parser (csrc/binding/addon.cc)
const SID = 's_4c9184f37cff01bcdc32dc486ec36961';

// What the raw text holds that JSON.parse hides: duplicate keys, nesting
// depth, number tokens, lone surrogate escapes. Only called on text that
// JSON.parse accepted.
function scanText(text) {
  const out = { dupKeys: false, depth: 0, numbers: [], loneSurrogate: false };
  const stack = []; // per open container: a Set of keys (object) or null (array)
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      const re = /\\u([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\./g;
      let m;
      while ((m = re.exec(raw)) !== null) {
        if (m[0].length === 6 && /^\\u[dD][c-fC-F]/.test(m[0])) out.loneSurrogate = true;
        else if (m[1] !== undefined && m[2] === undefined) out.loneSurrogate = true;
      }
      if (expectKey) {
        const key = JSON.parse(raw);
        const keys = stack[stack.length - 1];
        if (keys.has(key)) out.dupKeys = true;
        keys.add(key);
        expectKey = false;
      }
      i = j + 1;
    } else if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? new Set() : null);
      out.depth = Math.max(out.depth, stack.length);
      expectKey = ch === '{';
      i++;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      i++;
    } else if (ch === ',') {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
      i++;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      out.numbers.push(m[0]);
      i += m[0].length;
    } else {
      i++;
    }
  }
  return out;
}

// simdjson's documented limits: numbers beyond double range, integers beyond
// 64 bits, lone surrogate escapes, nesting deeper than the parser's limit.
function isSimdjsonLimit(s) {
  if (s.loneSurrogate || s.depth >= MAX_DEPTH) return true;
  return s.numbers.some((t) => {
    if (!Number.isFinite(Number(t))) return true;
    if (/^-?\d+$/.test(t)) {
      const b = BigInt(t);
      return b > 18446744073709551615n || b < -9223372036854775808n;
    }
    return false;
  });
}

function typeCodeOf(v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof v.type !== 'string') return 0;
  return EVENT_TYPE_CODE[v.type] || 0;
}

// Runs one line through the three validators; returns the C verdict.
function compare(line, stats) {
  const buf = Buffer.from(line, 'utf8');
  const text = buf.toString('utf8');
  const c = native.validateJson(buf, 0, buf.length);
  let parsed;
  let threw = false;
  try {
    parsed = JSON.parse(text);
  } catch {
    threw = true;
  }
  const why = () => `line: ${line.length > 300 ? line.slice(0, 300) + '...' : line}`;
  if (c === -1) {
    stats.limit++;
    assert.ok(threw || isSimdjsonLimit(scanText(text)), `simdjson rejected a line JSON.parse takes: ${why()}`);
    return c;
  }
  assert.ok(!threw, `simdjson accepted a line JSON.parse rejects: ${why()}`);
  const zod = parseStreamEventOrEncrypted(parsed);
  const js = checkEvent(parsed);
  assert.strictEqual(c === 2, !zod.success, `C verdict ${c} vs zod success ${zod.success}: ${why()}`);
  assert.strictEqual(js === 2, !zod.success, `JS verdict ${js} vs zod success ${zod.success}: ${why()}`);
  if (zod.success) {
    const same = JSON.stringify(zod.data) === JSON.stringify(parsed);
    if (c === 0) assert.ok(same, `C says canonical but zod's output differs: ${why()}`);
    if (c !== js) {
      // C sees duplicate keys, which JSON.parse hides from the JS twin; it
      // calls them NORMALIZE (safe) where the value may still be canonical.
      assert.ok(c === 1 && js === 0 && scanText(text).dupKeys, `C verdict ${c} vs JS ${js}: ${why()}`);
    }
  }
  const info = native.eventInfo(buf, 0, buf.length);
  assert.strictEqual(info[0], c);
  assert.strictEqual(info[1], typeCodeOf(parsed), `type code: ${why()}`);
  const isObj = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  const seq = isObj ? parsed.seq : undefined;
  if (typeof seq === 'number') assert.ok(info[2] === seq, `seq ${info[2]} vs ${seq}: ${why()}`); // simdjson reads -0 as 0
  else assert.ok(Number.isNaN(info[2]), `seq NaN: ${why()}`);
  assert.strictEqual(info[3] === null, c !== 2, `reason: ${why()}`);
  stats[c]++;
  return c;
}

function base(type, payload) {
  return { protocolVersion: 2, sessionId: SID, seq: 7, type, payload };
}

const VALID = [
  base('session_init', { cancelUrl: '/c', expiresAt: '2026-01-02T03:04:05.678Z', encryption: { enabled: true, keyId: 'k' }, replayUrl: '/r' }),
  base('stdout', { chunk: 'hi\n' }),
  base('log', { level: 'info', message: 'm', data: { a: 1 } }),
  base('tool_call', { callId: 'c_1', toolName: 't', args: { q: [1, 2] } }),
  base('tool_result_applied', { callId: 'c_1' }),
  base('final', {
    ok: false,
    result: { r: 1 },
    error: { message: 'm', code: 'c', stack: 's' },
    errors: [{ code: 'X', message: 'y', path: ['a'], details: [
      { type: 'retry_info', retryDelayMs: 1 },
      { type: 'upstream_info', statusCode: 502, url: 'u' },
      { type: 'validation_info', field: 'f', reason: 'r' },
      { type: 'quota_info', limit: 1, used: 2 },
    ] }],
    stats: { durationMs: 1.5, toolCallCount: 1, stdoutBytes: 2 },
  }),
  base('heartbeat', { ts: '2026-01-02T03:04:05Z' }),
  base('error', { message: 'm', code: 'c', recoverable: true }),
  base('enc', { kid: 'k', nonceB64: 'n', ciphertextB64: 'c', tagB64: 't' }),
  base('partial_result', { path: ['a'], data: null, error: { code: 'c', message: 'm' }, hasNext: false }),
  base('tool_progress', { callId: 'c_1', phase: 'sending', bytesReceived: 1, totalBytes: 2, elapsedMs: 3 }),
  base('deadline_exceeded', { elapsedMs: 1, budgetMs: 2 }),
  base('catalog_changed', { version: 'v', addedActions: ['a'], removedActions: [] }),
];

// Raw-text lines JSON.stringify cannot produce.
function trickyLines() {
  const out = [];
  const stdout = (chunkRaw) =>
    `{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"stdout","payload":{"chunk":${chunkRaw}}}`;
  // duplicate keys at every level, first or last valid
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":-1,"seq":7,"type":"stdout","payload":{"chunk":"x"}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"seq":-1,"type":"stdout","payload":{"chunk":"x"}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"seq":7,"type":"stdout","payload":{"chunk":"x"}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"enc","type":"stdout","payload":{"chunk":"x"}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"stdout","type":"enc","payload":{"kid":"k","nonceB64":"n","ciphertextB64":"c"}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"stdout","payload":{"chunk":1},"payload":{"chunk":"x"}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"stdout","payload":{"chunk":"x","chunk":2}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"log","payload":{"level":"info","message":"m","data":{"a":1,"a":2,"__proto__":3}}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"log","payload":{"level":"info","message":"m","data":{"\\u005f_proto__":{}}}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"final","payload":{"ok":true,"errors":[{"code":"c","message":"m","details":[{"type":"quota_info","type":"retry_info","retryDelayMs":1}]}]}}`);
  out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":7,"type":"final","payload":{"ok":true,"stats":{"durationMs":1,"toolCallCount":1,"stdoutBytes":1,"toolCallCount":1.5}}}`);
  // numbers
  for (const t of NUM_TOKENS.concat(['9007199254740991.0', '90071992547409910e-1', '18446744073709551615',
    '18446744073709551616', '-9223372036854775808', '-9223372036854775809', '1e-400', '4.9e-324', '0e5'])) {
    out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":${t},"type":"stdout","payload":{"chunk":"x"}}`);
    out.push(`{"protocolVersion":${t},"sessionId":"${SID}","seq":0,"type":"stdout","payload":{"chunk":"x"}}`);
    out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":0,"type":"deadline_exceeded","payload":{"elapsedMs":${t},"budgetMs":${t}}}`);
    out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":0,"type":"tool_call","payload":{"callId":"c_1","toolName":"t","args":[${t}]}}`);
  }
  // strings: escapes, surrogates, line separators, NUL
  for (const raw of ['"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"\u2028\u2029"', '"\\u2028"', '"\\u0000"',
    '"\\/"', '"é😀"', '"\\"\\\\"']) {
    out.push(stdout(raw));
    out.push(`{"protocolVersion":2,"sessionId":"s_${raw.slice(1)},"seq":0,"type":"stdout","payload":{"chunk":""}}`);
  }
  // ISO datetimes
  for (const ts of DATETIMES_OK.concat(DATETIMES_BAD, ['2024-01-01T00:00:00Z\n', '2024-01-01T00:00:00\u0000Z'])) {
    out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":0,"type":"heartbeat","payload":{"ts":${JSON.stringify(ts)}}}`);
  }
  // nesting just below and above the parser's limit, inside `args`
  for (const d of [10, MAX_DEPTH - 4, MAX_DEPTH + 5]) {
    out.push(`{"protocolVersion":2,"sessionId":"${SID}","seq":0,"type":"tool_call","payload":{"callId":"c_1","toolName":"t","args":${'['.repeat(d)}${']'.repeat(d)}}}`);
  }
  // whitespace JSON allows, and characters it does not
  out.push(' \t\r\n{"protocolVersion":2,"sessionId":"s_1","seq":0,"type":"stdout","payload":{"chunk":""}}\r\n');
  out.push('\ufeff{"protocolVersion":2,"sessionId":"s_1","seq":0,"type":"stdout","payload":{"chunk":""}}');
  out.push('{"protocolVersion":2,"sessionId":"s_1","seq":0,"type":"stdout","payload":{"chunk":""}}\u00a0');
  return out;
}

// Valid events with one field changed to a random value, keys dropped,
// reordered or added.
function mutations(seed, n) {
  const rnd = prng(seed);
  const values = [null, true, false, 0, -0, 1, -1, 1.5, 2, 9007199254740992, '', 's_', 's_x', 'c_', 'c_x', 'info',
    'receiving', 'retry_info', '2024-02-29T00:00:00Z', [], ['a'], [1], {}, { a: 1 }, { code: 'c', message: 'm' }];
  const out = [];
  const walk = (o, paths, prefix) => {
    for (const k of Object.keys(o)) {
      paths.push(prefix.concat(k));
      if (typeof o[k] === 'object' && o[k] !== null) walk(o[k], paths, prefix.concat(k));
    }
  };
  for (let i = 0; i < n; i++) {
    const ev = structuredClone(VALID[rnd.int(VALID.length)]);
    const paths = [];
    walk(ev, paths, []);
    const path = paths[rnd.int(paths.length)];
    let parent = ev;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const key = path[path.length - 1];
    const r = rnd();
    if (r < 0.4) parent[key] = values[rnd.int(values.length)];
    else if (r < 0.6) delete parent[key];
    else if (r < 0.8 && !Array.isArray(parent)) {
      const v = parent[key];
      delete parent[key];
      parent[key] = v; // moved last
    } else if (!Array.isArray(parent)) {
      parent[rnd.pick(['extra', 'type', 'seq', '0', '__proto__'])] = values[rnd.int(values.length)];
    }
    let line = JSON.stringify(ev);
    if (line.includes('"__proto__"') === false && rnd() < 0.05) line = line.replace('{', '{"__proto__":1,');
    out.push(line);
  }
  return out;
}

// Valid lines with a few characters inserted, deleted or replaced: mostly
// broken JSON, which simdjson and JSON.parse must reject alike.
function byteMutations(seed, n) {
  const rnd = prng(seed);
  const alphabet = ['{', '}', '[', ']', '"', ',', ':', '\\', '0', '1', '-', '.', 'e', '+', ' ', '\t', '\n', '\r',
    '\u0000', '\u001f', '\u007f', 'é', '\u2028', '\ufeff', 'n', 't', 'u', 'x', '/'];
  const out = [];
  for (let i = 0; i < n; i++) {
    let line = JSON.stringify(VALID[rnd.int(VALID.length)]);
    const edits = 1 + rnd.int(3);
    for (let e = 0; e < edits; e++) {
      const at = rnd.int(line.length + 1);
      const r = rnd();
      if (r < 0.4) line = line.slice(0, at) + rnd.pick(alphabet) + line.slice(at);
      else if (r < 0.7) line = line.slice(0, at) + line.slice(at + 1);
      else line = line.slice(0, at) + rnd.pick(alphabet) + line.slice(at + 1);
    }
    out.push(line);
  }
  return out;
}

describe('native event validator vs zod and the JS twin', function () {
  before(function () {
    if (!native) this.skip();
  });

  it('agrees on one valid event of every type (canonical) and its top-level shuffles', function () {
    const stats = { 0: 0, 1: 0, 2: 0, limit: 0 };
    for (const ev of VALID) {
      assert.strictEqual(compare(JSON.stringify(ev), stats), 0);
      const { type, payload, ...rest } = ev;
      assert.strictEqual(compare(JSON.stringify({ type, payload, ...rest }), stats), 1);
      assert.strictEqual(compare(JSON.stringify({ ...ev, extra: 1 }), stats), 1);
      assert.strictEqual(compare(JSON.stringify({ ...ev, payload: { ...payload, extra: 1 } }), stats), 1);
    }
  });

  it('agrees on every vector line', function () {
    const stats = { 0: 0, 1: 0, 2: 0, limit: 0 };
    for (const rec of vectors.lines) {
      const c = compare(rec.line, stats);
      if (c === -1) continue;
      if (rec.ok) assert.notStrictEqual(c, 2, rec.why);
      else assert.strictEqual(c, 2, rec.why);
    }
    assert.ok(stats[0] > 40 && stats[1] > 20 && stats[2] > 250, JSON.stringify(stats));
  });

  it('agrees on raw-text tricks (duplicate keys, numbers, surrogates, datetimes, nesting)', function () {
    const stats = { 0: 0, 1: 0, 2: 0, limit: 0 };
    for (const line of trickyLines()) compare(line, stats);
    assert.ok(stats.limit > 5 && stats[0] > 20 && stats[1] > 3 && stats[2] > 50, JSON.stringify(stats));
  });

  it('agrees on mutated events', function () {
    const stats = { 0: 0, 1: 0, 2: 0, limit: 0 };
    for (const line of mutations(0x5eed, 3000)) compare(line, stats);
    assert.ok(stats[0] > 100 && stats[1] > 100 && stats[2] > 500, JSON.stringify(stats));
  });

  it('agrees on the shared random case generator', function () {
    const stats = { 0: 0, 1: 0, 2: 0, limit: 0 };
    for (const line of randomCases(20240229, 6000)) compare(line, stats);
    assert.ok(stats[0] > 100 && stats[1] > 100 && stats[2] > 500, JSON.stringify(stats));
  });

  it('agrees on character-level corruptions (parse acceptance matches JSON.parse)', function () {
    const stats = { 0: 0, 1: 0, 2: 0, limit: 0 };
    for (const line of byteMutations(77, 4000)) compare(line, stats);
    assert.ok(stats.limit > 1000 && stats[2] + stats[1] + stats[0] > 500, JSON.stringify(stats));
  });

  it('rejects bad arguments with TypeError/RangeError', function () {
    assert.throws(() => native.validateJson('x', 0, 1), TypeError);
    assert.throws(() => native.validateJson(Buffer.alloc(2), 1, 5), RangeError);
    assert.throws(() => native.eventInfo(Buffer.alloc(2)), TypeError);
    const buf = Buffer.from('xx{"protocolVersion":2,"sessionId":"s_1","seq":3,"type":"stdout","payload":{"chunk":""}}yy');
    assert.deepStrictEqual(native.eventInfo(buf, 2, buf.length - 4), [0, 2, 3, null]);
    assert.strictEqual(native.validateJson(buf, 0, 0), -1);
  });
});
