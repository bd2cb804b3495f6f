'use strict';
// Issue 10, attack 6 (smaller holes), the server's own checks:
//   - session.send() refuses an event the package's schemas reject
//     (ERR_STREAM_INVALID_EVENT) and queues nothing;
//   - a session id without the s_ prefix (the seed README's
//     sessionId: 'session_123') works, is mapped to 's_session_123', and every
//     event on the wire and delivered passes the package's own schema check.

const assert = require('node:assert');
const { until } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { lib, ctl, openPlain, inOrder, chunkEvent } = require('./support/v2');

describe('attacks: events the schemas reject, session ids without s_', function () {
  this.timeout(20000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  for (const encrypted of [false, true]) {
    const kind = encrypted ? 'encrypted' : 'plaintext';

    it(`${kind}: session.send() of an event the schemas reject: ERR_STREAM_INVALID_EVENT, nothing queued`, async () => {
      const p = await startPair(h, { encrypted });
      for (const bad of [{ payload: {} }, { type: 'stdout', payload: { chunk: 42 } }, { type: 'stdout' }]) {
        await assert.rejects(p.s.send(bad), { code: 'ERR_STREAM_INVALID_EVENT' }, JSON.stringify(bad));
      }
      assert.strictEqual(p.s.lastSeq, 0, 'a refused event took a seq');
      await p.s.send(chunkEvent(1));
      await p.s.send({ protocolVersion: 1, type: 'log', payload: { level: 'info', message: 'm' } });
      await inOrder(p.got, 2, { chunks: false });
      assert.strictEqual(p.got[0].payload.chunk, '1');
      assert.deepStrictEqual(codes(p.errors), []);
    });

    it(`${kind}: a client with sessionId 'session_123' works as 's_session_123'; every event passes the package's schemas`, async () => {
      const wire = [];
      const p = await startPair(h, {
        encrypted,
        client: { sessionId: 'session_123' },
        relay: {
          onServerFrame(lines) {
            for (const l of lines) if (l.kind === 'data') wire.push(l.raw);
            return lines;
          },
        },
      });
      assert.strictEqual(p.c.sessionId, 's_session_123');
      assert.strictEqual(p.s.id, 's_session_123');
      assert.strictEqual(p.server.getSession('s_session_123'), p.s);
      await p.s.send(chunkEvent(1));
      await p.s.send({ type: 'log', payload: { level: 'info', message: 'hello' } });
      await p.c.send({ n: 1 });
      await inOrder(p.got, 2, { chunks: false });
      await p.c.flush();
      for (const e of p.got) {
        const r = lib.parseStreamEventOrEncrypted(e);
        assert.ok(r.success, `delivered event fails the schemas: ${JSON.stringify(e)}`);
        assert.strictEqual(e.sessionId, 's_session_123');
      }
      await until(() => wire.length >= 2, 'the wire lines');
      for (const raw of wire) {
        const r = lib.parseLine(raw);
        assert.ok(r.success, `line on the wire fails the schemas: ${raw}`);
        assert.strictEqual(r.data.sessionId, 's_session_123');
        assert.strictEqual(r.data.type, encrypted ? 'enc' : r.data.type);
      }
      // and it resumes under that id
      p.relay.cutAll();
      await until(() => p.c.reconnects >= 1 && p.c.state === 'connected', 'the resume');
      await p.s.send(chunkEvent(3));
      await inOrder(p.got, 3, { chunks: false });
      assert.strictEqual(p.got[2].sessionId, 's_session_123');
    });
  }

  it("raw hello with sid 'session_123': the welcome names 's_session_123'", async () => {
    const { server, addr } = await h.server({});
    const { welcome, peer } = await openPlain(addr.url, 'session_123');
    assert.strictEqual(welcome && welcome.t, 'welcome', JSON.stringify(welcome));
    assert.strictEqual(welcome.sid, 's_session_123');
    const s = server.getSession('s_session_123');
    assert.ok(s, 'no session s_session_123');
    await s.send(chunkEvent(1));
    await until(() => peer.events().length === 1, 'the event');
    assert.ok(lib.parseStreamEventOrEncrypted(peer.events()[0]).success);
    peer.send(ctl('ack', { s: 1 }));
    peer.close();
  });

  it('odd session ids: mapped ids pass the schemas (x -> s_x, s_ -> a valid id); an id with a space or over 128 characters is BAD_HELLO', async () => {
    const { server, addr } = await h.server({});
    for (const [sid, want] of [
      ['x', 's_x'],
      ['s_', null],
      ['s_ok', 's_ok'],
    ]) {
      const { welcome, peer } = await openPlain(addr.url, sid);
      assert.strictEqual(welcome && welcome.t, 'welcome', `${sid}: ${JSON.stringify(welcome)}`);
      if (want) assert.strictEqual(welcome.sid, want);
      assert.ok(lib.isSessionId(welcome.sid), `${sid} -> ${welcome.sid}`);
      const s = server.getSession(welcome.sid);
      await s.send(chunkEvent(1));
      await until(() => peer.events().length === 1, 'the event');
      assert.ok(lib.parseStreamEventOrEncrypted(peer.events()[0]).success, JSON.stringify(peer.events()[0]));
      peer.close();
    }
    for (const sid of ['has space', 'y'.repeat(129)]) {
      const { welcome, peer } = await openPlain(addr.url, sid);
      assert.deepStrictEqual([welcome && welcome.t, welcome && welcome.code], ['reject', 'BAD_HELLO'], sid.slice(0, 20));
      assert.strictEqual((await peer.closed).code, 4400);
    }
  });
});
