'use strict';
// Issue 10, rekey with forward secrecy: after rekeyAfterMessages events +
// messages (or rekeyAfterMs), both directions move to fresh keys (envelope
// kid `<first kid>.<epoch>`, watched through a MitmRelay), across reconnects
// (FaultProxy cuts between the client and the relay), without losing or
// repeating an event, and the stream never fails with ENCRYPTION_KEY_EXPIRED.

const assert = require('node:assert');
const { until } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { lib, inOrder, chunkEvent } = require('./support/v2');
const { renumber, withBatchHeaders } = require('../helpers/mitm-relay');

const RECONNECT = { initialDelay: 5, maxDelay: 20, jitter: false, maxAttempts: 50 };

/** The kids seen in one direction, checked against the `<first>.<epoch>` scheme; returns the epochs, in order of appearance. */
function epochs(kidsInOrder) {
  const first = kidsInOrder[0];
  assert.ok(first, 'no envelope seen');
  const eps = [];
  for (const kid of kidsInOrder) {
    if (kid === first) {
      if (!eps.includes(0)) eps.push(0);
      continue;
    }
    assert.ok(kid.startsWith(`${first}.`), `kid ${kid} is not ${first}.<epoch>`);
    const ep = Number(kid.slice(first.length + 1));
    assert.ok(Number.isSafeInteger(ep) && ep >= 1, `kid ${kid}: bad epoch`);
    if (!eps.includes(ep)) eps.push(ep);
  }
  return eps;
}

/** Number of epochs seen in one direction (0 before the first envelope). */
const epochCount = (relay, dir) => (kidsOf(relay, dir).length ? epochs(kidsOf(relay, dir)).length : 0);

/** Envelope kids of one direction in the order the relay saw them. */
const kidsOf = (relay, dir) => relay.lines.filter((l) => l.dir === dir && l.raw.includes('"type":"enc"')).map((l) => JSON.parse(l.raw).payload.kid);

