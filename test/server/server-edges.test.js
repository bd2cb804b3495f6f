'use strict';
// lib/server/index.js edges pinned (docs/MUTATION.md, lib/server run): the
// constructor's defaults (heartbeat timeout, ENCLAVE_STREAM_STORE, no
// permessage-deflate, httpRoutes on a given server), listen()/address()
// (port in use, a given server, IPv6, a Unix socket, before listening),
// createSession()'s refusals, the resume proof of a session that does not
// exist, close() (once, sessions closed with ERR_SERVER_CLOSED, a given
// server left to others, connections cut), the path option, the bound on
// connections waiting for their hello, the hello timeout, frames on a
// dropped or closing connection, the store path of a new session, the
// exact code and message of every hello refusal, and servers sharing a
// store: publish() to a session held here resolves once the event is stored,
// a new session whose id the app took while the store created it, a takeover
// that resends a stored rekey offer, concurrent takeovers (a waiting resume
// whose connection closed, a GET waiting behind a takeover that failed, an id
// the app took while the store loaded, a claim that finds no record or a
// connection that closed meanwhile), and GET/POST through the store (a bad
// fromSeq reads nothing, a client that leaves while the store loads claims
// nothing, a record that vanishes while a POST waits). Slow stores are
// test/helpers/held-store.js. Frames are NDJSON lines: each ends with "\n".

const assert = require('node:assert');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { until, once, StreamServer } = require('../helpers/stream-harness');
const { matrixHooks, rawPeer, resumeHello } = require('../helpers/bad-input');
const { MemorySessionStore } = require('../../lib/store/memory');
const { credentialKey } = require('../../lib/transport/secure');
const { mac, randomToken } = require('../../lib/crypto/hmac');
const { build } = require('../../lib/protocol/control');
const { HeldStore } = require('../helpers/held-store');
const { flushed } = require('../helpers/fake-transport');
const { openEncrypted, resumeAs } = require('../attacks/support/v2');

/** A raw WebSocket that keeps every text frame exactly as received. */
async function rawTexts(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const texts = [];
  ws.on('message', (d) => texts.push(String(d)));
  ws.on('error', () => {});
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await once(ws, 'open');
  return { ws, texts, closed };
}

/** A raw peer that opened plaintext session `sid`: the session and the peer's credential. */
async function openRaw(server, url, sid) {
  const peer = await rawPeer(url);
  const sessionP = once(server, 'session');
  peer.send(build.hello({ sid, resume: false, rx: 0 }) + '\n');
  const s = await sessionP;
  const [welcome] = await peer.next();
  return { peer, s, cred: welcome.cred };
}

/** The first frame a raw peer gets after sending `text` as its hello, and the close. */
async function refusal(url, text) {
  const peer = await rawPeer(url);
  peer.send(text);
  const [f] = await peer.next();
  return { f, close: await peer.closed };
}

/** An http.Server whose own handler answers 418 "app" to what no one else answered. */
function appServer() {
  return http.createServer((req, res) =>
    setImmediate(() => {
      if (res.headersSent) return;
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end('app');
    }),
  );
}

/** Resolves once `store` holds a record of `sid` (server.createSession() writes it asynchronously). */
async function recorded(store, sid) {
  while (!(await store.has(sid))) await flushed();
}

/** Resolves once `peer` (bad-input.js rawPeer) has been read up to here by the server: a ping's pong. */
function readUpToHere(peer) {
  const pong = once(peer.ws, 'pong');
  peer.ws.ping();
  return pong;
}

/** Resolves with the next response object of an HTTP request `server` receives (its own handler has run). */
const nextRequest = (server) => new Promise((resolve) => server.httpServer.once('request', (req, res) => resolve(res)));

const chunk = (c) => ({ type: 'stdout', payload: { chunk: c } });

const listening = (srv, ...args) => new Promise((resolve) => srv.listen(...args, () => resolve(srv.address())));
const closing = (srv) => new Promise((resolve) => srv.close(() => resolve()));

