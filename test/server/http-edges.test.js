'use strict';
// StreamServer edges pinned (docs/MUTATION.md, lib/server survivors of
// index.js lines 360-675 and transports.js):
//   - WebSocket resume: a session held here is resumed here even with a
//     store (no round trip through it); one held by no server is taken over
//     from the store; the out-of-range refusal names the numbers; the
//     resumed welcome is one '\n'-terminated line and 'resume' is emitted;
//   - HTTP routing: only /sessions/:id/stream (GET) and
//     /sessions/:id/messages (POST), 404 elsewhere, 405 for another method;
//     refusals are one NDJSON reject line, never cached;
//   - GET …/stream: fromSeq must be a safe integer >= 0; past the next event
//     it is 416 naming the numbers; the stream is NDJSON, never cached, and
//     its end is the session's 'disconnect' ('http stream closed');
//   - POST …/messages: the ack line, the error code of a bad body, a body
//     delivered once (never twice), the maxPostBytes bound exactly, with a
//     store: acknowledged once recorded, and a body that follows one still
//     waiting in the store's inbox is delivered after it;
//   - HttpStreamTransport: no write after the response ended or was
//     destroyed, bufferedAmount, close() ends once; an HTTP stream sends no
//     ack frames (acks go in the POST answers) and is not timed out by the
//     heartbeat (the client sends nothing on it).

const assert = require('node:assert');
const { MemorySessionStore, Session, SERVER_DEFAULTS } = require('../../lib/server');
const { HttpStreamTransport } = require('../../lib/server/transports');
const { FakeClock } = require('../helpers/fake-clock');
const { until, once } = require('../helpers/stream-harness');
const { turn } = require('../helpers/turn');
const { guarded } = require('../attacks/support/pair');
const { rawPeer, openPlain, resumeAs, credentialKeys, mac, token, ctl, chunkEvent } = require('../attacks/support/v2');
const { backend } = require('../../lib/binding');

const { NDJSON, rejectLine, ackLine, batch, request } = require('../helpers/http-client');

