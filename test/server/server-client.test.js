'use strict';
// StreamServer + ReconnectingStream on loopback: sessions, resume, gaps,
// retries, heartbeats, close(), server restart, encryption modes, HTTP.

const assert = require('node:assert');
const { Harness, until, freePort, once, StreamServer, ReconnectingStream } = require('../helpers/stream-harness');
const { FakeClock } = require('../helpers/fake-clock');
const control = require('../../lib/protocol/control');

describe('StreamServer + ReconnectingStream', function () {
  this.timeout(10000);
  let h;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  it('opens a session, fills protocolVersion/sessionId/seq, delivers both ways', async () => {
    const { server, addr } = await h.server({});
    const fromClient = [];
    const sessionP = once(server, 'session');
    const got = [];
    const c = h.client({ url: addr.url, sessionId: 's_demo1', onMessage: (m) => got.push(m) });
    await c.connect();
    const s = await sessionP;
    assert.strictEqual(s.id, 's_demo1');
    assert.strictEqual(c.sessionId, 's_demo1');
    assert.strictEqual(c.state, 'connected');
    s.on('message', (m) => fromClient.push(m));
    await s.send({ type: 'stdout', payload: { chunk: 'hi' } });
    await s.send({ protocolVersion: 1, type: 'log', payload: { level: 'info', message: 'm' } });
    await c.send({ type: 'cancel', payload: {} });
    await until(() => got.length === 2 && fromClient.length === 1, 'delivery');
    assert.deepStrictEqual(got[0], { protocolVersion: 2, sessionId: 's_demo1', seq: 1, type: 'stdout', payload: { chunk: 'hi' } });
    assert.strictEqual(got[1].protocolVersion, 1);
    assert.strictEqual(got[1].seq, 2);
    assert.strictEqual(c.lastSeq, 2);
    assert.deepStrictEqual(fromClient[0], { type: 'cancel', payload: {} });
    await c.flush();
    assert.strictEqual(c.pending, 0);
  });

  it('generates a session id when the client gives none', async () => {
    const { addr } = await h.server({});
    const c = h.client({ url: addr.url });
    await c.connect();
    assert.match(c.sessionId, /^s_[0-9a-f-]{36}$/);
  });

  it('resumes after a drop: replays unacked events, resends unacked messages, no duplicates', async () => {
    const { server, addr } = await h.server({});
    const { proxy, addr: p } = await h.proxy({ target: { port: addr.port } });
    const got = [];
    const fromClient = [];
    const sessionP = once(server, 'session');
    const events = [];
    const c = h.client({ url: p.url, reconnect: { initialDelay: 5, maxDelay: 20 }, onMessage: (m) => got.push(m.seq) });
    c.on('retry', (e) => events.push(['retry', e.attempt]));
    c.on('reconnect', () => events.push(['reconnect']));
    await c.connect();
    const s = await sessionP;
    s.on('message', (m) => fromClient.push(m.n));
    for (let i = 0; i < 10; i++) await s.send({ type: 'stdout', payload: { chunk: String(i) } });
    await until(() => got.length === 10, 'first 10');
    proxy.refuse();
    proxy.cutAll();
    await until(() => c.state === 'reconnecting' || c.state === 'connecting', 'drop seen');
    // while disconnected: both sides keep sending
    const pendingSends = [];
    for (let i = 10; i < 20; i++) pendingSends.push(s.send({ type: 'stdout', payload: { chunk: String(i) } }));
    for (let i = 0; i < 5; i++) pendingSends.push(c.send({ n: i }));
    proxy.accept();
    await until(() => got.length === 20 && fromClient.length === 5, 'resume delivery');
    await Promise.all(pendingSends);
    assert.deepStrictEqual(got, Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepStrictEqual(fromClient, [0, 1, 2, 3, 4]);
    assert.ok(c.reconnects >= 1);
    assert.deepStrictEqual(events[0], ['retry', 1]);
    assert.ok(events.some((e) => e[0] === 'reconnect'));
  });

  it('reports an explicit gap when the resume point is no longer held (replay overflow)', async () => {
    const { server, addr } = await h.server({ maxReplayEvents: 100 });
    const { proxy, addr: p } = await h.proxy({ target: { port: addr.port } });
    const got = [];
    const gaps = [];
    const sessionP = once(server, 'session');
    const c = h.client({ url: p.url, reconnect: { initialDelay: 5, maxDelay: 20 }, onMessage: (m) => got.push(m.seq), onGap: (g) => gaps.push(g) });
    await c.connect();
    const s = await sessionP;
    for (let i = 0; i < 50; i++) await s.send({ type: 'stdout', payload: { chunk: 'a' } });
    await until(() => got.length === 50, '50 events');
    await c.flush();
    await until(() => s.link.outbox.acked === 50, "the client's ack of seq 50 at the server");
    proxy.refuse();
    proxy.cutAll();
    for (let i = 0; i < 500; i++) s.send({ type: 'stdout', payload: { chunk: 'b' } }).catch(() => {});
    proxy.accept();
    await until(() => got.length === 150, 'the held events', 5000);
    assert.deepStrictEqual(gaps, [{ from: 51, to: 450, count: 400, reason: 'replay_overflow' }]);
    assert.strictEqual(got[50], 451);
    assert.strictEqual(got[149], 550);
    assert.strictEqual(c.lastSeq, 550);
    assert.strictEqual(s.stats.gaps, 1);
  });

  it("enters 'failed' after maxAttempts against a closed port and says why", async () => {
    const port = await freePort();
    const retries = [];
    const states = [];
    const c = h.client({
      url: `ws://127.0.0.1:${port}`,
      reconnect: { maxAttempts: 3, initialDelay: 2, maxDelay: 10 },
      onReconnect: (attempt, delay) => retries.push([attempt, delay]),
      onStateChange: (st) => states.push(st),
    });
    const failed = once(c, 'failed');
    await assert.rejects(c.connect(), (err) => err.code === 'ERR_STREAM_RETRIES_EXHAUSTED' && /ECONNREFUSED|closed/.test(err.message));
    const f = await failed;
    assert.strictEqual(c.state, 'failed');
    assert.strictEqual(f.code, 'ERR_STREAM_RETRIES_EXHAUSTED');
    assert.deepStrictEqual(
      retries.map((r) => r[0]),
      [1, 2, 3],
    );
    for (const [, d] of retries) assert.ok(d >= 0 && d <= 13);
    assert.deepStrictEqual(states, ['connecting', 'reconnecting', 'connecting', 'reconnecting', 'connecting', 'reconnecting', 'connecting', 'failed']);
    await assert.rejects(c.send({}), { code: 'ERR_STREAM_RETRIES_EXHAUSTED' });
  });

  it('close() during a pending retry is final and cancels the retry', async () => {
    const port = await freePort();
    // the retry delay runs on a fake clock: moving it past the delay shows the retry was cancelled
    const clock = new FakeClock(Date.now()).install();
    let c;
    let started = 0;
    let connectP;
    try {
      c = h.client({ url: `ws://127.0.0.1:${port}`, reconnect: { maxAttempts: 5, initialDelay: 40, jitter: false } });
      c.on('retryStarted', () => started++);
      connectP = c.connect();
      await once(c, 'retry');
      assert.strictEqual(c.state, 'reconnecting');
      await c.close();
      await assert.rejects(connectP, { code: 'ERR_STREAM_CLOSED' });
      assert.strictEqual(c.state, 'closed');
      clock.tick(10000);
    } finally {
      clock.uninstall();
    }
    assert.strictEqual(started, 0);
    assert.strictEqual(c.state, 'closed');
    await assert.rejects(c.send({}), { code: 'ERR_STREAM_CLOSED' });
    await assert.rejects(c.connect(), { code: 'ERR_STREAM_CLOSED' });
  });

  it('a missed heartbeat makes the client reconnect', async () => {
    const { server, addr } = await h.server({ heartbeatIntervalMs: 40, heartbeatTimeoutMs: 60000 });
    const { proxy, addr: p } = await h.proxy({ target: { port: addr.port } });
    const got = [];
    const sessionP = once(server, 'session');
    const c = h.client({ url: p.url, reconnect: { initialDelay: 5, maxDelay: 10 }, onMessage: (m) => got.push(m.seq) });
    await c.connect();
    const s = await sessionP;
    const disconnected = once(c, 'disconnected');
    proxy.stall(); // the path goes silent; no socket closes
    const d = await disconnected;
    assert.match(d.reason, /heartbeat/);
    proxy.unstall();
    await once(c, 'reconnect');
    await s.send({ type: 'stdout', payload: { chunk: 'after' } });
    await until(() => got.length === 1, 'event after reconnect');
  });

  it('a server restart (session unknown) is reported instead of hanging', async () => {
    const port = await freePort();
    const a = h.add(new StreamServer({ port }));
    await a.listen();
    const c = h.client({ url: `ws://127.0.0.1:${port}`, reconnect: { maxAttempts: 50, initialDelay: 5, maxDelay: 20 } });
    await c.connect();
    const failed = once(c, 'failed');
    await a.close();
    const b = h.add(new StreamServer({ port }));
    await b.listen();
    await c.send({ n: 1 }); // accepted into the outbox; never acknowledged
    const flushed = c.flush();
    const f = await failed;
    // unknown session and failed proof look the same to a peer (docs/PROTOCOL.md §6)
    assert.strictEqual(f.code, control.RejectCode.SessionAuthFailed);
    assert.match(f.reason, /does not know it/);
    assert.strictEqual(c.state, 'failed');
    await assert.rejects(flushed, { code: control.RejectCode.SessionAuthFailed });
    assert.strictEqual(c.pending, 1);
  });

  describe('encryption', () => {
    it('required on both ends: messages travel as envelopes, keys survive a resume', async () => {
      const { server, addr } = await h.server({ encryption: 'required' });
      const { proxy, addr: p } = await h.proxy({ target: { port: addr.port } });
      const sessionP = once(server, 'session');
      const got = [];
      const fromClient = [];
      const c = h.client({ url: p.url, encryption: true, reconnect: { initialDelay: 5 }, onMessage: (m) => got.push(m) });
      const early = c.send({ n: 0 }); // before the handshake: sealed once the keys exist
      await c.connect();
      const s = await sessionP;
      s.on('message', (m) => fromClient.push(m.n));
      assert.strictEqual(c.encrypted, true);
      assert.strictEqual(s.encrypted, true);
      await s.send({ type: 'stdout', payload: { chunk: 'secret' } });
      // what is held for replay is the envelope, not the plaintext
      const held = s.link.outbox.lines.filter(Boolean);
      assert.strictEqual(held.length, 1);
      assert.match(held[0], /^\{"protocolVersion":2,"sessionId":"s_[^"]+","seq":1,"type":"enc","payload":\{"kid":"k_/);
      await until(() => got.length === 1, 'first');
      proxy.cutAll();
      await once(c, 'reconnect');
      await s.send({ type: 'stdout', payload: { chunk: 'after resume' } });
      await c.send({ n: 1 });
      await early;
      await until(() => got.length === 2 && fromClient.length === 2, 'after resume');
      assert.strictEqual(got[1].payload.chunk, 'after resume');
      assert.strictEqual(got[1].seq, 2);
      assert.deepStrictEqual(fromClient, [0, 1]);
    });

    it("server 'required', client without encryption: refused with a clear code", async () => {
      const { addr } = await h.server({ encryption: 'required' });
      const c = h.client({ url: addr.url });
      await assert.rejects(c.connect(), { code: 'ENCRYPTION_REQUIRED' });
      assert.strictEqual(c.state, 'failed');
    });

    it("server 'disabled', client requiring encryption: fails instead of sending plaintext", async () => {
      const { addr } = await h.server({ encryption: 'disabled' });
      const c = h.client({ url: addr.url, encryption: 'required' });
      await assert.rejects(c.connect(), { code: 'ENCRYPTION_REQUIRED' });
    });

    it("server 'optional' follows the client", async () => {
      const { server, addr } = await h.server({ encryption: 'optional' });
      const c1 = h.client({ url: addr.url, encryption: 'optional' });
      await c1.connect();
      const c2 = h.client({ url: addr.url });
      await c2.connect();
      assert.strictEqual(c1.encrypted, true);
      assert.strictEqual(c2.encrypted, false);
      assert.strictEqual(server.getSession(c1.sessionId).encrypted, true);
      assert.strictEqual(server.getSession(c2.sessionId).encrypted, false);
    });
  });

  describe('HTTP transport (GET /sessions/:id/stream?fromSeq=N)', () => {
    it('serves a session as NDJSON from a sequence number', async () => {
      const { server, addr } = await h.server({});
      const s = server.createSession('s_http0');
      for (let i = 0; i < 5; i++) s.send({ type: 'stdout', payload: { chunk: String(i) } });
      const ac = new AbortController();
      const headers = { 'x-esn-credential': s.credential };
      const res = await fetch(`${addr.httpUrl}/sessions/s_http0/stream?fromSeq=3`, { signal: ac.signal, headers });
      assert.strictEqual(res.status, 200);
      assert.match(res.headers.get('content-type'), /ndjson/);
      const reader = res.body.getReader();
      let text = '';
      while (text.split('\n').filter((l) => l.startsWith('{"protocolVersion"')).length < 3) text += Buffer.from((await reader.read()).value).toString();
      ac.abort();
      const seqs = text
        .split('\n')
        .filter((l) => l.startsWith('{"protocolVersion"'))
        .map((l) => JSON.parse(l).seq);
      assert.deepStrictEqual(seqs, [3, 4, 5]);
      // unknown session, no credential, wrong credential: one answer
      for (const [path, hdrs] of [
        ['s_nope', headers],
        ['s_http0', {}],
        ['s_http0', { 'x-esn-credential': 'A'.repeat(43) }],
      ]) {
        const r = await fetch(`${addr.httpUrl}/sessions/${path}/stream`, { headers: hdrs });
        assert.strictEqual(r.status, 403);
        assert.deepStrictEqual(await r.json(), { $esn: 2, t: 'reject', code: 'SESSION_AUTH_FAILED', message: 'session resume refused' });
      }
    });

    it('ReconnectingStream over http:// resumes with fromSeq and sends with POST', async () => {
      const { server, addr } = await h.server({ heartbeatIntervalMs: 1000 });
      const s = server.createSession('s_http1');
      const fromClient = [];
      s.on('message', (m) => fromClient.push(m.n));
      for (let i = 0; i < 5; i++) s.send({ type: 'stdout', payload: { chunk: String(i) } });
      const got = [];
      const c = h.client({ url: addr.httpUrl, sessionId: 's_http1', credential: s.credential, reconnect: { initialDelay: 5 }, onMessage: (m) => got.push(m.seq) });
      await c.connect();
      await until(() => got.length === 5, 'first 5');
      await c.send({ n: 1 });
      await c.send({ n: 2 });
      await c.flush();
      s.link.transport.terminate(); // drop the stream from the server side
      for (let i = 5; i < 8; i++) s.send({ type: 'stdout', payload: { chunk: String(i) } });
      await until(() => got.length === 8, 'after resume');
      assert.deepStrictEqual(got, [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepStrictEqual(fromClient, [1, 2]);
      assert.ok(c.reconnects >= 1);
    });
  });

  it('rejects bad options and bad hellos with clear errors', async () => {
    assert.throws(() => new StreamServer({ encryption: 'sometimes' }), TypeError);
    assert.throws(() => new ReconnectingStream({ url: 'ftp://x' }), TypeError);
    assert.throws(() => new ReconnectingStream({ url: 'http://x' }), /sessionId/);
    const { addr } = await h.server({});
    const WebSocket = require('ws');
    const ws = new WebSocket(addr.url);
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d).split('\n')[0])));
    await once(ws, 'open');
    ws.send('{"not":"a hello"}\n');
    await until(() => frames.some((x) => x.t === 'reject'), 'reject');
    assert.strictEqual(frames[0].t, 'challenge');
    const f = frames.find((x) => x.t === 'reject');
    assert.strictEqual(f.t, 'reject');
    assert.strictEqual(f.code, 'BAD_HELLO');
    ws.terminate();
  });
});
