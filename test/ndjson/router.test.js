'use strict';
// lib/ndjson/router.js (EventRouter, routeNDJSON) on the active backend: the
// RoutedEvents a chunked input gives (type, seq, sessionId, 1-based line,
// byte offset, the raw line), whatever the chunk boundaries; blank lines and
// CRLF; bad lines to 'invalid' or, with no listener, to router.invalid, with
// their exact code, line, offset and preview; the two validate modes; the
// maxLineBytes boundary; the chunk types accepted.

const assert = require('node:assert');
const { backend } = require('../../lib/binding');
const { EventRouter, routeNDJSON } = require('../../lib/ndjson/router');

/** An event line (86 bytes with chunk ''), padded by `pad` characters of chunk. */
const line = (seq, { sid = 's_a', type = 'stdout', pad = 0 } = {}) =>
  `{"protocolVersion":2,"sessionId":"${sid}","seq":${seq},"type":"${type}","payload":{"chunk":"${'x'.repeat(pad)}"}}`;

const fields = (events) => events.map((e) => [e.type, e.seq, e.sessionId, e.line, e.offset]);

/** Pushes `parts` one by one, then end(); every RoutedEvent in order. */
function routeParts(router, parts) {
  const out = [];
  for (const p of parts) out.push(...router.push(p));
  out.push(...router.end());
  return out;
}

