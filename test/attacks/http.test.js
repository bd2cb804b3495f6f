'use strict';
// Issue 10, attacks 1, 4 and 6 over HTTP: GET /sessions/:id/stream and
// POST /sessions/:id/messages need the session's private credential in the
// x-esn-credential header (server.createSession() -> session.credential).
// Without it, or with a wrong one, or for an unknown session: 403 with one
// reject body and nothing leaks or gets delivered. With it everything works,
// including an http:// ReconnectingStream that resumes. fromSeq beyond what
// was sent is 416 RESUME_OUT_OF_RANGE (not recorded); a refused POST body is
// a 4xx with a coded JSON body and leaves the session's WebSocket alone.

const assert = require('node:assert');
const { until } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { ctl, token, inOrder, range, chunkEvent, FAST, MAX_SAFE } = require('./support/v2');

const REFUSED = { $esn: 2, t: 'reject', code: 'SESSION_AUTH_FAILED', message: 'session resume refused' };

/** GET/POST with an optional credential; resolves { status, body } (a streaming 200 is read until `readLines` events, 3 s at most, then aborted). */
async function call(base, path, { method = 'GET', credential, body, readLines = 0 } = {}) {
  const ac = new AbortController();
  const headers = { accept: 'application/x-ndjson' };
  if (credential !== undefined) headers['x-esn-credential'] = credential;
  if (body !== undefined) headers['content-type'] = 'application/x-ndjson';
  const res = await fetch(`${base}${path}`, { method, headers, body, signal: ac.signal });
  let text = '';
  if (res.status === 200 && method === 'GET') {
    // a stream: read until `readLines` event lines arrived (3 s at most: a
    // stream never ends by itself), then hang up
    const reader = res.body.getReader();
    let timer;
    const deadline = new Promise((resolve) => {
      timer = setTimeout(() => resolve({ timeout: true }), 3000);
    });
    const events = () => text.split('\n').filter((l) => l.startsWith('{"protocolVersion"')).length;
    while (events() < readLines) {
      const r = await Promise.race([reader.read(), deadline]);
      if (r.timeout || r.done) break;
      if (r.value) text += Buffer.from(r.value).toString();
    }
    clearTimeout(timer);
    ac.abort();
  } else {
    text = await res.text();
  }
  const lines = text.split('\n').filter(Boolean);
  const parsed = lines.map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      return l;
    }
  });
  return { status: res.status, text, lines: parsed, events: parsed.filter((x) => x && x.protocolVersion !== undefined) };
}

