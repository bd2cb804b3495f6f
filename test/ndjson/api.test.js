'use strict';
// The reference NDJSON API and the seed README's codec, on the active backend
// (npm test runs this file with the native backend and with ENCLAVE_STREAM_NATIVE=0).
const assert = require('node:assert/strict');
const { Readable } = require('node:stream');
const path = require('node:path');
const lib = require('../..');
const { prng } = require('../helpers/prng');

const vectors = require(path.join(__dirname, '..', 'vectors', 'ndjson-lines.json')).lines;
const roundTrip = (v) => JSON.parse(JSON.stringify(v));
// Deeply nested vectors defeat assert's recursion: compare JSON texts.
const texts = (list) => list.map((v) => JSON.stringify(v));

function decodeAll(input, options, chunkSizes) {
  const d = new lib.StreamDecoder(options);
  const messages = [];
  const invalid = [];
  d.on('message', (m) => messages.push(m));
  d.on('invalid', (e) => invalid.push(e));
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  if (!chunkSizes) d.write(buf);
  else {
    for (let i = 0, k = 0; i < buf.length; k++) {
      const n = chunkSizes(k);
      d.write(buf.subarray(i, i + n));
      i += n;
    }
  }
  d.end();
  return { messages, invalid };
}

describe(`NDJSON (${lib.backend} backend)`, () => {
  it('loads the backend the environment asks for', () => {
    if (process.env.ENCLAVE_STREAM_NATIVE === '0') assert.equal(lib.backend, 'js');
    else assert.equal(lib.backend, 'native', 'the native addon must load in this environment');
  });

  describe('parseLine on every vector', () => {
    for (const v of vectors) {
      it(v.why, () => {
        const r = lib.parseLine(v.line);
        assert.equal(r.success, v.ok, r.error);
        if (v.ok) assert.equal(JSON.stringify(r.data), JSON.stringify(v.data));
        else {
          assert.ok(r.error.startsWith(v.error), `${r.error} should start with ${v.error}`);
          assert.equal(r.line, v.line);
        }
      });
    }
  });

  it('every vector gives the same verdict through the stream readers', () => {
    // A vector holding a newline is one parseLine input but two NDJSON lines.
    const lines = vectors.filter((v) => v.error !== 'Empty line' && !v.line.includes('\n'));
    const text = lines.map((v) => v.line).join('\n') + '\n';
    const expectedOk = texts(lines.filter((v) => v.ok).map((v) => v.data));

    const dec = decodeAll(text, { validate: 'event' });
    assert.deepEqual(texts(dec.messages), expectedOk);
    assert.equal(dec.invalid.length, lines.length - expectedOk.length);

    const parsed = lib.parseLines(text);
    assert.deepEqual(texts(parsed.events), expectedOk);
    const bad = lines.map((v, i) => [v, i + 1]).filter(([v]) => !v.ok);
    assert.deepEqual(
      parsed.errors.map((e) => e.line),
      bad.map(([, n]) => n),
    );
    for (const [e, [v]] of parsed.errors.map((e, i) => [e, bad[i]])) assert.ok(e.error.startsWith(v.error));

    const events = [];
    const errors = [];
    const p = new lib.NdjsonStreamParser({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
    const rnd = prng(7);
    for (let i = 0; i < text.length; ) {
      const n = 1 + rnd.int(300);
      p.feed(text.slice(i, i + n));
      i += n;
    }
    p.flush();
    assert.deepEqual(texts(events), expectedOk);
    assert.equal(errors.length, bad.length);
  });

  it('keeps key order and strips unknown keys like the schemas', () => {
    const line =
      '{"seq":1,"payload":{"x":1,"chunk":"a"},"type":"stdout","sessionId":"s_1","protocolVersion":2,"extra":true}';
    const expected = { protocolVersion: 2, sessionId: 's_1', seq: 1, type: 'stdout', payload: { chunk: 'a' } };
    const { messages } = decodeAll(line + '\n', { validate: 'event' });
    assert.equal(JSON.stringify(messages[0]), JSON.stringify(expected));
    assert.equal(JSON.stringify(lib.parseLine(line).data), JSON.stringify(expected));
    const dup = '{"protocolVersion":2,"sessionId":"s_1","seq":5,"seq":6,"type":"stdout","payload":{"chunk":"a"}}';
    assert.equal(decodeAll(dup, { validate: 'event' }).messages[0].seq, 6);
  });

  describe('serialization', () => {
    const events = [
      { protocolVersion: 2, sessionId: 's_1', seq: 1, type: 'stdout', payload: { chunk: 'a\n' } },
      { protocolVersion: 2, sessionId: 's_1', seq: 2, type: 'heartbeat', payload: { ts: '2026-01-01T00:00:00Z' } },
    ];
    it('serializeEvent / serializeEvents match JSON.stringify', () => {
      assert.equal(lib.serializeEvent(events[0]), JSON.stringify(events[0]));
      assert.equal(lib.serializeEvents(events), events.map((e) => JSON.stringify(e)).join('\n'));
      assert.equal(lib.serializeEvents([]), '');
    });
    it('stringifyNDJSON ends every line in \\n; StreamEncoder.encode too', () => {
      assert.equal(lib.stringifyNDJSON(events), events.map((e) => JSON.stringify(e) + '\n').join(''));
      const enc = new lib.StreamEncoder();
      assert.equal(enc.encode({ type: 'tool_call', name: 'getData', args: {} }), '{"type":"tool_call","name":"getData","args":{}}\n');
      assert.throws(() => enc.encode(undefined), { code: 'ERR_NDJSON_ENCODE' });
      assert.throws(() => enc.encode({ a: 1n }), { code: 'ERR_NDJSON_ENCODE' });
    });
    it('StreamEncoder is a stream: objects in, bytes out', async () => {
      const enc = new lib.StreamEncoder();
      const chunks = [];
      enc.on('data', (c) => chunks.push(c));
      const done = new Promise((r) => enc.on('end', r));
      for (const e of events) enc.write(e);
      enc.end();
      await done;
      assert.equal(Buffer.concat(chunks).toString(), lib.stringifyNDJSON(events));
    });
  });

  describe('StreamDecoder', () => {
    it('runs the seed example', () => {
      const encoder = new lib.StreamEncoder();
      const decoder = new lib.StreamDecoder();
      const got = [];
      const encoded = encoder.encode({ type: 'tool_call', name: 'getData', args: {} });
      decoder.on('message', (message) => got.push(message));
      decoder.write(encoded);
      assert.deepEqual(got, [{ type: 'tool_call', name: 'getData', args: {} }]);
    });

    it('emits any JSON value, null included, and keeps going after bad lines', () => {
      const { messages, invalid } = decodeAll('null\n1\n{bad\n"s"\n[1,2]\n\n  \ntrue', {});
      assert.deepEqual(messages, [null, 1, 's', [1, 2], true]);
      assert.equal(invalid.length, 1);
      assert.equal(invalid[0].line, 3);
      assert.equal(invalid[0].offset, 7);
      assert.equal(invalid[0].content, '{bad');
      assert.equal(invalid[0].code, 'ERR_NDJSON_PARSE');
      assert.match(invalid[0].error, /^JSON parse error: /);
    });

    it("validate: 'event' sends non-events to 'invalid'", () => {
      const ok = '{"protocolVersion":2,"sessionId":"s_1","seq":0,"type":"stdout","payload":{"chunk":"x"}}';
      const { messages, invalid } = decodeAll(`${ok}\n{"type":"stdout"}\nnull\n`, { validate: 'event' });
      assert.equal(messages.length, 1);
      assert.deepEqual(
        invalid.map((e) => [e.line, e.code]),
        [
          [2, 'ERR_NDJSON_INVALID_EVENT'],
          [3, 'ERR_NDJSON_INVALID_EVENT'],
        ],
      );
      assert.match(invalid[0].error, /^Validation error: /);
    });

    it('reports a line over maxLineBytes with line and offset, then continues', () => {
      const long = '"' + 'x'.repeat(100) + '"';
      for (const step of [undefined, () => 7, () => 1]) {
        const { messages, invalid } = decodeAll(`1\n${long}\n2\n${long}`, { maxLineBytes: 50 }, step);
        assert.deepEqual(messages, [1, 2]);
        assert.deepEqual(
          invalid.map((e) => [e.line, e.offset, e.code]),
          [
            [2, 2, 'ERR_NDJSON_LINE_TOO_LONG'],
            [4, 107, 'ERR_NDJSON_LINE_TOO_LONG'],
          ],
        );
        assert.ok(invalid[0].content.startsWith('"xxx'));
      }
    });

    it('decodes bytes like TextDecoder at any chunk boundary', () => {
      const rnd = prng(42);
      const pieces = ['a', 'é', '€', '😀', '\u2028', '\ufeff', ' ', '\u00a0'];
      const badBytes = [[0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [0xed, 0xa0, 0x80], [0xc0, 0x80]];
      for (let round = 0; round < 30; round++) {
        const parts = [];
        const nLines = 1 + rnd.int(20);
        for (let l = 0; l < nLines; l++) {
          if (rnd() < 0.2) parts.push(Buffer.from(rnd.pick(['\ufeff', ' ', '\u00a0', '\r', '']))); // around
          parts.push(Buffer.from('"'));
          for (let k = rnd.int(12); k > 0; k--) {
            parts.push(rnd() < 0.2 ? Buffer.from(rnd.pick(badBytes)) : Buffer.from(rnd.pick(pieces)));
          }
          parts.push(Buffer.from('"'));
          if (rnd() < 0.2) parts.push(Buffer.from(rnd.pick(['\u2028', ' \r', '\u3000'])));
          parts.push(Buffer.from('\n'));
        }
        const bytes = Buffer.concat(parts);
        const expected = new TextDecoder()
          .decode(bytes)
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s)
          .map((s) => JSON.parse(s));
        const sizes = [() => bytes.length, () => 1, () => 1 + rnd.int(5), () => 1 + rnd.int(64)];
        for (const size of sizes) {
          const { messages, invalid } = decodeAll(bytes, {}, size);
          assert.deepEqual(invalid, []);
          assert.deepEqual(messages, expected);
        }
      }
    });

    it('keeps memory bounded on 200 MB without a newline', function () {
      this.timeout(60000);
      const d = new lib.StreamDecoder({ maxLineBytes: 1 << 20 });
      const invalid = [];
      const messages = [];
      d.on('invalid', (e) => invalid.push(e));
      d.on('message', (m) => messages.push(m));
      const chunk = Buffer.alloc(1 << 16, 0x61);
      global.gc && global.gc();
      const before = process.memoryUsage();
      let peak = 0;
      for (let i = 0; i < 3200; i++) {
        d.write(chunk);
        if ((i & 255) === 0) {
          const m = process.memoryUsage();
          peak = Math.max(peak, m.rss - before.rss);
        }
      }
      d.write('\n7\n');
      d.end();
      assert.equal(invalid.length, 1);
      assert.equal(invalid[0].line, 1);
      assert.deepEqual(messages, [7]);
      assert.ok(peak < 64 * 1024 * 1024, `rss grew by ${peak} bytes`);
    });

    it('works with pipe and as an async iterator', async () => {
      const src = Readable.from([Buffer.from('1\n2\nnu'), Buffer.from('ll\n{"a":'), Buffer.from('3}\n4')]);
      const d = new lib.StreamDecoder();
      src.pipe(d);
      const got = [];
      for await (const m of d) got.push(m);
      assert.deepEqual(got, [1, 2, null, { a: 3 }, 4]);
    });

    it('does not stall with only a message listener on a large input', async () => {
      const d = new lib.StreamDecoder();
      let n = 0;
      d.on('message', () => n++);
      const lines = Buffer.from('{"k":1}\n'.repeat(200000));
      await new Promise((resolve, reject) => {
        Readable.from([lines.subarray(0, 1e6), lines.subarray(1e6)]).pipe(d).on('finish', resolve).on('error', reject);
      });
      assert.equal(n, 200000);
    });
  });

  describe('parseNDJSON', () => {
    it('parses text and bytes; throws naming the bad line', () => {
      assert.deepEqual(lib.parseNDJSON('{"a":1}\n\n[2]\n'), [{ a: 1 }, [2]]);
      assert.deepEqual(lib.parseNDJSON(Buffer.from('3\n4')), [3, 4]);
      assert.throws(() => lib.parseNDJSON('1\n{x\n3'), (err) => err.code === 'ERR_NDJSON_PARSE' && err.line === 2 && /line 2/.test(err.message));
    });
    it('does not throw with onInvalid', () => {
      const bad = [];
      assert.deepEqual(lib.parseNDJSON('1\n{x\n3', { onInvalid: (e) => bad.push(e.line) }), [1, 3]);
      assert.deepEqual(bad, [2]);
    });
  });

  describe('NdjsonStreamParser', () => {
    it('counts every line, keeps pending data, flushes and resets', () => {
      const events = [];
      const errors = [];
      const p = new lib.NdjsonStreamParser({ onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
      const ev = '{"protocolVersion":2,"sessionId":"s_1","seq":3,"type":"stdout","payload":{"chunk":"a"}}';
      p.feed(`${ev}\n\n{"x":`);
      assert.equal(p.getLineNumber(), 2);
      assert.equal(p.hasPendingData(), true);
      p.feed('1}\n' + ev.slice(0, 10));
      assert.equal(p.getLineNumber(), 3);
      assert.equal(errors[0].line, 3);
      assert.ok(errors[0].error.startsWith('Validation error'));
      assert.equal(errors[0].content, '{"x":1}');
      p.feed(ev.slice(10));
      p.flush();
      assert.equal(p.getLineNumber(), 4);
      assert.equal(events.length, 2);
      assert.equal(p.hasPendingData(), false);
      p.feed('   ');
      assert.equal(p.hasPendingData(), false);
      p.reset();
      assert.equal(p.getLineNumber(), 0);
      const long = 'x'.repeat(150);
      p.feed(long + '\n');
      assert.equal(errors[1].content, 'x'.repeat(100) + '...');
    });
  });

  describe('WHATWG streams', () => {
    const ev = { protocolVersion: 2, sessionId: 's_1', seq: 1, type: 'stdout', payload: { chunk: 'hi' } };
    it('createNdjsonSerializeStream then createNdjsonParseStream round-trips', async () => {
      const out = [];
      await new ReadableStream({
        start(c) {
          c.enqueue(ev);
          c.enqueue({ ...ev, seq: 2 });
          c.close();
        },
      })
        .pipeThrough(lib.createNdjsonSerializeStream())
        .pipeThrough(lib.createNdjsonParseStream())
        .pipeTo(new WritableStream({ write: (e) => out.push(e) }));
      assert.deepEqual(out, [ev, { ...ev, seq: 2 }]);
    });
    it('parseNdjsonStream yields events from a byte stream', async () => {
      const bytes = new TextEncoder().encode(JSON.stringify(ev) + '\nnot json\n' + JSON.stringify({ ...ev, seq: 9 }));
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(bytes.subarray(0, 5));
          c.enqueue(bytes.subarray(5));
          c.close();
        },
      });
      const out = [];
      for await (const e of lib.parseNdjsonStream(stream)) out.push(e.seq);
      assert.deepEqual(out, [1, 9]);
    });
  });

  describe('NdjsonStreamParser string chunks', () => {
    it('encodes each string chunk like TextEncoder (lone surrogates -> U+FFFD)', () => {
      const out = [];
      const p = new lib.NdjsonStreamParser({ onEvent: (e) => out.push(e), onError: (e) => out.push(e.error) });
      const line = '{"protocolVersion":2,"sessionId":"s_\ud800","seq":1,"type":"stdout","payload":{"chunk":"\ud83d\ude00é"}}';
      const cut = line.indexOf('\ud83d') + 1; // splits the pair: each half is lone in its chunk
      p.feed(line.slice(0, cut));
      p.feed(line.slice(cut) + '\n' + line + '\n');
      p.flush();
      assert.equal(out.length, 2);
      assert.equal(out[0].sessionId, 's_\ufffd');
      assert.equal(out[0].payload.chunk, '\ufffd\ufffdé');
      assert.equal(out[1].payload.chunk, '\ud83d\ude00é');
    });
  });

  describe('EventRouter', () => {
    const mk = (seq, sid = 's_a') =>
      JSON.stringify({ protocolVersion: 2, sessionId: sid, seq, type: 'tool_call', payload: { callId: 'c_1', toolName: 't', args: { n: seq } } });
    it('routes type, seq and sessionId with the raw line; payload on access', () => {
      const r = new lib.EventRouter();
      const text = `${mk(1)}\n${mk(2, 's_b')}\n{"bad":1}\n${mk(3, 's_b')}\n${mk(4)}`;
      const bad = [];
      r.on('invalid', (e) => bad.push(e.line));
      const got = [];
      const rnd = prng(3);
      for (let i = 0; i < text.length; ) {
        const n = 1 + rnd.int(40);
        got.push(...r.push(Buffer.from(text.slice(i, i + n))));
        i += n;
      }
      got.push(...r.end());
      assert.deepEqual(
        got.map((e) => [e.type, e.seq, e.sessionId, e.line]),
        [
          ['tool_call', 1, 's_a', 1],
          ['tool_call', 2, 's_b', 2],
          ['tool_call', 3, 's_b', 4],
          ['tool_call', 4, 's_a', 5],
        ],
      );
      assert.deepEqual(bad, [3]);
      assert.equal(got[1].text, mk(2, 's_b'));
      assert.equal(Buffer.from(got[1].bytes).toString(), mk(2, 's_b'));
      assert.deepEqual(got[2].payload.args, { n: 3 });
      assert.deepEqual(got[3].event, JSON.parse(mk(4)));
    });

    it("validate: 'fields' (default) checks the routing fields now, the payload on access", () => {
      const badPayload = '{"protocolVersion":2,"sessionId":"s_a","seq":5,"type":"log","payload":{"level":1}}';
      const badJson = '{"protocolVersion":2,"sessionId":"s_a","seq":6,"type":"log","payload":{"x":[1,]}}';
      const text = [
        badPayload,
        '{"protocolVersion":3,"sessionId":"s_a","seq":1,"type":"log","payload":{}}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":1.5,"type":"log","payload":{}}',
        '{"protocolVersion":2,"sessionId":"x_a","seq":1,"type":"log","payload":{}}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":1,"type":"nope","payload":{}}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":1,"type":"log","payload":null}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":7,"type":"log","seq":8,"payload":{"level":"info","message":"m"}}',
      ].join('\n');
      const r = new lib.EventRouter();
      const bad = [];
      r.on('invalid', (e) => bad.push([e.line, e.code]));
      const got = [...r.push(text), ...r.end()];
      assert.deepEqual(got.map((e) => [e.seq, e.line]), [[5, 1], [8, 7]]);
      assert.deepEqual(bad.map((b) => b[0]), [2, 3, 4, 5, 6]);
      assert.ok(bad.every((b) => b[1] === 'ERR_NDJSON_INVALID_EVENT'));
      assert.throws(() => got[0].event, (e) => e.code === 'ERR_NDJSON_INVALID_EVENT' && e.line === 1);
      assert.throws(() => got[0].payload, { code: 'ERR_NDJSON_INVALID_EVENT' });
      assert.deepEqual(got[1].payload, { level: 'info', message: 'm' });
      // The payload's JSON syntax is checked on access too (the JS backend
      // parses the whole line at once and reports it right away).
      const r2 = new lib.EventRouter();
      const bad2 = [];
      r2.on('invalid', (e) => bad2.push(e.code));
      const got2 = [...r2.push(badJson + '\n')];
      if (got2.length === 1) {
        assert.throws(() => got2[0].event, { code: 'ERR_NDJSON_PARSE' });
      } else {
        assert.deepEqual(bad2, ['ERR_NDJSON_PARSE']);
      }
    });

    it("validate: 'event' checks every line fully", () => {
      const r = new lib.EventRouter({ validate: 'event' });
      const bad = [];
      r.on('invalid', (e) => bad.push(e.line));
      const text = `{"protocolVersion":2,"sessionId":"s_a","seq":5,"type":"log","payload":{"level":1}}\n${mk(2)}\n`;
      const got = r.push(text);
      assert.deepEqual(got.map((e) => e.seq), [2]);
      assert.deepEqual(bad, [1]);
      assert.throws(() => new lib.EventRouter({ validate: 'all' }), TypeError);
    });
  });
});
