'use strict';
// NDJSON benchmark (issues 2 and 12): 200k realistic events (~200 B, a third
// larger tool_call events). Each figure is a ratio to a baseline measured in
// the same process, over ROUNDS rounds (the median with its min-max spread
// when the harness's compare() reports one):
//   decode+validate  StreamDecoder({ validate: 'event' }), 64 KiB chunks
//                    vs StringDecoder + split('\n') + JSON.parse (validates nothing)
//   stream parser    NdjsonStreamParser on string chunks vs split + JSON.parse
//   parseLines       one whole text vs text.split('\n') + JSON.parse into
//                    an array (the reference's parseLines does that and also
//                    validates each event with zod: it is slower than this
//                    baseline, so the goal vs the baseline covers it)
//   parseLine        line by line vs JSON.parse line by line
//   routing          EventRouter as a broker uses it: for (const r of
//                    router.push(chunk)) reading r.type, r.seq, r.sessionId
//                    (validate: 'fields', goal >= 6x; and 'event')
//   encode           serializeEvents / stringifyNDJSON vs JSON.stringify + join
//   line cost        an 8 MiB line in 1 KiB pieces vs in one piece (<= 3x)
// Usage: node bench/ndjson.js [--quick]
const path = require('node:path');
const { StringDecoder } = require('node:string_decoder');
const lib = require('..');
const { compare, time, main } = require('./harness');

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
  const rounds = quick ? 3 : 7;
  const events = makeEvents(N);
  const text = lib.stringifyNDJSON(events);
  const bytes = Buffer.from(text);
  const byteChunks = chunks(bytes, 64 * 1024);
  const strChunks = byteChunks.map((c) => c.toString());
  const rows = [];
  const backend = lib.backend;
  const row = (name, r, baselineName, goal, n = N, b = bytes.length) =>
    rows.push({ backend, name, events: n, bytes: b, seconds: r.candidate, ratio: r.ratio, spread: r.spread, baselineName, goal });

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
    '>= 1.2x',
  );

  row(
    'NdjsonStreamParser (string chunks)',
    compare(baselineStrings, () => {
      const p = new lib.NdjsonStreamParser({ onEvent: (e) => (sink += e.seq), onError: () => {} });
      for (const c of strChunks) p.feed(c);
      p.flush();
    }, rounds),
    'split+JSON.parse',
    '>= 1.2x',
  );

  row(
    'parseLines (whole text)',
    compare(
      () => {
        const out = [];
        for (const l of text.split('\n')) if (l) out.push(JSON.parse(l));
        sink += out.length;
      },
      () => {
        sink += lib.parseLines(text).events.length;
      },
      rounds,
    ),
    'split+JSON.parse into an array',
    '>= 1.2x',
  );

  const lines = text.split('\n').filter((l) => l);
  row(
    'parseLine (line by line)',
    compare(
      () => {
        for (const l of lines) sink += JSON.parse(l).seq;
      },
      () => {
        for (const l of lines) sink += lib.parseLine(l).data.seq;
      },
      rounds,
    ),
    'JSON.parse per line',
    '>= 1.2x',
  );

  const broker = (options) => () => {
    const r = new lib.EventRouter(options);
    for (const c of byteChunks) {
      for (const e of r.push(c)) sink += e.seq + e.type.length + e.sessionId.length;
    }
    r.end();
  };
  row(
    "routing, broker loop (EventRouter, validate: 'fields'; r.type, r.seq, r.sessionId)",
    compare(baselineBytes, broker(), rounds),
    'split+JSON.parse',
    '>= 6x',
  );

  row(
    "routing, broker loop, validate: 'event' (every line fully validated first)",
    compare(baselineBytes, broker({ validate: 'event' }), rounds),
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
    spread: lr.spread,
    baselineName: 'same line in one piece (cost = 1/ratio)',
    goal: '>= 0.33x',
  });
  if (sink === 42) console.log('');
  return rows;
}

main(module, { run, jsChild: true, title: (rows, quick) => `NDJSON (${quick ? 50000 : 200000} events, node ${process.version}, ${require('node:os').cpus()[0].model})` });

module.exports = { run, makeEvents };
