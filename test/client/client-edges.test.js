'use strict';
// lib/client/index.js edges pinned (docs/MUTATION.md, client run, lines
// 1-505): the constructor's option checks and their exact messages (url and
// scheme, sessionId, credential, the http(s) rules, encryption as a mode);
// resume states: what checkResumeState() refuses, a state restored in a new
// stream and taken again (round trip), what send() adds to it before a
// connection; connect(), send(), flush() and close() in each state with
// their codes and messages; the events and option callbacks (retryStarted,
// the reason on stateChange, onError, onFailed, options.WebSocket, the
// first-connect notice); and the hellos on the wire, read by a hand-made
// WebSocket server (its trailing newline, a resume's rx/tx, a server that
// answers a resume with a new session, an explicit heartbeat that the
// welcome does not override); and rekeys the client cannot use (a MACed
// offer with an unusable public key: a coded error, the connection dropped
// with a reason that says so, then a resume) or has already done (a stale
// offer: ignored, nothing written for it, not even a blank line).

const assert = require('node:assert');
const { WebSocketServer, WebSocket } = require('ws');
const { until, once, freePort, ReconnectingStream } = require('../helpers/stream-harness');
const { stderrOf } = require('../helpers/notices');
const { startPair, guarded } = require('../attacks/support/pair');
const { ctl, token, mac, credentialKeys, chunkEvent, FAST } = require('../attacks/support/v2');
const { installFakeClock } = require('../helpers/fake-clock');
const { Line } = require('../helpers/mitm-relay');
const { StreamError, CONTROL_VERSION } = require('../../index.js');
const { webOnly } = require('../../lib/crypto/keys');
const { build } = require('../../lib/protocol/control');
const { offCurvePublicKey } = require('../helpers/bad-input');

process.env.ENCLAVE_STREAM_QUIET = '1';

const CRED = 'A'.repeat(43); // a well-formed credential (32 bytes, base64url)
const URL0 = 'ws://127.0.0.1:1';
const ONE = { maxAttempts: 1, initialDelay: 5, maxDelay: 10, jitter: false };
/** A plaintext resumeState() as another process stored it. */
const plainState = (o = {}) => ({ v: 1, sessionId: 's_x', credential: CRED, lastSeq: 7, acked: 5, pending: ['{"n":6}', '{"n":7}'], unsealed: [], enc: null, ...o });
const bytes = (s) => Buffer.byteLength(s);
const resumeError = (what) => ({ name: 'TypeError', message: `ReconnectingStream: options.resume is not a resumeState(): ${what}` });

