'use strict';
// Differential fuzzing of the event validator: the C validator (native
// validateJson / eventInfo, csrc/validate) against the JavaScript one
// (lib/validate/index.js checkJsonEvent), on a deterministic pseudo-random set of
// mutations of the vector events (test/vectors/) and of the committed fuzzer
// seeds (csrc/fuzz/seeds/validate/, if present). The C fuzzer
// (csrc/fuzz/fuzz_validate.c) cannot run JavaScript; this is its JS half.
// Without the addon (ENCLAVE_STREAM_NATIVE=0) only the JS side runs: every
// mutation must get a verdict without throwing.
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { native } = require('../../lib/binding');
const { checkJsonEvent, CHECK_INVALID } = require('../../lib/validate');
const { EVENT_TYPE_CODE } = require('../../lib/constants');
const { prng } = require('../helpers/prng');

const VECTORS = require('../vectors/ndjson-lines.json');
const CRYPTO = require('../vectors/crypto.json');
const SEED_DIR = path.join(__dirname, '..', '..', 'csrc', 'fuzz', 'seeds', 'validate');
const ROUNDS = 2500;

function baseTexts() {
  const out = VECTORS.lines.map((l) => l.line).filter((l) => typeof l === 'string');
  for (const e of CRYPTO.envelopes.slice(0, 6)) {
    out.push(e.line);
    out.push(JSON.stringify(e.inner));
  }
  if (fs.existsSync(SEED_DIR)) {
    for (const f of fs.readdirSync(SEED_DIR).sort()) out.push(fs.readFileSync(path.join(SEED_DIR, f), 'latin1'));
  }
  return out;
}

// Values that sit on the rules' edges.
const VALUES = [
  null, true, false, 0, -0, 1, 2, 3, -1, 1.5, 1e308, 9007199254740991, 9007199254740992, '', 's_', 's_1', 'x',
  '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05Z', '2026-13-02T03:04:05Z', 'info', 'warn', 'sending', [], [1], {},
  { a: 1 }, 'enc', 'stdout', 'final', 'log', 'heartbeat', 'retry_info', '\u2028', '\ud83d\ude00',
];
const TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\ud800', '1e400', '-', '.', 'e', ' ', '\u00e9',
  '"type":"stdout"', '"seq":1', '"payload":{}', '"sessionId":"s_1"', '"protocolVersion":2', 'null'];

function pick(r, a) {
  return a[r.int(a.length)];
}

// A JSON-level mutation: change, drop, add or duplicate one field somewhere.
function mutateValue(r, v, depth) {
  if (typeof v !== 'object' || v === null || depth > 6) return r.int(3) === 0 ? pick(r, VALUES) : v;
  const isArr = Array.isArray(v);
  const copy = isArr ? v.slice() : { ...v };
  const keys = Object.keys(copy);
  const op = r.int(6);
  if (keys.length === 0 || op === 0) {
    if (isArr) copy.push(pick(r, VALUES));
    else copy[pick(r, ['extra', 'type', 'seq', 'code', 'message', 'data', '__proto__x', 'details'])] = pick(r, VALUES);
    return copy;
  }
  const k = pick(r, keys);
  if (op === 1) {
    if (isArr) copy.splice(Number(k), 1);
    else delete copy[k];
  } else if (op === 2) {
    copy[k] = pick(r, VALUES);
  } else {
    copy[k] = mutateValue(r, copy[k], depth + 1);
  }
  return copy;
}

// A text-level mutation of a JSON text.
function mutateText(r, s, others) {
  const op = r.int(7);
  const at = r.int(s.length + 1);
  switch (op) {
    case 0: // delete a range
      return s.slice(0, at) + s.slice(Math.min(s.length, at + 1 + r.int(8)));
    case 1: // insert a token
      return s.slice(0, at) + pick(r, TOKENS) + s.slice(at);
    case 2: { // replace one character
      const ch = String.fromCharCode(r.int(3) === 0 ? r.int(0x3000) : 32 + r.int(95));
      return s.slice(0, at) + ch + s.slice(at + 1);
    }
    case 3: { // duplicate a top-level key (JSON.parse keeps the last)
      const m = /"(\w+)":("[^"]*"|-?\d+(?:\.\d+)?|true|false|null)/.exec(s.slice(at));
      if (!m) return s;
      return s.replace('{', '{' + m[0] + ',');
    }
    case 4: // splice two texts
      return s.slice(0, at) + pick(r, others).slice(r.int(40));
    case 5: // whitespace inside
      return s.slice(0, at) + pick(r, [' ', '\t', '\r\n', '\n']) + s.slice(at);
    default:
      return s;
  }
}

