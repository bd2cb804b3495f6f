'use strict';
// The bad-input matrix (README), on the wire: each kind of bad input between
// a StreamServer and a ReconnectingStream (or a raw WebSocket peer) over
// loopback sockets:
//   - the exact error code or event the user sees,
//   - that the process stays up (no uncaught exception or unhandled rejection,
//     and the stream / server is still usable afterwards),
//   - that the stream continues where that is safe (good data after the bad
//     input arrives),
//   - that nothing is lost or delivered twice (count and order).
// No timing asserts: waits are on events; backoff delays are a few ms.
// The NDJSON and crypto layers: test/ndjson/bad-input.test.js,
// test/crypto/bad-input.test.js.

const assert = require('node:assert');
const { once: onceEvent } = require('node:events');
const { backend } = require('../../lib/binding');
const lib = require('../../index.js');
const control = require('../../lib/protocol/control');
const { until, once, freePort, StreamServer } = require('../helpers/stream-harness');
const { range, offCurvePublicKey, matrixHooks, tap, rewriteLineOnce, flipCiphertext, truncateCiphertext, rawPeer, resumeHello } = require('../helpers/bad-input');
const { turn } = require('../helpers/turn');

const { createEnvelopeCipher } = lib;

const FAST = { initialDelay: 2, maxDelay: 10, jitter: false, maxAttempts: 20 };