describe('attacks: rekey (encrypted sessions)', function () {
  this.timeout(60000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  it('rekeyAfterMessages 50: 500 events and 500 messages across FaultProxy cuts, each once, in order; several rekeys both ways', async () => {
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMessages: 50 },
      client: { reconnect: RECONNECT },
      relay: true,
      proxy: { cutAfterBytes: [20000, 60000], seed: 50 },
    });
    // 20 batches of 25 events and 25 messages, each delivered before the next (a line is sealed when it is
    // sent: a rekey applies to what is sent after the client answered it)
    const N = 500;
    const pad = 'r'.repeat(100);
    const stop = () => p.c.state === 'failed';
    for (let from = 1; from <= N; from += 25) {
      const to = from + 24;
      const producer = (async () => {
        for (let i = from; i <= to; i++) await p.s.send(chunkEvent(i, pad));
      })();
      for (let n = from; n <= to; n++) await p.c.send({ n, pad });
      await producer;
      await inOrder(p.got, to, { ms: 30000, stop });
      await inOrder(p.fromClient, to, { what: 'messages', key: (m) => m.n, chunks: false, ms: 30000, stop });
    }
    await p.c.flush();
    const s2c = epochs(kidsOf(p.relay, 's2c'));
    const c2s = epochs(kidsOf(p.relay, 'c2s'));
    if (process.env.ESN_VERBOSE) console.log({ s2c, c2s, cuts: p.proxy.stats.cuts });
    assert.ok(s2c.length >= 4, `server -> client epochs seen: ${s2c}`);
    assert.ok(c2s.length >= 4, `client -> server epochs seen: ${c2s}`);
    for (const eps of [s2c, c2s]) for (let i = 1; i < eps.length; i++) assert.ok(eps[i] > eps[i - 1], `epochs go back: ${eps}`);
    assert.ok(p.proxy.stats.cuts >= 3, `only ${p.proxy.stats.cuts} cuts`);
    assert.ok(!codes(p.errors).includes('ENCRYPTION_KEY_EXPIRED'));
    assert.ok(!codes(p.sessionErrors).includes('ENCRYPTION_KEY_EXPIRED'));
    assert.notStrictEqual(p.c.state, 'failed');
    assert.strictEqual(p.c.gaps.length, 0);
  });

  it('rekeyAfterMs (tiny): batches until three epochs were seen both ways, every event and message once, in order', async () => {
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMs: 30 },
      client: { reconnect: RECONNECT },
      relay: true,
    });
    let sent = 0;
    for (let batch = 0; batch < 300; batch++) {
      const s2c = new Set(kidsOf(p.relay, 's2c'));
      const c2s = new Set(kidsOf(p.relay, 'c2s'));
      if (s2c.size >= 3 && c2s.size >= 3) break;
      for (let k = 0; k < 10; k++) {
        sent++;
        await p.s.send(chunkEvent(sent));
        await p.c.send({ n: sent });
      }
      // each batch is delivered before the next: time passes between batches as the stream works
      await inOrder(p.got, sent, { stop: () => p.c.state === 'failed' });
      await inOrder(p.fromClient, sent, { what: 'messages', key: (m) => m.n, chunks: false });
    }
    await p.c.flush();
    const s2c = epochs(kidsOf(p.relay, 's2c'));
    const c2s = epochs(kidsOf(p.relay, 'c2s'));
    assert.ok(s2c.length >= 3, `server -> client epochs seen: ${s2c} after ${sent} events`);
    assert.ok(c2s.length >= 3, `client -> server epochs seen: ${c2s} after ${sent} messages`);
    assert.strictEqual(p.c.state, 'connected');
    assert.deepStrictEqual(codes(p.errors), []);
    assert.deepStrictEqual(codes(p.sessionErrors), []);
    await until(() => p.c.reconnects === 0, 'no reconnect needed for a rekey', 10);
  });

  /** Batches of 10 events and 10 messages, each delivered before the next, until `done()` or 60 batches. */
  async function pump(p, done) {
    let sent = 0;
    const stop = () => p.c.state === 'failed';
    for (let batch = 0; batch < 60 && !done(); batch++) {
      for (let k = 0; k < 10; k++) {
        sent++;
        await p.s.send(chunkEvent(sent));
        await p.c.send({ n: sent });
      }
      await inOrder(p.got, sent, { stop, ms: 15000 });
      await inOrder(p.fromClient, sent, { what: 'messages', key: (m) => m.n, chunks: false, stop, ms: 15000 });
    }
    await p.c.flush();
    return sent;
  }

  it("a rekey frame altered by the relay (another public key): 'error' ERR_STREAM_AUTH, never adopted; after the resume the rekey completes, nothing lost or repeated", async () => {
    const other = lib.generateKeyPairSync().publicKeyB64;
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMessages: 20 },
      client: { reconnect: RECONNECT },
      relay: {
        onServerFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          return lines.map((l) => (l.t === 'rekey' ? l.with({ pub: other }) : l));
        },
      },
    });
    const sent = await pump(p, () => epochCount(p.relay, 's2c') >= 3 && epochCount(p.relay, 'c2s') >= 3);
    assert.ok(codes(p.errors).includes('ERR_STREAM_AUTH'), `errors ${codes(p.errors)}`);
    assert.ok(epochs(kidsOf(p.relay, 's2c')).length >= 3, `epochs ${epochs(kidsOf(p.relay, 's2c'))} after ${sent} events`);
    assert.ok(epochs(kidsOf(p.relay, 'c2s')).length >= 3, `epochs ${epochs(kidsOf(p.relay, 'c2s'))} after ${sent} messages`);
    assert.strictEqual(p.c.state, 'connected');
  });

  it("the client's rekeyed answer dropped (and the connection cut): it is resent after the resume; nothing lost or repeated, the keys move on", async () => {
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMessages: 20 },
      client: { reconnect: RECONNECT },
      relay: {
        onClientFrame(lines, ctx) {
          if (ctx.id !== 1 || !lines.some((l) => l.t === 'rekeyed')) return lines;
          setImmediate(() => ctx.cut());
          return lines.filter((l) => l.t !== 'rekeyed');
        },
      },
    });
    const sent = await pump(p, () => epochCount(p.relay, 's2c') >= 3 && epochCount(p.relay, 'c2s') >= 3);
    assert.ok(p.relay.stats.connections >= 2);
    assert.ok(p.relay.connections[0].lines.c2s.some((l) => l.includes('"t":"rekeyed"')), 'no rekeyed answer was dropped');
    assert.ok(epochs(kidsOf(p.relay, 's2c')).length >= 3, `epochs ${epochs(kidsOf(p.relay, 's2c'))} after ${sent} events`);
    assert.ok(epochs(kidsOf(p.relay, 'c2s')).length >= 3, `epochs ${epochs(kidsOf(p.relay, 'c2s'))} after ${sent} messages`);
    assert.strictEqual(p.c.state, 'connected');
  });

  it('an old rekey frame replayed later (same connection): never adopted; nothing lost or repeated, the stream does not fail', async () => {
    let first = null;
    let replayed = false;
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMessages: 20 },
      client: { reconnect: RECONNECT },
      relay: {
        onServerFrame(lines, ctx) {
          for (const l of lines) if (l.t === 'rekey' && !first) first = l;
          if (first && !replayed && lines.some((l) => l.t === 'rekey' && l.v.ep >= first.v.ep + 2)) {
            replayed = true;
            return [...lines, first];
          }
          return lines;
        },
      },
    });
    await pump(p, () => replayed && epochCount(p.relay, 's2c') >= 5);
    assert.ok(replayed, 'no old rekey was replayed');
    assert.ok(epochs(kidsOf(p.relay, 's2c')).length >= 5);
    assert.strictEqual(p.c.state, 'connected');
    assert.ok(codes(p.errors).every((c) => c !== 'ENCRYPTION_KEY_EXPIRED'));
  });

  it('client -> server: a message envelope of epoch 0 replayed (renumbered) after two rekeys: refused ERR_STREAM_ENVELOPE (the old key is forgotten); every message once, in order', async () => {
    let old = null;
    let injected = false;
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMessages: 20 },
      client: { reconnect: RECONNECT },
      relay: {
        onClientFrame(lines, ctx) {
          let changed = false;
          const out = lines.map((l) => {
            if (!l.isEnvelope) return l;
            if (!old) old = l;
            if (!injected && l.kid.startsWith(`${old.kid}.`) && Number(l.kid.split('.').pop()) >= 2) {
              injected = true;
              changed = true;
              return renumber(old, l.seq); // the genuine line is held back; the resume brings it
            }
            return l;
          });
          return changed ? withBatchHeaders(out, ctx.version) : out;
        },
      },
    });
    await pump(p, () => injected && epochCount(p.relay, 'c2s') >= 4);
    assert.ok(injected, 'no old envelope was replayed');
    assert.deepStrictEqual(codes(p.sessionErrors), ['ERR_STREAM_ENVELOPE']);
    assert.strictEqual(p.c.state, 'connected');
  });

  it('server -> client: an event envelope of epoch 0 replayed (renumbered) after rekeys driven by client messages only: refused ERR_STREAM_ENVELOPE (the client keeps the current and previous epoch keys only); every event once, in order', async () => {
    let old = null;
    let armed = false;
    let injected = false;
    const p = await startPair(h, {
      encrypted: true,
      server: { rekeyAfterMessages: 20 },
      client: { reconnect: RECONNECT },
      relay: {
        onServerFrame(lines) {
          return lines.map((l) => {
            if (!l.isEnvelope) return l;
            if (!old) old = l;
            if (armed && !injected && l.seq === 4) {
              injected = true;
              return renumber(old, 4); // event 1 (epoch 0) presented as event 4; the genuine 4 comes with the resume
            }
            return l;
          });
        },
      },
    });
    for (let i = 1; i <= 3; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 3);
    // client messages only: the server rekeys every 20 of them, the client installs every epoch
    for (let n = 1; n <= 200; n += 10) {
      for (let k = n; k < n + 10; k++) await p.c.send({ n: k });
      await inOrder(p.fromClient, n + 9, { what: 'messages', key: (m) => m.n, chunks: false });
    }
    await p.c.flush();
    assert.ok(epochCount(p.relay, 'c2s') >= 5, `epochs ${epochs(kidsOf(p.relay, 'c2s'))}`);
    armed = true;
    await p.s.send(chunkEvent(4));
    await inOrder(p.got, 4, { stop: () => p.c.state === 'failed' });
    assert.ok(injected);
    assert.deepStrictEqual(codes(p.errors), ['ERR_STREAM_ENVELOPE'], 'the epoch-0 key is still held: the replay was opened (ENCRYPTION_NONCE_REUSE) instead of refused by kid');
  });
});
