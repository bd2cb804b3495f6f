'use strict';
// Seed corpora for the libFuzzer harnesses (csrc/fuzz/fuzz_<name>.c), made
// from test/vectors/ and the test helpers. Each harness's input layout is
// described at the top of its props_<name>.c; the seeds follow it.
//
//   node csrc/fuzz/seeds.js OUTDIR     writes OUTDIR/<harness>/<seed files>
//   require('./csrc/fuzz/seeds').generate() -> { harness: [Buffer, ...] }
//
// Seeds are generated on demand (build-c/fuzz/corpus/); only a small
// hand-picked set is committed under csrc/fuzz/seeds/<harness>/.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.join(__dirname, '..', '..');
const VEC = path.join(ROOT, 'test', 'vectors');

const FIXED_ENVELOPE_KEY = '6cc230c746def9ea6e330f15d5a354368493e40491ce94fb7235791f67169d1a';

function readJson(name) {
  return JSON.parse(fs.readFileSync(path.join(VEC, name), 'utf8'));
}

const b = (...parts) =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Array.isArray(p) ? Buffer.from(p) : Buffer.from(String(p)))));

function eventLines() {
  const nd = readJson('ndjson-lines.json');
  const lines = nd.lines.map((l) => l.line).filter((l) => typeof l === 'string');
  let cases = [];
  try {
    cases = require(path.join(ROOT, 'test', 'helpers', 'event-cases.js')).randomCases(20261127, 40);
  } catch {
    /* the helpers are optional */
  }
  return { lines, cases: cases.filter((c) => typeof c === 'string') };
}

function framerSeeds(lines, cases) {
  const out = [];
  const all = lines.join('\n');
  // [max_line selector][chunk seed][record cap] + stream
  out.push(b([0, 1, 63], all, '\n'));
  out.push(b([6, 9, 3], all));
  out.push(b([5, 200, 1], lines.slice(0, 6).join('\r\n'), '\r\n\r\n'));
  out.push(b([2, 7, 2], '{"a":1}\n\n  [2] \r\nnot json\n"x"'));
  out.push(b([3, 33, 5], '\ufeff{"a":1}\n\u2028 {} \u00a0\n', Buffer.from([0xff, 0xfe, 0x0a, 0xe2, 0x82, 0x0a]), '[1,2]'));
  out.push(b([4, 5, 7], 'x'.repeat(40), '\n', '{}', '\n', ' '.repeat(30), '\n1'));
  out.push(b([6, 50, 8], '{"k":"', 'y'.repeat(900), '"}\n', lines[0] || '{}', '\n'));
  for (let i = 0; i < lines.length; i += 7) out.push(b([i % 8, i & 255, 1 + (i % 9)], lines.slice(i, i + 7).join('\n')));
  if (cases.length) out.push(b([7, 77, 11], cases.slice(0, 20).join('\n')));
  return out;
}

function b64Strings(crypt) {
  const out = new Set();
  for (const h of crypt.handshakes) {
    out.add(h.clientPublicKeyB64);
    out.add(h.serverPublicKeyB64);
  }
  for (const e of crypt.envelopes) {
    const p = JSON.parse(e.line).payload;
    out.add(p.nonceB64);
    out.add(p.ciphertextB64);
  }
  for (const x of crypt.bad) if (x.publicKeyB64 !== undefined) out.add(x.publicKeyB64);
  return [...out].filter((s) => typeof s === 'string');
}

function envelopeSeeds(crypt) {
  const out = [];
  for (const e of crypt.envelopes) {
    // even first byte: open with the fixed key (vector envelopes under it decrypt)
    out.push(b([0], e.line));
  }
  for (const x of crypt.bad) if (x.line) out.push(b([2], x.line));
  out.push(b([0], '{"protocolVersion":2,"sessionId":"s_1","seq":1,"type":"enc","payload":{"kid":"k","nonceB64":"AAAAAAAAAAAAAAAA","ciphertextB64":"AAAAAAAAAAAAAAAAAAAAAA==","tagB64":""}}'));
  // odd first byte: key, sid length, kid length, seq (7), prefix (8), counter (4), flips (4), sid, kid, plaintext
  crypt.envelopes.slice(0, 8).forEach((e, i) => {
    const line = JSON.parse(e.line);
    const sid = Buffer.from(line.sessionId);
    const kid = Buffer.from(line.payload.kid);
    const seq = Buffer.alloc(7);
    seq.writeUIntBE(line.seq, 1, 6);
    const nonce = Buffer.from(e.nonceHex, 'hex');
    const flips = Buffer.alloc(4);
    flips.writeUInt32BE((i * 2654435761) >>> 0);
    out.push(
      b([1], Buffer.from(e.keyHex, 'hex'), [sid.length, kid.length], seq, nonce.subarray(0, 8), nonce.subarray(8, 12), flips, sid, kid, JSON.stringify(e.inner))
    );
  });
  return out;
}

