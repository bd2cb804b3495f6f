'use strict';
// StreamServer edges around createSession(), publish() and the session store
// (docs/PROTOCOL.md §10), pinned for the mutation run (docs/MUTATION.md):
// createSession's coded refusals; publish() to a session held here (stored
// before it resolves, the store inbox left alone) and through the store, and
// its refusals; POST …/messages through the store (credential, bad lines and
// control frames, the store's own refusals, the ack of what the holder
// recorded) and to a holder whose store write fails; GET …/stream through the
// store (credential, fromSeq, the takeover); WebSocket hellos that wait for
// the store (range and proof of a takeover, hello.tx, concurrent resumes, a
// connection gone meanwhile, frames queued up to maxHelloBytes, a failing
// store); close() flushing to the store; httpRoutes and path on an HTTP server
// the StreamServer does or does not own; address() with IPv6.
const assert = require('node:assert');
const http = require('node:http');
const { StreamServer, MemorySessionStore } = require('../../lib/server');
const { until, once } = require('../helpers/stream-harness');
const { turn } = require('../helpers/turn');
const { guarded } = require('../attacks/support/pair');
const { rawPeer, openPlain, openEncrypted, resumeAs, credentialKeys, mac, token, ctl, chunkEvent } = require('../attacks/support/v2');
const { backend } = require('../../lib/binding');

const { NDJSON, rejectLine, ackLine, batch, request } = require('../helpers/http-client');