// Duplicate object keys in a JSON text (JSON.parse hides them; C sees them).
function hasDupKeys(text) {
  const stack = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        const keys = stack[stack.length - 1];
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? new Set() : null);
      expectKey = ch === '{';
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    }
  }
  return false;
}

function typeCodeOf(v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof v.type !== 'string') return 0;
  return EVENT_TYPE_CODE[v.type] || 0;
}

function cases() {
  const r = prng(0x5eed6);
  const base = baseTexts();
  const out = base.slice();
  for (let i = 0; i < ROUNDS; i++) {
    const s = pick(r, base);
    if (r.int(2) === 0) {
      let v;
      try {
        v = JSON.parse(s);
      } catch {
        out.push(mutateText(r, s, base));
        continue;
      }
      let m = v;
      for (let k = 1 + r.int(3); k > 0; k--) m = mutateValue(r, m, 0);
      out.push(JSON.stringify(m));
    } else {
      let m = s;
      for (let k = 1 + r.int(3); k > 0; k--) m = mutateText(r, m, base);
      out.push(m);
    }
  }
  return out;
}

describe('fuzz: C validator vs JS validator on mutated events', function () {
  this.timeout(20000);
  const texts = cases();

  it('the JS validator gives a verdict for every mutation', function () {
    let parsed = 0;
    for (const t of texts) {
      let v;
      try {
        v = JSON.parse(t);
      } catch {
        continue;
      }
      parsed++;
      const c = checkJsonEvent(v);
      assert.ok(c === 0 || c === 1 || c === 2, `verdict ${c}`);
    }
    assert.ok(parsed > texts.length / 3, `only ${parsed} of ${texts.length} mutations parse`);
  });

  it('C and JS agree on verdicts, type codes, seq and reasons', function () {
    if (native === null) this.skip();
    const stats = { 0: 0, 1: 0, 2: 0, cfail: 0, dup: 0 };
    for (const text of texts) {
      const buf = Buffer.from(text, 'utf8');
      const c = native.validateJson(buf, 0, buf.length);
      let parsed;
      let threw = false;
      try {
        parsed = JSON.parse(buf.toString('utf8'));
      } catch {
        threw = true;
      }
      const why = `text: ${text.length > 240 ? text.slice(0, 240) + '...' : text}`;
      if (c === -1) {
        // simdjson refused it: not JSON, or one of its documented limits
        // (checked in validate-native.test.js); the JS path decides those.
        stats.cfail++;
        continue;
      }
      assert.ok(!threw, `C parsed what JSON.parse rejects: ${why}`);
      const js = checkJsonEvent(parsed);
      assert.strictEqual(c === CHECK_INVALID, js === CHECK_INVALID, `C ${c} vs JS ${js}: ${why}`);
      if (c !== js) {
        assert.ok(c === 1 && js === 0 && hasDupKeys(text), `C ${c} vs JS ${js}: ${why}`);
        stats.dup++;
      }
      const info = native.eventInfo(buf, 0, buf.length);
      assert.strictEqual(info[0], c, why);
      assert.strictEqual(info[1], typeCodeOf(parsed), `type code: ${why}`);
      const isObj = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      const seq = isObj ? parsed.seq : undefined;
      if (typeof seq === 'number') assert.ok(info[2] === seq, `seq ${info[2]} vs ${seq}: ${why}`);
      else assert.ok(Number.isNaN(info[2]), `seq NaN: ${why}`);
      assert.strictEqual(info[3] === null, c !== CHECK_INVALID, `reason: ${why}`);
      stats[c]++;
    }
    // the set must exercise all three verdicts
    assert.ok(stats[0] > 20 && stats[1] > 5 && stats[2] > 200, JSON.stringify(stats));
  });
});