function pubkeySeeds(crypt) {
  const out = [];
  for (const h of crypt.handshakes) {
    out.push(Buffer.from(h.clientPublicKeyB64, 'base64'));
    out.push(Buffer.from(h.serverPublicKeyB64, 'base64'));
    out.push(b(Buffer.from(h.serverPrivateKeyHex, 'hex'), Buffer.from(h.clientPublicKeyB64, 'base64')));
  }
  for (const x of crypt.bad) if (x.publicKeyB64 !== undefined) out.push(Buffer.from(x.publicKeyB64, 'base64'));
  const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex'); // group order
  out.push(n, Buffer.alloc(32), b([0x04], Buffer.alloc(64)), b([0x02], Buffer.alloc(32, 1)));
  return out;
}

function backoffSeeds() {
  const out = [];
  // [mode] (+ config) + operation bytes: 0 connect, 1 connected, 2 disconnected,
  // 3 fatal, 4 close, 5 reset, 6 timer fires, 7 any step code (+1 byte), 8 delay probe
  const outage = [0, 1, 2, 0x80, 6, 2, 0x40, 6, 2, 0x10, 6, 2, 6, 2, 6, 2, 6, 1];
  out.push(b([0], outage));
  out.push(b([1, 5, 100, 120, 1, 0, 0], outage, [3, 5, 0, 4, 8, 8]));
  out.push(b([1, 11, 3, 255, 64, 1, 255], outage, outage));
  out.push(b([1, 2, 0, 0, 0, 0, 0], [2, 8, 2, 6, 2, 7, 9, 7, 8, 7, 200, 7, 11]));
  const weird = Buffer.alloc(8 * 4 + 2 + 8);
  weird[0] = 2;
  weird.writeDoubleBE(NaN, 1);
  weird.writeDoubleBE(-0, 9);
  weird.writeDoubleBE(Infinity, 17);
  weird.writeDoubleBE(1e308, 25);
  weird[33] = 1;
  weird.writeDoubleBE(-1.5, 34);
  out.push(b(weird, outage));
  // reentrant handlers: bytes of 0 after steps ask for a nested operation
  out.push(b([1, 4, 10, 10, 2, 1, 128], [2, 0, 3, 6, 0, 4, 2, 0, 5, 1]));
  return out;
}

function generate() {
  const crypt = readJson('crypto.json');
  const { lines, cases } = eventLines();
  const envLines = crypt.envelopes.map((e) => e.line);
  const inner = crypt.envelopes.map((e) => JSON.stringify(e.inner));
  const b64 = b64Strings(crypt);
  const rnd = crypto.createHash('sha256').update('esn-fuzz-seeds').digest();
  // (libFuzzer mutates at most -max_len bytes anyway: keep seeds small)
  const cap = (list, n) => list.map((x) => (x.length > n ? x.subarray(0, n) : x));
  return {
    framer: cap(framerSeeds(lines.concat(envLines.slice(0, 4)), cases), 16384),
    validate: cap([...lines, ...envLines, ...inner, ...cases, '{}', '[]', '1', '"s_1"'].map((s) => Buffer.from(s)), 65536),
    base64: cap([...b64.map((s) => Buffer.from(s)), rnd, Buffer.concat([rnd, rnd, rnd]), Buffer.from('QUJD'), Buffer.from('QQ==')], 8192),
    envelope_open: cap(envelopeSeeds(crypt), 65536),
    pubkey: pubkeySeeds(crypt),
    backoff: backoffSeeds(),
  };
}

function write(outDir, only) {
  const seeds = generate();
  const counts = {};
  for (const [name, list] of Object.entries(seeds)) {
    if (only && only !== name) continue;
    const dir = path.join(outDir, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const buf of list) {
      const id = crypto.createHash('sha1').update(buf).digest('hex');
      fs.writeFileSync(path.join(dir, 'seed-' + id), buf);
    }
    counts[name] = list.length;
  }
  return counts;
}

module.exports = { generate, write, FIXED_ENVELOPE_KEY };

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node csrc/fuzz/seeds.js OUTDIR');
    process.exit(2);
  }
  console.log(write(out));
}