/** A raw WebSocket upgrade request to `path`; resolves the status line the server answers with. */
function upgradeStatus(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      port,
      host: '127.0.0.1',
      path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`server store edges: createSession, publish, HTTP through the store (${backend} backend)`, function () {
  this.timeout(10000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  /** Two servers sharing one MemorySessionStore; `a` holds plaintext session `sid` with `n` events sent, stored. */
  async function pair(sid = 's_store_edge', n = 2) {
    const store = h.add(new MemorySessionStore());
    const { server: a, addr: aa } = await h.server({ store });
    const { server: b, addr: ab } = await h.server({ store });
    const s = a.createSession(sid);
    for (let i = 1; i <= n; i++) await s.send(chunkEvent(i));
    while (!(await store.has(s.id))) await turn();
    return { store, a, b, aa, ab, s, cred: s.credential, viaB: `${ab.httpUrl}/sessions/${sid}` };
  }

  describe('createSession()', () => {
    it('refused with a coded SessionError when encryption is required, on a bad id (TypeError naming it) and on an id in use', async () => {
      const { server: enc } = await h.server({ encryption: 'required' });
      assert.throws(() => enc.createSession('s_x'), { code: 'ENCRYPTION_REQUIRED', message: 'encryption is required: sessions are created by a client handshake' });
      const { server } = await h.server({ encryption: 'disabled' });
      assert.throws(() => server.createSession('bad id\n'), { name: 'TypeError', message: 'StreamServer.createSession: a session id is 1-128 printable ASCII characters, got "bad id\\n"' });
      server.createSession('s_taken');
      assert.throws(() => server.createSession('s_taken'), { code: 'SESSION_EXISTS', message: 'session s_taken exists' });
    });
  });

  describe('publish()', () => {
    it('to a session held here, without a store: the session sends it; an unknown session is SESSION_UNKNOWN naming it', async () => {
      // no store (the embedded one, also when ENCLAVE_STREAM_STORE=memory gives servers a store by default)
      const { server } = await h.server({ encryption: 'disabled', store: MemorySessionStore.embedded() });
      const s = server.createSession('s_pub');
      await server.publish('s_pub', chunkEvent(1));
      assert.strictEqual(s.lastSeq, 1);
      await assert.rejects(server.publish('s_none', chunkEvent(1)), {
        code: 'SESSION_UNKNOWN',
        message: 'session s_none is unknown to this server (give StreamServer a store to publish across servers)',
      });
    });

    it('to a session held here, with a store: resolves once stored, and leaves what waits in the store inbox there', async () => {
      const { a, b, s, store } = await pair();
      // an event published through the store whose notification to the holder is late
      const published = a._published;
      a._published = () => {};
      await b.publish(s.id, chunkEvent('inbox'));
      a._published = published;
      await a.publish(s.id, chunkEvent('local'));
      let rec = await store.load(s.id);
      assert.deepStrictEqual(rec.events.map((e) => e.seq), [1, 2, 3], 'stored when publish() resolves');
      await s._drainInbox();
      await until(() => s.lastSeq === 4, 'the inbox event sent');
      await s._stored({ meta: true });
      rec = await store.load(s.id);
      assert.deepStrictEqual(rec.events.map((e) => JSON.parse(e.line).payload.chunk), ['1', '2', 'local', 'inbox']);
    });

    it('through the store: a non-object event is a TypeError, an invalid event names server.publish(); a valid one reaches the holder', async () => {
      const { b, s } = await pair();
      for (const bad of [null, 'text', 7, [chunkEvent(1)]]) {
        await assert.rejects(b.publish(s.id, bad), { name: 'TypeError', message: 'server.publish(sessionId, event): event must be an object' }, JSON.stringify(bad));
      }
      await assert.rejects(b.publish(s.id, { type: 'stdout', payload: 'not an object' }), (err) => /server\.publish\(\)/.test(err.message));
      await assert.rejects(b.publish(s.id, { ...chunkEvent(1), protocolVersion: 99 }));
      await b.publish(s.id, chunkEvent(3));
      await until(() => s.lastSeq === 3, 'the published event sent by its holder');
    });

    it('taken over: the previous holder closes its session with ERR_SESSION_MOVED', async () => {
      const { b, s } = await pair();
      let why = null;
      s.on('close', (e) => (why = e));
      b._takenOver('s_other'); // not held: nothing
      b._published('s_other');
      s.server._takenOver(s.id);
      await until(() => s.closed, 'the session closed');
      assert.strictEqual(why.code, 'ERR_SESSION_MOVED');
      assert.strictEqual(why.message, `session ${s.id} was taken over by another server`);
    });
  });

  describe('POST …/messages through the store', () => {
    it('answered with an NDJSON ack of what the holder recorded; each message delivered once, in order', async () => {
      const { s, cred, viaB } = await pair();
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const r1 = await request(`${viaB}/messages`, { method: 'POST', cred, body: batch(1, 1, 2) });
      assert.deepStrictEqual([r1.status, r1.type, r1.cache, r1.text], [200, NDJSON, 'no-store', ackLine(2)]);
      assert.deepStrictEqual(got, [1, 2]);
      const r2 = await request(`${viaB}/messages`, { method: 'POST', cred, body: batch(3, 3) });
      assert.deepStrictEqual([r2.status, r2.text], [200, ackLine(3)]);
      assert.deepStrictEqual(got, [1, 2, 3]);
    });

    it('the store keeps a session within maxReplayEvents and maxReplayBytes too (the oldest events trimmed)', async () => {
      for (const limits of [{ maxReplayEvents: 2 }, { maxReplayBytes: 400 }]) {
        const store = h.add(new MemorySessionStore());
        const { server } = await h.server({ store, ...limits });
        const s = server.createSession('s_store_bound');
        for (let i = 1; i <= 6; i++) await s.send(chunkEvent(i, 'x'.repeat(100)));
        const rec = await store.load(s.id);
        const seqs = rec.events.map((e) => e.seq);
        assert.strictEqual(seqs[seqs.length - 1], 6, JSON.stringify(limits));
        assert.ok(seqs.length <= (limits.maxReplayEvents || 3) && seqs[0] > 1, `${JSON.stringify(limits)}: kept ${seqs}`);
      }
    });

    it('a POST through the store for a session the store does not hold, or an encrypted one, is 403 SESSION_AUTH_FAILED', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a, addr: aa } = await h.server({ store, encryption: 'optional' });
      const { addr: ab } = await h.server({ store, encryption: 'optional' });
      const enc = await openEncrypted(aa.url, 's_post_enc');
      await until(() => a.sessions.has('s_post_enc'), 'the encrypted session held by a');
      while (!(await store.has('s_post_enc'))) await turn();
      const refused = { status: 403, text: rejectLine('SESSION_AUTH_FAILED', 'session resume refused') };
      for (const sid of ['s_post_nobody', 's_post_enc']) {
        const r = await request(`${ab.httpUrl}/sessions/${sid}/messages`, { method: 'POST', cred: token(32), body: batch(1, 1) });
        assert.deepStrictEqual({ status: r.status, text: r.text }, refused, sid);
      }
      enc.peer.close();
    });

    it('a POST to the holder whose store write fails is 503 SERVER_CLOSING "the session moved or closed"', async () => {
      const store = h.add(new MemorySessionStore());
      const { addr, server } = await h.server({ store });
      const s = server.createSession('s_post_fail');
      while (!(await store.has(s.id))) await turn();
      // the write that records the POST's messages fails (the session moved away meanwhile)
      const stored = s._stored.bind(s);
      let fail = true;
      s._stored = (change) => (fail && change && change.meta === true ? Promise.reject(new Error('store down')) : stored(change));
      const r = await request(`${addr.httpUrl}/sessions/${s.id}/messages`, { method: 'POST', cred: s.credential, body: batch(1, 1) });
      fail = false;
      assert.deepStrictEqual([r.status, r.text], [503, rejectLine('SERVER_CLOSING', 'the session moved or closed')]);
    });

    it('a null message through the store is delivered like any JSON value and acknowledged', async () => {
      const { s, cred, viaB } = await pair();
      const got = [];
      s.on('message', (m) => got.push(m));
      const r = await request(`${viaB}/messages`, { method: 'POST', cred, body: `${ctl('b', { s: 1 })}\nnull\n` });
      assert.deepStrictEqual([r.status, r.text], [200, ackLine(1)]);
      assert.deepStrictEqual(got, [null]);
    });

    it('a body with no messages (only a batch frame) is answered at once with the ack recorded so far', async () => {
      const { cred, viaB } = await pair();
      const r = await request(`${viaB}/messages`, { method: 'POST', cred, body: `${ctl('b', { s: 1 })}\n` });
      assert.deepStrictEqual([r.status, r.text], [200, ackLine(0)]);
    });

    it("the store refusing the body: SESSION_UNKNOWN is 403 SESSION_AUTH_FAILED; another failure is 503 with the store's code and message", async () => {
      const { store, cred, viaB } = await pair();
      const fail = (code, message) => () => Promise.reject(Object.assign(new Error(message), { code }));
      store.post = fail('SESSION_UNKNOWN', 'gone');
      const r1 = await request(`${viaB}/messages`, { method: 'POST', cred, body: batch(1, 1) });
      assert.deepStrictEqual([r1.status, r1.text], [403, rejectLine('SESSION_AUTH_FAILED', 'session resume refused')]);
      store.post = fail('TOO_LARGE', 'the inbox is full');
      const r2 = await request(`${viaB}/messages`, { method: 'POST', cred, body: batch(1, 1) });
      assert.deepStrictEqual([r2.status, r2.text], [503, rejectLine('TOO_LARGE', 'the inbox is full')]);
    });

    it('a wrong credential is 403; an invalid JSON line 400 ERR_STREAM_BAD_LINE; a bad control frame 400 ERR_STREAM_CONTROL; nothing delivered', async () => {
      const { s, cred, viaB } = await pair();
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const wrong = await request(`${viaB}/messages`, { method: 'POST', cred: 'A'.repeat(43), body: batch(1, 1) });
      assert.deepStrictEqual([wrong.status, wrong.text], [403, rejectLine('SESSION_AUTH_FAILED', 'session resume refused')]);
      const badLine = await request(`${viaB}/messages`, { method: 'POST', cred, body: `${ctl('b', { s: 1 })}\n{nope\n` });
      assert.strictEqual(badLine.status, 400);
      const rej = JSON.parse(badLine.text);
      assert.strictEqual(rej.code, 'ERR_STREAM_BAD_LINE');
      assert.match(rej.message, /^invalid JSON line: ./);
      const badCtl = await request(`${viaB}/messages`, { method: 'POST', cred, body: `${ctl('b', { s: -4 })}\n{"n":1}\n` });
      assert.strictEqual(badCtl.status, 400);
      const rc = JSON.parse(badCtl.text);
      assert.strictEqual(rc.code, 'ERR_STREAM_CONTROL');
      assert.match(rc.message, /^bad control frame: ./);
      assert.deepStrictEqual(got, []);
    });
  });

  describe('GET …/stream through the store', () => {
    it('a wrong credential is 403; a bad fromSeq 400 (nothing taken over); fromSeq past the next event 416; the right one takes the session over and streams it', async () => {
      const { a, s, cred, viaB, b, store } = await pair();
      const wrong = await request(`${viaB}/stream`, { cred: 'A'.repeat(43) });
      assert.deepStrictEqual([wrong.status, wrong.text], [403, rejectLine('SESSION_AUTH_FAILED', 'session resume refused')]);
      const owner = (await store.load(s.id)).owner;
      const bad = await request(`${viaB}/stream?fromSeq=abc`, { cred });
      assert.deepStrictEqual([bad.status, bad.text], [400, rejectLine('BAD_REQUEST', 'fromSeq must be an integer >= 0')]);
      await until(() => b._claiming.size === 0, 'no takeover under way');
      assert.strictEqual((await store.load(s.id)).owner, owner, 'a refused GET takes nothing over');
      const far = await request(`${viaB}/stream?fromSeq=9`, { cred });
      assert.strictEqual(far.status, 416);
      assert.strictEqual(JSON.parse(far.text).code, 'RESUME_OUT_OF_RANGE');
      assert.ok(a.sessions.has(s.id));
      const resumed = [];
      b.on('resume', (x) => resumed.push(x.id));
      const ac = new AbortController();
      h.add({ close: () => ac.abort() });
      const res = await fetch(`${viaB}/stream?fromSeq=1`, { signal: ac.signal, headers: { 'x-esn-credential': cred } });
      assert.deepStrictEqual([res.status, res.headers.get('content-type')], [200, NDJSON]);
      const reader = res.body.getReader();
      let text = '';
      while (text.split('\n').filter(Boolean).length < 2) text += Buffer.from((await reader.read()).value).toString('utf8');
      assert.deepStrictEqual(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).seq).slice(0, 2), [1, 2]);
      assert.deepStrictEqual(resumed, [s.id]);
      await until(() => b.sessions.has(s.id), 'b holds the session');
    });
  });

  describe('WebSocket hellos with a store', () => {
    /** A raw owner opened session `sid` on `server`, got `n` events and sent `messages` messages; it is gone now. */
    async function ownedAway(server, url, sid, n = 3, messages = 0) {
      const sessionP = once(server, 'session');
      const o = await openPlain(url, sid);
      const s = await sessionP;
      for (let i = 1; i <= n; i++) await s.send(chunkEvent(i));
      await until(() => o.peer.events().length === n, 'the events');
      if (messages) {
        const got = [];
        s.on('message', (m) => got.push(m));
        o.peer.send(batch(1, ...Array.from({ length: messages }, (_, i) => i + 1)).trimEnd());
        await until(() => got.length === messages, 'the messages');
      }
      o.peer.close();
      await until(() => !s.connected, 'the owner gone');
      await s._stored({ meta: true });
      return { s, authC: credentialKeys(o.cred, s.id).authC };
    }

    it('a takeover from the store: a resume point past the last stored event is RESUME_OUT_OF_RANGE naming both; a wrong proof SESSION_AUTH_FAILED', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a, addr: aa } = await h.server({ store });
      const { server: b, addr: ab } = await h.server({ store });
      const { s, authC } = await ownedAway(a, aa.url, 's_ws_range');
      await a.close();
      const far = await resumeAs(ab.url, { sid: s.id, rx: 4, authC });
      assert.deepStrictEqual(far.reply, { $esn: 2, t: 'reject', code: 'RESUME_OUT_OF_RANGE', message: 'resume point 4 is beyond the last event sent (3)' });
      const wrong = await resumeAs(ab.url, { sid: s.id, rx: 1, authC: new Uint8Array(32) });
      assert.deepStrictEqual([wrong.reply.t, wrong.reply.code], ['reject', 'SESSION_AUTH_FAILED']);
      assert.strictEqual(b.sessions.has(s.id), false);
      const ok = await resumeAs(ab.url, { sid: s.id, rx: 3, authC });
      assert.deepStrictEqual([ok.reply.t, ok.reply.resumed, ok.reply.next], ['welcome', true, 4]);
      ok.peer.close();
    });

    /** A resume hello of `sid` (rx 3) answering the challenge of raw peer `peer`. */
    async function resumeHello(peer, sid, authC, extra = {}) {
      const ch = await peer.control('challenge');
      const cn = token();
      peer.send(ctl('hello', { sid, resume: true, rx: 3, cn, proof: mac(authC, 'resume', sid, ch.n, cn, 3), ...extra }));
    }

    it('a takeover: messages the client says it sent past what the store recorded (hello.tx) are redelivered; none when tx is not past it', async () => {
      for (const [tx, want] of [[3, 3], [2, 0], [1, 0], [undefined, 0]]) {
        const store = h.add(new MemorySessionStore());
        const { server: a, addr: aa } = await h.server({ store });
        const { server: b, addr: ab } = await h.server({ store });
        const { s, authC } = await ownedAway(a, aa.url, `s_ws_tx_${tx}`, 3, 2);
        assert.strictEqual((await store.load(s.id)).clientRx, 2);
        await a.close();
        const taken = once(b, 'session');
        const peer = await rawPeer(ab.url);
        await resumeHello(peer, s.id, authC, tx === undefined ? {} : { tx });
        const reply = await peer.control(['welcome', 'reject']);
        assert.strictEqual(reply.t, 'welcome', JSON.stringify(reply));
        const sb = await taken;
        assert.strictEqual(sb._redeliverUpTo, want, `tx ${tx}`);
        peer.close();
      }
    });

    it('two resumes of one stored session at once: the second waits for the first takeover, then moves the session held here', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a, addr: aa } = await h.server({ store });
      const { server: b, addr: ab } = await h.server({ store });
      const { s, authC } = await ownedAway(a, aa.url, 's_ws_twice');
      await a.close();
      const sessions = [];
      const resumes = [];
      b.on('session', (x) => sessions.push(x));
      b.on('resume', (x) => resumes.push(x));
      const p1 = await rawPeer(ab.url);
      const p2 = await rawPeer(ab.url);
      await Promise.all([resumeHello(p1, s.id, authC), resumeHello(p2, s.id, authC)]);
      const [r1, r2] = await Promise.all([p1.control(['welcome', 'reject']), p2.control(['welcome', 'reject'])]);
      assert.deepStrictEqual([r1.t, r2.t], ['welcome', 'welcome'], JSON.stringify([r1, r2]));
      assert.strictEqual(sessions.length, 1);
      assert.strictEqual(resumes.length, 2);
      assert.strictEqual(b._claiming.size, 0);
      p1.close();
      p2.close();
    });

    /** Holds back store.load() until the returned release() is called; `loads()` counts the calls. */
    function holdLoads(store) {
      const load = store.load.bind(store);
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      let n = 0;
      store.load = (...args) => {
        n++;
        return gate.then(() => load(...args));
      };
      return { release, loads: () => n, restore: () => (store.load = load) };
    }

    it('two resumes while the first takeover still loads: the second waits for it, then resumes the session now held here', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a, addr: aa } = await h.server({ store });
      const { server: b, addr: ab } = await h.server({ store });
      const { s, authC } = await ownedAway(a, aa.url, 's_ws_busy');
      await a.close();
      const sessions = [];
      const resumes = [];
      b.on('session', (x) => sessions.push(x));
      b.on('resume', (x) => resumes.push(x));
      const held = holdLoads(store);
      const p1 = await rawPeer(ab.url);
      await resumeHello(p1, s.id, authC);
      await until(() => held.loads() === 1, 'the first takeover loading');
      const p2 = await rawPeer(ab.url);
      await resumeHello(p2, s.id, authC);
      const ping = new Promise((resolve) => p2.ws.once('pong', resolve));
      p2.ws.ping();
      await ping; // b has read the second hello
      assert.strictEqual(held.loads(), 1, 'the second waits for the first');
      held.release();
      held.restore();
      const [r1, r2] = await Promise.all([p1.control(['welcome', 'reject']), p2.control(['welcome', 'reject'])]);
      assert.deepStrictEqual([r1.t, r2.t, r2.resumed], ['welcome', 'welcome', true], JSON.stringify([r1, r2]));
      assert.deepStrictEqual([sessions.length, resumes.length], [1, 2]);
      assert.strictEqual(b._claiming.size, 0);
      p1.close();
      p2.close();
    });

    it('two GET …/stream through the store while the first takeover loads: the second is served by the session held here (its fromSeq checked)', async () => {
      const { store, s, cred, viaB, b } = await pair('s_http_busy', 2);
      const held = holdLoads(store);
      const fromStore = b._fromStore.bind(b);
      let takeovers = 0;
      b._fromStore = (...args) => {
        takeovers++;
        return fromStore(...args);
      };
      const ac = new AbortController();
      h.add({ close: () => ac.abort() });
      const first = fetch(`${viaB}/stream?fromSeq=1`, { signal: ac.signal, headers: { 'x-esn-credential': cred } });
      await until(() => held.loads() === 1, 'the first takeover loading');
      const far = request(`${viaB}/stream?fromSeq=4`, { cred });
      const second = fetch(`${viaB}/stream?fromSeq=3`, { signal: ac.signal, headers: { 'x-esn-credential': cred } });
      const wrong = request(`${viaB}/stream?fromSeq=1`, { cred: 'A'.repeat(43) });
      await until(() => takeovers === 4, 'the others waiting for the first');
      assert.strictEqual(held.loads(), 1);
      held.release();
      held.restore();
      const res = await first;
      assert.strictEqual(res.status, 200);
      const rf = await far;
      assert.deepStrictEqual([rf.status, rf.text], [416, rejectLine('RESUME_OUT_OF_RANGE', 'fromSeq 4 is beyond the next event (3)')]);
      assert.strictEqual((await second).status, 200, 'fromSeq 3 (the next event) is in range');
      const rw = await wrong;
      assert.deepStrictEqual([rw.status, rw.text], [403, rejectLine('SESSION_AUTH_FAILED', 'session resume refused')]);
      assert.ok(b.sessions.has(s.id));
    });

    it('a resume whose connection closes while the store loads: refused quietly, the session is not claimed', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a, addr: aa } = await h.server({ store });
      const { server: b, addr: ab } = await h.server({ store });
      const { s, authC } = await ownedAway(a, aa.url, 's_ws_gone');
      const owner = (await store.load(s.id)).owner;
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      const load = store.load.bind(store);
      let loading = false;
      store.load = (...args) => {
        loading = true;
        return gate.then(() => load(...args));
      };
      const peer = await rawPeer(ab.url);
      await resumeHello(peer, s.id, authC);
      await until(() => loading, 'the takeover loading');
      peer.ws.terminate();
      await peer.closed;
      release();
      store.load = load;
      await until(() => b._claiming.size === 0, 'the takeover over');
      assert.strictEqual(b.sessions.has(s.id), false);
      assert.strictEqual((await store.load(s.id)).owner, owner);
      assert.strictEqual(a.sessions.has(s.id), true);
    });

    it('a new session: hello.rx other than 0 is RESUME_OUT_OF_RANGE; an id stored by another server is SESSION_EXISTS naming it', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a } = await h.server({ store });
      const { server: b, addr: ab } = await h.server({ store });
      const peer = await rawPeer(ab.url);
      await peer.control('challenge');
      peer.send(ctl('hello', { sid: 's_ws_rx', resume: false, rx: 2 }));
      assert.deepStrictEqual(await peer.control(['welcome', 'reject']), { $esn: 2, t: 'reject', code: 'RESUME_OUT_OF_RANGE', message: 'a new session has sent nothing: hello.rx must be 0' });
      const held = a.createSession('s_ws_taken');
      while (!(await store.has(held.id))) await turn();
      const o = await openPlain(ab.url, 's_ws_taken');
      assert.deepStrictEqual(o.welcome, { $esn: 2, t: 'reject', code: 'SESSION_EXISTS', message: 'session s_ws_taken already exists' });
      assert.strictEqual(b.sessions.has('s_ws_taken'), false);
      const fresh = await openPlain(ab.url, 's_ws_fresh');
      assert.strictEqual(fresh.welcome.t, 'welcome');
      assert.ok(b.sessions.has('s_ws_fresh'));
      fresh.peer.close();
    });

    it('a new session whose connection closes while the store creates it: the stored record is removed again', async () => {
      const store = h.add(new MemorySessionStore());
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      const create = store.create.bind(store);
      let creating = false;
      store.create = (...args) => {
        creating = true;
        return gate.then(() => create(...args));
      };
      const { server, addr } = await h.server({ store, encryption: 'disabled' });
      const peer = await rawPeer(addr.url);
      await peer.control('challenge');
      peer.send(ctl('hello', { sid: 's_new_gone', resume: false, rx: 0 }));
      await until(() => creating, 'the store creating');
      peer.ws.terminate();
      await peer.closed;
      release();
      // created, then removed: a few turns of the event loop (no timer)
      for (let i = 0; i < 100 && !(await store.has('s_new_gone')); i++) await turn();
      for (let i = 0; i < 100 && (await store.has('s_new_gone')); i++) await turn();
      assert.strictEqual(await store.has('s_new_gone'), false, 'the record removed');
      assert.strictEqual(server.sessions.has('s_new_gone'), false);
    });

    it('a store that fails: a hello is BAD_HELLO naming the failure; HTTP through the store is 503 SERVER_CLOSING naming it', async () => {
      const store = h.add(new MemorySessionStore());
      const { server: a } = await h.server({ store });
      const s = a.createSession('s_fail');
      while (!(await store.has(s.id))) await turn();
      const { addr: ab } = await h.server({ store });
      const boom = () => Promise.reject(new Error('boom'));
      store.create = boom;
      store.load = boom;
      const o = await openPlain(ab.url, 's_new');
      assert.deepStrictEqual(o.welcome, { $esn: 2, t: 'reject', code: 'BAD_HELLO', message: 'the session store failed: boom' });
      const base = `${ab.httpUrl}/sessions/${s.id}`;
      const g = await request(`${base}/stream`, { cred: s.credential });
      assert.deepStrictEqual([g.status, g.text], [503, rejectLine('SERVER_CLOSING', 'the session store failed: boom')]);
      const p = await request(`${base}/messages`, { method: 'POST', cred: s.credential, body: batch(1, 1) });
      assert.deepStrictEqual([p.status, p.text], [503, rejectLine('SERVER_CLOSING', 'the session store failed: boom')]);
    });

    /**
     * A hello that waits for the store (its create() held back) followed by a
     * frame of exactly maxHelloBytes and then `extra` more bytes; resolves
     * { peer, got } once the server has read them all (its pong), store released.
     */
    async function queuedHello(extra, taken = false) {
      const MAX = 256;
      const store = h.add(new MemorySessionStore());
      if (taken) await store.create('s_queued', { verifier: 'x' }, 'elsewhere');
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      const create = store.create.bind(store);
      store.create = (...args) => gate.then(() => create(...args));
      const { server, addr } = await h.server({ store, maxHelloBytes: MAX, encryption: 'disabled' });
      const got = [];
      server.on('session', (s) => s.on('message', (m) => got.push(m.n)));
      const peer = await rawPeer(addr.url);
      await peer.control('challenge');
      peer.send(ctl('hello', { sid: 's_queued', resume: false, rx: 0 }));
      const head = `${ctl('b', { s: 1 })}\n{"n":1,"pad":"`;
      const frame = `${head}${'x'.repeat(MAX - head.length - 3)}"}\n`;
      assert.strictEqual(Buffer.byteLength(frame), MAX);
      // the server reads frames in order: its pong says it has read the ones before
      const read = () =>
        new Promise((resolve) => {
          peer.ws.once('pong', resolve);
          peer.ws.ping();
        });
      peer.ws.send(frame);
      await read();
      if (extra) peer.ws.send('x'.repeat(extra));
      return { peer, got, release };
    }

    it('frames sent while the hello waits for the store: up to maxHelloBytes in all are kept and delivered after the welcome', async () => {
      const { peer, got, release } = await queuedHello(0);
      release();
      const welcome = await peer.control(['welcome', 'reject']);
      assert.strictEqual(welcome.t, 'welcome', JSON.stringify(welcome));
      await until(() => got.length === 1, 'the queued message delivered');
      assert.deepStrictEqual(got, [1]);
      peer.close();
    });

    it('frames sent while a hello waits for the store that then refuses it (SESSION_EXISTS): dropped with the connection', async () => {
      const { peer, got, release } = await queuedHello(0, true);
      release();
      const reply = await peer.control(['welcome', 'reject']);
      assert.deepStrictEqual([reply.t, reply.code], ['reject', 'SESSION_EXISTS']);
      assert.strictEqual((await peer.closed).code, 4400);
      assert.deepStrictEqual(got, []);
    });

    it('frames sent while the hello waits for the store: one byte past maxHelloBytes closes 1008', async () => {
      const { peer, release } = await queuedHello(1);
      const c = await peer.closed;
      release();
      assert.deepStrictEqual([c.code, c.reason], [1008, 'too much sent before the welcome']);
    });

    it('no hello within helloTimeoutMs is BAD_HELLO "no hello received"', async () => {
      const { addr } = await h.server({ helloTimeoutMs: 20 });
      const peer = await rawPeer(addr.url);
      assert.deepStrictEqual(await peer.control(['reject']), { $esn: 2, t: 'reject', code: 'BAD_HELLO', message: 'no hello received' });
    });
  });

  describe('close() with a store', () => {
    it('what send() accepted is in the store once close() resolves', async () => {
      const store = h.add(new MemorySessionStore());
      const { server } = await h.server({ store });
      const s = server.createSession('s_close_flush');
      const sent = [1, 2, 3].map((i) => s.send(chunkEvent(i)).catch(() => {}));
      await server.close();
      await Promise.all(sent);
      const rec = await store.load(s.id);
      assert.deepStrictEqual(rec.events.map((e) => e.seq), [1, 2, 3]);
    });
  });

  describe('an HTTP server the StreamServer does not own (the server option)', () => {
    it('httpRoutes: true serves the session routes on it; other paths and other upgrades are left to its owner', async () => {
      const httpServer = http.createServer();
      const server = h.add(new StreamServer({ server: httpServer, path: '/ws', httpRoutes: true, encryption: 'disabled' }));
      httpServer.on('request', (req, res) => {
        if (!req.url.startsWith('/sessions/')) res.end('mine');
      });
      httpServer.on('upgrade', (req, socket) => {
        if (req.url === '/other') socket.end('HTTP/1.1 418 Teapot\r\nConnection: close\r\n\r\n');
      });
      await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      h.add({ close: () => new Promise((resolve) => httpServer.close(resolve)) });
      const { port } = httpServer.address();
      const s = server.createSession('s_ext');
      const r = await request(`http://127.0.0.1:${port}/sessions/s_ext/stream?fromSeq=9`, { cred: s.credential });
      assert.deepStrictEqual([r.status, r.type], [416, NDJSON]);
      const other = await request(`http://127.0.0.1:${port}/nope`);
      assert.deepStrictEqual([other.status, other.text], [200, 'mine']);
      assert.strictEqual(await upgradeStatus(port, '/other'), 418);
      assert.strictEqual(await upgradeStatus(port, '/ws'), 101);
    });

    it('own server: httpRoutes false serves no HTTP routes; true (the default) answers other paths 404 text/plain', async () => {
      const { server: off } = await h.server({ httpRoutes: false });
      assert.strictEqual(off.httpServer.listenerCount('request'), 0);
      const { addr } = await h.server({});
      const r = await request(`${addr.httpUrl}/nope`);
      assert.deepStrictEqual([r.status, r.type, r.text], [404, 'text/plain', 'not found\n']);
    });
  });

  describe('address()', () => {
    it('an IPv6 host is bracketed in url and httpUrl', async function () {
      let addr;
      try {
        ({ addr } = await h.server({ host: '::1' }));
      } catch {
        this.skip(); // no IPv6 loopback here
      }
      assert.strictEqual(addr.url, `ws://[::1]:${addr.port}`);
      assert.strictEqual(addr.httpUrl, `http://[::1]:${addr.port}`);
    });
  });

  describe('the path option', () => {
    it('an upgrade to another path is 404 on a server that owns its HTTP server; the right path upgrades', async () => {
      const { addr } = await h.server({ path: '/ws', encryption: 'disabled' });
      assert.strictEqual(await upgradeStatus(addr.port, '/other'), 404);
      assert.strictEqual(await upgradeStatus(addr.port, '/ws?x=1'), 101);
    });
  });
});
