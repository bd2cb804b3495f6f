'use strict';
// Issue 10, attack 1 over WebSocket: a raw WebSocket attacker that knows a
// session id (it travels in clear) tries to resume the session. Version 2:
// refused with one code (SESSION_AUTH_FAILED, "session resume refused"),
// close 4400; the owner's live connection is not touched, the owner keeps
// receiving every event once, in order; the attacker receives nothing, and
// what it sends after its hello (ack 2^53-1, a client gap, bad or injected
// messages) never reaches the session.

const assert = require('node:assert');
const { until } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { V, lib, ctl, mac, token, rawPeer, inOrder, chunkEvent, MAX_SAFE } = require('./support/v2');

/** The attacker's resume hello: no proof, or a proof under a key it made up (over the real challenge when there is one). */
async function attackerHello(peer, sid, how) {
  if (how === 'no proof') return ctl('hello', { sid, resume: true, rx: 0 });
  let n = token();
  if (V >= 2) {
    const ch = await peer.control('challenge');
    n = ch.n;
  }
  const cn = token();
  return ctl('hello', { sid, resume: true, rx: 0, cn, proof: mac(Buffer.alloc(32, 7), 'resume', sid, n, cn, 0) });
}

function assertRefused(reply, close) {
  assert.ok(reply, 'the server answered nothing');
  assert.deepStrictEqual([reply.t, reply.code, reply.message], ['reject', 'SESSION_AUTH_FAILED', 'session resume refused'], `the attacker got ${JSON.stringify(reply)}`);
  assert.strictEqual(close.code, 4400);
}

