'use strict';
// The bad-input matrix (README), NDJSON layer: each kind of bad input met
// through StreamDecoder, parseNDJSON / parseLine and NdjsonStreamParser, with
// the exact error code, line and offset; decoding goes on after it, nothing
// is lost or delivered twice. The crypto layer is in
// test/crypto/bad-input.test.js, the wire (StreamServer + ReconnectingStream)
// in test/server/bad-input.test.js; the describe titles are the matrix's rows.

const assert = require('node:assert');
const { once: onceEvent } = require('node:events');
const { backend } = require('../../lib/binding');
const lib = require('../../index.js');
const { event, matrixHooks } = require('../helpers/bad-input');

const { StreamDecoder, parseNDJSON, NdjsonStreamParser } = lib;

/** Feeds `input` to a StreamDecoder in chunks of `step()` bytes; resolves with what it emitted. */
async function decode(input, options = {}, step) {
  const d = new StreamDecoder(options);
  const messages = [];
  const invalid = [];
  d.on('message', (m) => messages.push(m));
  d.on('invalid', (e) => invalid.push(e));
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input);
  for (let i = 0; i < bytes.length; ) {
    const n = step ? Math.max(1, step()) : bytes.length;
    d.write(bytes.subarray(i, i + n));
    i += n;
  }
  d.end();
  await onceEvent(d, 'finish');
  return { messages, invalid, decoder: d };
}

const CHUNKINGS = [['whole', undefined], ['1-byte', () => 1], ['3-byte', () => 3]];