describe('StreamServer edges (lib/server/index.js)', function () {
  this.timeout(10000);
  const ctx = matrixHooks();

  describe('constructor', () => {
    it('keeps an explicit heartbeatTimeoutMs; without one it is 2.5 x the interval', () => {
      const a = ctx.h.add(new StreamServer({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 1234 }));
      const b = ctx.h.add(new StreamServer({ heartbeatIntervalMs: 1000 }));
      assert.deepStrictEqual([a.options.heartbeatTimeoutMs, b.options.heartbeatTimeoutMs], [1234, 2500]);
    });

    it('ENCLAVE_STREAM_STORE=memory gives a server without a store a private MemorySessionStore, else an embedded one', () => {
      const saved = process.env.ENCLAVE_STREAM_STORE;
      try {
        process.env.ENCLAVE_STREAM_STORE = 'memory';
        const a = ctx.h.add(new StreamServer({}));
        delete process.env.ENCLAVE_STREAM_STORE;
        const b = ctx.h.add(new StreamServer({}));
        assert.ok(a.store instanceof MemorySessionStore);
        assert.deepStrictEqual([a.store.embedded, b.store.embedded], [false, true]);
      } finally {
        if (saved === undefined) delete process.env.ENCLAVE_STREAM_STORE;
        else process.env.ENCLAVE_STREAM_STORE = saved;
      }
    });

    it('refuses permessage-deflate (compression next to encryption leaks lengths)', async () => {
      const { addr } = await ctx.h.server({});
      const ws = new WebSocket(addr.url); // the ws client offers permessage-deflate by default
      ws.on('error', () => {});
      await once(ws, 'open');
      assert.strictEqual(ws.extensions, '');
      ws.terminate();
    });

    it('httpRoutes: true serves the routes on a given server; by default a given server keeps its own requests', async () => {
      const srv = appServer();
      const { port } = await listening(srv, 0, '127.0.0.1');
      try {
        const routed = ctx.h.add(new StreamServer({ server: srv, httpRoutes: true }));
        let res = await fetch(`http://127.0.0.1:${port}/sessions/s_nope/stream`);
        assert.strictEqual(res.status, 403);
        assert.strictEqual(JSON.parse(await res.text()).code, 'SESSION_AUTH_FAILED');
        await routed.close();
        ctx.h.add(new StreamServer({ server: srv }));
        res = await fetch(`http://127.0.0.1:${port}/sessions/s_nope/stream`);
        assert.deepStrictEqual([res.status, await res.text()], [418, 'app']);
      } finally {
        srv.closeAllConnections();
        await closing(srv);
      }
    });
  });

  describe('listen() and address()', () => {
    it('address() is null before listen()', () => {
      const s = ctx.h.add(new StreamServer({}));
      assert.strictEqual(s.address(), null);
    });

    it('listen() on a port in use rejects with EADDRINUSE; a listening server keeps no error listener', async () => {
      const { server, addr } = await ctx.h.server({});
      assert.strictEqual(server.httpServer.listenerCount('error'), 0);
      const b = ctx.h.add(new StreamServer({ port: addr.port }));
      await assert.rejects(b.listen(), (err) => err.code === 'EADDRINUSE');
    });

    it('on a given, listening server listen() resolves with its address and does not listen again', async () => {
      const srv = http.createServer();
      const { port } = await listening(srv, 0, '127.0.0.1');
      try {
        const s = ctx.h.add(new StreamServer({ server: srv, path: '/ws' }));
        const a = await s.listen();
        assert.deepStrictEqual([a.port, a.url, a.httpUrl], [port, `ws://127.0.0.1:${port}/ws`, `http://127.0.0.1:${port}`]);
      } finally {
        await closing(srv);
      }
    });

    it('an IPv6 address is bracketed in url and httpUrl', async () => {
      const { addr } = await ctx.h.server({ host: '::1' });
      assert.deepStrictEqual([addr.url, addr.httpUrl], [`ws://[::1]:${addr.port}`, `http://[::1]:${addr.port}`]);
    });

    it('an IPv6 family reported as the number 6 (older Node) is bracketed too', () => {
      const srv = http.createServer();
      srv.address = () => ({ address: '::1', family: 6, port: 5 });
      const s = ctx.h.add(new StreamServer({ server: srv }));
      assert.strictEqual(s.address().url, 'ws://[::1]:5');
    });

    it('a given server on a Unix socket: address() is its path', async () => {
      const sock = path.join(os.tmpdir(), `esn-edges-${process.pid}-${randomToken(4)}.sock`);
      const srv = http.createServer();
      await listening(srv, sock);
      try {
        const s = ctx.h.add(new StreamServer({ server: srv }));
        assert.strictEqual(s.address(), sock);
        assert.strictEqual(await s.listen(), sock);
      } finally {
        await closing(srv);
      }
    });
  });

  describe('createSession()', () => {
    it("refuses on an encryption: 'required' server with ENCRYPTION_REQUIRED", () => {
      const s = ctx.h.add(new StreamServer({ encryption: 'required' }));
      assert.throws(() => s.createSession('x'), (err) => err.code === 'ENCRYPTION_REQUIRED' && /encryption is required/.test(err.message));
    });

    it('makes an s_<uuid> id when given none, canonicalises a given one, refuses a bad one, a taken one and one too many', () => {
      const s = ctx.h.add(new StreamServer({ maxSessions: 2 }));
      assert.match(s.createSession().id, /^s_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.throws(() => s.createSession('has space'), (err) => err instanceof TypeError && /1-128 printable ASCII characters, got "has space"/.test(err.message));
      assert.strictEqual(s.createSession('a').id, 's_a');
      assert.throws(() => s.createSession('s_a'), (err) => err.code === 'SESSION_EXISTS');
      assert.throws(() => s.createSession('b'), (err) => err.code === 'TOO_MANY_SESSIONS' && err.message === 'this server holds maxSessions (2) sessions');
    });

    it('with a store, the session is in the store at once', async () => {
      const store = new MemorySessionStore();
      const s = ctx.h.add(new StreamServer({ store }));
      s.createSession('stored');
      assert.strictEqual(await store.has('s_stored'), true);
    });
  });

  describe('the resume proof', () => {
    it('a resume of a session that does not exist is refused even with a proof MACed under the all-zero dummy key', async () => {
      const { server, addr } = await ctx.h.server({});
      const peer = await rawPeer(addr.url);
      const n = await peer.challenge;
      const sid = 's_ghost';
      const cn = randomToken(16);
      peer.send(build.hello({ sid, resume: true, rx: 0, cn, proof: mac(new Uint8Array(32), 'resume', sid, n, cn, 0) }) + '\n');
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code, f.message], ['reject', 'SESSION_AUTH_FAILED', 'session resume refused']);
      assert.strictEqual((await peer.closed).code, 4400);
      assert.strictEqual(server.sessions.size, 0);
    });
  });

  describe('close()', () => {
    it("runs once: one 'close' event however often it is called", async () => {
      const { server } = await ctx.h.server({});
      let closes = 0;
      server.on('close', () => closes++);
      await Promise.all([server.close(), server.close()]);
      await server.close();
      assert.strictEqual(closes, 1);
    });

    it('closes every session, connected or not, with ERR_SERVER_CLOSED', async () => {
      const { server, addr } = await ctx.h.server({});
      const { peer, s } = await openRaw(server, addr.url, 's_live');
      const idle = server.createSession('idle'); // no connection
      const reasons = [];
      s.on('close', (err) => reasons.push([err.code, err.message]));
      idle.on('close', (err) => reasons.push([err.code, err.message]));
      await server.close();
      assert.deepStrictEqual(reasons, [
        ['ERR_SERVER_CLOSED', 'server closed'],
        ['ERR_SERVER_CLOSED', 'server closed'],
      ]);
      assert.deepStrictEqual([s.closed, idle.closed, server.sessions.size], [true, true, 0]);
      await peer.closed;
    });

    it('leaves a given server listening, its upgrades and requests to whoever serves it next', async () => {
      const srv = http.createServer();
      const { port } = await listening(srv, 0, '127.0.0.1');
      try {
        const first = new StreamServer({ server: srv, httpRoutes: true });
        await first.close();
        assert.strictEqual(srv.listening, true);
        const next = ctx.h.add(new StreamServer({ server: srv, httpRoutes: true }));
        const url = `ws://127.0.0.1:${port}`;
        await openRaw(next, url, 's_next');
        const s = next.createSession('http');
        await s.send({ type: 'stdout', payload: { chunk: 'x' } });
        const res = await fetch(`http://127.0.0.1:${port}/sessions/s_http/stream`, { headers: { 'x-esn-credential': s.credential } });
        assert.strictEqual(res.status, 200);
        await res.body.cancel();
        await next.close(); // its WebSocket connections are not the http.Server's to close
      } finally {
        srv.closeAllConnections();
        await closing(srv);
      }
    });

    it("cuts the connection of an HTTP stream on a given server, even one kept alive", async () => {
      const srv = http.createServer();
      srv.keepAliveTimeout = 0; // the server itself never closes an idle connection
      const { port } = await listening(srv, 0, '127.0.0.1');
      try {
        const server = ctx.h.add(new StreamServer({ server: srv, httpRoutes: true }));
        const s = server.createSession('h');
        const sock = net.connect(port, '127.0.0.1');
        sock.on('error', () => {});
        let text = '';
        sock.on('data', (d) => {
          text += d;
        });
        const gone = once(sock, 'close');
        sock.write(`GET /sessions/s_h/stream HTTP/1.1\r\nHost: x\r\nx-esn-credential: ${s.credential}\r\n\r\n`);
        await until(() => text.startsWith('HTTP/1.1 200'), 'the stream answered');
        await server.close();
        await gone;
        assert.strictEqual(srv.listening, true);
      } finally {
        await closing(srv);
      }
    });

    it('cuts an HTTP connection that is half-way through its request', async () => {
      const { server, addr } = await ctx.h.server({});
      const accepted = once(server.httpServer, 'connection');
      const sock = net.connect(addr.port, '127.0.0.1');
      sock.on('error', () => {});
      const gone = once(sock, 'close');
      await once(sock, 'connect');
      sock.write('GET /sessions/s_x/stream HTTP/1.1\r\nHost: x\r\n'); // headers never finished
      await accepted;
      await server.close();
      await gone;
    });

    it('with a store, close() waits until what send() accepted is stored', async () => {
      const store = new MemorySessionStore();
      const { server, addr } = await ctx.h.server({ store });
      const { s } = await openRaw(server, addr.url, 's_keep');
      s.send({ type: 'stdout', payload: { chunk: 'last' } }).catch(() => {});
      await server.close();
      const rec = await store.load('s_keep');
      assert.deepStrictEqual(
        rec.events.map((e) => JSON.parse(e.line).payload.chunk),
        ['last'],
      );
    });
  });

  describe('connections', () => {
    it('path: an upgrade to another path is 404; the path with a query string is served', async () => {
      const { addr } = await ctx.h.server({ path: '/stream' });
      const base = addr.url.slice(0, -'/stream'.length);
      const ws = new WebSocket(`${base}/other`);
      const err = await once(ws, 'error');
      assert.match(err.message, /Unexpected server response: 404/);
      const ok = await rawTexts(`${base}/stream?x=1`);
      ok.ws.terminate();
    });

    it('past maxPendingHellos a connection is closed 1013 with a reason, and bad bytes on it do not crash the server', async () => {
      const { server, addr } = await ctx.h.server({ maxPendingHellos: 1 });
      const waiting = await rawTexts(addr.url); // says nothing: pending
      const extra = new WebSocket(addr.url, { perMessageDeflate: false });
      extra.on('error', () => {});
      const closed = new Promise((resolve) => extra.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
      // a frame with the reserved opcode 3: the server's receiver fails on it while the 1013 close is under way
      extra.on('open', () => extra._socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0])));
      assert.deepStrictEqual(await closed, { code: 1013, reason: 'too many connections waiting for their hello' });
      waiting.ws.terminate();
      await until(() => server.wss.clients.size === 0, 'the pending connection gone');
    });

    it('a connection that said hello and closed is counted out of maxPendingHellos once', async () => {
      const { server, addr } = await ctx.h.server({ maxPendingHellos: 1 });
      const { peer, s } = await openRaw(server, addr.url, 's_once');
      const reasons = [];
      s.on('disconnect', (r) => reasons.push(r));
      peer.close();
      await until(() => reasons.length === 1, 'disconnect');
      assert.deepStrictEqual(reasons, ['connection closed']);
      const pending = await rawTexts(addr.url); // the one allowed
      const extra = await rawTexts(addr.url);
      assert.strictEqual((await extra.closed).code, 1013);
      pending.ws.terminate();
    });

    it('a connection that sends no hello within helloTimeoutMs is rejected BAD_HELLO "no hello received"', async () => {
      const { addr } = await ctx.h.server({ helloTimeoutMs: 1 });
      const peer = await rawPeer(addr.url);
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code, f.message], ['reject', 'BAD_HELLO', 'no hello received']);
      assert.deepStrictEqual(await peer.closed, { code: 4400, reason: 'BAD_HELLO' });
    });

    it('a resume that arrives after the hello timeout rejected the connection is not served', async () => {
      const { server, addr } = await ctx.h.server({ helloTimeoutMs: 1 });
      const s = server.createSession('late');
      const resumes = [];
      server.on('resume', (x) => resumes.push(x.id));
      s.on('connect', (kind) => resumes.push(kind));
      const ws = new WebSocket(addr.url, { perMessageDeflate: false });
      ws.on('error', () => {});
      const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
      const seen = [];
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        seen.push(f.t);
        if (f.t === 'challenge') ws.nonce = f.n;
        if (f.t !== 'reject') return;
        // sent from the reject's handler: the server reads it while its 4400 close is under way
        const cn = randomToken(16);
        ws.send(build.hello({ sid: s.id, resume: true, rx: 0, cn, proof: mac(credentialKey(s.credential, s.id), 'resume', s.id, ws.nonce, cn, 0) }) + '\n');
      });
      assert.strictEqual(await closed, 4400);
      assert.deepStrictEqual(seen, ['challenge', 'reject']);
      assert.deepStrictEqual(resumes, []);
      assert.strictEqual(s.link.transport, null);
    });

    it('frames still arriving on a connection the session dropped are not read', async () => {
      const { server, addr } = await ctx.h.server({});
      const s = server.createSession('moved');
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const first = await rawPeer(addr.url);
      await resumeHello(first, { sid: s.id, cred: s.credential, rx: 0 });
      await first.next(); // welcome
      first.ws._socket.pause(); // does not see the server's close yet: still open on this side
      const second = await rawPeer(addr.url);
      await resumeHello(second, { sid: s.id, cred: s.credential, rx: 0 });
      await second.next(); // welcome: the session moved to the second connection
      first.ws.send(`${build.batch(1)}\n{"n":"stale"}\n`);
      first.ws._socket.resume();
      assert.strictEqual((await first.closed).code, 4000);
      second.send(`${build.batch(1)}\n{"n":"fresh"}\n`);
      await until(() => got.length > 0, 'a message');
      assert.deepStrictEqual(got, ['fresh']);
    });

    it('the challenge, welcome and reject frames are NDJSON lines ending in a newline', async () => {
      const { addr } = await ctx.h.server({});
      const a = await rawTexts(addr.url);
      a.ws.send(build.hello({ sid: 's_nl', resume: false, rx: 0 }) + '\n');
      await until(() => a.texts.length >= 2, 'challenge and welcome');
      const b = await rawTexts(addr.url);
      b.ws.send('nonsense\n');
      await b.closed;
      const texts = [...a.texts.slice(0, 2), ...b.texts];
      for (const text of texts) assert.ok(text.endsWith('}\n'), JSON.stringify(text));
      assert.deepStrictEqual(
        texts.map((t) => JSON.parse(t).t),
        ['challenge', 'welcome', 'challenge', 'reject'],
      );
      a.ws.terminate();
    });
  });

  describe('hello refusals: code and message', () => {
    const BAD = 'the first frame must be a hello';

    it('a first frame that is not JSON, not a control frame, or another control frame is BAD_HELLO', async () => {
      const { server, addr } = await ctx.h.server({});
      for (const text of ['not json\n', '{"t":"hello","sid":"s_x","resume":false,"rx":0}\n', '{"$esn":2,"t":"ack","s":0}\n']) {
        const { f, close } = await refusal(addr.url, text);
        assert.deepStrictEqual([f.code, f.message, close.code], ['BAD_HELLO', BAD, 4400], text);
      }
      assert.strictEqual(server.sessions.size, 0);
    });

    it('a new session with rx > 0 is RESUME_OUT_OF_RANGE', async () => {
      const { addr } = await ctx.h.server({});
      const { f } = await refusal(addr.url, build.hello({ sid: 's_new', resume: false, rx: 3 }) + '\n');
      assert.deepStrictEqual([f.code, f.message], ['RESUME_OUT_OF_RANGE', 'a new session has sent nothing: hello.rx must be 0']);
    });

    it('at maxSessions: a taken id is SESSION_EXISTS (checked first), a new one TOO_MANY_SESSIONS', async () => {
      const { server, addr } = await ctx.h.server({ maxSessions: 1 });
      await openRaw(server, addr.url, 's_a');
      let { f } = await refusal(addr.url, build.hello({ sid: 'a', resume: false, rx: 0 }) + '\n');
      assert.deepStrictEqual([f.code, f.message], ['SESSION_EXISTS', 'session s_a already exists']);
      ({ f } = await refusal(addr.url, build.hello({ sid: 's_b', resume: false, rx: 0 }) + '\n'));
      assert.deepStrictEqual([f.code, f.message], ['TOO_MANY_SESSIONS', 'this server holds its maximum number of sessions']);
    });

    it("a plaintext hello to an encryption: 'required' server is ENCRYPTION_REQUIRED", async () => {
      const { addr } = await ctx.h.server({ encryption: 'required' });
      const { f } = await refusal(addr.url, build.hello({ sid: 's_p', resume: false, rx: 0 }) + '\n');
      assert.deepStrictEqual([f.code, f.message], ['ENCRYPTION_REQUIRED', 'this server requires encryption']);
    });
  });

  describe('a new session with a store', () => {
    it('is created in the store, and its events are stored', async () => {
      const store = new MemorySessionStore();
      const { server, addr } = await ctx.h.server({ store });
      const { s } = await openRaw(server, addr.url, 's_rec');
      await s.send({ type: 'stdout', payload: { chunk: 'a' } });
      await until(() => s.link.storedSeq === 1, 'stored');
      const rec = await store.load('s_rec');
      assert.deepStrictEqual(
        rec.events.map((e) => e.seq),
        [1],
      );
    });

    it('a frame sent right behind the hello waits for the welcome, then arrives; later frames too', async () => {
      const store = new MemorySessionStore();
      const { server, addr } = await ctx.h.server({ store });
      const peer = await rawPeer(addr.url);
      const sessionP = once(server, 'session');
      const sock = peer.ws._socket;
      sock.cork(); // hello and message in one write: the server reads the message while the store creates the session
      peer.send(build.hello({ sid: 's_q', resume: false, rx: 0 }) + '\n');
      peer.send(`${build.batch(1)}\n{"n":1}\n`);
      sock.uncork();
      const s = await sessionP;
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const [welcome] = await peer.next();
      assert.strictEqual(welcome.t, 'welcome');
      await until(() => got.length === 1, 'the queued message');
      peer.send(`${build.batch(2)}\n{"n":2}\n`);
      await until(() => got.length === 2, 'the next message');
      assert.deepStrictEqual(got, [1, 2]);
    });

    it('a connection that closed while the store created its session gets none, and the record is removed', async () => {
      let release;
      const gate = new Promise((resolve) => {
        release = resolve;
      });
      let created = null;
      class GatedStore extends MemorySessionStore {
        create(...a) {
          created = gate.then(() => super.create(...a));
          return created;
        }
      }
      const store = new GatedStore();
      const { server, addr } = await ctx.h.server({ store });
      const sessions = [];
      server.on('session', (s) => sessions.push(s));
      const peer = await rawPeer(addr.url);
      peer.send(build.hello({ sid: 's_gone', resume: false, rx: 0 }) + '\n');
      await until(() => created !== null, 'store.create called');
      peer.close();
      await until(() => server.wss.clients.size === 0, 'the server saw the close');
      release();
      await created;
      await flushed();
      assert.deepStrictEqual([sessions.length, server.sessions.size, await store.has('s_gone')], [0, 0, false]);
    });
  });

  describe('servers sharing a store', () => {
    it('an event published on another server reaches the client of the server holding the session', async () => {
      const store = new MemorySessionStore();
      const { server: a, addr } = await ctx.h.server({ store });
      const { server: b } = await ctx.h.server({ store });
      const { peer } = await openRaw(a, addr.url, 's_pub');
      await b.publish('s_pub', { type: 'stdout', payload: { chunk: 'via b' } });
      let events = [];
      while (events.length === 0) events = (await peer.next()).filter((l) => l.type);
      assert.deepStrictEqual(
        events.map((l) => [l.seq, l.payload.chunk]),
        [[1, 'via b']],
      );
    });

    it('a resume on another server takes the session over: the first server lets it go at once', async () => {
      const store = new MemorySessionStore();
      const { server: a, addr } = await ctx.h.server({ store });
      const { server: b, addr: addrB } = await ctx.h.server({ store });
      const { peer, s, cred } = await openRaw(a, addr.url, 's_move');
      const reasons = [];
      s.on('close', (err) => reasons.push(err && err.code));
      const peer2 = await rawPeer(addrB.url);
      await resumeHello(peer2, { sid: 's_move', cred, rx: 0 });
      const [welcome] = await peer2.next();
      assert.deepStrictEqual([welcome.t, welcome.resumed], ['welcome', true]);
      assert.deepStrictEqual([a.getSession('s_move'), reasons], [undefined, ['ERR_SESSION_MOVED']]);
      assert.ok(b.getSession('s_move'));
      await peer.closed;
    });
  });
  describe('takeovers from the store', () => {
    /** Servers a and b on one `store`; session `sid` made on a (held there unless `closeA`); its credential. */
    async function twoServers(store, sid, { closeA = false } = {}) {
      const { server: a, addr: aa } = await ctx.h.server({ store });
      const { server: b, addr: ab } = await ctx.h.server({ store });
      const s = a.createSession(sid);
      await recorded(store, sid);
      if (closeA) await a.close();
      const log = { sessions: [], resumes: [] };
      b.on('session', (x) => log.sessions.push(x));
      b.on('resume', (x) => log.resumes.push(x));
      return { a, aa, b, ab, s, cred: s.credential, log };
    }

    it('publish() to a session held here with a store resolves only once the event is stored', async () => {
      const store = new HeldStore('append');
      const { server } = await ctx.h.server({ store });
      ctx.h.add({ close: () => store.release() }); // should an assertion fail while it is held (closed before the server)
      server.createSession('s_pub_held');
      await recorded(store, 's_pub_held');
      store.hold();
      let settled = false;
      const p = server.publish('s_pub_held', chunk('a')).then(() => {
        settled = true;
      });
      await until(() => store.calls === 1, 'the store write');
      await flushed();
      assert.strictEqual(settled, false, 'resolved before the store wrote the event');
      store.release();
      await p;
      assert.strictEqual((await store.load('s_pub_held')).nextSeq, 2);
    });

    it('a publish() made while the store writes an earlier event resolves only once its own event is stored', async () => {
      const store = new HeldStore('append');
      const { server } = await ctx.h.server({ store });
      ctx.h.add({ close: () => store.release() });
      server.createSession('s_pub_two');
      await recorded(store, 's_pub_two');
      store.hold();
      const first = server.publish('s_pub_two', chunk('a'));
      await until(() => store.calls === 1, 'the first store write');
      let settled = false;
      const second = server.publish('s_pub_two', chunk('b')).then(() => {
        settled = true;
      });
      await flushed();
      store.release();
      store.hold(); // the second write (event b) waits
      await first;
      await until(() => store.calls === 2, 'the second store write');
      await flushed();
      assert.strictEqual(settled, false, 'resolved with the write of an earlier event');
      store.release();
      await second;
      assert.strictEqual((await store.load('s_pub_two')).nextSeq, 3);
    });

    it('a new session whose id the app took while the store created it is SESSION_EXISTS naming it', async () => {
      const store = new HeldStore('create');
      const { server, addr } = await ctx.h.server({ store });
      store.hold();
      const peer = await rawPeer(addr.url);
      peer.send(build.hello({ sid: 's_taken', resume: false, rx: 0 }) + '\n');
      await until(() => store.calls === 1, 'store.create called');
      const app = server.createSession('s_taken');
      store.release();
      await until(() => peer.frames.length > 0, 'the refusal', 3000);
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code, f.message], ['reject', 'SESSION_EXISTS', 'session s_taken already exists']);
      assert.strictEqual((await peer.closed).code, 4400);
      assert.strictEqual(server.getSession('s_taken'), app);
    });

    it('an encrypted session taken over while its rekey offer waits for an answer: the new server offers the same rekey again', async () => {
      const store = new MemorySessionStore();
      const { server: a, addr: aa } = await ctx.h.server({ store, encryption: 'required' });
      const { addr: ab } = await ctx.h.server({ store, encryption: 'required' });
      const { peer, auth } = await openEncrypted(aa.url, 's_rekey_moved');
      await a.getSession('s_rekey_moved')._offerRekey(); // resolves once the offer is stored
      const offer = await peer.control('rekey');
      peer.close();
      const { peer: again, reply } = await resumeAs(ab.url, { sid: 's_rekey_moved', rx: 0, authC: auth.authC });
      assert.deepStrictEqual([reply.t, reply.resumed], ['welcome', true]);
      const resent = await again.control('rekey', 3000);
      assert.deepStrictEqual([resent.ep, resent.pub, resent.m], [offer.ep, offer.pub, offer.m]);
      again.close();
    });

    it('a resume waiting behind another takeover whose connection closes meanwhile is dropped: the session stays with the first', async () => {
      const store = new HeldStore('load');
      const { b, ab, cred, log } = await twoServers(store, 's_wait_gone', { closeA: true });
      store.hold();
      const p1 = await rawPeer(ab.url);
      await resumeHello(p1, { sid: 's_wait_gone', cred, rx: 0 });
      await until(() => store.calls === 1, 'the first takeover loading');
      const p2 = await rawPeer(ab.url);
      await resumeHello(p2, { sid: 's_wait_gone', cred, rx: 0 });
      await readUpToHere(p2); // its takeover waits for the first one
      p2.close();
      await until(() => b.wss.clients.size === 1, 'the server saw the second connection close');
      store.release();
      const [w] = await p1.next();
      assert.deepStrictEqual([w.t, w.resumed], ['welcome', true]);
      await until(() => b._claiming.size === 0, 'the takeovers over');
      await readUpToHere(p1);
      assert.deepStrictEqual([log.sessions.length, log.resumes.length, store.calls], [1, 1, 1]); // the first takeover's only
      assert.strictEqual(p1.ws.readyState, WebSocket.OPEN);
    });

    it('a GET …/stream waiting behind a takeover that failed takes the session over itself', async () => {
      const store = new HeldStore('load');
      const { b, ab, cred, log } = await twoServers(store, 's_after_fail', { closeA: true });
      store.hold();
      const p1 = await rawPeer(ab.url);
      await resumeHello(p1, { sid: 's_after_fail', cred, rx: 0 });
      await until(() => store.calls === 1, 'the first takeover loading');
      const ac = new AbortController();
      ctx.h.add({ close: () => ac.abort() });
      const requested = nextRequest(b);
      const got = fetch(`${ab.httpUrl}/sessions/s_after_fail/stream?fromSeq=1`, { signal: ac.signal, headers: { 'x-esn-credential': cred } });
      await requested; // it waits for the first takeover
      p1.close();
      await until(() => b.wss.clients.size === 0, 'the server saw the connection close');
      store.release();
      const res = await got;
      assert.strictEqual(res.status, 200);
      assert.deepStrictEqual([log.sessions.length, log.resumes.length, store.calls], [1, 1, 2]);
      assert.ok(b.getSession('s_after_fail'));
    });

    it('a session the app makes here while a takeover loads is not claimed from its holder: the resume is refused', async () => {
      const store = new HeldStore('load');
      const { a, b, ab, cred, log } = await twoServers(store, 's_app_took');
      const owner = (await store.load('s_app_took')).owner;
      store.hold();
      const peer = await rawPeer(ab.url);
      await resumeHello(peer, { sid: 's_app_took', cred, rx: 0 });
      await until(() => store.calls === 2, 'the takeover loading');
      const mine = b.createSession('s_app_took');
      store.release();
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code, f.message], ['reject', 'SESSION_AUTH_FAILED', 'session resume refused']);
      assert.strictEqual((await store.load('s_app_took')).owner, owner);
      assert.ok(a.getSession('s_app_took'), 'the holder keeps its session');
      assert.strictEqual(b.getSession('s_app_took'), mine);
      assert.strictEqual(log.sessions.length, 0);
    });

    it('a claim that finds the record gone is SESSION_AUTH_FAILED; nothing is served', async () => {
      const store = new HeldStore('claim');
      const { a, b, ab, cred, log } = await twoServers(store, 's_claim_gone');
      store.hold();
      const peer = await rawPeer(ab.url);
      await resumeHello(peer, { sid: 's_claim_gone', cred, rx: 0 });
      await until(() => store.calls === 1, 'the claim');
      a.getSession('s_claim_gone').close(); // removes the record
      while (await store.has('s_claim_gone')) await flushed();
      store.release();
      const [f] = await peer.next();
      assert.deepStrictEqual([f.t, f.code, f.message], ['reject', 'SESSION_AUTH_FAILED', 'session resume refused']);
      assert.strictEqual(b.getSession('s_claim_gone'), undefined);
      assert.strictEqual(log.sessions.length, 0);
    });

    it('a resume whose connection closes while the store claims the session: no session is made for it', async () => {
      const store = new HeldStore('claim');
      const { b, ab, cred, log } = await twoServers(store, 's_claim_left');
      store.hold();
      const peer = await rawPeer(ab.url);
      await resumeHello(peer, { sid: 's_claim_left', cred, rx: 0 });
      await until(() => store.calls === 1, 'the claim');
      peer.close();
      await until(() => b.wss.clients.size === 0, 'the server saw the connection close');
      store.release();
      await until(() => b._claiming.size === 0, 'the takeover over');
      assert.strictEqual(b.getSession('s_claim_left'), undefined);
      assert.strictEqual(log.sessions.length, 0);
    });
  });

  describe('HTTP through the store', () => {
    it('GET …/stream with a bad fromSeq is 400 and reads nothing from the store', async () => {
      const store = new HeldStore('load');
      const { server: a } = await ctx.h.server({ store });
      const { addr: ab } = await ctx.h.server({ store });
      const s = a.createSession('s_bad_from');
      await recorded(store, 's_bad_from');
      const res = await fetch(`${ab.httpUrl}/sessions/s_bad_from/stream?fromSeq=-1`, { headers: { 'x-esn-credential': s.credential } });
      assert.strictEqual(res.status, 400);
      assert.strictEqual(await res.text(), build.reject('BAD_REQUEST', 'fromSeq must be an integer >= 0') + '\n');
      assert.strictEqual(store.calls, 0);
    });

    it('GET …/stream whose client leaves while the store loads: nothing is taken over', async () => {
      const store = new HeldStore('load');
      const { server: a } = await ctx.h.server({ store });
      const { server: b, addr: ab } = await ctx.h.server({ store });
      const s = a.createSession('s_http_left');
      await recorded(store, 's_http_left');
      const owner = (await store.load('s_http_left')).owner;
      const calls = store.calls;
      const served = [];
      b.on('session', (x) => served.push(x));
      b.on('resume', (x) => served.push(x));
      store.hold();
      const requested = nextRequest(b);
      const req = http.get(`${ab.httpUrl}/sessions/s_http_left/stream`, { headers: { 'x-esn-credential': s.credential } });
      req.on('error', () => {});
      const res = await requested;
      await until(() => store.calls === calls + 1, 'the takeover loading');
      const gone = once(res, 'close'); // after the server's own 'close' listener
      req.destroy();
      await gone;
      store.release();
      await until(() => b._claiming.size === 0, 'the takeover over');
      assert.deepStrictEqual([served.length, b.sessions.has('s_http_left')], [0, false]);
      assert.strictEqual((await store.load('s_http_left')).owner, owner);
      assert.ok(a.getSession('s_http_left'), 'the holder keeps its session');
    });

    it('POST …/messages whose record vanishes while it waits for the holder is answered with the ack recorded so far', async () => {
      const store = new MemorySessionStore();
      const { server: a } = await ctx.h.server({ store });
      const { addr: ab } = await ctx.h.server({ store });
      const s = a.createSession('s_vanished');
      await recorded(store, 's_vanished');
      const post = store.post.bind(store);
      store.post = async (...args) => {
        await post(...args);
        store.load = async () => null; // every read from now on finds no record
      };
      const res = await fetch(`${ab.httpUrl}/sessions/s_vanished/messages`, {
        method: 'POST',
        headers: { 'x-esn-credential': s.credential },
        body: `${build.batch(1)}\n{"n":1}\n`,
      });
      assert.strictEqual(res.status, 200);
      assert.strictEqual(await res.text(), build.ack(0) + '\n');
    });
  });
});
