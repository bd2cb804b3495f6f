'use strict';
// The options of every public constructor (lib/options.js): a misspelt
// option is refused naming the closest valid one, a wrong value is shown as
// JSON with its type, ports are numbers in range, and each default in the
// table is what the constructed object uses.

const assert = require('node:assert');
const http = require('node:http');
const lib = require('..');
const { FaultProxy } = require('../lib/testing');
const browserCodec = require('../lib/browser/codec');
const { SERVER_DEFAULTS } = require('../lib/server');
const { checkOptions, defaults, optionsTable, owners, show, closest, SPECS } = require('../lib/options');
const { DEFAULT_MAX_LINE_BYTES } = require('../lib/ndjson/line-decoder');

const KEY = Buffer.alloc(32, 7);
// Enough of an ioredis client for the constructor (it defines its scripts).
const fakeRedis = () => ({ defineCommand() {}, duplicate() {}, quit: async () => {} });

// Each constructor: how to make one from options, the options it needs, a
// misspelling with the option meant, and a value of the wrong type.
const CASES = [
  { name: 'StreamServer', make: (o) => new lib.StreamServer(o), typo: ['encrypton', 'encryption'], bad: ['heartbeatIntervalMs', '1000', '"1000" (string)'] },
  { name: 'ReconnectingStream', make: (o) => new lib.ReconnectingStream(o), base: { url: 'ws://127.0.0.1:1' }, typo: ['encrypton', 'encryption'], bad: ['heartbeatIntervalMs', '1000', '"1000" (string)'] },
  { name: 'ReconnectingStream', make: (o) => new lib.ReconnectingStream(o), base: { url: 'ws://127.0.0.1:1' }, typo: ['reconect', 'reconnect'], bad: ['onMessage', 'yes', '"yes" (string)'] },
  { name: 'MemorySessionStore', make: (o) => new lib.MemorySessionStore(o), typo: ['maxInboxEvent', 'maxInboxEvents'], bad: ['maxInboxEvents', '5', '"5" (string)'] },
  { name: 'RedisSessionStore', make: (o) => new lib.RedisSessionStore(o), base: { client: fakeRedis(), encryptionKey: KEY }, typo: ['keyprefix', 'keyPrefix'], bad: ['ttlMs', [1], '[1] (array)'] },
  { name: 'EventRouter', make: (o) => new lib.EventRouter(o), typo: ['maxLineByte', 'maxLineBytes'], bad: ['validate', true, 'true (boolean)'] },
  { name: 'routeNDJSON', make: (o) => lib.routeNDJSON('', o), typo: ['onInvalidLine', 'onInvalid'], bad: ['maxLineBytes', '64', '"64" (string)'] },
  { name: 'StreamEncoder', make: (o) => new lib.StreamEncoder(o), typo: ['hightWaterMark', 'highWaterMark'], bad: null },
  { name: 'StreamDecoder', make: (o) => new lib.StreamDecoder(o), typo: ['validat', 'validate'], bad: ['maxLineBytes', null, 'null (null)'] },
  { name: 'StreamEncoder', platform: 'browser', make: (o) => new browserCodec.StreamEncoder(o), typo: ['highWatermark', 'highWaterMark'], bad: ['highWaterMark', '16', '"16" (string)'] },
  { name: 'StreamDecoder', platform: 'browser', make: (o) => new browserCodec.StreamDecoder(o), typo: ['maxLinesBytes', 'maxLineBytes'], bad: ['validate', 'events', '"events" (string)'] },
  { name: 'parseNDJSON', make: (o) => lib.parseNDJSON('', o), typo: ['oninvalid', 'onInvalid'], bad: ['onInvalid', 'log', '"log" (string)'] },
  { name: 'NdjsonStreamParser', make: (o) => new lib.NdjsonStreamParser(o), base: { onEvent() {} }, typo: ['onErorr', 'onError'], bad: ['onError', {}, '{} (object)'] },
  { name: 'createNdjsonParseStream', make: (o) => lib.createNdjsonParseStream(o), typo: ['maxLineByte', 'maxLineBytes'], bad: ['maxLineBytes', 1e10, '10000000000 (number)'] },
  { name: 'createEnvelopeCipher', make: (o) => lib.createEnvelopeCipher(o), base: { key: KEY, sessionId: 's_x', kid: 'k' }, typo: ['kdi', 'kid'], bad: ['sessionId', 'x', '"x" (string)'] },
  { name: 'FaultProxy', make: (o) => new FaultProxy(o), base: { target: { port: 1 } }, typo: ['cutAfterMS', 'cutAfterMs'], bad: ['maxCuts', '3', '"3" (string)'] },
];