describe('attacks: HTTP routes need the credential', function () {
  this.timeout(20000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  async function httpSession(id) {
    const { server, addr } = await h.server({ heartbeatIntervalMs: 1000 });
    const s = server.createSession(id);
    const got = [];
    s.on('message', (m) => got.push(m));
    for (let i = 1; i <= 3; i++) s.send(chunkEvent(i)).catch(() => {});
    return { server, addr, s, got };
  }

  it('GET /sessions/:id/stream without, with a wrong, or for an unknown session: 403 SESSION_AUTH_FAILED, no event leaks', async () => {
    const { server, addr, s } = await httpSession('s_http_get');
    const other = server.createSession('s_http_other');
    const cases = [
      ['/sessions/s_http_get/stream?fromSeq=1', undefined],
      ['/sessions/s_http_get/stream?fromSeq=1', other.credential || token(32)], // another session's credential
      ['/sessions/s_http_get/stream?fromSeq=1', token(32)],
      ['/sessions/s_http_get/stream?fromSeq=1', ''],
      ['/sessions/s_http_get/stream?fromSeq=9007199254740991', undefined], // no range oracle without the credential
      ['/sessions/s_unknown/stream?fromSeq=1', token(32)],
      ['/sessions/s_unknown/stream?fromSeq=1', undefined],
    ];
    for (const [path, credential] of cases) {
      const r = await call(addr.httpUrl, path, { credential, readLines: 3 });
      assert.deepStrictEqual(r.events, [], `events leaked to ${path} (credential ${credential})`);
      assert.strictEqual(r.status, 403, `${path} (credential ${credential})`);
      assert.deepStrictEqual(r.lines, [REFUSED]);
    }
    assert.strictEqual(s.connected, false);
    assert.strictEqual(s.stats.held, 3, 'nothing was recorded as acknowledged');
  });

  it('the credential in the URL instead of the header does not count: 403', async () => {
    const { addr, s, got } = await httpSession('s_http_url');
    const cred = encodeURIComponent(s.credential || 'no-credential');
    for (const q of [`credential=${cred}`, `x-esn-credential=${cred}`]) {
      const r = await call(addr.httpUrl, `/sessions/s_http_url/stream?fromSeq=1&${q}`, { readLines: 3 });
      assert.deepStrictEqual(r.events, [], 'events leaked');
      assert.strictEqual(r.status, 403);
      const post = await call(addr.httpUrl, `/sessions/s_http_url/messages?${q}`, { method: 'POST', body: `${ctl('b', { s: 1 })}\n{"n":1}\n` });
      assert.strictEqual(post.status, 403);
    }
    assert.deepStrictEqual(got, []);
  });

  it("GET on a live WebSocket session (plaintext) without the credential: 403; the owner's WebSocket is not touched", async () => {
    const p = await startPair(h, {});
    for (let i = 1; i <= 2; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 2);
    const sid = encodeURIComponent(p.c.sessionId);
    const r = await call(p.addr.httpUrl, `/sessions/${sid}/stream?fromSeq=1`, { readLines: 2 });
    assert.deepStrictEqual(r.events, [], 'events leaked');
    assert.strictEqual(r.status, 403);
    const post = await call(p.addr.httpUrl, `/sessions/${sid}/messages`, { method: 'POST', body: `${ctl('b', { s: 1 })}\n{"n":"forged"}\n` });
    assert.strictEqual(post.status, 403);
    for (let i = 3; i <= 4; i++) await p.s.send(chunkEvent(i));
    await p.c.send({ n: 1 });
    await inOrder(p.got, 4);
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient, [{ n: 1 }]);
    assert.deepStrictEqual(p.disconnects, [], "the owner's WebSocket was dropped");
  });

  it('POST /sessions/:id/messages without or with a wrong credential: 403 SESSION_AUTH_FAILED, nothing delivered', async () => {
    const { addr, got } = await httpSession('s_http_post');
    const body = `${ctl('b', { s: 1 })}\n{"n":"forged"}\n`;
    for (const [path, credential] of [
      ['/sessions/s_http_post/messages', undefined],
      ['/sessions/s_http_post/messages', token(32)],
      ['/sessions/s_unknown/messages', token(32)],
    ]) {
      const r = await call(addr.httpUrl, path, { method: 'POST', credential, body });
      assert.deepStrictEqual(got, [], 'a message was delivered');
      assert.strictEqual(r.status, 403, `${path} (credential ${credential})`);
      assert.deepStrictEqual(r.lines, [REFUSED]);
    }
  });

  it('with the credential (session.credential): GET streams the events, POST delivers', async () => {
    const { addr, s, got } = await httpSession('s_http_ok');
    assert.strictEqual(typeof s.credential, 'string', 'server.createSession() returns no session.credential');
    assert.match(s.credential, /^[A-Za-z0-9_-]{43}$/);
    const r = await call(addr.httpUrl, '/sessions/s_http_ok/stream?fromSeq=2', { credential: s.credential, readLines: 2 });
    assert.strictEqual(r.status, 200);
    assert.deepStrictEqual(r.events.map((e) => e.seq), [2, 3]);
    await until(() => !s.connected, 'the GET stream detached');
    const p = await call(addr.httpUrl, '/sessions/s_http_ok/messages', { method: 'POST', credential: s.credential, body: `${ctl('b', { s: 1 })}\n{"n":1}\n` });
    assert.strictEqual(p.status, 200);
    assert.deepStrictEqual(got, [{ n: 1 }]);
  });

  it('an http:// ReconnectingStream with the credential connects, sends, and resumes after a drop', async () => {
    const { addr, s, got } = await httpSession('s_http_client');
    assert.strictEqual(typeof s.credential, 'string', 'server.createSession() returns no session.credential');
    const events = [];
    const c = h.client({ url: addr.httpUrl, sessionId: 's_http_client', credential: s.credential, reconnect: FAST, onMessage: (m) => events.push(m) });
    await c.connect();
    await inOrder(events, 3);
    await c.send({ n: 1 });
    await c.flush();
    s.link.transport.terminate(); // the server drops the stream: the client resumes with its credential
    for (let i = 4; i <= 6; i++) await s.send(chunkEvent(i));
    await inOrder(events, 6);
    await c.send({ n: 2 });
    await c.flush();
    assert.deepStrictEqual(got.map((m) => m.n), [1, 2]);
    assert.ok(c.reconnects >= 1);
  });

  it('an http:// ReconnectingStream without the credential (refused at construction, or on connect) or with a wrong one: SESSION_AUTH_FAILED, gets nothing', async () => {
    const { addr } = await httpSession('s_http_nocred');
    for (const credential of [undefined, token(32)]) {
      const events = [];
      let c;
      try {
        c = h.client({ url: addr.httpUrl, sessionId: 's_http_nocred', credential, reconnect: FAST, onMessage: (m) => events.push(m) });
      } catch (err) {
        assert.ok(credential === undefined && err instanceof TypeError && /credential/.test(err.message), `constructor threw ${err}`);
        continue;
      }
      await assert.rejects(c.connect(), { code: 'SESSION_AUTH_FAILED' });
      assert.deepStrictEqual(events, []);
    }
  });

  it('GET ?fromSeq=9007199254740991 with the credential: 416 RESUME_OUT_OF_RANGE, nothing recorded (a later GET from 1 gets every event)', async () => {
    const { addr, s } = await httpSession('s_http_range');
    const cred = s.credential || 'no-credential';
    for (const from of [MAX_SAFE, 5]) {
      const r = await call(addr.httpUrl, `/sessions/s_http_range/stream?fromSeq=${from}`, { credential: cred, readLines: 1 });
      assert.strictEqual(r.status, 416, `fromSeq=${from}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.deepStrictEqual([r.lines[0].t, r.lines[0].code], ['reject', 'RESUME_OUT_OF_RANGE']);
    }
    assert.strictEqual(s.stats.held, 3, 'the out-of-range resume point was recorded');
    const ok = await call(addr.httpUrl, '/sessions/s_http_range/stream?fromSeq=1', { credential: cred, readLines: 3 });
    assert.strictEqual(ok.status, 200);
    assert.deepStrictEqual(ok.events.map((e) => e.seq), [1, 2, 3]);
    // fromSeq = last + 1 (nothing missing) is in range
    const end = await call(addr.httpUrl, '/sessions/s_http_range/stream?fromSeq=4', { credential: cred, readLines: 0 });
    assert.strictEqual(end.status, 200);
  });

  it('a refused POST body (a non-JSON line, with the credential): 400 with a coded JSON body; the WebSocket stays open and keeps delivering', async () => {
    let cred;
    const p = await startPair(h, {
      relay: {
        onServerFrame(lines) {
          for (const l of lines) if (l.t === 'welcome' && l.v.cred) cred = l.v.cred;
          return lines;
        },
      },
    });
    for (let i = 1; i <= 2; i++) await p.s.send(chunkEvent(i));
    await p.c.send({ n: 1 });
    await inOrder(p.got, 2);
    await p.c.flush();
    const sid = encodeURIComponent(p.c.sessionId);
    const r = await call(p.addr.httpUrl, `/sessions/${sid}/messages`, { method: 'POST', credential: cred || 'no-credential', body: `${ctl('b', { s: 2 })}\n{"n":\n` });
    assert.strictEqual(r.status, 400, `POST answered ${r.status} ${r.text.slice(0, 200)}`);
    const f = JSON.parse(r.text.split('\n')[0]);
    assert.strictEqual(typeof f.code, 'string');
    assert.strictEqual(f.t, 'reject');
    // the live WebSocket was not touched
    for (let i = 3; i <= 6; i++) await p.s.send(chunkEvent(i));
    for (let n = 2; n <= 3; n++) await p.c.send({ n });
    await inOrder(p.got, 6);
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1, 2, 3]);
    assert.deepStrictEqual(p.disconnects, [], 'the WebSocket was dropped');
    assert.strictEqual(p.c.reconnects, 0);
    assert.deepStrictEqual(codes(p.errors), []);
    assert.strictEqual(typeof cred, 'string', 'the plaintext welcome carries no credential');
  });
});
