'use strict';
// Deterministic generator of NDJSON event lines for differential tests
// (JS validator vs zod, native validator vs JS). randomCases(seed, n) returns
// n JSON text lines (no '\n' inside): valid events of every type, mutated
// events (dropped / added / retyped keys, reordered keys, boundary numbers,
// tricky datetimes and strings), raw-text tricks (duplicate keys, 7.0, 1e400,
// huge integers, deep nesting, lone surrogate escapes, whitespace) and random
// JSON values. About 1% of the lines are not valid JSON on purpose.
const { prng } = require('./prng');

const SID = 's_4c9184f37cff01bcdc32dc486ec36961';
const NUM = '@@NUM@@'; // marker: "@@NUM@@<token>@@" is replaced by the raw token

function num(token) {
  return NUM + token + '@@';
}
function rawify(text) {
  return text.replace(/"@@NUM@@([^@"]*)@@"/g, '$1');
}

const STRINGS = [
  '', 'x', 'hello world\n', 'é😀', '\ud800', 'a\udc00b', '\u2028\u2029', '\u0000', 'tab\there', '"quoted"', '\\',
  '\ufeff', '\u00a0', '𝄞'.repeat(3), 'L'.repeat(300), 's_', 'c_', 'ref_', 's_x', 'c_x', '\u0085', 'ß',
];
const DATETIMES_OK = [
  '2026-01-02T03:04:05.678Z', '2024-02-29T00:00:00Z', '2000-02-29T23:59:59.999999Z', '0000-02-29T00:00:00Z',
  '2400-02-29T12:00:00Z', '1999-12-31T23:59:59.1Z', '9999-12-31T23:59:59Z', '2024-04-30T00:00:00.000000000000001Z',
];
const DATETIMES_BAD = [
  '1900-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-01-01T24:00:00Z',
  '2024-01-01T00:60:00Z', '2024-01-01T00:00:60Z', '2024-01-01T00:00:00z', '2024-01-01t00:00:00Z', '2024-01-01T00:00Z',
  '2024-01-01T00:00:00+01:00', '2024-01-01T00:00:00.Z', '2024-01-01 00:00:00Z', '2024-1-01T00:00:00Z',
  '\u0662\u0660\u0662\u0664-01-01T00:00:00Z', '2024-00-10T00:00:00Z', '2024-01-00T00:00:00Z', '+2024-01-01T00:00:00Z',
  '2024-01-01T00:00:00.123', '2024-01-01T00:00:00ZZ', ' 2024-01-01T00:00:00Z', '2024-01-01', '2024-13-01T00:00:00Z',
  '2024-01-01T00:00:00.1a2Z', '20240-01-01T00:00:00Z', '2024-01-32T00:00:00Z', '2024-06-31T00:00:00Z', '',
];
const NUM_TOKENS = [
  '0', '-0', '1', '7', '7.0', '7e0', '1E2', '-0.0', '1.5', '-1', '9007199254740991', '9007199254740992',
  '9007199254740993', '-9007199254740991', '1e308', '-1e308', '5e-324', '1e21', '0.1', '1e400', '-1e400',
  '123456789012345678901234567890', '2', '1.0', '2e0', '200', '404.0',
];
const KEYS = [
  'protocolVersion', 'sessionId', 'seq', 'type', 'payload', 'chunk', 'level', 'message', 'data', 'callId', 'toolName',
  'args', 'ok', 'result', 'error', 'errors', 'stats', 'ts', 'code', 'recoverable', 'path', 'hasNext', 'phase',
  'elapsedMs', 'budgetMs', 'version', 'kid', 'nonceB64', 'ciphertextB64', 'tagB64', 'extra', '__proto__',
  'constructor', 'toString', 'details', 'retryDelayMs', 'enabled', 'keyId', '0', '10',
];
const TYPES = [
  'session_init', 'stdout', 'log', 'tool_call', 'tool_result_applied', 'final', 'heartbeat', 'error', 'enc',
  'partial_result', 'tool_progress', 'deadline_exceeded', 'catalog_changed',
];

