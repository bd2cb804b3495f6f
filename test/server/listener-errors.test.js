'use strict';
// A StreamServer 'session' or 'resume' listener, or a session's 'connect'
// listener, that throws is the app's error: it surfaces as an uncaught exception (as a throwing 'request'
// listener of node:http does), after the server has finished setting the
// session up, on every path alike: a new WebSocket session with and without
// a store, a WebSocket resume that takes a session over from the store, and
// a GET …/stream that does. It is never reported to the client as a store
// failure, and the session is never left half attached.
const assert = require('node:assert');
const { MemorySessionStore } = require('../../lib/server');
const { Harness, until } = require('../helpers/stream-harness');
const { turn } = require('../helpers/turn');
const { openPlain, resumeAs, credentialKeys, chunkEvent } = require('../attacks/support/v2');

/**
 * Takes over process 'uncaughtException' (mocha's own handlers put back
 * after): `caught` resolves with the first uncaught error.
 */
function catchUncaught() {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const restore = () => {
    process.removeAllListeners('uncaughtException');
    for (const l of saved) process.on('uncaughtException', l);
  };
  const caught = new Promise((resolve) => {
    process.once('uncaughtException', (err) => {
      restore();
      resolve(err);
    });
  });
  return { caught, restore };
}

/** A listener for `event` on `server` that throws once. */
function throwOnce(server, event) {
  const err = new Error(`app bug in '${event}'`);
  server.once(event, () => {
    throw err;
  });
  return err;
}

describe('server: a throwing session or resume listener', function () {
  this.timeout(10000);
  let h;
  let guard;
  beforeEach(() => {
    h = new Harness();
    guard = null;
  });
  afterEach(async () => {
    if (guard) guard.restore();
    await h.cleanup();
  });

  for (const withStore of [false, true]) {
    it(`a new WebSocket session ${withStore ? 'with' : 'without'} a store: the app's error is uncaught, the client is welcomed and the session served`, async () => {
      const store = withStore ? h.add(new MemorySessionStore()) : MemorySessionStore.embedded();
      const { server, addr } = await h.server({ encryption: 'disabled', store });
      const bug = throwOnce(server, 'session');
      guard = catchUncaught();
      const { peer, welcome } = await openPlain(addr.url, 's_listener_new');
      assert.strictEqual(await guard.caught, bug);
      assert.deepStrictEqual([welcome.t, welcome.sid], ['welcome', 's_listener_new']);
      const s = server.sessions.get('s_listener_new');
      assert.ok(s && s.connected, 'the session is held and attached');
      await s.send(chunkEvent(1));
      await until(() => peer.events().length === 1, 'the event reaches the client');
      peer.close();
    });
  }

  /** Two servers on one store; `a` holds session `sid` with two stored events, then closes. */
  async function storedAway(sid) {
    const store = h.add(new MemorySessionStore());
    const { server: a } = await h.server({ encryption: 'disabled', store });
    const { server: b, addr: ab } = await h.server({ encryption: 'disabled', store });
    const s = a.createSession(sid);
    await s.send(chunkEvent(1));
    await s.send(chunkEvent(2));
    while (!(await store.has(sid))) await turn();
    const cred = s.credential;
    await a.close();
    return { b, ab, cred };
  }

  it("a session's 'connect' listener throwing on a GET …/stream takeover: the app's error is uncaught, the events are served", async () => {
    const sid = 's_listener_http_connect';
    const { b, ab, cred } = await storedAway(sid);
    const bug = new Error("app bug in 'connect'");
    b.once('session', (s) => s.once('connect', () => {
      throw bug;
    }));
    guard = catchUncaught();
    const ac = new AbortController();
    const r = await fetch(`${ab.httpUrl}/sessions/${sid}/stream?fromSeq=1`, { headers: { 'x-esn-credential': cred }, signal: ac.signal });
    assert.strictEqual(await guard.caught, bug);
    assert.strictEqual(r.status, 200);
    assert.ok(b.sessions.get(sid).connected);
    ac.abort();
  });

  for (const event of ['session', 'resume']) {
    it(`a WebSocket resume that takes the session over from the store, '${event}' throwing: the app's error is uncaught, the client is welcomed back`, async () => {
      const sid = `s_listener_ws_${event}`;
      const { b, ab, cred } = await storedAway(sid);
      const bug = throwOnce(b, event);
      guard = catchUncaught();
      const { peer, reply } = await resumeAs(ab.url, { sid, rx: 1, authC: credentialKeys(cred, sid).authC });
      assert.strictEqual(await guard.caught, bug);
      assert.deepStrictEqual([reply.t, reply.resumed, reply.next], ['welcome', true, 3]);
      assert.ok(b.sessions.get(sid).connected, 'the session is held and attached');
      assert.strictEqual(b._claiming.size, 0);
      peer.close();
    });

    it(`a GET …/stream that takes the session over from the store, '${event}' throwing: the app's error is uncaught, the events are served`, async () => {
      const sid = `s_listener_http_${event}`;
      const { b, ab, cred } = await storedAway(sid);
      const bug = throwOnce(b, event);
      guard = catchUncaught();
      const ac = new AbortController();
      const r = await fetch(`${ab.httpUrl}/sessions/${sid}/stream?fromSeq=2`, { headers: { 'x-esn-credential': cred }, signal: ac.signal });
      assert.strictEqual(await guard.caught, bug);
      assert.strictEqual(r.status, 200);
      const reader = r.body.getReader();
      let text = '';
      while (!text.includes('"chunk":"2"')) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the stream ended early: ${text}`);
        text += Buffer.from(value).toString('utf8');
      }
      assert.ok(!text.includes('"chunk":"1"'), 'served from fromSeq');
      assert.ok(b.sessions.has(sid));
      ac.abort();
    });
  }
});