describe('options (lib/options.js)', () => {
  describe('a misspelt option is a TypeError naming it and the closest valid one', () => {
    for (const c of CASES) {
      it(`${c.name}${c.platform ? ` (${c.platform})` : ''}: "${c.typo[0]}"`, () => {
        assert.throws(() => c.make({ ...c.base, [c.typo[0]]: 1 }), {
          name: 'TypeError',
          code: 'ERR_UNKNOWN_OPTION',
          message: `${c.name}: unknown option "${c.typo[0]}" (did you mean "${c.typo[1]}"?)`,
        });
      });
    }
    it('nested options name their path: reconnect.maxAtempts', () => {
      assert.throws(() => new lib.ReconnectingStream({ url: 'ws://127.0.0.1:1', reconnect: { maxAtempts: 3 } }), {
        message: 'ReconnectingStream: unknown option "reconnect.maxAtempts" (did you mean "reconnect.maxAttempts"?)',
      });
    });
    it('parseNdjsonStream: on the first next(), as generators do', async () => {
      const it = lib.parseNdjsonStream(new ReadableStream(), { onErorr() {} });
      await assert.rejects(it.next(), { name: 'TypeError', message: 'parseNdjsonStream: unknown option "onErorr" (did you mean "onError"?)' });
    });
    it('a name close to none lists the valid ones', () => {
      assert.throws(() => new lib.MemorySessionStore({ colour: 'red' }), {
        name: 'TypeError',
        message: 'MemorySessionStore: unknown option "colour" (valid options: maxInboxEvents)',
      });
    });
    it('the reference names stay accepted: reconnect.maxRetries / initialDelayMs / maxDelayMs', () => {
      const c = new lib.ReconnectingStream({ url: 'ws://127.0.0.1:1', reconnect: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 } });
      assert.deepStrictEqual(
        { maxRetries: c._machine.config.maxRetries, initialDelayMs: c._machine.config.initialDelayMs, maxDelayMs: c._machine.config.maxDelayMs },
        { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 },
      );
    });
    it("node:stream options still pass through the Node codec's constructors", () => {
      const d = new lib.StreamDecoder({ highWaterMark: 7, emitClose: false });
      assert.strictEqual(d.writableHighWaterMark, 7);
      const e = new lib.StreamEncoder({ readableHighWaterMark: 9 });
      assert.strictEqual(e.readableHighWaterMark, 9);
    });
  });

  describe('a wrong value is shown as JSON with its type', () => {
    for (const c of CASES.filter((x) => x.bad)) {
      const [opt, value, shown] = c.bad;
      it(`${c.name}${c.platform ? ` (${c.platform})` : ''}: ${opt} = ${shown}`, () => {
        assert.throws(() => c.make({ ...c.base, [opt]: value }), (err) => {
          assert.ok(err instanceof TypeError || err instanceof RangeError, err);
          assert.match(err.message, new RegExp(`^${c.name}: options\\.${opt} must be .+, got ${shown.replace(/[[\](){}"]/g, '\\$&')}$`));
          assert.ok(['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE'].includes(err.code), err.code);
          return true;
        });
      });
    }
    it('the issue\'s example: heartbeatIntervalMs "1000"', () => {
      assert.throws(() => new lib.StreamServer({ heartbeatIntervalMs: '1000' }), {
        name: 'TypeError',
        message: 'StreamServer: options.heartbeatIntervalMs must be an integer from 0 to 2147483647, got "1000" (string)',
      });
    });
    it('a missing required option says so', () => {
      assert.throws(() => new lib.ReconnectingStream({}), { name: 'TypeError', code: 'ERR_MISSING_OPTION', message: /options\.url is required/ });
      assert.throws(() => new lib.NdjsonStreamParser({ onError() {} }), { name: 'TypeError', code: 'ERR_MISSING_OPTION', message: /options\.onEvent is required/ });
      assert.throws(() => new FaultProxy({}), { code: 'ERR_MISSING_OPTION', message: /options\.target is required/ });
    });
    it('options that are not an object are refused', () => {
      assert.throws(() => new lib.StreamServer('abc'), { name: 'TypeError', message: 'StreamServer: options must be an object, got "abc" (string)' });
      assert.throws(() => new lib.EventRouter([]), { name: 'TypeError', message: /got \[\] \(array\)/ });
    });
    it('show(): NaN, Infinity, bigint, functions, symbols, cycles and long values', () => {
      assert.strictEqual(show(NaN), 'NaN (number)');
      assert.strictEqual(show(-Infinity), '-Infinity (number)');
      assert.strictEqual(show(10n), '10n (bigint)');
      assert.strictEqual(show(function f() {}), '[Function f] (function)');
      assert.strictEqual(show(Symbol('x')), 'Symbol(x) (symbol)');
      const cyc = {};
      cyc.self = cyc;
      assert.strictEqual(show(cyc), '[object Object] (object)');
      assert.strictEqual(show('x'.repeat(200)).length, 80 + ' (string)'.length);
      assert.strictEqual(show(new Map()), '{} (Map)');
    });
    it('closest(): edits, swaps and case', () => {
      assert.strictEqual(closest('encrypton', ['encryption', 'port']), 'encryption');
      assert.strictEqual(closest('prot', ['port', 'host']), 'port');
      assert.strictEqual(closest('MAXSESSIONS', ['maxSessions', 'maxPayload']), 'maxSessions');
      assert.strictEqual(closest('banana', ['port', 'host']), null);
    });
  });

  describe('ports are numbers from 0 to 65535', () => {
    for (const [value, Err] of [['abc', TypeError], ['8080', TypeError], [-1, RangeError], [70000, RangeError], [1.5, RangeError], [NaN, RangeError], [null, TypeError]]) {
      it(`StreamServer refuses port ${show(value)}`, () => {
        assert.throws(() => new lib.StreamServer({ port: value }), (err) => err instanceof Err && /options\.port must be an integer from 0 to 65535 \(a number, not a string\)/.test(err.message));
      });
    }
    it('FaultProxy refuses the same ports, for itself and its target', () => {
      for (const port of ['abc', -1, 70000, 1.5]) {
        assert.throws(() => new FaultProxy({ target: { port: 1 }, port }), /options\.port must be/);
        assert.throws(() => new FaultProxy({ target: { port } }), /options\.target must be/);
      }
    });
    it('a valid port listens there (no Unix socket named after a string)', async () => {
      const s = new lib.StreamServer({ port: 0 });
      try {
        const a = await s.listen();
        assert.ok(Number.isInteger(a.port) && a.port > 0);
      } finally {
        await s.close();
      }
    });
  });

  describe('the existing range checks keep their meaning', () => {
    const bad = (o) => assert.throws(() => new lib.StreamServer(o), RangeError);
    it('StreamServer: positive limits, Infinity allowed; maxPayload below 2^31; zero where it means "off"', () => {
      for (const k of ['maxReplayEvents', 'maxSessions', 'maxPendingSends', 'rekeyAfterMessages', 'maxHelloBytes']) {
        bad({ [k]: 0 });
        bad({ [k]: -1 });
        bad({ [k]: 2.5 });
        new lib.StreamServer({ [k]: Infinity }).close();
      }
      bad({ maxPayload: 2 ** 31 });
      bad({ maxPayload: Infinity });
      bad({ helloTimeoutMs: 0 });
      const s = new lib.StreamServer({ heartbeatIntervalMs: 0, sessionTtlMs: 0, highWaterMark: 0 });
      assert.strictEqual(s.options.heartbeatTimeoutMs, 0);
      s.close();
      new lib.StreamServer({ sessionTtlMs: Infinity }).close();
    });
    it('timers cannot overflow setTimeout (which would fire at once)', () => {
      bad({ heartbeatIntervalMs: 2 ** 31 });
      bad({ helloTimeoutMs: Infinity });
      bad({ sessionTtlMs: 1e10 });
      assert.throws(() => new lib.ReconnectingStream({ url: 'ws://127.0.0.1:1', connectTimeoutMs: 2 ** 31 }), RangeError);
    });
    it('ReconnectingStream: limits >= 1, connectTimeoutMs >= 1, backoff numbers >= 0', () => {
      const url = 'ws://127.0.0.1:1';
      for (const o of [{ maxOutboxBytes: 0 }, { connectTimeoutMs: 0 }, { maxPendingSends: 0 }, { reconnect: { initialDelay: -1 } }, { reconnect: { jitterFactor: NaN } }]) {
        assert.throws(() => new lib.ReconnectingStream({ url, ...o }), RangeError, JSON.stringify(o));
      }
      assert.throws(() => new lib.ReconnectingStream({ url, reconnect: { jitter: 'yes' } }), TypeError);
      assert.throws(() => new lib.ReconnectingStream({ url, encryption: 'sometimes' }), { name: 'TypeError', message: /got "sometimes" \(string\)/ });
      const c = new lib.ReconnectingStream({ url, reconnect: { maxAttempts: Infinity, backoffMultiplier: 1.5 }, encryption: { mode: 'optional' } });
      assert.strictEqual(c.encryptionMode, 'optional');
      assert.strictEqual(c._machine.config.maxRetries, Infinity);
    });
    it('maxLineBytes: an integer from 1 to 2^32-1', () => {
      assert.throws(() => new lib.EventRouter({ maxLineBytes: 0 }), RangeError);
      assert.throws(() => new lib.StreamDecoder({ maxLineBytes: 2 ** 32 }), RangeError);
      assert.deepStrictEqual(lib.parseNDJSON('{"a":1}\n', { maxLineBytes: 2 ** 32 - 1 }), [{ a: 1 }]);
    });
  });

  describe('NdjsonStreamParser without onError', () => {
    const good = (seq) => JSON.stringify({ protocolVersion: 2, sessionId: 's_a', seq, type: 'stdout', payload: { chunk: 'x' } });
    it('is accepted at construction, as in the reference', () => {
      new lib.NdjsonStreamParser({ onEvent() {} });
    });
    it('feed() throws an NdjsonError for the bad lines of the chunk after delivering every good one; it parses on', () => {
      const got = [];
      const p = new lib.NdjsonStreamParser({ onEvent: (e) => got.push(e.seq) });
      assert.throws(() => p.feed(`${good(1)}\nnot json\n${good(2)}\n{"x":1}\n${good(3)}\n`), (err) => {
        assert.ok(err instanceof lib.NdjsonError);
        assert.strictEqual(err.code, 'ERR_NDJSON_PARSE');
        assert.strictEqual(err.line, 2);
        assert.strictEqual(err.errors.length, 2);
        assert.strictEqual(err.errors[1].code, 'ERR_NDJSON_INVALID_EVENT');
        assert.match(err.message, /line 2: JSON parse error.*and 1 more bad line\); give options\.onError/);
        return true;
      });
      assert.deepStrictEqual(got, [1, 2, 3]);
      p.feed(`${good(4)}\n`);
      p.feed('oops'); // a partial line: nothing yet
      assert.throws(() => p.flush(), { name: 'NdjsonError', code: 'ERR_NDJSON_PARSE', line: 7 });
      assert.deepStrictEqual(got, [1, 2, 3, 4]);
    });
  });

  describe('the defaults live in lib/options.js and are what the objects use', () => {
    it('SERVER_DEFAULTS keeps its shape and values', () => {
      assert.deepStrictEqual({ ...SERVER_DEFAULTS }, {
        port: 0, host: '127.0.0.1', path: undefined, encryption: 'disabled', maxReplayEvents: 10000, maxReplayBytes: 16 * 1024 * 1024,
        maxOutboxBytes: 1024 * 1024, highWaterMark: 1024 * 1024, maxFrameBytes: 64 * 1024, sendWindowBytes: 1024 * 1024,
        heartbeatIntervalMs: 15000, heartbeatTimeoutMs: undefined, helloTimeoutMs: 10000, sessionTtlMs: 5 * 60 * 1000,
        maxPayload: 64 * 1024 * 1024, maxHelloBytes: 64 * 1024, maxPendingHellos: 1000, maxPostBytes: 16 * 1024 * 1024,
        maxSessions: 10000, maxPendingSends: 1024, maxBufferedBytes: 8 * 1024 * 1024, rekeyAfterMessages: 1000000,
        rekeyAfterMs: 60 * 60 * 1000, httpRoutes: undefined, store: undefined,
      });
      assert.deepStrictEqual(Object.keys(SERVER_DEFAULTS), Object.keys(defaults('StreamServer')));
    });

    it('StreamServer: its options and a session\'s flow control', () => {
      const s = new lib.StreamServer();
      try {
        const d = defaults('StreamServer');
        for (const [k, v] of Object.entries(d)) {
          if (k === 'heartbeatTimeoutMs') assert.strictEqual(s.options[k], Math.ceil(d.heartbeatIntervalMs * 2.5));
          else assert.strictEqual(s.options[k], v, k);
        }
        assert.strictEqual(s._httpRoutes, true);
        if (!process.env.ENCLAVE_STREAM_STORE) assert.ok(s.store.embedded); // ENCLAVE_STREAM_STORE=memory: a full store
        const link = s.createSession().link;
        for (const k of ['maxOutboxBytes', 'highWaterMark', 'maxFrameBytes', 'sendWindowBytes', 'heartbeatIntervalMs', 'maxPendingSends', 'maxBufferedBytes']) {
          assert.strictEqual(link[k], d[k], k);
        }
      } finally {
        s.close();
      }
      const external = http.createServer();
      const t = new lib.StreamServer({ server: external });
      assert.strictEqual(t._httpRoutes, false);
      t.close();
    });

    it('ReconnectingStream: backoff, timeouts and flow control', () => {
      const d = defaults('ReconnectingStream');
      const c = new lib.ReconnectingStream({ url: 'ws://127.0.0.1:1' });
      assert.deepStrictEqual(c._machine.config, {
        maxRetries: d.reconnect.maxAttempts,
        initialDelayMs: d.reconnect.initialDelay,
        maxDelayMs: d.reconnect.maxDelay,
        backoffMultiplier: d.reconnect.backoffMultiplier,
        jitter: d.reconnect.jitter,
        jitterFactor: d.reconnect.jitterFactor,
      });
      assert.strictEqual(c.encryptionMode, d.encryption);
      assert.strictEqual(c.connectTimeoutMs, d.connectTimeoutMs);
      for (const k of ['maxOutboxBytes', 'highWaterMark', 'maxFrameBytes', 'sendWindowBytes', 'heartbeatIntervalMs', 'maxPendingSends', 'maxBufferedBytes']) {
        assert.strictEqual(c._link[k], d[k], k);
      }
      assert.strictEqual(c._link.heartbeatTimeoutMs, Math.ceil(d.heartbeatIntervalMs * 2.5));
    });

    it('the stores', async () => {
      assert.strictEqual(new lib.MemorySessionStore().maxInboxEvents, defaults('MemorySessionStore').maxInboxEvents);
      const r = new lib.RedisSessionStore({ client: fakeRedis(), encryptionKey: KEY.toString('base64') });
      const d = defaults('RedisSessionStore');
      assert.deepStrictEqual({ prefix: r.prefix, ttlMs: r.ttlMs, maxInboxEvents: r.maxInboxEvents }, { prefix: d.keyPrefix, ttlMs: d.ttlMs, maxInboxEvents: d.maxInboxEvents });
      assert.ok(r._key.equals(KEY));
    });

    it('the NDJSON readers: maxLineBytes and validate', () => {
      const dd = defaults('StreamDecoder');
      assert.strictEqual(dd.maxLineBytes, DEFAULT_MAX_LINE_BYTES);
      assert.strictEqual(new lib.StreamDecoder()._decoder.maxLineBytes, dd.maxLineBytes);
      assert.strictEqual(new lib.EventRouter()._decoder.maxLineBytes, defaults('EventRouter').maxLineBytes);
      assert.strictEqual(new lib.NdjsonStreamParser({ onEvent() {} })._decoder.maxLineBytes, defaults('NdjsonStreamParser').maxLineBytes);
      assert.strictEqual(new browserCodec.StreamDecoder()._decoder.maxLineBytes, defaults('StreamDecoder', 'browser').maxLineBytes);
      assert.strictEqual(new browserCodec.StreamDecoder()._hwm, defaults('StreamDecoder', 'browser').highWaterMark);
      assert.strictEqual(new browserCodec.StreamEncoder()._hwm, defaults('StreamEncoder', 'browser').highWaterMark);
      // validate: 'fields' routes a line whose payload is wrong; 'event' does not
      const line = '{"protocolVersion":2,"sessionId":"s_a","seq":1,"type":"stdout","payload":{"chunk":1}}\n';
      assert.strictEqual(defaults('EventRouter').validate, 'fields');
      assert.strictEqual(lib.routeNDJSON(line).length, 1);
      assert.strictEqual(lib.routeNDJSON(line, { validate: 'event', onInvalid() {} }).length, 0);
      // validate: false (the default) takes any JSON value
      assert.strictEqual(defaults('parseNDJSON').validate, false);
      assert.deepStrictEqual(lib.parseNDJSON('1\n'), [1]);
      assert.strictEqual(defaults('parseNDJSON').maxLineBytes, 2 ** 32 - 1);
    });

    it('FaultProxy', () => {
      const p = new FaultProxy({ target: { port: 1 } });
      const d = defaults('FaultProxy');
      assert.deepStrictEqual(
        { host: p.host, port: p.port, maxCuts: p.maxCuts, cutAfterBytes: p.cutAfterBytes, cutAfterMs: p.cutAfterMs, target: p.target.host },
        { host: d.host, port: d.port, maxCuts: d.maxCuts, cutAfterBytes: null, cutAfterMs: null, target: '127.0.0.1' },
      );
      assert.strictEqual(p.random(), new FaultProxy({ target: { port: 1 }, seed: d.seed }).random());
      assert.deepStrictEqual(new FaultProxy({ target: { port: 1 }, cutAfterMs: 5 }).cutAfterMs, [5, 5]);
    });
  });

  describe('the tables', () => {
    it('every described option has a rule, a meaning, and a default that passes its own rule', () => {
      for (const [owner, platform] of owners()) {
        const spec = platform ? require('../lib/options').BROWSER_SPECS[owner] : SPECS[owner];
        const walk = (s) => {
          for (const [k, e] of Object.entries(s)) {
            if (k === '...' || e.alias) continue;
            assert.ok(e.rule && typeof e.rule.test === 'function' && e.doc, `${owner}.${k}`);
            if (e.default !== undefined) assert.strictEqual(e.rule.test(e.default), null, `${owner}.${k} default`);
            if (e.options) walk(e.options);
          }
        };
        walk(spec);
      }
    });
    it('optionsTable() prints one Markdown row per option', () => {
      const t = optionsTable('MemorySessionStore');
      assert.strictEqual(
        t,
        '| option | type | default | meaning |\n| --- | --- | --- | --- |\n| `maxInboxEvents` | positive integer | `10000` | published events and client POST bodies that may wait per session for its server; one more is refused `ERR_STORE_INBOX_FULL` |\n',
      );
      assert.match(optionsTable('StreamServer'), /\| `maxReplayBytes` \| positive integer or Infinity \| `16777216` \(16 MiB\) \|/);
      assert.match(optionsTable('StreamServer'), /\| `encryption` \| 'disabled', 'optional' or 'required' \| `'disabled'` \|/);
    });
    it('scripts/options-table.js prints a section per constructor', () => {
      const { execFileSync } = require('node:child_process');
      const out = execFileSync(process.execPath, [require.resolve('../scripts/options-table.js')], { encoding: 'utf8' });
      for (const [owner] of owners()) assert.ok(out.includes(owner), owner);
      assert.ok(out.includes(optionsTable('ReconnectingStream')));
    });
  });
});