function makeGen(rnd) {
  const chance = (p) => rnd() < p;
  const str = () => (chance(0.5) ? rnd.pick(STRINGS) : 'v' + rnd.int(1000));
  const nonNeg = () => (chance(0.7) ? rnd.int(100000) : chance(0.5) ? rnd() * 1000 : num(rnd.pick(NUM_TOKENS)));
  const count = () => (chance(0.8) ? rnd.int(1000) : num(rnd.pick(NUM_TOKENS)));
  const datetime = () => {
    if (chance(0.6)) return rnd.pick(DATETIMES_OK);
    if (chance(0.5)) return rnd.pick(DATETIMES_BAD);
    // fuzzed digits in every field
    const d = (n, max) => String(rnd.int(max)).padStart(n, '0');
    let s = `${d(4, 10000)}-${d(2, 14)}-${d(2, 33)}T${d(2, 26)}:${d(2, 62)}:${d(2, 62)}`;
    if (chance(0.4)) s += '.' + String(rnd.int(100000));
    return s + (chance(0.9) ? 'Z' : rnd.pick(['z', '', '+00:00']));
  };

  function jsonValue(depth) {
    const r = rnd.int(depth > 3 ? 6 : 9);
    switch (r) {
      case 0: return null;
      case 1: return chance(0.5);
      case 2: return num(rnd.pick(NUM_TOKENS));
      case 3: return rnd.int(100);
      case 4: case 5: return str();
      case 6: {
        const a = [];
        for (let i = rnd.int(4); i > 0; i--) a.push(jsonValue(depth + 1));
        return a;
      }
      default: {
        const o = {};
        for (let i = rnd.int(4); i > 0; i--) setKey(o, chance(0.5) ? rnd.pick(KEYS) : str(), jsonValue(depth + 1));
        return o;
      }
    }
  }
  // Own property even for '__proto__' (JSON.parse makes it own too).
  function setKey(o, k, v) {
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const retype = () =>
    rnd.pick([
      null, true, false, 0, -1, 1.5, '', 'x', 's_', 's_x', 'c_', 'c_x', [], [1], ['a'], {}, { a: 1 }, 'info',
      'receiving', 'retry_info', rnd.pick(DATETIMES_OK), num(rnd.pick(NUM_TOKENS)),
    ]);

  function errorPayload() {
    const e = { code: str(), message: str() };
    if (chance(0.5)) e.path = [str(), str()];
    if (chance(0.6)) {
      e.details = [];
      for (let i = rnd.int(4); i > 0; i--) {
        switch (rnd.int(4)) {
          case 0: e.details.push({ type: 'retry_info', retryDelayMs: nonNeg() }); break;
          case 1: e.details.push({ type: 'upstream_info', statusCode: chance(0.8) ? 200 + rnd.int(400) : num(rnd.pick(NUM_TOKENS)), url: str() }); break;
          case 2: e.details.push({ type: 'validation_info', field: str(), reason: str() }); break;
          default: e.details.push({ type: 'quota_info', limit: nonNeg(), used: nonNeg() });
        }
      }
    }
    return e;
  }

  function payload(type) {
    switch (type) {
      case 'session_init': {
        const p = { cancelUrl: str(), expiresAt: datetime(), encryption: { enabled: chance(0.5) } };
        if (chance(0.5)) p.encryption.keyId = str();
        if (chance(0.5)) p.replayUrl = str();
        return p;
      }
      case 'stdout': return { chunk: str() };
      case 'log': {
        const p = { level: rnd.pick(['debug', 'info', 'warn', 'error']), message: str() };
        if (chance(0.6)) p.data = chance(0.9) ? jsonValue(1) : rnd.pick([[], null, 'x']);
        if (p.data !== undefined && chance(0.1) && typeof p.data === 'object' && p.data) setKey(p.data, '__proto__', 1);
        return p;
      }
      case 'tool_call': return { callId: 'c_' + rnd.int(100), toolName: str() || 't', args: jsonValue(0) };
      case 'tool_result_applied': return { callId: 'c_' + rnd.int(100) };
      case 'final': {
        const p = { ok: chance(0.5) };
        if (chance(0.4)) p.result = jsonValue(0);
        if (chance(0.4)) {
          p.error = { message: str() };
          if (chance(0.5)) p.error.code = str();
          if (chance(0.3)) p.error.stack = str();
        }
        if (chance(0.4)) {
          p.errors = [];
          for (let i = rnd.int(3); i > 0; i--) p.errors.push(errorPayload());
        }
        if (chance(0.5)) p.stats = { durationMs: nonNeg(), toolCallCount: count(), stdoutBytes: count() };
        return p;
      }
      case 'heartbeat': return { ts: datetime() };
      case 'error': {
        const p = { message: str() };
        if (chance(0.5)) p.code = str();
        if (chance(0.5)) p.recoverable = chance(0.5);
        return p;
      }
      case 'partial_result': {
        const p = { path: [str(), String(rnd.int(9))] };
        if (chance(0.5)) p.data = jsonValue(0);
        if (chance(0.4)) p.error = errorPayload();
        p.hasNext = chance(0.5);
        return p;
      }
      case 'tool_progress': {
        const p = { callId: 'c_' + rnd.int(100), phase: rnd.pick(['connecting', 'sending', 'receiving', 'processing']) };
        if (chance(0.5)) p.bytesReceived = count();
        if (chance(0.5)) p.totalBytes = count();
        p.elapsedMs = nonNeg();
        return p;
      }
      case 'deadline_exceeded': return { elapsedMs: nonNeg(), budgetMs: chance(0.8) ? 1 + rnd.int(10000) : nonNeg() };
      case 'catalog_changed': return { version: str() || 'v1', addedActions: [str()], removedActions: chance(0.5) ? [] : [str(), str()] };
      default: {
        const p = { kid: 'k_' + rnd.int(9), nonceB64: 'AAAAAAAAAAAAAAAA', ciphertextB64: 'AAAAAAAAAAAAAAAAAAAAAA==' };
        if (chance(0.3)) p.tagB64 = str();
        return p;
      }
    }
  }

  function event() {
    const type = rnd.pick(TYPES);
    return {
      protocolVersion: chance(0.8) ? 2 : chance(0.7) ? 1 : num(rnd.pick(['2.0', '1e0', '3', '0'])),
      sessionId: chance(0.9) ? SID : rnd.pick(['s_', 's_x', 'S_x', 'x', 's_é😀']),
      seq: chance(0.8) ? rnd.int(1000) : num(rnd.pick(NUM_TOKENS)),
      type,
      payload: payload(type),
    };
  }

  // all plain objects/arrays of a tree (not inside unknown-typed values: they too, harmlessly)
  function nodes(v, out, depth) {
    if (depth > 8 || typeof v !== 'object' || v === null) return out;
    out.push(v);
    for (const k of Object.keys(v)) nodes(v[k], out, depth + 1);
    return out;
  }

  function mutate(ev) {
    const all = nodes(ev, [], 0);
    const o = rnd.pick(all);
    const keys = Object.keys(o);
    switch (rnd.int(6)) {
      case 0: // drop a key
        if (keys.length) delete o[rnd.pick(keys)];
        break;
      case 1: // add a key
        if (Array.isArray(o)) o.push(retype());
        else setKey(o, rnd.pick(KEYS), chance(0.5) ? retype() : jsonValue(1));
        break;
      case 2: // retype a value
        if (keys.length) o[rnd.pick(keys)] = retype();
        break;
      case 3: { // reorder keys
        if (Array.isArray(o) || keys.length < 2) break;
        const vals = keys.map((k) => o[k]);
        for (const k of keys) delete o[k];
        const order = keys.map((k, i) => i).sort(() => rnd() - 0.5);
        for (const i of order) setKey(o, keys[i], vals[i]);
        break;
      }
      case 4: // boundary number
        if (keys.length) o[rnd.pick(keys)] = num(rnd.pick(NUM_TOKENS));
        break;
      default: // strings and datetimes
        if (keys.length) o[rnd.pick(keys)] = chance(0.5) ? str() : datetime();
    }
  }

  function line() {
    const r = rnd();
    if (r < 0.05) return rawify(JSON.stringify(jsonValue(0)));
    if (r < 0.01 + 0.05) return rnd.pick(['{', '{"a":1,}', 'nul', '[1,2', '{"seq":01}', '"\\ud800', '{"a":"\u0001"}']);
    const ev = event();
    if (r < 0.45) {
      for (let i = 1 + rnd.int(2); i > 0; i--) mutate(ev);
    }
    let text = rawify(JSON.stringify(ev));
    const t = rnd();
    if (t < 0.04) {
      // duplicate key: first or last occurrence wins as JSON.parse does
      const k = rnd.pick(['seq', 'type', 'protocolVersion', 'sessionId', 'payload']);
      const v = JSON.stringify(retype());
      text = chance(0.5) ? '{"' + k + '":' + rawify(v) + ',' + text.slice(1) : text.slice(0, -1) + ',"' + k + '":' + rawify(v) + '}';
    } else if (t < 0.06) {
      // deep nesting in args / data / result
      const depth = 1100 + rnd.int(200);
      text = text.replace(/"(args|result|data)":/, '"$1":' + '['.repeat(depth) + ']'.repeat(depth) + ',"x$1":');
    } else if (t < 0.08) {
      text = text.replace(/^\{/, '{ ').replace(/,"/g, ' ,\t"').replace(/\}$/, ' }');
    } else if (t < 0.1) {
      // escaped characters in the raw text
      text = text.replace(/"payload":\{"(\w+)":"/, '"payload":{"$1":"\\ud800\\u2028\\/\\u00e9');
    }
    return text;
  }

  return { line, event, jsonValue, datetime };
}

function randomCases(seed, n) {
  const rnd = prng(seed);
  const gen = makeGen(rnd);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.line();
  return out;
}

// Random datetime-like strings (for a focused check of the ISO datetime rule).
function randomDatetimes(seed, n) {
  const rnd = prng(seed);
  const gen = makeGen(rnd);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.datetime();
  return out;
}

module.exports = { randomCases, randomDatetimes, DATETIMES_OK, DATETIMES_BAD, NUM_TOKENS };