describe('ReconnectingStream edges (lib/client/index.js)', function () {
  this.timeout(5000);
  let h;
  guarded((x) => {
    h = x;
  });

  describe('constructor: option checks and their messages', () => {
    it('a url that does not parse, or an unsupported scheme: a TypeError that says so', () => {
      assert.throws(() => new ReconnectingStream({ url: 'not a url' }), { name: 'TypeError', message: 'ReconnectingStream: options.url is not a URL, got "not a url" (string)' });
      assert.throws(() => new ReconnectingStream({ url: 'ftp://127.0.0.1/' }), {
        name: 'TypeError',
        message: 'ReconnectingStream: unsupported url scheme ftp: (use ws:, wss:, http: or https:)',
      });
    });

    it('ws:/wss: take the WebSocket transport, http:/https: the HTTP one', () => {
      assert.strictEqual(new ReconnectingStream({ url: 'ws://127.0.0.1:1' }).transportKind, 'ws');
      assert.strictEqual(new ReconnectingStream({ url: 'wss://127.0.0.1:1' }).transportKind, 'ws');
      assert.strictEqual(new ReconnectingStream({ url: 'http://127.0.0.1:1', sessionId: 'a', credential: CRED }).transportKind, 'http');
      assert.strictEqual(new ReconnectingStream({ url: 'https://127.0.0.1:1', sessionId: 'a', credential: CRED }).transportKind, 'http');
    });

    it('sessionId: printable ASCII, given the s_ prefix; credential: base64url of 32 bytes, only with a sessionId', () => {
      assert.throws(() => new ReconnectingStream({ url: URL0, sessionId: 'a b' }), {
        name: 'TypeError',
        message: 'ReconnectingStream: options.sessionId must be 1-128 printable ASCII characters, got "a b" (string)',
      });
      const c = new ReconnectingStream({ url: URL0, sessionId: 'abc', credential: CRED });
      assert.strictEqual(c.sessionId, 's_abc');
      assert.strictEqual(c.credential, CRED);
      assert.strictEqual(new ReconnectingStream({ url: URL0 }).credential, null);
      assert.throws(() => new ReconnectingStream({ url: URL0, credential: CRED }), {
        name: 'TypeError',
        message: 'ReconnectingStream: options.credential must be a string, given with options.sessionId',
      });
      assert.throws(() => new ReconnectingStream({ url: URL0, sessionId: 'abc', credential: 'short' }), {
        name: 'TypeError',
        message: 'ReconnectingStream: options.credential is not a credential (base64url of 32 bytes)',
      });
    });

    it('an http(s) url needs sessionId and credential, and refuses encryption', () => {
      const needs = { name: 'TypeError', message: 'ReconnectingStream: an http(s) url needs options.sessionId and options.credential (session.credential of server.createSession())' };
      assert.throws(() => new ReconnectingStream({ url: 'http://127.0.0.1:1' }), needs);
      assert.throws(() => new ReconnectingStream({ url: 'http://127.0.0.1:1', sessionId: 'a' }), needs);
      const noEnc = { name: 'TypeError', message: 'ReconnectingStream: encryption over the HTTP transport is not supported; use a ws:// or wss:// url' };
      assert.throws(() => new ReconnectingStream({ url: 'http://127.0.0.1:1', sessionId: 'a', credential: CRED, encryption: true }), noEnc);
      assert.throws(() => new ReconnectingStream({ url: 'http://127.0.0.1:1', sessionId: 'a', credential: CRED, encryption: 'required' }), noEnc);
      new ReconnectingStream({ url: 'http://127.0.0.1:1', sessionId: 'a', credential: CRED, encryption: false });
    });

    it('encryption: true is "required", false is "disabled", a mode is kept', () => {
      assert.strictEqual(new ReconnectingStream({ url: URL0, encryption: true }).encryptionMode, 'required');
      assert.strictEqual(new ReconnectingStream({ url: URL0, encryption: false }).encryptionMode, 'disabled');
      assert.strictEqual(new ReconnectingStream({ url: URL0 }).encryptionMode, 'disabled');
      assert.strictEqual(new ReconnectingStream({ url: URL0, encryption: 'optional' }).encryptionMode, 'optional');
    });
  });

  describe('resume states', () => {
    it('checkResumeState refuses each malformed field, with the field named', () => {
      const bad = (resume, what) => assert.throws(() => new ReconnectingStream({ url: URL0, resume }), resumeError(what), JSON.stringify(resume));
      // (a value that is not an object is refused before, by the options check)
      assert.throws(() => new ReconnectingStream({ url: URL0, resume: 'state' }), /options\.resume must be/);
      bad(plainState({ v: 2 }), 'version 2 (this client reads 1)');
      bad(plainState({ v: '1' }), 'version "1" (this client reads 1)');
      bad(plainState({ sessionId: 'a b' }), 'sessionId');
      for (const n of [-1, 1.5, '3', 2 ** 53, null]) {
        bad(plainState({ lastSeq: n }), 'lastSeq/acked');
        bad(plainState({ acked: n }), 'lastSeq/acked');
      }
      bad(plainState({ pending: '{"n":6}' }), 'pending');
      bad(plainState({ pending: [6] }), 'pending');
      bad(plainState({ pending: ['{"n":6}', 7] }), 'pending');
      bad(plainState({ unsealed: '{"n":8}' }), 'unsealed');
      bad(plainState({ unsealed: [8] }), 'unsealed');
      bad(plainState({ unsealed: ['{"n":8}', 9] }), 'unsealed');
      bad(plainState({ credential: undefined }), 'a plaintext session needs its credential');
      bad(plainState({ credential: 5 }), 'a plaintext session needs its credential');
      bad(plainState({ credential: null, enc: 'keys' }), 'enc');
      bad(plainState({ credential: null, enc: undefined }), 'enc');
      // zeros are valid seqs
      new ReconnectingStream({ url: URL0, resume: plainState({ lastSeq: 0, acked: 0, pending: [] }) });
    });

    it('resume comes without sessionId and credential: both are in it', () => {
      const msg = { name: 'TypeError', message: 'ReconnectingStream: options.resume carries the session id and credential; give neither with it' };
      assert.throws(() => new ReconnectingStream({ url: URL0, resume: plainState(), sessionId: 's_x' }), msg);
      assert.throws(() => new ReconnectingStream({ url: URL0, resume: plainState(), credential: CRED }), msg);
    });

    it('resumeState() before the first connection: ERR_STREAM_NO_SESSION', () => {
      assert.throws(() => new ReconnectingStream({ url: URL0 }).resumeState(), (err) => {
        assert.ok(err instanceof StreamError);
        assert.strictEqual(err.code, 'ERR_STREAM_NO_SESSION');
        assert.strictEqual(err.message, 'resumeState(): no session yet (connect first)');
        return true;
      });
    });

    it('a restored plaintext state is the same state taken again, with its counters (round trip)', () => {
      const state = plainState({ unsealed: ['{"n":8}'] });
      const c = new ReconnectingStream({ url: URL0, resume: JSON.parse(JSON.stringify(state)) });
      assert.deepStrictEqual(c.resumeState(), state);
      assert.strictEqual(c.sessionId, 's_x');
      assert.strictEqual(c.credential, CRED);
      assert.strictEqual(c.lastSeq, 7);
      assert.strictEqual(c.encrypted, false);
      assert.strictEqual(c.pending, 3);
      assert.strictEqual(c.bufferedBytes, bytes('{"n":6}') + bytes('{"n":7}') + bytes('{"n":8}'));
      // a snapshot is a copy: a later send() changes the next one only
      const before = c.resumeState();
      c.send({ n: 9 });
      assert.deepStrictEqual(before.unsealed, ['{"n":8}']);
      assert.deepStrictEqual(c.resumeState().unsealed, ['{"n":8}', '{"n":9}']);
      assert.strictEqual(c.pending, 4);
    });

    it('a connected stream: acknowledged messages leave the state, the rest stay pending', async () => {
      const { c, s } = await startPair(h);
      await c.send({ n: 1 });
      await c.send({ n: 2 });
      await c.flush();
      await s.send(chunkEvent(1));
      await until(() => c.lastSeq === 1, 'the event');
      assert.deepStrictEqual(c.resumeState(), { v: 1, sessionId: s.id, credential: c.credential, lastSeq: 1, acked: 2, pending: [], unsealed: [], enc: null });
    });

    it('a plaintext stream queues a message sent before the connection as pending (not unsealed); an encrypted one keeps it unsealed', () => {
      const c = new ReconnectingStream({ url: URL0, resume: plainState() });
      c.send({ n: 8 });
      const s = c.resumeState();
      assert.deepStrictEqual(s.pending, ['{"n":6}', '{"n":7}', '{"n":8}']);
      assert.deepStrictEqual(s.unsealed, []);
      const e = new ReconnectingStream({ url: URL0, encryption: 'optional' });
      e.send({ n: 1 });
      assert.strictEqual(e.pending, 1);
      assert.strictEqual(e.bufferedBytes, bytes('{"n":1}'));
    });

    it('an encrypted state: restored with its keys (encrypted, no credential); a bad credential or enc beside it is refused (crypto.subtle: not exportable)', async () => {
      const { c } = await startPair(h, { encrypted: true });
      const sent = c.send({ n: 1 });
      assert.strictEqual(c.pending, 1, 'counted at once (crypto.subtle: while it is sealed)');
      await sent;
      await c.flush();
      if (webOnly()) {
        // crypto.subtle keys are not extractable
        assert.throws(() => c.resumeState(), { name: 'StreamError', code: 'ERR_STREAM_RESUME_STATE', message: 'resumeState(): the keys of a crypto.subtle session cannot be exported' });
        return;
      }
      const state = JSON.parse(JSON.stringify(c.resumeState()));
      assert.strictEqual(state.credential, null);
      assert.strictEqual(typeof state.enc, 'object');
      assert.strictEqual(state.acked, 1);
      assert.deepStrictEqual(state.pending, []);
      const d = new ReconnectingStream({ url: URL0, encryption: true, resume: state });
      assert.strictEqual(d.encrypted, true);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(d.resumeState())), state);
      assert.throws(() => new ReconnectingStream({ url: URL0, resume: { ...state, credential: 5 } }), {
        name: 'TypeError',
        message: 'ReconnectingStream: options.credential must be a string, given with options.sessionId',
      });
      assert.throws(() => new ReconnectingStream({ url: URL0, resume: { ...state, enc: 'keys' } }), resumeError('enc'));
    });
  });

  describe('connect, send, flush, close', () => {
    it('connect() while connected resolves; close() emits close; afterwards connect/send/flush reject ERR_STREAM_CLOSED', async () => {
      const { c } = await startPair(h);
      await c.connect();
      const closed = once(c, 'close');
      const states = [];
      c.on('stateChange', (st) => states.push(st));
      await c.close();
      await closed;
      await c.close();
      assert.deepStrictEqual(states, ['closed'], 'a second close() changes nothing');
      const isClosed = (err) => err instanceof StreamError && err.code === 'ERR_STREAM_CLOSED' && err.message === 'stream is closed';
      await assert.rejects(c.connect(), isClosed);
      await assert.rejects(c.send({ n: 1 }), isClosed);
    });

    it('close() rejects a pending connect() and, with messages pending, flush()', async () => {
      const port = await freePort();
      const c = h.client({ url: `ws://127.0.0.1:${port}`, reconnect: { ...FAST, maxAttempts: 50 } });
      c.send({ n: 1 });
      const p = c.connect();
      await c.close();
      const isClosed = { name: 'StreamError', code: 'ERR_STREAM_CLOSED', message: 'stream is closed' };
      await assert.rejects(p, isClosed);
      assert.strictEqual(c.pending, 1);
      await assert.rejects(c.flush(), isClosed);
    });

    it('connect() after a final refusal tries again (and is refused again); send() is refused with the failure', async () => {
      const { addr } = await h.server({ encryption: 'required' });
      const c = h.client({ url: addr.url, encryption: false, reconnect: ONE });
      const err1 = await c.connect().then(() => null, (e) => e);
      assert.ok(err1 && err1.code, 'refused');
      assert.strictEqual(c.state, 'failed');
      assert.ok(!('lastCode' in err1), 'a final refusal has no lastCode');
      const sendErr = await c.send({ n: 1 }).then(() => null, (e) => e);
      assert.strictEqual(sendErr.code, err1.code);
      assert.ok(!('lastCode' in sendErr));
      const err2 = await c.connect().then(() => null, (e) => e);
      assert.strictEqual(err2 && err2.code, err1.code);
    });

    it('connect() while a retry is scheduled joins it: the backoff is not cut short', async () => {
      const port = await freePort();
      const c = h.client({ url: `ws://127.0.0.1:${port}`, reconnect: { maxAttempts: 3, initialDelay: 60000, maxDelay: 60000, jitter: false } });
      const first = c.connect();
      await until(() => c.state === 'reconnecting', 'the first retry scheduled');
      const second = c.connect();
      assert.strictEqual(c.state, 'reconnecting');
      assert.strictEqual(c.retryCount, 0);
      await c.close();
      await assert.rejects(first, { code: 'ERR_STREAM_CLOSED' });
      await assert.rejects(second, { code: 'ERR_STREAM_CLOSED' });
    });

    it('close() during a connection attempt leaves no timer behind (the connect timeout is cleared)', async () => {
      const port = await freePort();
      const clock = installFakeClock();
      let closing;
      try {
        const c = h.client({ url: `ws://127.0.0.1:${port}`, connectTimeoutMs: 5000, reconnect: ONE });
        c.connect().catch(() => {});
        assert.strictEqual(c.state, 'connecting');
        closing = c.close();
        clock.tick(1000); // the close() wait for a socket that never opened
        assert.strictEqual(clock.pending, 0);
      } finally {
        clock.uninstall();
      }
      await closing;
    });

    it("close() on a server that never answers the close handshake: the socket is terminated after 1 s and 'close' is emitted", async () => {
      let serverWs = null;
      const port = await freePort();
      const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
      await once(wss, 'listening');
      h.add({ close: () => new Promise((resolve) => { for (const ws of wss.clients) ws.terminate(); wss.close(() => resolve()); }) });
      wss.on('connection', (ws) => {
        serverWs = ws;
        ws.on('message', () => {
          ws.send(ctl('welcome', { sid: 's_mute', resumed: false, rx: 0, cred: token(32), first: 1, next: 1 }) + '\n');
          ws._socket.pause(); // reads nothing more: the client's close frame is never answered
        });
      });
      const clock = installFakeClock(); // the client's timers (heartbeat, close wait) run on it
      try {
        const c = h.client({ url: `ws://127.0.0.1:${port}`, reconnect: ONE });
        await c.connect();
        assert.ok(serverWs);
        const emitted = once(c, 'close');
        const closing = c.close();
        clock.tick(1000);
        await Promise.all([closing, emitted]);
        assert.strictEqual(c.state, 'closed');
      } finally {
        clock.uninstall();
      }
    });

    it('send(): a message that is not JSON rejects ERR_STREAM_ENCODE; too many waiting sends reject ERR_STREAM_TOO_MANY_PENDING naming send()', async () => {
      const c = h.client({ url: URL0, maxOutboxBytes: 1, maxPendingSends: 1 });
      await assert.rejects(c.send({ n: 1n }), { code: 'ERR_STREAM_ENCODE' });
      assert.strictEqual(c.pending, 0);
      c.send({ n: 1 }).catch(() => {}); // waits for room
      await assert.rejects(c.send({ n: 2 }), (err) => err.code === 'ERR_STREAM_TOO_MANY_PENDING' && err.message.startsWith('send(): 1 sends already wait'));
    });

    for (const enc of [false, true]) {
      it(`send() refuses a message over the server's maximum message size at the exact limit (${enc ? 'encrypted' : 'plaintext'})`, async () => {
        // find the message size s whose estimate changes at s+1, then announce exactly that limit
        const sid = 's_' + 'q'.repeat(40);
        const wire = (size) => (enc ? 4 * Math.ceil((size + 40) / 3) + 256 + sid.length : size);
        let size = 3000;
        while (wire(size + 1) === wire(size)) size++;
        const max = wire(size) + 1024;
        const { c } = await startPair(h, { encrypted: enc, server: { maxPayload: max }, client: { sessionId: sid } });
        const msg = (n) => ({ p: 'x'.repeat(n - bytes('{"p":""}')) });
        assert.strictEqual(bytes(JSON.stringify(msg(size))), size);
        await c.send(msg(size));
        await assert.rejects(c.send(msg(size + 1)), (err) => {
          assert.strictEqual(err.code, 'ERR_STREAM_MESSAGE_TOO_LARGE');
          assert.strictEqual(err.message, `message of ${size + 1} bytes exceeds the server's maximum message size (${max} bytes)`);
          return true;
        });
        await c.flush();
      });
    }
  });

  describe('events and option callbacks', () => {
    it("a failed first connection: 'retry' then 'retryStarted' per attempt, onFailed and 'failed' with the last code", async () => {
      const port = await freePort();
      let failedWith = null;
      const c = h.client({ url: `ws://127.0.0.1:${port}`, reconnect: { ...ONE, maxAttempts: 2 }, onFailed: (f) => (failedWith = f) });
      const seen = [];
      c.on('retry', (e) => seen.push(['retry', e.attempt]));
      c.on('retryStarted', (e) => seen.push(['retryStarted', e.attempt]));
      const failed = once(c, 'failed');
      await assert.rejects(c.connect(), { code: 'ERR_STREAM_RETRIES_EXHAUSTED', lastCode: 'ECONNREFUSED' });
      const f = await failed;
      assert.deepStrictEqual(seen, [
        ['retry', 1],
        ['retryStarted', 1],
        ['retry', 2],
        ['retryStarted', 2],
      ]);
      assert.deepStrictEqual(failedWith, f);
      assert.strictEqual(f.code, 'ERR_STREAM_RETRIES_EXHAUSTED');
      assert.strictEqual(f.lastCode, 'ECONNREFUSED');
    });

    it("stateChange carries why only when entering 'reconnecting', not on the 'connected' after it", async () => {
      const { c, proxy } = await startPair(h, { proxy: {} });
      const changes = [];
      c.on('stateChange', (st, prev, why) => changes.push([st, why]));
      proxy.cutAll();
      await until(() => changes.some(([st]) => st === 'connected'), 'the reconnection');
      const rec = changes.find(([st]) => st === 'reconnecting');
      assert.ok(rec && rec[1] && typeof rec[1].reason === 'string', JSON.stringify(changes));
      for (const [st, why] of changes) if (st !== 'reconnecting') assert.strictEqual(why, undefined, `${st}: ${JSON.stringify(why)}`);
    });

    it("onError receives the errors emitted on 'error' (a WebSocket server that is not a StreamServer)", async () => {
      const port = await freePort();
      const wss = new WebSocketServer({ port, host: '127.0.0.1' });
      await once(wss, 'listening');
      h.add({ close: () => new Promise((resolve) => wss.close(() => resolve())) });
      wss.on('connection', (ws) => ws.send('<html>\n'));
      const errors = [];
      const c = h.add(new ReconnectingStream({ url: `ws://127.0.0.1:${port}`, reconnect: ONE, onError: (e) => errors.push(e.code) }));
      await assert.rejects(c.connect(), { lastCode: 'ERR_STREAM_NOT_A_STREAM' });
      assert.deepStrictEqual(errors, ['ERR_STREAM_NOT_A_STREAM', 'ERR_STREAM_NOT_A_STREAM']);
    });

    it('options.WebSocket is the WebSocket used; one that throws fails the stream with ERR_STREAM_TRANSPORT', async () => {
      const { addr } = await h.server({});
      let made = 0;
      class Counted extends WebSocket {
        constructor(...a) {
          super(...a);
          made++;
        }
      }
      const c = h.client({ url: addr.url, reconnect: ONE, WebSocket: Counted });
      await c.connect();
      assert.strictEqual(made, 1);
      class Broken {
        constructor() {
          throw new Error('no sockets here');
        }
      }
      const d = h.client({ url: addr.url, reconnect: ONE, WebSocket: Broken });
      await assert.rejects(d.connect(), { name: 'StreamError', code: 'ERR_STREAM_TRANSPORT', message: 'no sockets here' });
      assert.strictEqual(d.state, 'failed');
    });

    it("an event the client refuses is named 'event' in the error and in the final reason (a plaintext event on an encrypted session)", async () => {
      const p = await startPair(h, {
        encrypted: true,
        relay: {
          onServerFrame: (lines) => lines.map((l) => (l.isEnvelope && l.seq === 1 ? JSON.stringify({ protocolVersion: 2, sessionId: l.v.sessionId, seq: 1, type: 'stdout', payload: { chunk: '1' } }) : l)),
        },
      });
      await p.s.send(chunkEvent(1));
      const f = await p.failed;
      assert.strictEqual(f.code, 'ENCRYPTION_REQUIRED');
      assert.strictEqual(f.reason, 'event 1 refused 3 times: plaintext event on an encrypted session');
      assert.ok(p.errors.length >= 3);
      for (const e of p.errors) assert.strictEqual(e.message, 'plaintext event on an encrypted session');
      assert.deepStrictEqual(p.got, []);
    });

    it('a session made by server.createSession(): the first hello resumes it with the credential', async () => {
      const { server, addr } = await h.server({});
      const s = server.createSession();
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const c = h.client({ url: addr.url, sessionId: s.id, credential: s.credential, reconnect: ONE });
      await c.connect();
      assert.strictEqual(c.sessionId, s.id);
      await c.send({ n: 1 });
      await c.flush();
      assert.deepStrictEqual(got, [1]);
    });

    describe('the one-line notice of a first-connect retry', () => {

      it('is not printed when onReconnect or onStateChange is given, or a disconnected/stateChange listener is attached', async () => {
        const port = await freePort();
        const url = `ws://127.0.0.1:${port}`;
        const cases = [{ onReconnect: () => {} }, { onStateChange: () => {} }, { listen: 'disconnected' }, { listen: 'stateChange' }];
        for (const { listen, ...o } of cases) {
          const lines = await stderrOf(async () => {
            const c = h.add(new ReconnectingStream({ url, reconnect: ONE, ...o }));
            if (listen) c.on(listen, () => {});
            await assert.rejects(c.connect());
          });
          assert.deepStrictEqual(lines, [], JSON.stringify(Object.keys(o).concat(listen || [])));
        }
        const lines = await stderrOf(async () => {
          const c = h.add(new ReconnectingStream({ url, reconnect: ONE }));
          await assert.rejects(c.connect());
        });
        assert.strictEqual(lines.length, 1);
      });

      it('names the code once when the reason starts with it (a full server: TOO_MANY_SESSIONS)', async () => {
        const { server, addr } = await h.server({ maxSessions: 1 });
        server.createSession();
        const lines = await stderrOf(async () => {
          const c = h.add(new ReconnectingStream({ url: addr.url, reconnect: ONE }));
          await assert.rejects(c.connect(), { lastCode: 'TOO_MANY_SESSIONS' });
        });
        assert.strictEqual(lines.length, 1);
        assert.match(lines[0], /connection failed \(TOO_MANY_SESSIONS: [^)]/);
        assert.ok(!/TOO_MANY_SESSIONS: TOO_MANY_SESSIONS/.test(lines[0]), lines[0]);
      });
    });
  });

  describe('the hellos on the wire (a hand-made server)', () => {
    /**
     * A WebSocket server that records the client's lines and answers each
     * connection with `answer(line, conn)` for each control line it reads.
     */
    async function handServer(answer) {
      const port = await freePort();
      const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
      await once(wss, 'listening');
      h.add({
        close: () =>
          new Promise((resolve) => {
            for (const ws of wss.clients) ws.terminate();
            wss.close(() => resolve());
          }),
      });
      const srv = { url: `ws://127.0.0.1:${port}`, frames: [], lines: [], conns: 0 };
      wss.on('connection', (ws) => {
        const conn = { n: ++srv.conns, ws, send: (x) => ws.send(x + '\n') };
        answer(null, conn);
        ws.on('message', (data) => {
          srv.frames.push(String(data));
          for (const raw of String(data).split('\n')) {
            if (!raw) continue;
            const l = new Line(raw, 'c2s');
            srv.lines.push(l);
            if (l.kind === 'control') answer(l.v, conn);
          }
        });
      });
      return srv;
    }

    it("a new session's hello is one line that ends with a newline", async () => {
      const srv = await handServer((f, conn) => {
        if (f && f.t === 'hello') conn.send(ctl('welcome', { sid: 's_new', resumed: false, rx: 0, cred: token(32), first: 1, next: 1 }));
      });
      const c = h.client({ url: srv.url, reconnect: ONE });
      await c.connect();
      assert.strictEqual(c.sessionId, 's_new');
      assert.ok(srv.frames[0].endsWith('}\n'), JSON.stringify(srv.frames[0]));
      assert.deepStrictEqual(JSON.parse(srv.frames[0]), JSON.parse(ctl('hello', { sid: null, resume: false, rx: 0 })));
    });

    it("a resume's hello: after the challenge, rx = lastSeq, tx = the last message seq, a proof under the credential; newline-terminated", async () => {
      const state = plainState();
      const auth = credentialKeys(CRED, state.sessionId);
      let hello = null;
      let n = null;
      const srv = await handServer((f, conn) => {
        if (!f) {
          n = token();
          conn.send(ctl('challenge', { n }));
        } else if (f.t === 'hello') {
          hello = f;
          conn.send(ctl('welcome', { sid: state.sessionId, resumed: true, rx: 7, first: 8, next: 8 }));
        }
      });
      const c = h.client({ url: srv.url, resume: state, reconnect: ONE });
      await c.connect();
      assert.ok(srv.frames[0].endsWith('}\n'), JSON.stringify(srv.frames[0]));
      assert.strictEqual(hello.resume, true);
      assert.strictEqual(hello.sid, 's_x');
      assert.strictEqual(hello.rx, 7);
      assert.strictEqual(hello.tx, 7, 'acked 5 + 2 pending');
      assert.strictEqual(hello.proof, mac(auth.authC, 'resume', 's_x', n, hello.cn, 7));
      assert.strictEqual(c.pending, 0, 'the welcome acknowledged both');
      assert.deepStrictEqual(c.resumeState(), { ...state, acked: 7, pending: [] });
    });

    it('a server that answers a resume with a new session: SESSION_UNKNOWN, the stream fails', async () => {
      const srv = await handServer((f, conn) => {
        if (!f) conn.send(ctl('challenge', { n: token() }));
        else if (f.t === 'hello') conn.send(ctl('welcome', { sid: 's_x', resumed: false, rx: 0, cred: token(32), first: 1, next: 1 }));
      });
      const c = h.client({ url: srv.url, resume: plainState(), reconnect: ONE });
      await assert.rejects(c.connect(), { code: 'SESSION_UNKNOWN', message: 'the server started a new session instead of resuming' });
      assert.strictEqual(c.state, 'failed');
    });

    it("a server that closes every connection cleanly (no error code): 'failed' has no lastCode, the notice says the reason alone", async () => {
      const srv = await handServer((f, conn) => {
        if (!f) conn.ws.close(1000, 'bye');
      });
      let f;
      const seen = await stderrOf(async () => {
        const c = h.add(new ReconnectingStream({ url: srv.url, reconnect: ONE }));
        const failed = once(c, 'failed');
        await assert.rejects(c.connect(), (err) => err.code === 'ERR_STREAM_RETRIES_EXHAUSTED' && !('lastCode' in err));
        f = await failed;
      });
      assert.deepStrictEqual(f, { reason: 'closed (1000 bye)', code: 'ERR_STREAM_RETRIES_EXHAUSTED' });
      assert.strictEqual(seen.length, 1);
      assert.match(seen[0], /: connection failed \(closed \(1000 bye\)\); retry 1 of 1 in \d+ ms\n$/);
    });

    it("an explicit heartbeatIntervalMs is kept when the welcome announces another", async () => {
      const srv = await handServer((f, conn) => {
        if (f && f.t === 'hello') conn.send(ctl('welcome', { sid: 's_hb', resumed: false, rx: 0, cred: token(32), first: 1, next: 1, hb: 600000 }));
      });
      const c = h.client({ url: srv.url, reconnect: ONE, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 600000 });
      await c.connect();
      await until(() => srv.lines.some((l) => l.t === 'ping'), 'a ping at the configured interval', 3000);
    });
  });

  // A plaintext welcome refused because encryption is required keeps nothing
  // of that session (it used to keep its credential, so the next connect()
  // sent a resuming hello with no sid and met BAD_HELLO instead).
  it('connect() again after refusing a plaintext welcome (encryption required) is refused the same way', async () => {
    const { addr } = await h.server({ encryption: 'disabled' });
    const c = h.client({ url: addr.url, encryption: true, reconnect: ONE });
    await assert.rejects(c.connect(), { code: 'ENCRYPTION_REQUIRED' });
    assert.strictEqual(c.credential, null, 'no credential kept from a refused session');
    await assert.rejects(c.connect(), { code: 'ENCRYPTION_REQUIRED' });
  });

  it('CONTROL_VERSION is what the hand-made frames speak', () => {
    assert.strictEqual(JSON.parse(ctl('ping')).$esn, CONTROL_VERSION);
  });
  describe('rekeys the client cannot use or has already done', () => {
    it('a MACed rekey with an unusable public key: a coded error, the connection dropped saying so, then a resume', async () => {
      const p = await startPair(h, { encrypted: true });
      const pub = offCurvePublicKey();
      p.s.link.control(build.rekey('rekey', 1, pub, p.s.channel.mac('rekey', 1, pub)));
      await until(() => p.disconnects.length === 1, 'the drop');
      // the same on every backend (crypto.subtle derives the new keys asynchronously)
      assert.deepStrictEqual(p.errors.map((e) => [e.name, e.code]), [['StreamProtocolError', 'ENCRYPTION_INVALID_PUBLIC_KEY']]);
      assert.match(p.errors[0].message, /^invalid peer public key: /);
      assert.strictEqual(p.disconnects[0].reason, p.errors[0].message);
      await until(() => p.c.state === 'connected', 'the resume');
      await p.s.send(chunkEvent(1));
      await until(() => p.got.length === 1, 'an event after the resume');
      assert.strictEqual(p.c.channel.epoch, 0);
    });

    it('a stale rekey (an epoch the client holds) is ignored: nothing is written for it, not even a blank line', async () => {
      const p = await startPair(h, { encrypted: true });
      p.s._offerRekey();
      await until(() => p.s.channel.epoch === 1, 'the rekey answered');
      const frames = [];
      const t = p.c._transport;
      const send = t.send;
      t.send = function (text, cb) {
        frames.push(String(text));
        return send.call(this, text, cb);
      };
      p.s.link.control(build.rekey('rekey', 1, 'AAAA', 'bWFj')); // epoch 1 is in place: stale (checked before its MAC)
      await p.s.send(chunkEvent(1));
      await until(() => p.got.length === 1, 'the event');
      await until(() => frames.some((f) => f.includes('"t":"ack"')), "the event's ack");
      for (const f of frames) assert.ok(f.endsWith('\n') && !f.slice(0, -1).split('\n').includes(''), `a blank line in ${JSON.stringify(f)}`);
      assert.deepStrictEqual([p.errors, p.disconnects, p.sessionErrors], [[], [], []]);
      assert.strictEqual(p.c.channel.epoch, 1);
    });
  });
});
