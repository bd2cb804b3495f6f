'use strict';
// Issue 10, attack 3 (progress on bad links), with the default frame sizes:
//   - a FaultProxy cutting every connection after 2,000-60,000 bytes,
//     encrypted, 4,000 events each way: every event and message once, in order;
//   - a FaultProxy cutting every connection after 20-200 ms;
//   - one connection stalled for 30 s (frames held, sockets open): small
//     heartbeats make the client reconnect, everything arrives while that
//     connection is still stalled;
//   - a hopeless link (every connection cut right after its handshake): the
//     client ends 'failed' with ERR_STREAM_NO_PROGRESS after maxAttempts
//     instead of reconnecting forever.
// Assertions are on completion, never on time; the mocha timeouts only bound
// a broken run. Seeds make FaultProxy runs reproducible.

const assert = require('node:assert');
const { until, once } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { inOrder, chunkEvent } = require('./support/v2');

const RECONNECT = { initialDelay: 5, maxDelay: 20, jitter: false, maxAttempts: 50 };

/** N events and N messages through `p`; resolves when both sides have everything (checked in order as it arrives). */
async function both(p, N, pad) {
  let serverDone = false;
  const producer = (async () => {
    for (let i = 1; i <= N; i++) await p.s.send(chunkEvent(i, pad));
    serverDone = true;
  })();
  for (let n = 1; n <= N; n++) await p.c.send({ n, pad });
  const stop = () => p.c.state === 'failed';
  await Promise.all([
    producer,
    inOrder(p.got, N, { ms: 115000, stop }),
    inOrder(p.fromClient, N, { what: 'messages', key: (m) => m.n, chunks: false, ms: 115000, stop }),
  ]);
  await p.c.flush();
  assert.ok(serverDone);
  assert.strictEqual(p.c.gaps.length, 0);
  assert.ok(['connected', 'connecting', 'reconnecting'].includes(p.c.state), p.c.state); // the link still cuts
}