describe(`bad-input matrix, NDJSON API (${backend} backend)`, function () {
  this.timeout(10000);
  matrixHooks();

  describe('malformed JSON line', () => {
    const input = '{"a":1}\n{"a":\n[1,2\n{"a":2}\n';

    for (const [name, step] of CHUNKINGS) {
      it(`StreamDecoder: 'invalid' ERR_NDJSON_PARSE with line/offset, decoding continues (${name} chunks)`, async () => {
        const { messages, invalid, decoder } = await decode(input, {}, step);
        assert.deepStrictEqual(messages, [{ a: 1 }, { a: 2 }]);
        assert.deepStrictEqual(
          invalid.map((e) => [e.code, e.line, e.offset, e.content]),
          [
            ['ERR_NDJSON_PARSE', 2, 8, '{"a":'],
            ['ERR_NDJSON_PARSE', 3, 14, '[1,2'],
          ],
        );
        assert.match(invalid[0].error, /^JSON parse error: /);
        assert.strictEqual(decoder.lineNumber, 4);
      });
    }

    it('parseNDJSON: throws NdjsonError ERR_NDJSON_PARSE naming the line; with onInvalid it continues', () => {
      assert.throws(() => parseNDJSON(input), (err) => err instanceof lib.NdjsonError && err.code === 'ERR_NDJSON_PARSE' && err.line === 2 && err.offset === 8);
      const bad = [];
      assert.deepStrictEqual(parseNDJSON(input, { onInvalid: (e) => bad.push(e.line) }), [{ a: 1 }, { a: 2 }]);
      assert.deepStrictEqual(bad, [2, 3]);
    });
  });

  describe('invalid UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('"a'), Buffer.from([0xff]), Buffer.from('b"\n'), // stray byte in a string
      Buffer.from('"'), Buffer.from([0xc0, 0x80]), Buffer.from('"\n'), // overlong NUL
      Buffer.from('"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"\n'), // UTF-16 surrogate
      Buffer.from('"'), Buffer.from([0xe2, 0x82]), Buffer.from('"\n'), // truncated sequence
      Buffer.from([0xff]), Buffer.from('1\n'), // outside a string: not JSON
      Buffer.from('"€😀"\n'), // valid multi-byte, split by the small chunkings
    ]);

    const expected = ['a\ufffdb', '\ufffd\ufffd', '\ufffd\ufffd\ufffd', '\ufffd', '€😀'];

    for (const [name, step] of CHUNKINGS) {
      it(`StreamDecoder: decoded like TextDecoder (U+FFFD), bad bytes outside a string are ERR_NDJSON_PARSE (${name} chunks)`, async () => {
        const { messages, invalid } = await decode(bytes, {}, step);
        assert.deepStrictEqual(messages, expected);
        assert.deepStrictEqual(invalid.map((e) => [e.code, e.line, e.content]), [['ERR_NDJSON_PARSE', 5, '\ufffd1']]);
      });
    }

    it('parseNDJSON: the same values; the stray byte line is reported through onInvalid', () => {
      const bad = [];
      assert.deepStrictEqual(parseNDJSON(bytes, { onInvalid: (e) => bad.push([e.code, e.line]) }), expected);
      assert.deepStrictEqual(bad, [['ERR_NDJSON_PARSE', 5]]);
    });
  });

  describe('a line over the cap (maxLineBytes)', () => {
    const long = `"${'x'.repeat(200)}"`;

    const input = `1\n${long}\n2\n${long}\n3`;

    for (const [name, step] of CHUNKINGS) {
      it(`StreamDecoder: 'invalid' ERR_NDJSON_LINE_TOO_LONG with line/offset, the next line decodes (${name} chunks)`, async () => {
        const { messages, invalid } = await decode(input, { maxLineBytes: 64 }, step);
        assert.deepStrictEqual(messages, [1, 2, 3]);
        assert.deepStrictEqual(
          invalid.map((e) => [e.code, e.line, e.offset]),
          [
            ['ERR_NDJSON_LINE_TOO_LONG', 2, 2],
            ['ERR_NDJSON_LINE_TOO_LONG', 4, 207],
          ],
        );
        assert.match(invalid[0].error, /^Line too long: exceeds maxLineBytes \(64 bytes\)/);
        assert.ok(invalid[0].content.startsWith('"xxx'));
      });
    }

    it('parseNDJSON and NdjsonStreamParser: ERR_NDJSON_LINE_TOO_LONG, the other lines parse', () => {
      assert.throws(() => parseNDJSON(input, { maxLineBytes: 64 }), { code: 'ERR_NDJSON_LINE_TOO_LONG', line: 2 });
      const events = [];
      const errors = [];
      const parser = new NdjsonStreamParser({ maxLineBytes: 128, onEvent: (e) => events.push(e.seq), onError: (e) => errors.push(e) });
      const lines = [event(1, 'a'), { ...event(2, 'b'), payload: { chunk: 'y'.repeat(200) } }, event(3, 'c')].map((e) => JSON.stringify(e));
      parser.feed(lines.join('\n') + '\n');
      parser.flush();
      assert.deepStrictEqual(events, [1, 3]);
      assert.strictEqual(errors.length, 1);
      assert.match(errors[0].error, /^Line too long/);
      assert.strictEqual(errors[0].code, 'ERR_NDJSON_LINE_TOO_LONG');
    });
  });

  describe('a flood without newlines', () => {
    it('StreamDecoder: reported once as soon as it passes the cap, memory stays bounded, decoding recovers at the next newline', async () => {
      const cap = 1 << 20;
      const d = new StreamDecoder({ maxLineBytes: cap });
      const messages = [];
      const invalid = [];
      d.on('message', (m) => messages.push(m));
      d.on('invalid', (e) => invalid.push(e));
      d.write('{"before":1}\n');
      const chunk = Buffer.alloc(1 << 20, 0x61); // 1 MiB of 'a', no newline
      const rss0 = process.memoryUsage().rss;
      let peak = 0;
      for (let i = 0; i < 96; i++) {
        d.write(chunk);
        if (i === 1) assert.strictEqual(invalid.length, 1, 'reported while the flood is still coming');
        peak = Math.max(peak, process.memoryUsage().rss - rss0);
      }
      assert.strictEqual(invalid.length, 1);
      assert.deepStrictEqual([invalid[0].code, invalid[0].line, invalid[0].offset], ['ERR_NDJSON_LINE_TOO_LONG', 2, 13]);
      assert.ok(invalid[0].content.length <= 103);
      // 96 MiB went in; the decoder holds at most the cap
      assert.ok(peak < 48 * 1024 * 1024, `rss grew by ${peak} bytes over a 96 MiB flood`);
      d.write('aaaa\n{"after":2}\n');
      d.end('{"last":3}');
      await onceEvent(d, 'finish');
      assert.deepStrictEqual(messages, [{ before: 1 }, { after: 2 }, { last: 3 }]);
      assert.strictEqual(invalid.length, 1);
      assert.strictEqual(d.lineNumber, 4);
    });

    it('NdjsonStreamParser: the same, and hasPendingData() until the newline', () => {
      const events = [];
      const errors = [];
      const parser = new NdjsonStreamParser({ maxLineBytes: 4096, onEvent: (e) => events.push(e.seq), onError: (e) => errors.push(e) });
      for (let i = 0; i < 256; i++) parser.feed('b'.repeat(4096));
      assert.strictEqual(errors.length, 1);
      assert.strictEqual(parser.hasPendingData(), true);
      parser.feed(`\n${JSON.stringify(event(1, 'ok'))}\n`);
      parser.flush();
      assert.deepStrictEqual(events, [1]);
      assert.strictEqual(errors.length, 1);
      assert.strictEqual(parser.hasPendingData(), false);
    });
  });

  describe("an event failing validation (validate: 'event')", () => {
    const lines = [
      JSON.stringify(event(1, 'a')),
      JSON.stringify({ ...event(2, 'b'), payload: { chunk: 42 } }), // chunk must be a string
      JSON.stringify({ ...event(3, 'c'), sessionId: 'nope' }), // sessionId must start with s_
      '{"$esn":2,"t":"ack","s":1}', // a control frame is not an event
      JSON.stringify({ ...event(5, 'e'), extra: 'stripped' }),
    ].join('\n');

    for (const [name, step] of CHUNKINGS) {
      it(`StreamDecoder: 'invalid' ERR_NDJSON_INVALID_EVENT, valid events pass in order (${name} chunks)`, async () => {
        const { messages, invalid } = await decode(lines, { validate: 'event' }, step);
        assert.deepStrictEqual(messages, [event(1, 'a'), event(5, 'e')]);
        assert.deepStrictEqual(
          invalid.map((e) => [e.code, e.line]),
          [
            ['ERR_NDJSON_INVALID_EVENT', 2],
            ['ERR_NDJSON_INVALID_EVENT', 3],
            ['ERR_NDJSON_INVALID_EVENT', 4],
          ],
        );
        for (const e of invalid) assert.match(e.error, /^Validation error: /);
      });
    }

    it('parseNDJSON / parseLine: ERR_NDJSON_INVALID_EVENT and the reference result', () => {
      assert.throws(() => parseNDJSON(lines, { validate: 'event' }), { code: 'ERR_NDJSON_INVALID_EVENT', line: 2 });
      const r = lib.parseLine(lines.split('\n')[1]);
      assert.strictEqual(r.success, false);
      assert.match(r.error, /^Validation error: /);
    });
  });

  describe('an unknown control frame', () => {
    it("NDJSON API: a control frame is a plain JSON value, and not an event under validate: 'event' (ERR_NDJSON_INVALID_EVENT)", async () => {
      const input = '{"$esn":1,"t":"zzz"}\n{"$esn":2,"t":"ack","s":1}\n' + JSON.stringify(event(1, 'a')) + '\n';
      assert.deepStrictEqual((await decode(input)).messages.length, 3);
      const { messages, invalid } = await decode(input, { validate: 'event' });
      assert.deepStrictEqual(messages, [event(1, 'a')]);
      assert.deepStrictEqual(invalid.map((e) => e.code), ['ERR_NDJSON_INVALID_EVENT', 'ERR_NDJSON_INVALID_EVENT']);
    });
  });
});
