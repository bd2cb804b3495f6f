'use strict';
// The bad-input matrix (README): one describe per kind of bad input, each
// asserting at the layer a user meets it (the NDJSON API, the crypto API, a
// StreamServer / ReconnectingStream pair over loopback sockets):
//   - the exact error code or event the user sees,
//   - that the process stays up (no uncaught exception or unhandled rejection,
//     and the reader / stream / server is still usable afterwards),
//   - that the stream continues where that is safe (good data after the bad
//     input arrives),
//   - that nothing is lost or delivered twice (count and order).
// No timing asserts: waits are on events; backoff delays are a few ms.

const assert = require('node:assert');
const { once: onceEvent } = require('node:events');
const { backend } = require('../lib/binding');
const lib = require('../index.js');
const control = require('../lib/protocol/control');
const { Harness, until, once, freePort, StreamServer } = require('./helpers/stream-harness');
const { tap, rewriteLineOnce, flipCiphertext, truncateCiphertext, rawPeer, processGuard } = require('./helpers/bad-input');

const { StreamDecoder, parseNDJSON, NdjsonStreamParser, createEnvelopeCipher, generateKeyPairSync, deriveSharedSecretSync } = lib;

const FAST = { initialDelay: 2, maxDelay: 10, jitter: false, maxAttempts: 20 };

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

const event = (seq, chunk) => ({ protocolVersion: 2, sessionId: 's_bad', seq, type: 'stdout', payload: { chunk } });

describe(`bad-input matrix (${backend} backend)`, function () {
  this.timeout(10000);
  let guard;
  let h;
  beforeEach(() => {
    guard = processGuard();
    h = new Harness();
  });
  afterEach(async () => {
    await h.cleanup();
    guard.uninstall();
    assert.deepStrictEqual(guard.seen, [], 'uncaught exception or unhandled rejection');
  });

  /** A server + client on loopback; the client records events, errors and states. */
  async function pair(serverOpts = {}, clientOpts = {}) {
    const { server, addr } = await h.server(serverOpts);
    const sessionP = once(server, 'session');
    const got = [];
    const errors = [];
    const c = h.client({ url: addr.url, reconnect: FAST, onMessage: (m) => got.push(m), ...clientOpts });
    c.on('error', (e) => errors.push(e));
    await c.connect();
    const s = await sessionP;
    const fromClient = [];
    const sessionErrors = [];
    s.on('message', (m) => fromClient.push(m));
    s.on('error', (e) => sessionErrors.push(e));
    return { server, addr, c, s, got, errors, fromClient, sessionErrors };
  }

  const seqs = (events) => events.map((e) => e.seq);
  const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  // -------------------------------------------------------------------------
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

    it('wire: a non-JSON line from the server is an ERR_STREAM_BAD_LINE error; the client resumes, every event once, in order', async () => {
      const p = await pair();
      for (let i = 1; i <= 3; i++) await p.s.send({ type: 'stdout', payload: { chunk: `${i}` } });
      await until(() => p.got.length === 3, 'first events');
      tap(p.s.link.transport).inject('{"protocolVersion":2,"seq":4,"type\n');
      for (let i = 4; i <= 8; i++) await p.s.send({ type: 'stdout', payload: { chunk: `${i}` } });
      await until(() => p.got.length === 8 && p.c.state === 'connected', 'events after the bad line');
      assert.deepStrictEqual(seqs(p.got), range(1, 8));
      assert.deepStrictEqual(p.errors.map((e) => e.code), ['ERR_STREAM_BAD_LINE']);
      assert.strictEqual(p.c.reconnects, 1);
    });

    it('wire: a non-JSON line from a client is an ERR_STREAM_BAD_LINE session error; the session stays resumable', async () => {
      const p = await pair();
      await p.c.send({ n: 1 });
      await until(() => p.fromClient.length === 1, 'first message');
      tap(p.c._transport).inject('{"n":\n');
      for (let i = 2; i <= 5; i++) await p.c.send({ n: i });
      await p.c.flush();
      assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1, 2, 3, 4, 5]);
      assert.deepStrictEqual(p.sessionErrors.map((e) => e.code), ['ERR_STREAM_BAD_LINE']);
      assert.strictEqual(p.c.reconnects, 1);
    });
  });

  // -------------------------------------------------------------------------
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

    it('wire: a client message with invalid UTF-8 (binary frame) arrives once with U+FFFD; the session goes on', async () => {
      const { server, addr } = await h.server({});
      const peer = await rawPeer(addr.url);
      const sessionP = once(server, 'session');
      peer.send(control.build.hello({ sid: 's_utf8', resume: false, rx: 0 }) + '\n');
      const s = await sessionP;
      const got = [];
      s.on('message', (m) => got.push(m));
      peer.send(Buffer.concat([Buffer.from(`${control.build.batch(1)}\n{"n":"x`), Buffer.from([0xff]), Buffer.from(`"}\n{"n":"ok"}\n`)]));
      await until(() => got.length === 2, 'both messages');
      assert.deepStrictEqual(got, [{ n: 'x\ufffd' }, { n: 'ok' }]);
      assert.strictEqual(s.lastClientSeq, 2);
      peer.close();
    });
  });

  // -------------------------------------------------------------------------
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

    it("wire: a client message over the server's maxPayload is refused by send() (ERR_STREAM_MESSAGE_TOO_LARGE); the others arrive once, in order", async () => {
      for (const encryption of [false, true]) {
        const p = await pair({ maxPayload: 8192, encryption: encryption ? 'required' : 'disabled' }, { encryption });
        const results = await Promise.allSettled(range(1, 12).map((n) => p.c.send({ n, pad: 'p'.repeat(n === 6 ? 9000 : 500) })));
        assert.deepStrictEqual(
          results.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason.code)),
          range(1, 12).map((n) => (n === 6 ? 'ERR_STREAM_MESSAGE_TOO_LARGE' : 'ok')),
        );
        await p.c.flush();
        assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]);
        assert.strictEqual(p.c.reconnects, 0);
        assert.strictEqual(p.c.state, 'connected');
      }
    });

    it('wire: a raw frame over maxPayload closes that connection with 1009; the server keeps serving', async () => {
      const { addr } = await h.server({ maxPayload: 4096 });
      const peer = await rawPeer(addr.url);
      peer.send(control.build.hello({ sid: 's_big', resume: false, rx: 0 }) + '\n');
      assert.strictEqual((await peer.next())[0].t, 'welcome');
      peer.send(`${control.build.batch(1)}\n{"pad":"${'z'.repeat(5000)}"}\n`);
      assert.strictEqual((await peer.closed).code, 1009);
      const c = h.client({ url: addr.url, reconnect: FAST });
      await c.connect();
      await c.send({ n: 1 });
      await c.flush();
    });
  });

  // -------------------------------------------------------------------------
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

  // -------------------------------------------------------------------------
  describe("an event failing validation (validate: 'event')", () => {
    const lines = [
      JSON.stringify(event(1, 'a')),
      JSON.stringify({ ...event(2, 'b'), payload: { chunk: 42 } }), // chunk must be a string
      JSON.stringify({ ...event(3, 'c'), sessionId: 'nope' }), // sessionId must start with s_
      '{"$esn":1,"t":"ack","s":1}', // a control frame is not an event
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
});
