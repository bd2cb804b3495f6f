'use strict';
// Issue 10, attack 5 (unbounded memory) and the bounds of version 2:
//   - maxHelloBytes: a WebSocket message bigger than it before the hello is
//     accepted closes the connection with 1009 (default 64 KiB); after the
//     hello, bigger messages are fine;
//   - maxBufferedBytes: pongs count against it and at most one is pending; a
//     peer that never reads is dropped as a slow consumer
//     (ERR_STREAM_SLOW_CONSUMER, close 4008);
//   - maxSessions: new sessions past it are refused TOO_MANY_SESSIONS, resumes
//     of existing ones still work;
//   - maxPendingSends: one more un-awaited send() than allowed rejects with
//     ERR_STREAM_TOO_MANY_PENDING and is not queued (server session and client).

const assert = require('node:assert');
const { until, once } = require('../helpers/stream-harness');
const { startPair, guarded } = require('./support/pair');
const { ctl, rawPeer, openPlain, credentialKeys, resumeAs, inOrder, range, chunkEvent, FAST } = require('./support/v2');

/** Bytes the server's WebSockets hold that their peers have not taken (the `ws` package's bufferedAmount). */
function serverBuffered(server) {
  let n = 0;
  for (const ws of server.wss ? server.wss.clients : []) n += ws.bufferedAmount;
  return n;
}

const welcomed = (peer) => peer.lines.some((l) => l.t === 'welcome');
const settled = (results) => results.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason && r.reason.code));

