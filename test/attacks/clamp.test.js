'use strict';
// Issue 10, attack 4 (clamp): a resume point or an ack beyond what was sent
// is refused with a code and never recorded; a client may not send a gap.
//   - an authenticated owner (a raw peer with the plaintext credential, or
//     with the keys of its own ECDH handshake) resuming with rx beyond the
//     last seq sent: reject RESUME_OUT_OF_RANGE; a later genuine resume gets
//     every event (nothing was recorded) and real acks still free them;
//   - an ack beyond the last seq sent (relay, or the owner with a valid MAC):
//     the connection drops with ERR_STREAM_RANGE, nothing recorded, the
//     producer is not wedged (it sends > 1 MiB afterwards);
//   - a gap from a client: ERR_STREAM_CONTROL, nothing recorded.
// (HTTP fromSeq beyond the end: test/attacks/http.test.js.)

const assert = require('node:assert');
const { until, once } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { ctl, mac, credentialKeys, openPlain, openEncrypted, resumeAs, inOrder, range, chunkEvent, MAX_SAFE } = require('./support/v2');

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((resolve, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)))]).finally(() => clearTimeout(timer));
}

describe('attacks: resume points and acks beyond what was sent (clamp)', function () {
  this.timeout(30000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  /** A server and a raw owner of session `sid` (plaintext: credential; encrypted: its own handshake) with 3 events sent. */
  async function ownedSession(encrypted, sid) {
    const { server, addr } = await h.server({ encryption: encrypted ? 'required' : 'disabled' });
    const sessionP = once(server, 'session');
    let authC;
    let authS = null;
    let first;
    if (encrypted) {
      const o = await openEncrypted(addr.url, sid);
      authC = o.auth.authC;
      authS = o.auth.authS;
      first = o.peer;
    } else {
      const o = await openPlain(addr.url, sid);
      assert.strictEqual(typeof o.cred, 'string', `the plaintext welcome carries no credential: ${JSON.stringify(o.welcome)}`);
      authC = credentialKeys(o.cred, o.welcome.sid).authC;
      first = o.peer;
    }
    const s = await sessionP;
    const errs = [];
    s.on('error', (e) => errs.push(e.code));
    for (let i = 1; i <= 3; i++) await s.send(chunkEvent(i));
    await until(() => first.events().length === 3, 'the first 3 events');
    first.close();
    await until(() => !s.connected, 'the owner gone');
    return { server, addr, s, sid: s.id, authC, authS, errs };
  }

  for (const encrypted of [false, true]) {
    const kind = encrypted ? 'encrypted' : 'plaintext';

    it(`${kind}: the owner resuming with rx beyond what was sent gets RESUME_OUT_OF_RANGE; nothing recorded, real acks still work`, async () => {
      const o = await ownedSession(encrypted, `s_clamp_${kind}`);
      for (const rx of [MAX_SAFE, 4]) {
        const { peer, reply } = await resumeAs(o.addr.url, { sid: o.sid, rx, authC: o.authC });
        assert.deepStrictEqual([reply && reply.t, reply && reply.code], ['reject', 'RESUME_OUT_OF_RANGE'], `rx ${rx}: ${JSON.stringify(reply)}`);
        assert.strictEqual((await peer.closed).code, 4400);
        assert.deepStrictEqual(peer.events(), []);
      }
      assert.strictEqual(o.s.stats.held, 3, 'the out-of-range resume point was recorded');
      // a genuine resume from 0 gets all 3; its ack frees them
      const { peer, reply, cn } = await resumeAs(o.addr.url, { sid: o.sid, rx: 0, authC: o.authC });
      assert.deepStrictEqual([reply.t, reply.resumed], ['welcome', true]);
      // the resumed encrypted welcome carries m = mac(authS, "welcome", sid, cn, rx, next)
      if (encrypted) assert.strictEqual(reply.m, mac(o.authS, 'welcome', o.sid, cn, reply.rx, reply.next));
      await until(() => peer.events().length === 3, 'the replayed events');
      assert.deepStrictEqual(peer.events().map((e) => e.seq), [1, 2, 3]);
      peer.send(ctl('ack', encrypted ? { s: 3, m: mac(o.authC, 'ack', 3) } : { s: 3 }));
      await until(() => o.s.stats.held === 0, 'the real ack frees the events');
      assert.strictEqual(o.s.connected, true);
      peer.close();
    });

    it(`${kind}: the owner's ack beyond what was sent (valid MAC when encrypted) drops the connection with ERR_STREAM_RANGE; nothing recorded`, async () => {
      const o = await ownedSession(encrypted, `s_ackrange_${kind}`);
      const { peer, reply } = await resumeAs(o.addr.url, { sid: o.sid, rx: 0, authC: o.authC });
      assert.strictEqual(reply && reply.t, 'welcome', JSON.stringify(reply));
      await until(() => peer.events().length === 3, 'the replayed events');
      peer.send(ctl('ack', encrypted ? { s: MAX_SAFE, m: mac(o.authC, 'ack', MAX_SAFE) } : { s: MAX_SAFE }));
      await until(() => o.errs.length > 0 || peer.isClosed, 'the server reacts', 5000).catch(() => {});
      assert.deepStrictEqual(o.errs, ['ERR_STREAM_RANGE']);
      await peer.closed;
      assert.strictEqual(o.s.stats.held, 3, 'the out-of-range ack was recorded');
      const again = await resumeAs(o.addr.url, { sid: o.sid, rx: 0, authC: o.authC });
      assert.strictEqual(again.reply.t, 'welcome');
      await until(() => again.peer.events().length === 3, 'the events again');
      again.peer.close();
    });
  }

  it('an ack 2^53-1 injected by a relay (plaintext): ERR_STREAM_RANGE, not recorded; the producer is not wedged (1.5 MiB after it), every event once, in order', async () => {
    const N = 1536;
    const pad = 'x'.repeat(1000);
    const p = await startPair(h, {
      relay: {
        onClientFrame(lines, ctx) {
          if (ctx.id === 1 && !ctx.state.done && lines.some((l) => l.t === 'ack')) {
            ctx.state.done = true;
            return [...lines, ctl('ack', { s: MAX_SAFE }, ctx.version)];
          }
          return lines;
        },
      },
    });
    await p.s.send(chunkEvent(1, pad));
    await until(() => p.relay.connections[0].state.done, 'the injected ack');
    // 1.5 MiB more: the producer blocks for good if the bogus ack was recorded
    for (let i = 2; i <= N; i++) await withTimeout(p.s.send(chunkEvent(i, pad)), 10000, `the producer is wedged at event ${i}`);
    await inOrder(p.got, N, { ms: 30000 });
    assert.deepStrictEqual(codes(p.sessionErrors), ['ERR_STREAM_RANGE']);
    assert.ok(p.c.reconnects >= 1);
  });

  for (const encrypted of [false, true]) {
    it(`a gap from the client (${encrypted ? 'encrypted' : 'plaintext'}, injected by a relay): ERR_STREAM_CONTROL, nothing recorded; every message once, in order`, async () => {
      const p = await startPair(h, {
        encrypted,
        relay: {
          onClientFrame(lines, ctx) {
            if (ctx.id !== 1 || ctx.state.done || !lines.some((l) => l.kind !== 'control' && l.seq === 2)) return lines;
            // right after message 2: a gap "from 3 to 2^53-1", then the rest of the frame under a new header
            ctx.state.done = true;
            const out = [];
            let header = false;
            for (const l of lines) {
              if (header && l.kind !== 'control') {
                out.push(ctl('b', { s: l.seq }, ctx.version));
                header = false;
              }
              out.push(l);
              if (l.kind !== 'control' && l.seq === 2) {
                out.push(ctl('gap', { from: 3, to: MAX_SAFE, count: MAX_SAFE - 2, reason: 'replay_overflow' }, ctx.version));
                header = true;
              }
            }
            return out;
          },
        },
      });
      for (let n = 1; n <= 6; n++) await p.c.send({ n });
      await inOrder(p.fromClient, 6, { what: 'messages', key: (m) => m.n, chunks: false, ms: 8000 });
      await p.c.flush();
      assert.deepStrictEqual(codes(p.sessionErrors), ['ERR_STREAM_CONTROL']);
      assert.strictEqual(p.s.lastClientSeq, 6);
      assert.deepStrictEqual(range(1, 6), p.fromClient.map((m) => m.n));
    });
  }
});
