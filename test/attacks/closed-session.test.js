'use strict';
// A session the server app closes (session.close()): the server says so with
// a reject SESSION_CLOSED, MACed over ("closed", sid) with the session's key
// (encrypted) or resume verifier (plaintext); the client fails with
// SESSION_CLOSED, once, without a resume loop, after the events sent before
// the close. A relay cannot use the frame to do more than it already can: a
// forged, altered or replayed (another session's) SESSION_CLOSED fails its
// MAC and only drops the connection, which the client resumes.

const assert = require('node:assert');
const { until, once } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { ctl, token, inOrder, chunkEvent, FAST } = require('./support/v2');
const { RejectCode } = require('../../index.js');

/** The client's failure: its 'failed' event and what send() and connect() reject with afterwards. */
async function failure(p) {
  const f = await p.failed;
  const sent = await p.c.send({ late: true }).then(
    () => null,
    (e) => e,
  );
  return { f, sent };
}

describe('attacks: a session closed by the server (SESSION_CLOSED)', function () {
  this.timeout(20000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  it('the runtime RejectCode has SESSION_EXISTS and SESSION_CLOSED', () => {
    assert.strictEqual(RejectCode.SessionExists, 'SESSION_EXISTS');
    assert.strictEqual(RejectCode.SessionClosed, 'SESSION_CLOSED');
  });

  for (const encrypted of [false, true]) {
    it(`${encrypted ? 'encrypted' : 'plaintext'}: session.close() fails the client with SESSION_CLOSED (not a resume refusal), after the events sent before it`, async () => {
      const p = await startPair(h, { encrypted });
      for (let i = 1; i <= 3; i++) await p.s.send(chunkEvent(i));
      p.s.close();
      const { f, sent } = await failure(p);
      assert.strictEqual(f.code, 'SESSION_CLOSED', `failed with ${f.code}: ${f.reason}`);
      assert.match(f.reason, /closed/);
      assert.strictEqual(p.c.state, 'failed');
      assert.strictEqual(sent && sent.code, 'SESSION_CLOSED');
      await assert.rejects(p.c.flush().then(() => p.c.send({})), { code: 'SESSION_CLOSED' });
      assert.deepStrictEqual(p.got.map((e) => e.seq), [1, 2, 3]);
      assert.ok(!p.states.includes('reconnecting'), `states ${p.states}`);
    });
  }

  it('http:// client: session.close() fails it with SESSION_CLOSED', async () => {
    const { server, addr } = await h.server({});
    const s = server.createSession('s_closed_http');
    const got = [];
    const c = h.client({ url: addr.httpUrl, sessionId: 's_closed_http', credential: s.credential, reconnect: FAST, onMessage: (m) => got.push(m) });
    const failed = once(c, 'failed');
    await c.connect();
    await s.send(chunkEvent(1));
    await inOrder(got, 1);
    s.close();
    const f = await failed;
    assert.strictEqual(f.code, 'SESSION_CLOSED', `failed with ${f.code}: ${f.reason}`);
  });

  it('a forged SESSION_CLOSED (random MAC, or none) from a relay only drops the connection: the client resumes, nothing is lost', async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onServerFrame(lines, ctx) {
          if (ctx.id === 1 && lines.some((l) => l.kind === 'data' && l.seq === 2)) {
            return [...lines, ctl('reject', { code: 'SESSION_CLOSED', message: 'forged', m: token() })];
          }
          if (ctx.id === 2 && lines.some((l) => l.kind === 'data' && l.seq === 3)) {
            return [...lines, ctl('reject', { code: 'SESSION_CLOSED', message: 'forged' })];
          }
          return lines;
        },
      },
    });
    for (let i = 1; i <= 5; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 5);
    await until(() => p.c.reconnects >= 2, 'two resumes');
    assert.strictEqual(p.c.state, 'connected');
    assert.ok(!p.states.includes('failed'), `states ${p.states}`);
    assert.ok(codes(p.errors).includes('ERR_STREAM_CONTROL'), `errors ${codes(p.errors)}`);
    await p.c.send({ n: 1 });
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient, [{ n: 1 }]);
  });

  it("a genuine SESSION_CLOSED of another session, replayed by a relay, does not close this one", async () => {
    const captured = [];
    const relay = {
      onServerFrame(lines, ctx) {
        for (const l of lines) if (l.t === 'reject' && l.v.code === 'SESSION_CLOSED') captured.push(l.raw);
        if (ctx.state.inject && captured.length) {
          ctx.state.inject = false;
          return [...lines, captured[0]];
        }
        return lines;
      },
    };
    const a = await startPair(h, { encrypted: true, relay });
    a.s.close();
    assert.strictEqual((await a.failed).code, 'SESSION_CLOSED');
    await until(() => captured.length === 1, 'the genuine SESSION_CLOSED seen by the relay');
    // a second session through a second relay that replays it
    const b = await startPair(h, { encrypted: true, relay });
    for (const ctx of b.relay.connections) ctx.state.inject = true;
    await b.s.send(chunkEvent(1));
    await inOrder(b.got, 1);
    await until(() => b.c.reconnects >= 1, 'the resume after the replayed frame');
    await b.s.send(chunkEvent(2));
    await inOrder(b.got, 2);
    assert.ok(!b.states.includes('failed'), `states ${b.states}`);
  });

  it('a relay that drops the SESSION_CLOSED frame: the resume is refused, the client still fails (SESSION_AUTH_FAILED), no loop', async () => {
    const p = await startPair(h, {
      relay: {
        onServerFrame: (lines) => lines.filter((l) => l.t !== 'reject' || l.v.code !== 'SESSION_CLOSED'),
      },
    });
    p.s.close();
    const f = await p.failed;
    assert.strictEqual(f.code, 'SESSION_AUTH_FAILED');
  });

  it('a session closed while its client is away is not resumable (SESSION_AUTH_FAILED: unknown sessions and bad proofs look the same)', async () => {
    const p = await startPair(h, { client: { reconnect: { ...FAST, initialDelay: 50 } } });
    const disconnected = once(p.c, 'disconnected');
    p.s.link.transport.terminate();
    await disconnected;
    p.s.close();
    const f = await p.failed;
    assert.strictEqual(f.code, 'SESSION_AUTH_FAILED');
  });
});