describe(`EventRouter (${backend} backend)`, () => {
  it('an 86-byte event line: the routing fields, line 1, offset 0, the raw text and bytes', () => {
    const text = line(7, { sid: 's_x', type: 'stdout' });
    assert.strictEqual(text.length, 86);
    const r = new EventRouter();
    const got = r.push(text + '\n');
    assert.deepStrictEqual(fields(got), [['stdout', 7, 's_x', 1, 0]]);
    assert.strictEqual(got[0].text, text);
    assert.strictEqual(Buffer.from(got[0].bytes).toString(), text);
    assert.strictEqual(got[0].bytes.length, 86);
    assert.deepStrictEqual(got[0].event, JSON.parse(text));
    assert.deepStrictEqual(got[0].payload, { chunk: '' });
    assert.strictEqual(r.lineNumber, 1);
    assert.deepStrictEqual(r.end(), []);
    assert.deepStrictEqual(r.invalid, []);
  });

  it('lines and byte offsets: CRLF is trimmed, blank and whitespace-only lines are skipped but counted', () => {
    const text = `${line(1)}\r\n\n  \n${line(2)}\n${line(3)}`;
    const r = new EventRouter();
    const pushed = r.push(text);
    assert.deepStrictEqual(fields(pushed), [
      ['stdout', 1, 's_a', 1, 0],
      ['stdout', 2, 's_a', 4, 86 + 2 + 1 + 3],
    ]);
    assert.strictEqual(pushed[0].text, line(1), 'no \\r in the line');
    assert.strictEqual(r.lineNumber, 4);
    // the last line has no newline: it comes out of end()
    const last = r.end();
    assert.deepStrictEqual(fields(last), [['stdout', 3, 's_a', 5, 92 + 87]]);
    assert.strictEqual(r.lineNumber, 5);
    assert.deepStrictEqual(r.end(), [], 'end() twice yields nothing more');
  });

  it('every cut of a three-line input into two chunks gives the same events, lines and offsets', () => {
    const text = Buffer.from(`${line(1, { sid: 's_é' })}\n${line(2, { type: 'log' }).replace('"chunk":""', '"level":"info","message":"€"')}\n${line(3)}\n`);
    const want = [
      ['stdout', 1, 's_é', 1, 0],
      ['log', 2, 's_a', 2, 88],
      ['stdout', 3, 's_a', 3, 88 + 104],
    ];
    for (let cut = 0; cut <= text.length; cut++) {
      const got = routeParts(new EventRouter(), [text.subarray(0, cut), text.subarray(cut)]);
      assert.deepStrictEqual(fields(got), want, `cut at byte ${cut}`);
    }
    const bytewise = routeParts(new EventRouter(), Array.from({ length: text.length }, (_, i) => text.subarray(i, i + 1)));
    assert.deepStrictEqual(fields(bytewise), want, 'one byte at a time');
    assert.deepStrictEqual(bytewise[1].payload, { level: 'info', message: '€' });
  });

  it('a line without its newline waits: nothing is routed and lineNumber stays until it completes', () => {
    const r = new EventRouter();
    const text = line(1);
    assert.deepStrictEqual(r.push(text.slice(0, 40)), []);
    assert.strictEqual(r.lineNumber, 0);
    assert.deepStrictEqual(r.push(text.slice(40)), []);
    assert.strictEqual(r.lineNumber, 0);
    assert.deepStrictEqual(fields(r.push('\n')), [['stdout', 1, 's_a', 1, 0]]);
    assert.strictEqual(r.lineNumber, 1);
  });

  it('accepts string, Buffer, Uint8Array, ArrayBuffer and DataView chunks; anything else is a TypeError', () => {
    const bytes = new TextEncoder().encode(line(5) + '\n');
    const r = new EventRouter();
    assert.deepStrictEqual(r.push(line(5) + '\n').map((e) => e.offset), [0]);
    assert.deepStrictEqual(r.push(Buffer.from(bytes)).map((e) => e.offset), [87]);
    assert.deepStrictEqual(r.push(bytes).map((e) => e.offset), [174]);
    assert.deepStrictEqual(r.push(bytes.buffer).map((e) => e.offset), [261]);
    assert.deepStrictEqual(r.push(new DataView(bytes.buffer)).map((e) => e.offset), [348]);
    assert.strictEqual(r.lineNumber, 5);
    for (const bad of [42, null, undefined, {}, [1]]) {
      assert.throws(() => r.push(bad), { name: 'TypeError', message: 'expected a string, Buffer, Uint8Array or ArrayBuffer chunk' });
    }
    assert.deepStrictEqual(r.push(line(6) + '\n').map((e) => [e.seq, e.line]), [[6, 6]], 'a refused chunk changes nothing');
  });

  describe('invalid lines', () => {
    it("go to 'invalid' with code, line, offset, error and a 100-character preview; the next lines route", () => {
      const junk = `not json ${'y'.repeat(200)}`;
      const r = new EventRouter();
      const bad = [];
      r.on('invalid', (e) => bad.push(e));
      const got = r.push(`${junk}\n{"a":1}\n${line(3)}\n`);
      assert.deepStrictEqual(fields(got), [['stdout', 3, 's_a', 3, junk.length + 1 + 8]]);
      assert.deepStrictEqual(
        bad.map((e) => [e.code, e.line, e.offset]),
        [
          ['ERR_NDJSON_PARSE', 1, 0],
          ['ERR_NDJSON_INVALID_EVENT', 2, junk.length + 1],
        ],
      );
      assert.strictEqual(bad[0].content, junk.slice(0, 100) + '...');
      assert.strictEqual(bad[1].content, '{"a":1}');
      assert.match(bad[0].error, /^JSON parse error: /);
      assert.match(bad[1].error, /^Validation error: /);
      assert.deepStrictEqual(r.invalid, [], 'a listener takes them: nothing is buffered');
    });

    it('with no listener they are kept in router.invalid, in order', () => {
      const r = new EventRouter();
      const got = r.push(`{"a":1}\n${line(2)}\n[1,\n`);
      assert.deepStrictEqual(got.map((e) => e.seq), [2]);
      assert.deepStrictEqual(
        r.invalid.map((e) => [e.code, e.line, e.offset, e.content]),
        [
          ['ERR_NDJSON_INVALID_EVENT', 1, 0, '{"a":1}'],
          ['ERR_NDJSON_PARSE', 3, 8 + 87, '[1,'],
        ],
      );
    });

    it('an unterminated bad last line is reported by end()', () => {
      const r = new EventRouter();
      assert.deepStrictEqual(r.push(`${line(1)}\n{"a"`).map((e) => e.seq), [1]);
      assert.deepStrictEqual(r.invalid, []);
      assert.deepStrictEqual(r.end(), []);
      assert.deepStrictEqual(r.invalid.map((e) => [e.code, e.line, e.offset, e.content]), [['ERR_NDJSON_PARSE', 2, 87, '{"a"']]);
    });
  });

  describe('maxLineBytes', () => {
    it('a line of exactly maxLineBytes routes; one byte more is ERR_NDJSON_LINE_TOO_LONG at its offset; the next line routes', () => {
      const at = line(1, { pad: 14 }); // 100 bytes
      const over = line(2, { pad: 15 }); // 101 bytes
      assert.deepStrictEqual([at.length, over.length], [100, 101]);
      const r = new EventRouter({ maxLineBytes: 100 });
      const got = r.push(`${at}\n${over}\n${line(3)}\n`);
      assert.deepStrictEqual(fields(got), [
        ['stdout', 1, 's_a', 1, 0],
        ['stdout', 3, 's_a', 3, 203],
      ]);
      assert.deepStrictEqual(
        r.invalid.map((e) => [e.code, e.line, e.offset, e.error]),
        [['ERR_NDJSON_LINE_TOO_LONG', 2, 101, 'Line too long: exceeds maxLineBytes (100 bytes)']],
      );
      assert.strictEqual(r.invalid[0].content, over.slice(0, 100) + '...');
    });

    it('a line over the cap arriving in small chunks is reported once', () => {
      const over = line(2, { pad: 300 });
      const r = new EventRouter({ maxLineBytes: 100 });
      const text = `${over}\n${line(3)}\n`;
      const got = [];
      for (let i = 0; i < text.length; i += 7) got.push(...r.push(text.slice(i, i + 7)));
      assert.deepStrictEqual(got.map((e) => [e.seq, e.line, e.offset]), [[3, 2, over.length + 1]]);
      assert.deepStrictEqual(r.invalid.map((e) => [e.code, e.line, e.offset]), [['ERR_NDJSON_LINE_TOO_LONG', 1, 0]]);
    });
  });

  describe('validate modes', () => {
    const badPayload = '{"protocolVersion":2,"sessionId":"s_a","seq":5,"type":"log","payload":{"level":1}}';

    it("'fields' (the default) routes a line whose payload is wrong and throws ERR_NDJSON_INVALID_EVENT on access", () => {
      const r = new EventRouter();
      const got = r.push(`${badPayload}\n`);
      assert.deepStrictEqual(fields(got), [['log', 5, 's_a', 1, 0]]);
      assert.deepStrictEqual(r.invalid, []);
      assert.throws(() => got[0].event, (e) => e.name === 'NdjsonError' && e.code === 'ERR_NDJSON_INVALID_EVENT' && e.line === 1 && e.offset === 0);
      assert.throws(() => got[0].payload, { code: 'ERR_NDJSON_INVALID_EVENT' });
      assert.strictEqual(got[0].text, badPayload, 'the raw line is still there');
    });

    it("'fields' refuses wrong routing fields at once", () => {
      const cases = [
        '{"protocolVersion":3,"sessionId":"s_a","seq":1,"type":"log","payload":{}}',
        '{"protocolVersion":2,"sessionId":"x_a","seq":1,"type":"log","payload":{}}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":-1,"type":"log","payload":{}}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":1,"type":"nope","payload":{}}',
        '{"protocolVersion":2,"sessionId":"s_a","seq":1,"type":"log","payload":[]}',
      ];
      const r = new EventRouter({ validate: 'fields' });
      assert.deepStrictEqual(r.push(cases.join('\n') + '\n'), []);
      assert.deepStrictEqual(
        r.invalid.map((e) => [e.code, e.line]),
        cases.map((_, i) => ['ERR_NDJSON_INVALID_EVENT', i + 1]),
      );
    });

    it("'event' refuses the wrong payload while routing and routes the rest", () => {
      const r = new EventRouter({ validate: 'event' });
      const got = r.push(`${badPayload}\n${line(6)}\n`);
      assert.deepStrictEqual(fields(got), [['stdout', 6, 's_a', 2, badPayload.length + 1]]);
      assert.deepStrictEqual(r.invalid.map((e) => [e.code, e.line, e.offset]), [['ERR_NDJSON_INVALID_EVENT', 1, 0]]);
      assert.deepStrictEqual(got[0].event, JSON.parse(line(6)));
    });

    it('any other validate value is a TypeError naming it', () => {
      for (const v of ['all', 'json', 'none', 1, false]) {
        assert.throws(
          () => new EventRouter({ validate: v }),
          (err) => err.name === 'TypeError' && /^EventRouter: .*validate/.test(err.message) && err.message.includes(String(v)),
        );
      }
      assert.doesNotThrow(() => new EventRouter({ validate: undefined }));
    });
  });

  describe('routeNDJSON', () => {
    it('routes a whole text, the last line without newline included', () => {
      assert.deepStrictEqual(fields(routeNDJSON(`${line(1)}\n${line(2, { sid: 's_b' })}`)), [
        ['stdout', 1, 's_a', 1, 0],
        ['stdout', 2, 's_b', 2, 87],
      ]);
      assert.deepStrictEqual(routeNDJSON(''), []);
    });

    it('passes bad lines to onInvalid (the last one included) and routes the rest', () => {
      const bad = [];
      const got = routeNDJSON(`x\n${line(2)}\n{"a"`, { onInvalid: (e) => bad.push([e.code, e.line, e.offset]) });
      assert.deepStrictEqual(got.map((e) => e.seq), [2]);
      assert.deepStrictEqual(bad, [
        ['ERR_NDJSON_PARSE', 1, 0],
        ['ERR_NDJSON_PARSE', 3, 89],
      ]);
    });

    it("takes validate and maxLineBytes like the router", () => {
      const bad = [];
      const text = `${line(1, { pad: 20 })}\n{"protocolVersion":2,"sessionId":"s_a","seq":5,"type":"log","payload":{"level":1}}\n${line(3)}`;
      const got = routeNDJSON(text, { validate: 'event', maxLineBytes: 100, onInvalid: (e) => bad.push([e.code, e.line]) });
      assert.deepStrictEqual(got.map((e) => e.seq), [3]);
      assert.deepStrictEqual(bad, [
        ['ERR_NDJSON_LINE_TOO_LONG', 1],
        ['ERR_NDJSON_INVALID_EVENT', 2],
      ]);
    });
  });
});