describe(`bad-input matrix, wire (${backend} backend)`, function () {
  this.timeout(10000);
  const ctx = matrixHooks();

  /** A server + client on loopback; the client records events, errors and states. */
  async function pair(serverOpts = {}, clientOpts = {}) {
    const { server, addr } = await ctx.h.server(serverOpts);
    const sessionP = once(server, 'session');
    const got = [];
    const errors = [];
    const c = ctx.h.client({ url: addr.url, reconnect: FAST, onMessage: (m) => got.push(m), ...clientOpts });
    c.on('error', (e) => errors.push(e));
    await c.connect();
    const s = await sessionP;
    const fromClient = [];
    const sessionErrors = [];
    s.on('message', (m) => fromClient.push(m));
    s.on('error', (e) => sessionErrors.push(e));
    return { server, addr, c, s, got, errors, fromClient, sessionErrors };
  }

  /** A server and a raw WebSocket peer that opened session `sid`; the session's messages (field `pick`) and error codes are recorded. */
  async function rawSession(sid, pick = (m) => m) {
    const { server, addr } = await ctx.h.server({});
    const peer = await rawPeer(addr.url);
    const sessionP = once(server, 'session');
    peer.send(control.build.hello({ sid, resume: false, rx: 0 }) + '\n');
    const s = await sessionP;
    const [welcome] = await peer.next();
    peer.cred = welcome.cred; // the resume credential of this plaintext session
    const errs = [];
    const got = [];
    s.on('error', (e) => errs.push(e.code));
    s.on('message', (m) => got.push(pick(m)));
    return { server, addr, peer, s, errs, got };
  }

  const seqs = (events) => events.map((e) => e.seq);

  /** An encrypted pair; `events` server events sent and delivered first. */
  async function securePair(events = 3) {
    const p = await pair({ encryption: 'required' }, { encryption: true });
    for (let i = 1; i <= events; i++) await p.s.send({ type: 'stdout', payload: { chunk: `${i}` } });
    await until(() => p.got.length === events, 'first events');
    return p;
  }

  /** Sends server events from..to and waits until the client has all `total` in order. */
  async function sendAndSettle(p, from, to) {
    for (let i = from; i <= to; i++) await p.s.send({ type: 'stdout', payload: { chunk: `${i}` } });
    await until(() => p.got.length >= to && p.c.state === 'connected', `events up to ${to}`);
    assert.deepStrictEqual(seqs(p.got), range(1, to), 'every event once, in order');
    assert.deepStrictEqual(
      p.got.map((e) => e.payload.chunk),
      range(1, to).map(String),
    );
  }

  describe('malformed JSON line', () => {
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

  describe('invalid UTF-8', () => {
    it('wire: a client message with invalid UTF-8 (binary frame) arrives once with U+FFFD; the session goes on', async () => {
      const { peer, s, got } = await rawSession('s_utf8');
      peer.send(Buffer.concat([Buffer.from(`${control.build.batch(1)}\n{"n":"x`), Buffer.from([0xff]), Buffer.from(`"}\n{"n":"ok"}\n`)]));
      await until(() => got.length === 2, 'both messages');
      assert.deepStrictEqual(got, [{ n: 'x\ufffd' }, { n: 'ok' }]);
      assert.strictEqual(s.lastClientSeq, 2);
      peer.close();
    });
  });

  describe('a line over the cap (maxLineBytes)', () => {
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
      const { addr } = await ctx.h.server({ maxPayload: 4096 });
      const peer = await rawPeer(addr.url);
      peer.send(control.build.hello({ sid: 's_big', resume: false, rx: 0 }) + '\n');
      assert.strictEqual((await peer.next())[0].t, 'welcome');
      peer.send(`${control.build.batch(1)}\n{"pad":"${'z'.repeat(5000)}"}\n`);
      assert.strictEqual((await peer.closed).code, 1009);
      const c = ctx.h.client({ url: addr.url, reconnect: FAST });
      await c.connect();
      await c.send({ n: 1 });
      await c.flush();
    });
  });

  describe('a tampered envelope', () => {
    it("wire (server -> client): 'error' ENCRYPTION_DECRYPTION_FAILED, the client resumes and gets the genuine event: every event once, in order", async () => {
      const p = await securePair(3);
      tap(p.s.link.transport, rewriteLineOnce((v) => v.seq === 4, flipCiphertext));
      await sendAndSettle(p, 4, 8);
      assert.deepStrictEqual(p.errors.map((e) => [e.code, e.seq]), [['ENCRYPTION_DECRYPTION_FAILED', 4]]);
      assert.strictEqual(p.c.reconnects, 1);
    });

    it("wire (client -> server): session 'error' ENCRYPTION_DECRYPTION_FAILED, the client resends the genuine message: every message once, in order", async () => {
      const p = await securePair(0);
      tap(p.c._transport, rewriteLineOnce((v) => v.type === 'enc', flipCiphertext));
      for (let n = 1; n <= 5; n++) await p.c.send({ n });
      await p.c.flush();
      assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1, 2, 3, 4, 5]);
      assert.deepStrictEqual(p.sessionErrors.map((e) => [e.code, e.seq]), [['ENCRYPTION_DECRYPTION_FAILED', 1]]);
      assert.strictEqual(p.c.reconnects, 1);
    });

    it("wire: an event tampered on every attempt fails the stream with ENCRYPTION_DECRYPTION_FAILED instead of looping; nothing after it is delivered", async () => {
      const p = await securePair(2);
      const retap = () => tap(p.s.link.transport, rewriteLineOnce((v) => v.seq === 3, flipCiphertext));
      retap();
      p.s.on('connect', retap);
      const failed = once(p.c, 'failed');
      for (let i = 3; i <= 5; i++) p.s.send({ type: 'stdout', payload: { chunk: `${i}` } }).catch(() => {});
      const f = await failed;
      assert.strictEqual(f.code, 'ENCRYPTION_DECRYPTION_FAILED');
      assert.deepStrictEqual(seqs(p.got), [1, 2]);
      assert.strictEqual(p.errors.length, 3);
      assert.strictEqual(p.c.state, 'failed');
    });
  });

  describe('a truncated envelope', () => {
    it('wire: a short ciphertext (ENCRYPTION_DECRYPTION_FAILED) and a cut line (ERR_STREAM_BAD_LINE) are refused; every event once, in order', async () => {
      const p = await securePair(2);
      tap(p.s.link.transport, rewriteLineOnce((v) => v.seq === 3, (line) => truncateCiphertext(line)));
      await sendAndSettle(p, 3, 4);
      tap(p.s.link.transport, rewriteLineOnce((v) => v.seq === 5, (line) => line.slice(0, 60)));
      await sendAndSettle(p, 5, 7);
      assert.deepStrictEqual(p.errors.map((e) => e.code), ['ENCRYPTION_DECRYPTION_FAILED', 'ERR_STREAM_BAD_LINE']);
      assert.strictEqual(p.c.reconnects, 2);
    });
  });

  describe('a replayed envelope', () => {
    it('wire: an old envelope replayed under its own seq is dropped as a duplicate, silently; nothing delivered twice', async () => {
      const p = await securePair(3);
      const t = tap(p.s.link.transport);
      await sendAndSettle(p, 4, 4);
      const old = t.lines.find((l) => l.includes('"seq":4,'));
      t.inject(old + '\n');
      await sendAndSettle(p, 5, 6);
      assert.strictEqual(p.c.stats.duplicates, 1);
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.c.reconnects, 0);
    });

    it("wire: an old envelope replayed under the next seq is 'error' ENCRYPTION_NONCE_REUSE (err.replay); the genuine event follows: once, in order", async () => {
      const p = await securePair(3);
      const t = tap(p.s.link.transport);
      await sendAndSettle(p, 4, 5);
      const old = t.lines.find((l) => l.includes('"seq":4,'));
      t.inject(old.replace('"seq":4,', '"seq":6,') + '\n'); // the outer seq is not authenticated
      await until(() => p.errors.length === 1, 'the replay is reported');
      await sendAndSettle(p, 6, 8);
      assert.deepStrictEqual(p.errors.map((e) => [e.code, e.replay, e.seq]), [['ENCRYPTION_NONCE_REUSE', true, 6]]);
    });

    it("wire (client -> server): a replayed client envelope is session 'error' ENCRYPTION_NONCE_REUSE; every message once, in order", async () => {
      const p = await securePair(0);
      const t = tap(p.c._transport);
      await p.c.send({ n: 1 });
      await p.c.send({ n: 2 });
      await p.c.flush();
      const old = t.lines.find((l) => l.includes('"type":"enc"'));
      t.inject(`${control.build.batch(3)}\n${old}\n`);
      await until(() => p.sessionErrors.length === 1, 'the replay is reported');
      for (let n = 3; n <= 5; n++) await p.c.send({ n });
      await p.c.flush();
      assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1, 2, 3, 4, 5]);
      assert.deepStrictEqual(p.sessionErrors.map((e) => [e.code, e.seq]), [['ENCRYPTION_NONCE_REUSE', 3]]);
    });
  });

  describe('a wrong key', () => {
    it('wire: an envelope sealed with another key under the next seq is refused (ENCRYPTION_DECRYPTION_FAILED); every event once, in order', async () => {
      const p = await securePair(2);
      const forger = createEnvelopeCipher({ key: Buffer.alloc(32, 1), sessionId: p.s.id, kid: p.s.channel.kid });
      tap(p.s.link.transport).inject(forger.seal({ protocolVersion: 2, sessionId: p.s.id, seq: 3, type: 'stdout', payload: { chunk: 'forged' } }) + '\n');
      await until(() => p.errors.length === 1, 'the forged envelope is reported');
      await sendAndSettle(p, 3, 5);
      assert.deepStrictEqual(p.errors.map((e) => [e.code, e.seq]), [['ENCRYPTION_DECRYPTION_FAILED', 3]]);
    });
  });

  describe('an invalid public key (handshake)', () => {
    it("wire (client hello): reject ENCRYPTION_INVALID_PUBLIC_KEY, the socket closes; the server keeps serving encrypted clients", async () => {
      const { server, addr } = await ctx.h.server({ encryption: 'required' });
      const peer = await rawPeer(addr.url);
      const enc = { protocolVersion: 2, clientEphemeralPubKeyB64: offCurvePublicKey(), curve: 'P-256', supportedAlgorithms: ['AES-GCM-256'] };
      peer.send(control.build.hello({ sid: 's_badkey', resume: false, rx: 0, enc }) + '\n');
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code], ['reject', 'ENCRYPTION_INVALID_PUBLIC_KEY']);
      assert.strictEqual((await peer.closed).code, 4400);
      assert.strictEqual(server.getSession('s_badkey'), undefined);
      const got = [];
      const sessionP = once(server, 'session');
      const c = ctx.h.client({ url: addr.url, encryption: true, reconnect: FAST, onMessage: (m) => got.push(m.seq) });
      await c.connect();
      await (await sessionP).send({ type: 'stdout', payload: { chunk: 'ok' } });
      await until(() => got.length === 1, 'event');
    });

    it("wire (server hello): the client fails with ENCRYPTION_INVALID_PUBLIC_KEY, without retrying and without sending plaintext", async () => {
      const { WebSocketServer } = require('ws');
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      ctx.h.add({ close: () => new Promise((r) => wss.close(() => r())) });
      await onceEvent(wss, 'listening');
      const received = [];
      wss.on('connection', (ws) => {
        ws.on('message', (data) => {
          received.push(String(data));
          const enc = { protocolVersion: 2, serverEphemeralPubKeyB64: offCurvePublicKey(), curve: 'P-256', selectedAlgorithm: 'AES-GCM-256', kdf: 'HKDF-SHA-256', keyId: 'k_1' };
          ws.send(control.build.welcome({ sid: 's_fake', resumed: false, rx: 0, hb: 15000, enc, first: 1, next: 1 }) + '\n');
        });
      });
      const c = ctx.h.client({ url: `ws://127.0.0.1:${wss.address().port}`, encryption: true, reconnect: FAST });
      const failed = once(c, 'failed');
      await c.send({ secret: 1 }); // accepted: it waits for the keys
      await assert.rejects(c.connect(), { code: 'ENCRYPTION_INVALID_PUBLIC_KEY' });
      assert.strictEqual((await failed).code, 'ENCRYPTION_INVALID_PUBLIC_KEY');
      assert.strictEqual(c.pending, 1, 'the message is kept, never sent in plaintext');
      await assert.rejects(c.flush(), { code: 'ENCRYPTION_INVALID_PUBLIC_KEY' });
      assert.strictEqual(received.length, 1, 'only the hello went out');
      assert.ok(!received[0].includes('secret'));
      assert.strictEqual(c.retryCount, 0);
    });
  });

  describe('an unknown control frame', () => {
    it("wire (server -> client), an unknown t of the current version: ignored and counted (stats.unknownControl), no error, no reconnect; every event once, in order", async () => {
      const p = await pair();
      for (let i = 1; i <= 2; i++) await p.s.send({ type: 'stdout', payload: { chunk: `${i}` } });
      await until(() => p.got.length === 2, 'first events');
      tap(p.s.link.transport).inject('{"$esn":2,"t":"zzz","x":1}\n');
      await sendAndSettle(p, 3, 6);
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.c.stats.unknownControl, 1);
      assert.strictEqual(p.c.reconnects, 0);
    });

    it('wire (client -> server), an unknown t of the current version: ignored and counted, the connection stays; every message once, in order', async () => {
      const { peer, s, errs, got } = await rawSession('s_ctl', (m) => m.n);
      peer.send(`${control.build.batch(1)}\n{"n":1}\n{"$esn":2,"t":"zzz","x":1}\n${control.build.batch(2)}\n{"n":2}\n`);
      await until(() => got.length === 2, 'both messages');
      assert.deepStrictEqual(got, [1, 2]);
      assert.deepStrictEqual(errs, []);
      assert.strictEqual(s.link.stats.unknownControl, 1);
      assert.strictEqual(s.link.transport !== null, true, 'still connected');
      peer.close();
    });

    for (const [what, frame] of [['a future version', '{"$esn":3,"t":"ack","s":1}']]) {
      it(`wire (server -> client), ${what}: 'error' ERR_STREAM_CONTROL, the client resumes; every event once, in order`, async () => {
        const p = await pair();
        for (let i = 1; i <= 2; i++) await p.s.send({ type: 'stdout', payload: { chunk: `${i}` } });
        await until(() => p.got.length === 2, 'first events');
        tap(p.s.link.transport).inject(frame + '\n');
        await sendAndSettle(p, 3, 6);
        assert.deepStrictEqual(p.errors.map((e) => e.code), ['ERR_STREAM_CONTROL']);
        assert.match(p.errors[0].message, /bad control frame/);
        assert.strictEqual(p.c.reconnects, 1);
      });

      it(`wire (client -> server), ${what}: session 'error' ERR_STREAM_CONTROL, connection dropped, the session stays resumable`, async () => {
        const { addr, peer, errs, got } = await rawSession('s_ctl', (m) => m.n);
        peer.send(`${control.build.batch(1)}\n{"n":1}\n${frame}\n`);
        await peer.closed;
        assert.deepStrictEqual(errs, ['ERR_STREAM_CONTROL']);
        const again = await rawPeer(addr.url);
        await resumeHello(again, { sid: 's_ctl', cred: peer.cred, rx: 0 });
        const [w] = await again.next();
        assert.deepStrictEqual([w.t, w.resumed, w.rx], ['welcome', true, 1]);
        again.send(`${control.build.batch(1)}\n{"n":1}\n{"n":2}\n`); // 1 is resent: dropped as a duplicate
        await until(() => got.length === 2, 'message 2');
        assert.deepStrictEqual(got, [1, 2]);
        again.close();
      });
    }

    it('wire: a hello of another version is rejected with UNSUPPORTED_VERSION naming the version; the server keeps serving', async () => {
      const { addr } = await ctx.h.server({});
      const peer = await rawPeer(addr.url);
      peer.send('{"$esn":3,"t":"hello","sid":null,"resume":false,"rx":0}\n');
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code], ['reject', 'UNSUPPORTED_VERSION']);
      assert.match(f.message, /control version 3 is not supported/);
      await peer.closed;
      const c = ctx.h.client({ url: addr.url, reconnect: FAST });
      await c.connect();
    });
  });

  describe('a resume from an unknown session', () => {
    it('wire (raw hello): reject SESSION_AUTH_FAILED (as for a bad proof), close 4400; no session is created', async () => {
      const { server, addr } = await ctx.h.server({});
      const peer = await rawPeer(addr.url);
      await resumeHello(peer, { sid: 's_nope', cred: 'A'.repeat(43), rx: 7 });
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code, f.message], ['reject', 'SESSION_AUTH_FAILED', 'session resume refused']);
      assert.strictEqual((await peer.closed).code, 4400);
      assert.strictEqual(server.sessions.size, 0);
    });

    it("ReconnectingStream after a server restart: 'failed' SESSION_AUTH_FAILED (no retry loop), unacknowledged messages kept; other clients unaffected", async () => {
      const port = await freePort();
      const a = ctx.h.add(new StreamServer({ port }));
      await a.listen();
      const c = ctx.h.client({ url: `ws://127.0.0.1:${port}`, reconnect: FAST });
      const states = [];
      c.on('stateChange', (st) => states.push(st));
      await c.connect();
      const failed = once(c, 'failed');
      await a.close();
      const b = ctx.h.add(new StreamServer({ port }));
      await b.listen();
      await c.send({ n: 1 });
      const f = await failed;
      assert.strictEqual(f.code, 'SESSION_AUTH_FAILED');
      assert.match(f.reason, /does not know it/);
      assert.strictEqual(c.pending, 1, 'the message is not lost silently: still pending');
      await assert.rejects(c.send({ n: 2 }), { code: 'SESSION_AUTH_FAILED' });
      assert.strictEqual(states.filter((s) => s === 'failed').length, 1);
      const sessionP = once(b, 'session');
      const other = ctx.h.client({ url: `ws://127.0.0.1:${port}`, reconnect: FAST });
      await other.connect();
      const got = [];
      (await sessionP).on('message', (m) => got.push(m.n));
      await other.send({ n: 'fresh' });
      await other.flush();
      assert.deepStrictEqual(got, ['fresh']);
    });

    it("HTTP: GET /sessions/:unknown/stream is 403 with a SESSION_AUTH_FAILED reject line; ReconnectingStream over http fails with SESSION_AUTH_FAILED", async () => {
      const { addr } = await ctx.h.server({});
      const cred = 'A'.repeat(43);
      const res = await fetch(`${addr.httpUrl}/sessions/s_nope/stream?fromSeq=1`, { headers: { 'x-esn-credential': cred } });
      assert.strictEqual(res.status, 403);
      const f = JSON.parse((await res.text()).split('\n')[0]);
      assert.deepStrictEqual([f.t, f.code], ['reject', 'SESSION_AUTH_FAILED']);
      const c = ctx.h.client({ url: addr.httpUrl, sessionId: 's_nope', credential: cred, reconnect: FAST });
      await assert.rejects(c.connect(), { code: 'SESSION_AUTH_FAILED' });
      assert.strictEqual(c.state, 'failed');
    });
  });

  describe('a client that never reads', () => {
    it('server: session.send() waits (bytes held <= maxOutboxBytes); other sessions are unaffected; once the client reads, every event once, in order', async () => {
      const LIMIT = 64 * 1024;
      const { server, addr } = await ctx.h.server({ maxOutboxBytes: LIMIT, highWaterMark: 16 * 1024 });
      const mk = async () => {
        const sessionP = once(server, 'session');
        const got = [];
        const c = ctx.h.client({ url: addr.url, reconnect: FAST, onMessage: (m) => got.push(m.seq) });
        await c.connect();
        return { c, got, s: await sessionP };
      };
      const stuck = await mk();
      const healthy = await mk();
      const socket = stuck.c._transport.ws._socket;
      socket.pause(); // the client stops reading
      const N = 2000;
      const chunk = 'x'.repeat(1000);
      let produced = 0;
      let maxHeld = 0;
      const producer = (async () => {
        for (let i = 0; i < N; i++) {
          await stuck.s.send({ type: 'stdout', payload: { chunk } });
          produced++;
          maxHeld = Math.max(maxHeld, stuck.s.bufferedBytes);
        }
      })();
      // the other session runs its full course while the first one is stuck
      for (let i = 0; i < 300; i++) await healthy.s.send({ type: 'stdout', payload: { chunk: 'h' } });
      await until(() => healthy.got.length === 300, 'the healthy session');
      assert.deepStrictEqual(healthy.got, range(1, 300));
      assert.ok(produced < N, `the producer was not held back (${produced} of ${N} accepted)`);
      assert.ok(stuck.s.bufferedBytes <= LIMIT + 1200, `held ${stuck.s.bufferedBytes} bytes`);
      socket.resume();
      await producer;
      await until(() => stuck.got.length === N, 'the stuck session catches up');
      assert.deepStrictEqual(stuck.got, range(1, N));
      assert.ok(maxHeld <= LIMIT + 1200, `held up to ${maxHeld} bytes`);
      assert.strictEqual(stuck.c.reconnects, 0);
    });

    it('server, FakeClock: a client that neither reads nor answers is declared dead by the heartbeat, then expires; blocked sends reject with ERR_SESSION_EXPIRED', async () => {
      const { FakeClock } = require('../helpers/fake-clock');
      const { Session, SERVER_DEFAULTS } = require('../../lib/server');
      const clock = new FakeClock(1000).install();
      try {
        const forgotten = [];
        const fakeServer = { _forget: (x) => forgotten.push(x.id) };
        const opts = { ...SERVER_DEFAULTS, maxOutboxBytes: 4096, highWaterMark: 1024, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 2500, sessionTtlMs: 5000 };
        const written = [];
        const transport = {
          kind: 'ws',
          bufferedAmount: 0,
          terminated: false,
          send(text) {
            written.push(text); // never acknowledged by the kernel: the peer does not read
            this.bufferedAmount += text.length;
          },
          close() {},
          terminate() {
            this.terminated = true;
          },
        };
        const s = new Session(fakeServer, 's_dead', opts, null);
        const events = [];
        s.on('disconnect', (r) => events.push(['disconnect', r]));
        s.on('close', (e) => events.push(['close', e && e.code]));
        s._attach(transport, 0);
        const results = [];
        for (let i = 0; i < 20; i++) s.send({ type: 'stdout', payload: { chunk: 'y'.repeat(500) } }).then(() => results.push('ok'), (e) => results.push(e.code));
        await turn(); // the Link writes on the next turn
        await turn();
        assert.ok(written.length > 0);
        assert.ok(results.length < 20, 'some sends wait for room');
        assert.ok(s.bufferedBytes <= 20 * 600);
        clock.tick(2999);
        assert.strictEqual(transport.terminated, false);
        clock.tick(1); // 3 intervals without a byte from the peer (timeout 2500 ms)
        assert.strictEqual(transport.terminated, true);
        assert.strictEqual(s.connected, false);
        assert.match(events[0][1], /no data or heartbeat from the peer for 2500 ms/);
        clock.tick(5000);
        await turn();
        assert.deepStrictEqual(events.map((e) => e[0]), ['disconnect', 'close']);
        assert.strictEqual(events[1][1], 'ERR_SESSION_EXPIRED');
        assert.deepStrictEqual(forgotten, ['s_dead']);
        assert.strictEqual(results.length, 20, 'every send settled');
        assert.ok(results.includes('ERR_SESSION_EXPIRED'));
        assert.deepStrictEqual(results.filter((r) => r !== 'ok' && r !== 'ERR_SESSION_EXPIRED'), []);
      } finally {
        clock.uninstall();
      }
    });

    it('server: a producer that does not await is bounded by maxReplayEvents; a resume past it reports an explicit gap, the rest arrives once', async () => {
      const { server, addr } = await ctx.h.server({ maxReplayEvents: 50 });
      const { proxy, addr: px } = await ctx.h.proxy({ target: { port: addr.port } });
      const sessionP = once(server, 'session');
      const got = [];
      const gaps = [];
      const c = ctx.h.client({ url: px.url, reconnect: FAST, onMessage: (m) => got.push(m.seq), onGap: (g) => gaps.push(g) });
      await c.connect();
      const s = await sessionP;
      proxy.refuse();
      proxy.cutAll(); // the client is gone: nothing is read
      await until(() => !s.connected, 'the server sees the drop');
      for (let i = 0; i < 200; i++) s.send({ type: 'stdout', payload: { chunk: 'z' } }).catch(() => {});
      assert.strictEqual(s.stats.held, 50);
      proxy.accept();
      await until(() => got.length === 50 && gaps.length === 1, 'the held events');
      assert.deepStrictEqual(gaps, [{ from: 1, to: 150, count: 150, reason: 'replay_overflow' }]);
      assert.deepStrictEqual(got, range(151, 200));
    });
  });
});