describe('attacks: bounds', function () {
  this.timeout(30000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  /** A server with one healthy client session; `check()` proves it still works. */
  async function serverWithOwner(opts) {
    const p = await startPair(h, { server: opts });
    let next = 1;
    p.check = async () => {
      const from = next;
      next += 2;
      for (let i = from; i < next; i++) await p.s.send(chunkEvent(i));
      await p.c.send({ n: from });
      await inOrder(p.got, next - 1);
      await p.c.flush();
      assert.strictEqual(p.c.reconnects, 0);
    };
    await p.check();
    return p;
  }

  describe('maxHelloBytes', () => {
    it('a 5000-byte message before the hello (maxHelloBytes 4096) closes with 1009; no session, the others unaffected; after the hello bigger messages are fine', async () => {
      const p = await serverWithOwner({ maxHelloBytes: 4096 });
      const peer = await rawPeer(p.addr.url);
      peer.send(ctl('hello', { sid: 's_big_hello', resume: false, rx: 0, pad: 'x'.repeat(5000) }));
      await until(() => peer.isClosed || welcomed(peer), 'an answer');
      assert.ok(!welcomed(peer), 'the oversized hello was accepted');
      const close = await peer.closed;
      assert.strictEqual(close.code, 1009, `closed with ${close.code} after ${peer.lines.map((l) => l.t).join(',')}`);
      assert.strictEqual(p.server.getSession('s_big_hello'), undefined);
      assert.strictEqual(p.server.sessions.size, 1);
      await p.check();
      // the cap is on what comes before the hello only
      const sessionP = once(p.server, 'session');
      const { peer: ok, welcome } = await openPlain(p.addr.url, 's_small_hello');
      assert.strictEqual(welcome.t, 'welcome');
      const s = await sessionP;
      const got = [];
      s.on('message', (m) => got.push(m));
      ok.send([ctl('b', { s: 1 }), JSON.stringify({ pad: 'y'.repeat(10000) })]);
      await until(() => got.length === 1, 'a 10 kB message after the hello');
      assert.strictEqual(got[0].pad.length, 10000);
      ok.close();
    });

    it('default (64 KiB): four 1 MB messages before any hello are each closed with 1009; sessions unaffected', async () => {
      const p = await serverWithOwner({});
      const big = ctl('hello', { sid: null, resume: false, rx: 0, pad: 'z'.repeat(1024 * 1024) });
      const peers = await Promise.all(range(1, 4).map(() => rawPeer(p.addr.url)));
      for (const peer of peers) peer.send(big);
      await until(() => peers.every((x) => x.isClosed || welcomed(x)), 'the answers');
      for (const peer of peers) assert.ok(!welcomed(peer), 'an oversized hello was accepted');
      const closes = await Promise.all(peers.map((x) => x.closed));
      assert.deepStrictEqual(closes.map((c) => c.code), [1009, 1009, 1009, 1009]);
      assert.strictEqual(p.server.sessions.size, 1);
      await p.check();
      // just under the cap is still a hello
      const { welcome } = await openPlain(p.addr.url, 's_fits');
      assert.strictEqual(welcome.t, 'welcome');
    });
  });

  describe('maxBufferedBytes (slow consumers)', () => {
    const LIMIT = 64 * 1024;

    it('pings from a client that never reads: at most one pong pending, the server holds <= maxBufferedBytes or drops it (slow consumer)', async () => {
      const { server, addr } = await h.server({ maxBufferedBytes: LIMIT, heartbeatIntervalMs: 60000 });
      const sessionP = once(server, 'session');
      const { peer } = await openPlain(addr.url, 's_pinger');
      const s = await sessionP;
      const errs = [];
      s.on('error', (e) => errs.push(e.code));
      peer.pauseReading();
      const frame = Array(2000).fill(ctl('ping', { ts: 1 })).join('\n') + '\n'; // ~56 kB of pings
      const FRAMES = 400; // ~22 MB of pings: ~22 MB of pongs if every one is answered and queued
      let sent = 0;
      for (; sent < FRAMES && s.connected; sent++) {
        peer.ws.send(frame);
        if (sent % 16 === 15) await until(() => peer.ws.bufferedAmount < 1024 * 1024 || !s.connected, 'the pings leave');
      }
      // every ping frame read by the server (or the pinger dropped)
      await until(() => !s.connected || s.stats.framesIn >= sent, 'the server reads the pings', 20000);
      const held = serverBuffered(server);
      const dropped = !s.connected;
      assert.ok(held <= LIMIT + 4096, `the server holds ${held} bytes for a peer that does not read (limit ${LIMIT})`);
      if (dropped) assert.deepStrictEqual(errs, ['ERR_STREAM_SLOW_CONSUMER']);
      peer.close();
    });

    it('events to a client that never reads: the server holds <= maxBufferedBytes in its socket (it stops writing, or drops the slow consumer); the session stays resumable', async () => {
      const { server, addr } = await h.server({ maxBufferedBytes: LIMIT, heartbeatIntervalMs: 60000 });
      const sessionP = once(server, 'session');
      const { peer, cred } = await openPlain(addr.url, 's_slow');
      const s = await sessionP;
      const errs = [];
      s.on('error', (e) => errs.push(e.code));
      peer.pauseReading();
      const pad = 'p'.repeat(1000);
      let produced = 0;
      let stop = false;
      const producer = (async () => {
        for (let i = 1; i <= 20000 && !stop; i++) {
          await s.send(chunkEvent(i, pad));
          produced = i;
        }
      })();
      producer.catch(() => {});
      // the producer is held back by the session's bound (1 MiB unacknowledged by default), or the peer is dropped
      await until(() => !s.connected || s.bufferedBytes >= 1024 * 1024, 'the producer held back', 20000);
      await until(() => !s.connected || s.stats.dataOut > 0, 'the server writes');
      const held = serverBuffered(server);
      assert.ok(held <= LIMIT + 70 * 1024, `the server holds ${held} bytes for a peer that does not read (maxBufferedBytes ${LIMIT})`);
      if (!s.connected) assert.deepStrictEqual(errs, ['ERR_STREAM_SLOW_CONSUMER']);
      stop = true;
      peer.close();
      await until(() => !s.connected, 'the peer gone');
      const last = s.lastSeq; // the producer is stopped (its last send() may wait for room: it is queued)
      assert.ok(produced > 0 && last >= produced);
      // the owner comes back (reading and acknowledging this time) and gets every event once, in order
      const { peer: back, reply } = await resumeAs(addr.url, { sid: 's_slow', rx: 0, authC: credentialKeys(cred, 's_slow').authC });
      assert.strictEqual(reply.t, 'welcome');
      back.autoAck();
      await until(() => back.events().length >= last, 'the replay', 20000);
      assert.deepStrictEqual(back.events().map((e) => e.seq), range(1, last));
      assert.strictEqual(s.lastSeq, last);
      back.close();
    });
  });

  describe('maxPendingHellos', () => {
    it('maxPendingHellos 3: a 4th connection that has not said hello is closed 1013; once one says hello, a new one is let in', async () => {
      const WebSocket = require('ws');
      const { server, addr } = await h.server({ maxPendingHellos: 3 });
      const open = async () => {
        const ws = new WebSocket(addr.url, { perMessageDeflate: false });
        const frames = [];
        ws.on('message', (d) => frames.push(JSON.parse(String(d).split('\n')[0])));
        ws.on('error', () => {});
        const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
        h.add({ close: () => ws.terminate() });
        await new Promise((resolve) => ws.once('open', resolve));
        return { ws, frames, closed };
      };
      const idle = [await open(), await open(), await open()];
      await until(() => idle.every((c) => c.frames.length === 1), 'three challenges');
      const fourth = await open();
      assert.strictEqual(await fourth.closed, 1013);
      assert.deepStrictEqual(fourth.frames, [], 'no challenge for a refused connection');
      const sessionP = once(server, 'session');
      idle[0].ws.send(ctl('hello', { sid: null, resume: false, rx: 0 }));
      await sessionP;
      const fifth = await open();
      await until(() => fifth.frames.length === 1, 'the fifth gets its challenge');
      assert.strictEqual(fifth.frames[0].t, 'challenge');
    });
  });

  describe('maxSessions', () => {
    it('maxSessions 3: a 4th new session is refused TOO_MANY_SESSIONS; the 3 resume after a cut', async () => {
      const { server, addr } = await h.server({ maxSessions: 3 });
      const { proxy, addr: px } = await h.proxy({ target: { port: addr.port } });
      const owners = [];
      for (let k = 0; k < 3; k++) {
        const got = [];
        const sessionP = once(server, 'session');
        const c = h.client({ url: px.url, reconnect: FAST, onMessage: (m) => got.push(m) });
        await c.connect();
        owners.push({ c, got, s: await sessionP });
      }
      // a full server is a failed attempt, retried with backoff: maxAttempts applies
      const extra = h.client({ url: addr.url, reconnect: { ...FAST, maxAttempts: 2 } });
      await assert.rejects(extra.connect(), (e) => e.code === 'ERR_STREAM_RETRIES_EXHAUSTED' && /TOO_MANY_SESSIONS/.test(e.message));
      const raw = await rawPeer(addr.url);
      raw.send(ctl('hello', { sid: 's_fourth', resume: false, rx: 0 }));
      const r = await raw.control(['welcome', 'reject']);
      assert.deepStrictEqual([r && r.t, r && r.code], ['reject', 'TOO_MANY_SESSIONS']);
      assert.strictEqual((await raw.closed).code, 4400);
      assert.strictEqual(server.sessions.size, 3);
      assert.throws(() => server.createSession(), { code: 'TOO_MANY_SESSIONS' });
      proxy.cutAll();
      await until(() => owners.every((o) => o.c.reconnects >= 1 && o.c.state === 'connected'), 'the 3 resumes');
      for (const o of owners) await o.s.send(chunkEvent(1));
      for (const o of owners) await inOrder(o.got, 1);
      assert.strictEqual(server.sessions.size, 3);
      // a client retrying while the server is full gets in once a session ends
      const patient = h.client({ url: addr.url, reconnect: { ...FAST, maxAttempts: 1000 } });
      const retried = new Promise((resolve) => patient.once('retry', resolve));
      const connected = patient.connect();
      await retried;
      owners[0].s.close();
      await connected;
      assert.strictEqual(server.sessions.size, 3);
    });
  });

  describe('maxPendingSends', () => {
    it('server session, maxPendingSends 10: the 11th un-awaited send() rejects ERR_STREAM_TOO_MANY_PENDING, not queued', async () => {
      const p = await startPair(h, { server: { maxPendingSends: 10, maxOutboxBytes: 1 } });
      const results = await Promise.allSettled(range(1, 12).map((i) => p.s.send(chunkEvent(i))));
      assert.deepStrictEqual(settled(results), [...range(1, 10).map(() => 'ok'), 'ERR_STREAM_TOO_MANY_PENDING', 'ERR_STREAM_TOO_MANY_PENDING']);
      await inOrder(p.got, 10);
      await p.s.send(chunkEvent(11)); // seq 11: the refused ones took no seq
      await inOrder(p.got, 11);
      assert.strictEqual(p.s.lastSeq, 11);
    });

    it('client, maxPendingSends 10: the 11th un-awaited send() rejects ERR_STREAM_TOO_MANY_PENDING, not queued', async () => {
      const { server, addr } = await h.server({});
      const c = h.client({ url: addr.url, reconnect: FAST, maxPendingSends: 10, maxOutboxBytes: 1 });
      const sends = Promise.allSettled(range(1, 12).map((n) => c.send({ n })));
      const sessionP = once(server, 'session');
      await c.connect();
      const s = await sessionP;
      const got = [];
      s.on('message', (m) => got.push(m.n));
      const results = await sends;
      assert.deepStrictEqual(settled(results), [...range(1, 10).map(() => 'ok'), 'ERR_STREAM_TOO_MANY_PENDING', 'ERR_STREAM_TOO_MANY_PENDING']);
      await c.flush();
      await c.send({ n: 11 });
      await c.flush();
      assert.deepStrictEqual(got, range(1, 11));
    });
  });
});