describe('attacks: session takeover over WebSocket', function () {
  this.timeout(20000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  for (const encrypted of [false, true]) {
    const kind = encrypted ? 'encrypted' : 'plaintext';
    for (const how of ['no proof', 'a wrong proof']) {
      it(`${kind} session, resume hello with ${how}: SESSION_AUTH_FAILED, the owner is not disconnected and gets every event once, in order; the attacker gets nothing`, async () => {
        const p = await startPair(h, { encrypted });
        for (let i = 1; i <= 5; i++) await p.s.send(chunkEvent(i));
        await inOrder(p.got, 5);
        const atk = await rawPeer(p.addr.url);
        atk.send(await attackerHello(atk, p.c.sessionId, how));
        const reply = await atk.control(['welcome', 'reject']);
        const close = await atk.closed;
        assertRefused(reply, close);
        for (let i = 6; i <= 10; i++) await p.s.send(chunkEvent(i));
        for (let n = 1; n <= 3; n++) await p.c.send({ n });
        await inOrder(p.got, 10);
        await p.c.flush();
        assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1, 2, 3]);
        assert.deepStrictEqual(atk.events(), [], 'the attacker received events');
        assert.deepStrictEqual(p.disconnects, [], "the owner's connection was closed");
        assert.strictEqual(p.c.reconnects, 0);
        assert.strictEqual(p.s.connected, true);
      });
    }

    it(`${kind} session: no oracle, an attacker's resume with rx 2^53-1 gets SESSION_AUTH_FAILED, not RESUME_OUT_OF_RANGE (the proof is checked first)`, async () => {
      const p = await startPair(h, { encrypted });
      await p.s.send(chunkEvent(1));
      await inOrder(p.got, 1);
      const replies = [];
      for (const rx of [MAX_SAFE, 1, 0]) {
        const atk = await rawPeer(p.addr.url);
        atk.send(ctl('hello', { sid: p.c.sessionId, resume: true, rx, cn: token(), proof: token() }));
        const reply = await atk.control(['welcome', 'reject']);
        assertRefused(reply, await atk.closed);
        replies.push(reply);
      }
      assert.deepStrictEqual(replies[0], replies[1]);
      assert.deepStrictEqual(replies[0], replies[2]);
      assert.deepStrictEqual(p.disconnects, []);
    });

    it(`${kind} session, unknown session id: the same SESSION_AUTH_FAILED reject, nothing more said; no session created`, async () => {
      const { server, addr } = await h.server({ encryption: encrypted ? 'required' : 'disabled' });
      const replies = [];
      for (const how of ['no proof', 'a wrong proof']) {
        const atk = await rawPeer(addr.url);
        atk.send(await attackerHello(atk, 's_nobody_here', how));
        const reply = await atk.control(['welcome', 'reject']);
        assertRefused(reply, await atk.closed);
        replies.push(reply);
      }
      assert.deepStrictEqual(replies[0], replies[1]);
      assert.strictEqual(server.sessions.size, 0);
    });

    it(`${kind} session: an attacker's ack 2^53-1, client gap and 3 bad messages on its own connections change nothing for the owner`, async () => {
      const p = await startPair(h, { encrypted });
      const injected = [];
      p.s.on('message', (m) => {
        if (m && m.injected) injected.push(m);
      });
      for (let i = 1; i <= 3; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 3);
      for (let n = 1; n <= 2; n++) await p.c.send({ n });
      await p.c.flush();
      const sid = p.c.sessionId;
      const replies = [];
      for (let round = 0; round < 3; round++) {
        const atk = await rawPeer(p.addr.url);
        atk.send(await attackerHello(atk, sid, round === 1 ? 'a wrong proof' : 'no proof'));
        // sent without waiting for the answer: whatever the server does with the hello, these follow it
        atk.send(ctl('ack', { s: MAX_SAFE }));
        atk.send(ctl('gap', { from: 1, to: MAX_SAFE, count: MAX_SAFE, reason: 'replay_overflow' }));
        const bad = encrypted
          ? JSON.stringify({ protocolVersion: 2, sessionId: sid, seq: 3, type: 'enc', payload: { kid: 'k_x', nonceB64: 'AAAAAAAAAAAAAAAA', ciphertextB64: Buffer.alloc(40, round).toString('base64') } })
          : JSON.stringify({ injected: round });
        atk.send([ctl('b', { s: 3 }), bad]);
        replies.push(await atk.control(['welcome', 'reject']));
        await atk.closed;
        assert.deepStrictEqual(atk.events(), [], 'the attacker received events');
      }
      // the owner goes on as if nothing happened
      const stop = () => p.c.state === 'failed' || p.c.state === 'closed';
      for (let i = 4; i <= 10; i++) p.s.send(chunkEvent(i)).catch(() => {});
      for (let n = 3; n <= 6; n++) p.c.send({ n }).catch(() => {});
      await inOrder(p.got, 10, { stop, ms: 8000 });
      await inOrder(p.fromClient, 6, { what: 'messages', key: (m) => m.n, stop, ms: 8000 });
      await p.c.flush();
      assert.deepStrictEqual(injected, [], 'attacker messages were delivered to the session');
      assert.deepStrictEqual(p.disconnects, [], "the owner's connection was closed");
      assert.strictEqual(p.c.reconnects, 0);
      assert.strictEqual(p.c.state, 'connected');
      assert.deepStrictEqual(codes(p.sessionErrors), []);
      for (const r of replies) assert.deepStrictEqual([r && r.t, r && r.code], ['reject', 'SESSION_AUTH_FAILED']);
      assert.strictEqual(p.c.gaps.length, 0);
    });

    it(`${kind} session, the owner's own resume hello captured and replayed by an attacker: SESSION_AUTH_FAILED (fresh challenge); the owner is not disconnected`, async () => {
      const hellos = [];
      const p = await startPair(h, {
        encrypted,
        relay: {
          onClientFrame(lines) {
            for (const l of lines) if (l.t === 'hello' && l.v.resume) hellos.push(l.raw);
            return lines;
          },
        },
      });
      for (let i = 1; i <= 3; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 3);
      p.relay.cutAll(); // the owner resumes once, through the relay that records its hello
      await until(() => p.c.reconnects === 1 && p.c.state === 'connected' && hellos.length === 1, 'the owner resumes');
      const disconnectsBefore = p.disconnects.length;
      const atk = await rawPeer(p.addr.url);
      if (V >= 2) await atk.control('challenge');
      atk.send(hellos[0]);
      const reply = await atk.control(['welcome', 'reject']);
      assertRefused(reply, await atk.closed);
      for (let i = 4; i <= 6; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 6);
      assert.deepStrictEqual(atk.events(), []);
      assert.strictEqual(p.disconnects.length, disconnectsBefore, "the owner's connection was closed");
      assert.strictEqual(p.c.reconnects, 1);
    });

    it(`${kind} session, a new-session hello with the owner's id: SESSION_EXISTS; the owner is not disconnected`, async () => {
      const p = await startPair(h, { encrypted });
      const atk = await rawPeer(p.addr.url);
      const fields = { sid: p.c.sessionId, resume: false, rx: 0 };
      if (encrypted) fields.enc = { protocolVersion: 2, clientEphemeralPubKeyB64: lib.generateKeyPairSync().publicKeyB64, curve: 'P-256', supportedAlgorithms: ['AES-GCM-256'] };
      atk.send(ctl('hello', fields));
      const reply = await atk.control(['welcome', 'reject']);
      assert.deepStrictEqual([reply && reply.t, reply && reply.code], ['reject', 'SESSION_EXISTS']);
      assert.strictEqual((await atk.closed).code, 4400);
      for (let i = 1; i <= 3; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 3);
      assert.deepStrictEqual(p.disconnects, []);
    });

    it(`${kind} session, a version-1 resume hello (downgrade): UNSUPPORTED_VERSION; the owner is not disconnected`, async () => {
      const p = await startPair(h, { encrypted });
      for (let i = 1; i <= 2; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 2);
      const atk = await rawPeer(p.addr.url);
      atk.send(ctl('hello', { sid: p.c.sessionId, resume: true, rx: 0 }, 1));
      const reply = await atk.control(['welcome', 'reject']);
      assert.deepStrictEqual([reply && reply.t, reply && reply.code], ['reject', 'UNSUPPORTED_VERSION'], JSON.stringify(reply));
      assert.strictEqual((await atk.closed).code, 4400);
      for (let i = 3; i <= 4; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 4);
      assert.deepStrictEqual(atk.events(), []);
      assert.deepStrictEqual(p.disconnects, []);
    });
  }
});