describe('attacks: lossy links', function () {
  this.timeout(120000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  it('cuts every 2,000-60,000 bytes, encrypted, default frame sizes: 4,000 events and 4,000 messages, each once, in order', async () => {
    const p = await startPair(h, {
      encrypted: true,
      proxy: { cutAfterBytes: [2000, 60000], seed: 10 },
      client: { reconnect: RECONNECT },
    });
    await both(p, 4000, 'e'.repeat(60));
    if (process.env.ESN_VERBOSE) console.log(p.proxy.stats, p.c.stats);
    assert.ok(p.proxy.stats.cuts >= 20, `only ${p.proxy.stats.cuts} cuts`);
    assert.ok(p.c.reconnects >= 20);
    assert.ok(!codes(p.errors).includes('ERR_STREAM_NO_PROGRESS'));
  });

  it('cuts every 20-200 ms, encrypted: batches until >= 10 cuts (>= 2,000 events and messages), each once, in order', async () => {
    const p = await startPair(h, {
      encrypted: true,
      proxy: { cutAfterMs: [20, 200], seed: 20 },
      client: { reconnect: RECONNECT },
    });
    const pad = 'm'.repeat(60);
    const stop = () => p.c.state === 'failed';
    let sent = 0;
    for (let batch = 0; batch < 500 && (sent < 2000 || p.proxy.stats.cuts < 10); batch++) {
      const from = sent + 1;
      sent += 200;
      const producer = (async () => {
        for (let i = from; i <= sent; i++) await p.s.send(chunkEvent(i, pad));
      })();
      for (let n = from; n <= sent; n++) await p.c.send({ n, pad });
      await producer;
      await inOrder(p.got, sent, { ms: 60000, stop });
      await inOrder(p.fromClient, sent, { what: 'messages', key: (m) => m.n, chunks: false, ms: 60000, stop });
    }
    await p.c.flush();
    assert.ok(p.proxy.stats.cuts >= 10, `only ${p.proxy.stats.cuts} cuts`);
    assert.strictEqual(p.c.gaps.length, 0);
    assert.ok(['connected', 'connecting', 'reconnecting'].includes(p.c.state), p.c.state); // the link still cuts
  });

  it('small first frames: after every connect the first data frame holds one line, both ways; every line once, in order', async () => {
    const p = await startPair(h, {
      encrypted: true,
      client: { reconnect: RECONNECT },
      relay: {
        onServerFrame(lines, ctx) {
          const data = lines.filter((l) => l.kind === 'data').length;
          if (data && ctx.state.firstS2C === undefined) ctx.state.firstS2C = data;
          ctx.state.s2c = (ctx.state.s2c || 0) + data;
          if (ctx.state.s2c > 100) {
            ctx.cut(); // a cut with lines pending (this frame is lost with the connection)
            return null;
          }
          return lines;
        },
        onClientFrame(lines, ctx) {
          const data = lines.filter((l) => l.kind !== 'control').length;
          if (data && ctx.state.firstC2S === undefined) ctx.state.firstC2S = data;
          return lines;
        },
      },
    });
    const N = 600;
    const pad = 'f'.repeat(40);
    for (let i = 1; i <= N; i++) p.s.send(chunkEvent(i, pad)).catch(() => {});
    const sends = [];
    for (let n = 1; n <= N; n++) sends.push(p.c.send({ n, pad }));
    await Promise.all([Promise.all(sends), inOrder(p.got, N, { ms: 30000 }), inOrder(p.fromClient, N, { what: 'messages', key: (m) => m.n, chunks: false, ms: 30000 })]);
    const conns = p.relay.connections;
    assert.ok(conns.length >= 4, `only ${conns.length} connections`);
    for (const c of conns) {
      if (c.state.firstS2C !== undefined) assert.strictEqual(c.state.firstS2C, 1, `connection ${c.id}: first event frame holds ${c.state.firstS2C} lines`);
      if (c.state.firstC2S !== undefined) assert.strictEqual(c.state.firstC2S, 1, `connection ${c.id}: first message frame holds ${c.state.firstC2S} lines`);
    }
    assert.ok(conns.filter((c) => c.state.firstS2C !== undefined).length >= 4);
    assert.ok(conns.some((c) => c.state.firstC2S !== undefined));
  });

  it('one connection stalled for 30 s: small heartbeats, the client reconnects; everything arrives while that connection is still stalled', async () => {
    let stalled = null;
    const p = await startPair(h, {
      encrypted: true,
      server: { heartbeatIntervalMs: 100 },
      client: { reconnect: RECONNECT },
      relay: {
        onServerFrame(lines, ctx) {
          // the connection that carries event 100 (the first one, unless a slow machine made the client reconnect before)
          if (!stalled && lines.some((l) => l.seq === 100)) {
            stalled = ctx;
            ctx.stall(); // from this frame on nothing moves on this connection, both ways; the sockets stay open
            setTimeout(() => ctx.unstall(), 30000).unref();
          }
          return lines;
        },
      },
    });
    await both(p, 1000, 's'.repeat(40));
    assert.ok(stalled, 'the stall never started');
    assert.ok(p.c.reconnects >= 1);
    assert.ok(stalled.held > 0, 'nothing was held on the stalled connection');
    assert.strictEqual(stalled.stalled, true, 'the stall ended before the run did');
    assert.ok(stalled.closed, 'the stalled connection was never given up');
  });

  it('a hopeless link (relay: every connection cut right after its handshake): failed with ERR_STREAM_NO_PROGRESS after maxAttempts', async () => {
    const p = await startPair(h, {
      encrypted: true,
      client: { reconnect: { initialDelay: 2, maxDelay: 10, jitter: false, maxAttempts: 5 } },
      relay: {
        onServerFrame(lines, ctx) {
          if (ctx.state.armed && lines.some((l) => l.kind === 'data')) {
            ctx.cut();
            return null;
          }
          if (lines.some((l) => l.t === 'welcome')) ctx.state.armed = true; // the handshake went through
          return lines;
        },
        onClientFrame(lines, ctx) {
          if (ctx.state.armed && lines.some((l) => l.kind === 'data')) {
            ctx.cut();
            return null;
          }
          return lines;
        },
      },
    });
    for (let i = 1; i <= 5; i++) p.s.send(chunkEvent(i)).catch(() => {});
    for (let n = 1; n <= 5; n++) p.c.send({ n }).catch(() => {});
    await until(() => p.c.state === 'failed' || p.relay.stats.connections > 60, "'failed' or 60 connections", 60000);
    assert.strictEqual(p.c.state, 'failed', `still ${p.c.state} after ${p.relay.stats.connections} connections`);
    const f = await p.failed;
    assert.strictEqual(f.code, 'ERR_STREAM_NO_PROGRESS');
    assert.ok(p.relay.stats.connections <= 5 + 2, `${p.relay.stats.connections} connections for maxAttempts 5`);
    assert.deepStrictEqual(p.got, []);
    assert.deepStrictEqual(p.fromClient, []);
    await assert.rejects(p.c.flush(), { code: 'ERR_STREAM_NO_PROGRESS' });
  });

  it('a hopeless link (FaultProxy: every resume cut ~300 bytes after its handshake, events of 2 kB): failed with ERR_STREAM_NO_PROGRESS', async () => {
    const p = await startPair(h, {
      encrypted: true,
      server: { heartbeatIntervalMs: 60000 },
      client: { reconnect: { initialDelay: 2, maxDelay: 10, jitter: false, maxAttempts: 5 }, heartbeatIntervalMs: 60000 },
      proxy: { seed: 30 },
    });
    // the bytes of one resume (upgrade, challenge, hello, welcome, first acks) on this link
    const before = p.proxy.stats.bytes;
    const reconnected = once(p.c, 'reconnect');
    p.proxy.cutAll();
    await reconnected;
    await until(() => p.proxy.stats.bytes - before > 0, 'the resume bytes');
    const handshake = p.proxy.stats.bytes - before;
    p.proxy.cutAfterBytes = [handshake + 300, handshake + 300];
    p.proxy.cutAll();
    const big = 'b'.repeat(2000);
    for (let i = 1; i <= 5; i++) p.s.send(chunkEvent(i, big)).catch(() => {});
    for (let n = 1; n <= 5; n++) p.c.send({ n, big }).catch(() => {});
    await until(() => p.c.state === 'failed' || p.proxy.stats.connections > 60, "'failed' or 60 connections", 60000);
    assert.strictEqual(p.c.state, 'failed', `still ${p.c.state} after ${p.proxy.stats.connections} connections`);
    const f = await p.failed;
    assert.strictEqual(f.code, 'ERR_STREAM_NO_PROGRESS', `failed with ${f.code}: ${f.reason}`);
    // FaultProxy lets a random prefix of the chunk that crosses the budget through, so a connection
    // may carry an event or two: what arrived is in order, without duplicates
    await inOrder(p.got, p.got.length, { ms: 0 });
    await inOrder(p.fromClient, p.fromClient.length, { what: 'messages', key: (m) => m.n, chunks: false, ms: 0 });
    assert.ok(p.got.length < 5 || p.fromClient.length < 5, 'everything arrived: the link was not hopeless');
  });
});