describe(`server HTTP edges: WebSocket resume, HTTP routes, the HTTP stream transport (${backend} backend)`, function () {
  this.timeout(10000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  /** A server (options `o`) holding plaintext session `sid` with `n` events sent. */
  async function held(o = {}, sid = 's_edge', n = 3) {
    const { server, addr } = await h.server(o);
    const s = server.createSession(sid);
    for (let i = 1; i <= n; i++) await s.send(chunkEvent(i));
    const base = `${addr.httpUrl}/sessions/${sid}`;
    return { server, addr, s, base, cred: s.credential };
  }

  /** GET …/stream held open; `lines()` are the lines read so far; aborted by the harness. */
  async function openStream(url, cred) {
    const ac = new AbortController();
    h.add({ close: () => ac.abort() });
    const res = await fetch(url, { signal: ac.signal, headers: { 'x-esn-credential': cred } });
    const reader = res.body.getReader();
    let text = '';
    return {
      res,
      abort: () => ac.abort(),
      lines: () => text.split('\n').filter(Boolean),
      /** Reads until `cond(lines)` holds. */
      async until(cond) {
        while (!cond(this.lines())) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended: ${text}`);
          text += Buffer.from(value).toString('utf8');
        }
      },
    };
  }

  describe('WebSocket resume', () => {
    /** A raw owner opened session `sid` on `url` and got `n` events; it is gone now. */
    async function ownedAway(server, url, sid, n = 3) {
      const sessionP = once(server, 'session');
      const o = await openPlain(url, sid);
      const s = await sessionP;
      for (let i = 1; i <= n; i++) await s.send(chunkEvent(i));
      await until(() => o.peer.events().length === n, 'the events');
      o.peer.close();
      await until(() => !s.connected, 'the owner gone');
      return { s, authC: credentialKeys(o.cred, s.id).authC };
    }

    it('a session held here is resumed here, with a store too: one welcome line ending in \\n, resumed, and the server emits resume', async () => {
      const { server, addr } = await h.server({ store: h.add(new MemorySessionStore()) });
      const { s, authC } = await ownedAway(server, addr.url, 's_local_resume');
      const resumed = once(server, 'resume');
      const peer = await rawPeer(addr.url);
      const raw = [];
      peer.ws.on('message', (d) => raw.push(String(d)));
      const ch = await peer.control('challenge');
      const cn = token();
      peer.send(ctl('hello', { sid: s.id, resume: true, rx: 1, cn, proof: mac(authC, 'resume', s.id, ch.n, cn, 1) }));
      const reply = await peer.control(['welcome', 'reject'], 3000);
      assert.deepStrictEqual([reply.t, reply.resumed, reply.first, reply.next], ['welcome', true, 1, 4], JSON.stringify(reply));
      assert.strictEqual(await resumed, s);
      const welcome = raw.find((f) => f.includes('"t":"welcome"'));
      assert.strictEqual(welcome, JSON.stringify(reply) + '\n', 'the welcome is one NDJSON line');
      await until(() => peer.events().length === 2, 'the events after rx');
      assert.deepStrictEqual(peer.events().map((e) => e.seq), [2, 3]);
      peer.close();
    });

    it('a resume point past the last event sent is RESUME_OUT_OF_RANGE naming both numbers', async () => {
      const { server, addr } = await h.server({});
      const { s, authC } = await ownedAway(server, addr.url, 's_local_range');
      const { peer, reply } = await resumeAs(addr.url, { sid: s.id, rx: 4, authC });
      assert.deepStrictEqual(reply, { $esn: 2, t: 'reject', code: 'RESUME_OUT_OF_RANGE', message: 'hello.rx 4 is beyond the last event sent (3)' });
      assert.strictEqual((await peer.closed).code, 4400);
    });

    it('a session no server holds is taken over from the store by the server the resume reaches (session, resumed)', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a, addr: aa } = await h.server({ store });
      const { server: b, addr: ab } = await h.server({ store });
      const { s, authC } = await ownedAway(a, aa.url, 's_store_resume');
      await a.close();
      const taken = once(b, 'session');
      const { peer, reply } = await resumeAs(ab.url, { sid: s.id, rx: 1, authC });
      assert.deepStrictEqual([reply.t, reply.resumed, reply.next], ['welcome', true, 4], JSON.stringify(reply));
      const sb = await taken;
      assert.deepStrictEqual([sb.id, sb.resumed], [s.id, true]);
      await until(() => peer.events().length === 2, 'the stored events after rx');
      assert.deepStrictEqual(peer.events().map((e) => e.seq), [2, 3]);
      peer.close();
    });
  });

  describe('HTTP routes', () => {
    it('404 for any other path, also one that contains or extends a session route', async () => {
      const { addr, cred } = await held();
      for (const path of ['/nope', '/x/sessions/s_edge/stream', '/sessions/s_edge/streamx', '/sessions/s_edge/stream/x', '/sessions/s_edge/messagesx']) {
        const r = await request(addr.httpUrl + path, { cred });
        assert.deepStrictEqual([r.status, r.text], [404, 'not found\n'], path);
      }
    });

    it('405 METHOD_NOT_ALLOWED naming the method for GET …/messages, POST …/stream, PUT on either (credential valid)', async () => {
      const { base, cred, s } = await held();
      const got = [];
      s.on('message', (m) => got.push(m));
      for (const [method, route] of [
        ['GET', 'messages'],
        ['POST', 'stream'],
        ['PUT', 'stream'],
        ['PUT', 'messages'],
        ['DELETE', 'messages'],
      ]) {
        const r = await request(`${base}/${route}`, { method, cred, body: method === 'GET' ? undefined : batch(1, 1) });
        assert.deepStrictEqual([r.status, r.type, r.cache, r.text], [405, NDJSON, 'no-store', rejectLine('METHOD_NOT_ALLOWED', `${method} not allowed`)], `${method} ${route}`);
      }
      assert.deepStrictEqual(got, [], 'nothing delivered');
      assert.strictEqual(s.connected, false, 'no stream attached');
    });

    it('a refusal is one NDJSON reject line, never cached', async () => {
      const { base } = await held();
      const r = await request(`${base}/stream`, { cred: 'A'.repeat(43) });
      assert.deepStrictEqual([r.status, r.type, r.cache, r.text], [403, NDJSON, 'no-store', rejectLine('SESSION_AUTH_FAILED', 'session resume refused')]);
    });

    it('with a store, GET …/stream of a session no one holds is 403 SESSION_AUTH_FAILED (a well-formed credential proves nothing)', async () => {
      const { addr } = await h.server({ store: h.add(new MemorySessionStore()) });
      const r = await request(`${addr.httpUrl}/sessions/s_nobody/stream`, { cred: 'A'.repeat(43) });
      assert.deepStrictEqual([r.status, r.text], [403, rejectLine('SESSION_AUTH_FAILED', 'session resume refused')]);
    });
  });

  describe('GET …/stream', () => {
    it('fromSeq: not a safe integer >= 0 is 400 BAD_REQUEST; past the next event 416 naming it; 0 streams from the first event', async () => {
      const { base, cred, s } = await held();
      for (const from of ['abc', '-1', '1.5', '9007199254740993']) {
        const r = await request(`${base}/stream?fromSeq=${from}`, { cred });
        assert.deepStrictEqual([r.status, r.text], [400, rejectLine('BAD_REQUEST', 'fromSeq must be an integer >= 0')], from);
      }
      const r = await request(`${base}/stream?fromSeq=5`, { cred });
      assert.deepStrictEqual([r.status, r.text], [416, rejectLine('RESUME_OUT_OF_RANGE', 'fromSeq 5 is beyond the next event (4)')]);
      assert.strictEqual(s.connected, false);
      const st = await openStream(`${base}/stream?fromSeq=0`, cred);
      assert.strictEqual(st.res.status, 200);
      await st.until((l) => l.length >= 3);
      assert.deepStrictEqual(st.lines().map((l) => JSON.parse(l).seq), [1, 2, 3]);
    });

    it("the stream is NDJSON, never cached; the session sees connect 'http', and 'disconnect' 'http stream closed' when it ends", async () => {
      const { base, cred, s } = await held();
      const seen = [];
      s.on('connect', (k) => seen.push(['connect', k]));
      s.on('disconnect', (r) => seen.push(['disconnect', r]));
      const st = await openStream(`${base}/stream?fromSeq=4`, cred);
      assert.deepStrictEqual([st.res.status, st.res.headers.get('content-type'), st.res.headers.get('cache-control')], [200, NDJSON, 'no-store']);
      await s.send(chunkEvent(4));
      await st.until((l) => l.length >= 1);
      assert.strictEqual(JSON.parse(st.lines()[0]).seq, 4);
      st.abort();
      await until(() => seen.length === 2, 'the disconnect');
      assert.deepStrictEqual(seen, [
        ['connect', 'http'],
        ['disconnect', 'http stream closed'],
      ]);
    });
  });

  describe('POST …/messages', () => {
    for (const withStore of [false, true]) {
      const what = withStore ? 'with a store' : 'without a store';

      it(`${what}: answered with one ack line of what was delivered (recorded); each message once; a bad line is 400 with its own code`, async () => {
        const o = withStore ? { store: h.add(new MemorySessionStore()) } : {};
        const { base, cred, s } = await held(o);
        const got = [];
        s.on('message', (m) => got.push(m.n));
        let r = await request(`${base}/messages`, { method: 'POST', cred, body: batch(1, 1, 2) });
        assert.deepStrictEqual([r.status, r.type, r.cache, r.text], [200, NDJSON, 'no-store', ackLine(2)]);
        r = await request(`${base}/messages`, { method: 'POST', cred, body: `${batch(3, 3)}{"n":\n` });
        assert.strictEqual(r.status, 400);
        const f = JSON.parse(r.text);
        assert.deepStrictEqual([f.t, f.code], ['reject', 'ERR_STREAM_BAD_LINE']);
        assert.match(f.message, /^invalid JSON line: /);
        assert.deepStrictEqual(got, [1, 2, 3]);
        assert.strictEqual(s.stats.duplicates, 0, 'no body was taken twice');
        if (withStore) {
          // out of order, with nothing waiting in the store's inbox: refused here, not queued
          r = await request(`${base}/messages`, { method: 'POST', cred, body: batch(9, 9) });
          assert.strictEqual(r.status, 400);
          assert.strictEqual(JSON.parse(r.text).code, 'ERR_STREAM_SEQ');
        }
      });
    }

    it('maxPostBytes: a body of exactly maxPostBytes is taken; one byte more is 413 TOO_LARGE and nothing of it is delivered', async () => {
      const body = batch(1, 1);
      const { base, cred, s } = await held({ maxPostBytes: Buffer.byteLength(body) });
      const got = [];
      s.on('message', (m) => got.push(m.n));
      let r = await request(`${base}/messages`, { method: 'POST', cred, body });
      assert.deepStrictEqual([r.status, r.text], [200, ackLine(1)]);
      r = await request(`${base}/messages`, { method: 'POST', cred, body: batch(2, 2) + ' ' });
      assert.deepStrictEqual([r.status, r.text], [413, rejectLine('TOO_LARGE', 'request body too large')]);
      assert.deepStrictEqual(got, [1]);
    });

    it("with a store: a body that follows one still waiting in the store's inbox (posted to another server, its holder not told yet) is delivered after it", async () => {
      const store = h.add(new MemorySessionStore());
      const { server, base, cred, s } = await held({ store });
      const got = [];
      s.on('message', (m) => got.push(m.n));
      while (!(await store.has(s.id))) await turn(); // createSession() stores the record
      // the store's notification to the holder is late (Redis pub/sub is asynchronous)
      const published = server._published;
      server._published = () => {};
      await store.post(s.id, batch(1, 1));
      server._published = published;
      assert.deepStrictEqual(got, []);
      const r = await request(`${base}/messages`, { method: 'POST', cred, body: batch(2, 2) });
      assert.deepStrictEqual([r.status, r.text], [200, ackLine(2)]);
      assert.deepStrictEqual(got, [1, 2]);
    });

    it('with a store, a POST to a server that does not hold the session goes to its holder through the store', async () => {
      const store = h.add(new MemorySessionStore());
      const { s, cred } = await held({ store });
      const { addr: ab } = await h.server({ store });
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const r = await request(`${ab.httpUrl}/sessions/${s.id}/messages`, { method: 'POST', cred, body: batch(1, 1) });
      assert.strictEqual(r.status, 200, r.text);
      await until(() => got.length === 1, 'the message at its holder');
      assert.deepStrictEqual(got, [1]);
    });
  });

  describe('HttpStreamTransport', () => {
    /** The parts of an http.ServerResponse the transport uses. */
    function fakeRes() {
      return {
        writableEnded: false,
        destroyed: false,
        writableLength: 0,
        writes: [],
        ends: 0,
        write(text) {
          this.writes.push(text);
          this.writableLength += text.length;
          return true;
        },
        end() {
          this.ends++;
          this.writableEnded = true;
        },
        destroy() {
          this.destroyed = true;
        },
      };
    }

    it('writes until the response ended or was destroyed; bufferedAmount is its writableLength; close() ends it once', () => {
      const res = fakeRes();
      const t = new HttpStreamTransport(res);
      t.send('a\n');
      assert.deepStrictEqual(res.writes, ['a\n']);
      assert.strictEqual(t.bufferedAmount, 2);
      t.close();
      t.close();
      assert.strictEqual(res.ends, 1);
      t.send('b\n');
      const gone = fakeRes();
      const t2 = new HttpStreamTransport(gone);
      t2.terminate();
      t2.send('c\n');
      assert.deepStrictEqual([res.writes, gone.writes, gone.destroyed], [['a\n'], [], true]);
    });

    it('on a session: no ack frames on the stream (a POST answer carries them), and no heartbeat timeout (the client sends nothing on it)', async () => {
      const clock = new FakeClock(1000).install();
      try {
        const opts = { ...SERVER_DEFAULTS, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 2500 };
        const s = new Session({ _forget() {} }, 's_unit', opts, null);
        const seen = [];
        s.on('connect', (k) => seen.push(k));
        s.on('disconnect', (r) => seen.push(r));
        const res = fakeRes();
        s._attach(new HttpStreamTransport(res), 0);
        assert.strictEqual(s._post(Buffer.from(batch(1, 1, 2))), null);
        await s.send(chunkEvent(1));
        for (let i = 0; i < 20 && !res.writes.join('').includes('"seq":1'); i++) await turn(); // the Link writes on a later turn
        clock.tick(10000);
        await turn();
        const lines = res.writes.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        assert.deepStrictEqual(lines.filter((f) => f.t === 'ack'), [], 'no ack frame');
        assert.deepStrictEqual([s.connected, res.destroyed, seen], [true, false, ['http']]);
        s.close();
      } finally {
        clock.uninstall();
      }
    });
  });
});
