'use strict';
// NDJSON benchmark (issue 2): 200k realistic events (~200 B, a third larger
// tool_call events). Each figure is a ratio to a baseline measured in the
// same process:
//   decode+validate  StreamDecoder({ validate: 'event' }), 64 KiB chunks
//                    vs StringDecoder + split('\n') + JSON.parse (validates nothing)
//   stream parser    NdjsonStreamParser on string chunks vs split + JSON.parse
//   routing          EventRouter (validate: 'fields', and 'event') vs the same
//                    baseline (goal >= 5x events/s)
//   encode           serializeEvents / stringifyNDJSON vs JSON.stringify + join
//   line cost        an 8 MiB line in 1 KiB pieces vs in one piece (<= 3x)
// Usage: node bench/ndjson.js [--quick]
const path = require('node:path');
const { StringDecoder } = require('node:string_decoder');
const lib = require('..');
const { compare, time, printTable, childRows } = require('./harness');

function makeEvents(n) {
  const events = [];
  for (let i = 0; i < n; i++) {
    const base = { protocolVersion: 2, sessionId: 's_4c9184f37cff01bcdc32dc486ec36961', seq: i };
    if (i % 3 === 0) {
      events.push({
        ...base,
        type: 'tool_call',
        payload: {
          callId: `c_${(i * 2654435761) >>> 0}`,
          toolName: 'users:search',
          args: { query: 'status:active AND region:eu-west-1', limit: 50, fields: ['id', 'name', 'email', 'createdAt'], page: i % 17 },
        },
      });
    } else if (i % 3 === 1) {
      events.push({ ...base, type: 'stdout', payload: { chunk: `processed batch ${i}: ok=${i % 7} skipped=${i % 5}\n` } });
    } else {
      events.push({ ...base, type: 'log', payload: { level: 'info', message: `step ${i} finished`, data: { ms: i % 100 } } });
    }
  }
  return events;
}

function chunks(buf, size) {
  const out = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

function run({ quick = false } = {}) {
  const N = quick ? 50000 : 200000;
  const rounds = quick ? 3 : 5;
  const events = makeEvents(N);
  const text = lib.stringifyNDJSON(events);
  const bytes = Buffer.from(text);
  const byteChunks = chunks(bytes, 64 * 1024);
  const strChunks = byteChunks.map((c) => c.toString());
  const rows = [];
  const backend = lib.backend;
  const row = (name, r, baselineName, goal, n = N, b = bytes.length) =>
    rows.push({ backend, name, events: n, bytes: b, seconds: r.candidate, ratio: r.ratio, baselineName, goal });

  let sink = 0;
  const baselineBytes = () => {
    const sd = new StringDecoder('utf8');
    let rest = '';
    for (const c of byteChunks) {
      const lines = (rest + sd.write(c)).split('\n');
      rest = lines.pop();
      for (const l of lines) if (l) sink += JSON.parse(l).seq;
    }
  };
  const baselineStrings = () => {
    let rest = '';
    for (const c of strChunks) {
      const lines = (rest + c).split('\n');
      rest = lines.pop();
      for (const l of lines) if (l) sink += JSON.parse(l).seq;
    }
  };

  row(
    'decode + validate (StreamDecoder, 64 KiB chunks)',
    compare(baselineBytes, () => {
      const d = new lib.StreamDecoder({ validate: 'event' });
      d.on('message', (m) => (sink += m.seq));
      for (const c of byteChunks) d.write(c);
      d.end();
    }, rounds),
    'split+JSON.parse',
    '>= 1.0x',
  );

  row(
    'NdjsonStreamParser (string chunks)',
    compare(baselineStrings, () => {
      const p = new lib.NdjsonStreamParser({ onEvent: (e) => (sink += e.seq), onError: () => {} });
      for (const c of strChunks) p.feed(c);
      p.flush();
    }, rounds),
    'split+JSON.parse',
    '>= 1.0x',
  );

  row(
    "routing (EventRouter, validate: 'fields': type, seq, sessionId, raw line)",
    compare(baselineBytes, () => {
      const r = new lib.EventRouter();
      for (const c of byteChunks) for (const e of r.push(c)) sink += e.seq;
      r.end();
    }, rounds),
    'split+JSON.parse',
    '>= 5x',
  );

  row(
    "routing, validate: 'event' (every line fully validated first)",
    compare(baselineBytes, () => {
      const r = new lib.EventRouter({ validate: 'event' });
      for (const c of byteChunks) for (const e of r.push(c)) sink += e.seq;
      r.end();
    }, rounds),
    'split+JSON.parse',
    '',
  );

  row(
    'encode (serializeEvents)',
    compare(
      () => (sink += events.map((e) => JSON.stringify(e)).join('\n').length),
      () => (sink += lib.serializeEvents(events).length),
      rounds,
    ),
    'JSON.stringify+join',
    '>= 1.0x',
  );

  row(
    'encode (stringifyNDJSON)',
    compare(
      () => (sink += events.map((e) => JSON.stringify(e) + '\n').join('').length),
      () => (sink += lib.stringifyNDJSON(events).length),
      rounds,
    ),
    'JSON.stringify+join',
    '>= 1.0x',
  );

  // Linear work: an 8 MiB line in 1 KiB pieces costs at most 3x one piece.
  const big = Buffer.from(JSON.stringify({ blob: 'x'.repeat(8 * 1024 * 1024 - 20) }) + '\n');
  const bigPieces = chunks(big, 1024);
  const one = () => {
    const d = new lib.StreamDecoder();
    d.on('message', (m) => (sink += m.blob.length));
    d.write(big);
    d.end();
  };
  const many = () => {
    const d = new lib.StreamDecoder();
    d.on('message', (m) => (sink += m.blob.length));
    for (const p of bigPieces) d.write(p);
    d.end();
  };
  const lr = compare(one, many, rounds);
  rows.push({
    backend,
    name: '8 MiB line in 1 KiB pieces',
    events: 1,
    bytes: big.length,
    seconds: lr.candidate,
    ratio: lr.ratio,
    baselineName: 'same line in one piece (cost = 1/ratio)',
    goal: '>= 0.33x',
  });
  if (sink === 42) console.log('');
  return rows;
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const rows = run({ quick });
  if (process.argv.includes('--rows')) {
    console.log(JSON.stringify(rows));
  } else {
    if (lib.backend === 'native') rows.push(...childRows(__filename, quick ? ['--quick'] : []));
    printTable(`NDJSON (${quick ? 50000 : 200000} events, node ${process.version}, ${require('node:os').cpus()[0].model})`, rows);
  }
}

module.exports = { run, makeEvents };
