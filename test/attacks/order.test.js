'use strict';
// Issue 10, attack 2: authenticated order on encrypted sessions. A relay
// (MitmRelay) drops, swaps or replays envelopes and renumbers their outer
// seq (adjusting acks on the way back so the sender is not alarmed). The
// receiver notices: ERR_STREAM_ORDER (or ENCRYPTION_NONCE_REUSE with
// err.replay for an older envelope), refuses the line, never delivers out of
// order; when the relay only tampers with the first connection, the resume
// fetches the genuine lines and everything arrives once, in order; when it
// keeps tampering, the stream fails (the session closes) with the code
// after 3 refusals, and nothing is delivered past the hole.

const assert = require('node:assert');
const { until, once } = require('../helpers/stream-harness');
const { renumber, withBatchHeaders } = require('../helpers/mitm-relay');
const { startPair, codes, guarded } = require('./support/pair');
const { inOrder, range, chunkEvent } = require('./support/v2');

const N = 10;
const FIRST = (ctx) => ctx.id === 1;
const ALWAYS = () => true;

// ---- server -> client tampering -------------------------------------------------

/** Drops event `target`, renumbers the later ones down by one, bumps the client's acks back up. */
function s2cDrop(target, active) {
  return {
    onServerFrame(lines, ctx) {
      if (!active(ctx)) return lines;
      const out = [];
      for (const l of lines) {
        if (l.kind === 'data' && l.seq === target) continue;
        out.push(l.kind === 'data' && l.seq > target ? renumber(l, l.seq - 1) : l);
      }
      return out;
    },
    onClientFrame(lines, ctx) {
      if (!active(ctx)) return lines;
      return lines.map((l) => (l.t === 'ack' && l.v.s >= target ? l.with({ s: l.v.s + 1 }) : l));
    },
  };
}

/** Swaps events a and a+1 (each under the other's outer seq). */
function s2cSwap(a, active) {
  return {
    onServerFrame(lines, ctx) {
      if (!active(ctx)) return lines;
      const out = [];
      for (const l of lines) {
        if (l.kind === 'data' && l.seq === a) {
          ctx.state.held = l;
          continue;
        }
        if (l.kind === 'data' && l.seq === a + 1 && ctx.state.held) {
          out.push(renumber(l, a), renumber(ctx.state.held, a + 1));
          ctx.state.held = null;
          continue;
        }
        out.push(l);
      }
      return out;
    },
  };
}

/** Replaces event `target` by an older envelope (`old`) renumbered to `target`. */
function s2cReplay(target, old, active, relayState) {
  return {
    onServerFrame(lines, ctx) {
      const out = [];
      for (const l of lines) {
        if (l.kind === 'data' && !relayState.copies.has(l.seq)) relayState.copies.set(l.seq, l);
        if (active(ctx) && l.kind === 'data' && l.seq === target && relayState.copies.has(old)) {
          out.push(renumber(relayState.copies.get(old), target));
          continue;
        }
        out.push(l);
      }
      return out;
    },
  };
}

// ---- client -> server tampering -------------------------------------------------

function c2sDrop(target, active) {
  return {
    onClientFrame(lines, ctx) {
      if (!active(ctx)) return lines;
      let changed = false;
      const out = [];
      for (const l of lines) {
        if (l.kind !== 'control' && l.seq !== undefined && l.seq >= target) {
          changed = true;
          if (l.seq > target) out.push(renumber(l, l.seq - 1));
          continue;
        }
        out.push(l);
      }
      return changed ? withBatchHeaders(out, ctx.version) : out;
    },
    onServerFrame(lines, ctx) {
      if (!active(ctx)) return lines;
      return lines.map((l) => (l.t === 'ack' && l.v.s >= target ? l.with({ s: l.v.s + 1 }) : l));
    },
  };
}

function c2sSwap(a, active) {
  return {
    onClientFrame(lines, ctx) {
      if (!active(ctx)) return lines;
      let changed = false;
      const out = [];
      for (const l of lines) {
        if (l.kind !== 'control' && l.seq === a) {
          ctx.state.held = l;
          changed = true;
          continue;
        }
        if (l.kind !== 'control' && l.seq === a + 1 && ctx.state.held) {
          out.push(renumber(l, a), renumber(ctx.state.held, a + 1));
          ctx.state.held = null;
          changed = true;
          continue;
        }
        out.push(l);
      }
      return changed ? withBatchHeaders(out, ctx.version) : out;
    },
  };
}

function c2sReplay(target, old, active, relayState) {
  return {
    onClientFrame(lines, ctx) {
      let changed = false;
      const out = [];
      for (const l of lines) {
        if (l.kind !== 'control' && l.seq !== undefined && !relayState.copies.has(l.seq)) relayState.copies.set(l.seq, l);
        if (active(ctx) && l.kind !== 'control' && l.seq === target && relayState.copies.has(old)) {
          out.push(renumber(relayState.copies.get(old), target));
          changed = true;
          continue;
        }
        out.push(l);
      }
      return changed ? withBatchHeaders(out, ctx.version) : out;
    },
  };
}

/** Resolves with `done`; rejects as soon as `got` is delivered out of order (or after 15 s). */
function firstOf(done, got, finished, opts = {}) {
  let over = false;
  Promise.resolve(done)
    .finally(() => {
      over = true;
    })
    .catch(() => {});
  const order = inOrder(got, Infinity, { ...opts, stop: () => over || finished(), ms: 15000 }).catch((err) => err);
  return Promise.race([
    done,
    order.then((err) => {
      if (!finished()) throw err;
      return done;
    }),
  ]);
}

describe('attacks: authenticated order of encrypted streams (MITM relay)', function () {
  this.timeout(20000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  const sendEvents = async (p, from = 1, to = N) => {
    for (let i = from; i <= to; i++) await p.s.send(chunkEvent(i));
  };
  const sendMessages = async (p, from = 1, to = N) => {
    for (let n = from; n <= to; n++) await p.c.send({ n });
  };
  const byN = { what: 'messages', key: (m) => m.n, chunks: false };

  describe('server -> client', () => {
    const cases = [
      ['drop envelope 5, renumber the later ones', (st) => s2cDrop(5, st.active), 'ERR_STREAM_ORDER', false],
      ['swap envelopes 5 and 6 (renumbered)', (st) => s2cSwap(5, st.active), 'ERR_STREAM_ORDER', false],
      ['replay envelope 2 as envelope 5', (st) => s2cReplay(5, 2, st.active, st), 'ENCRYPTION_NONCE_REUSE', true],
    ];
    for (const [name, hooks, code, replay] of cases) {
      it(`${name}, first connection only: 'error' ${code}, never out of order; the resume delivers every event once, in order`, async () => {
        const st = { active: FIRST, copies: new Map() };
        const p = await startPair(h, { encrypted: true, relay: hooks(st) });
        await sendEvents(p);
        await inOrder(p.got, N, { stop: () => p.c.state === 'failed' });
        assert.deepStrictEqual(codes(p.errors), [code]);
        if (replay) assert.strictEqual(p.errors[0].replay, true);
        assert.strictEqual(p.errors[0].seq, 5);
        assert.ok(p.relay.stats.connections >= 2, 'the client resumed');
        assert.strictEqual(p.c.state, 'connected');
        assert.strictEqual(p.c.gaps.length, 0);
      });

      it(`${name} on every connection: the stream fails with ${code}; nothing after event 4 is delivered`, async () => {
        const st = { active: ALWAYS, copies: new Map() };
        const p = await startPair(h, { encrypted: true, relay: hooks(st) });
        for (let i = 1; i <= N; i++) p.s.send(chunkEvent(i)).catch(() => {});
        const failed = await firstOf(p.failed, p.got, () => p.c.state === 'failed');
        await inOrder(p.got, 4, { ms: 1000 });
        assert.deepStrictEqual(p.got.map((e) => e.seq), range(1, 4));
        assert.strictEqual(failed.code, code);
        assert.ok(codes(p.errors).every((c) => c === code), `errors ${codes(p.errors)}`);
        assert.strictEqual(p.c.state, 'failed');
        assert.strictEqual(p.c.lastSeq, 4);
      });
    }
  });

  describe('client -> server', () => {
    const cases = [
      ['drop message 5, renumber the later ones', (st) => c2sDrop(5, st.active), 'ERR_STREAM_ORDER', false],
      ['swap messages 5 and 6 (renumbered)', (st) => c2sSwap(5, st.active), 'ERR_STREAM_ORDER', false],
      ['replay message 2 as message 5', (st) => c2sReplay(5, 2, st.active, st), 'ENCRYPTION_NONCE_REUSE', true],
    ];
    for (const [name, hooks, code, replay] of cases) {
      it(`${name}, first connection only: session 'error' ${code}, never out of order; every message once, in order`, async () => {
        const st = { active: FIRST, copies: new Map() };
        const p = await startPair(h, { encrypted: true, relay: hooks(st) });
        await sendMessages(p);
        await inOrder(p.fromClient, N, { ...byN, stop: () => p.c.state === 'failed' || p.s.closed });
        await p.c.flush();
        assert.deepStrictEqual(codes(p.sessionErrors), [code]);
        if (replay) assert.strictEqual(p.sessionErrors[0].replay, true);
        assert.strictEqual(p.sessionErrors[0].seq, 5);
        assert.ok(p.relay.stats.connections >= 2, 'the client resumed');
        assert.strictEqual(p.s.closed, false);
      });

      it(`${name} on every connection: the session closes with ${code}; nothing after message 4 is delivered`, async () => {
        const st = { active: ALWAYS, copies: new Map() };
        const p = await startPair(h, { encrypted: true, relay: hooks(st) });
        const closed = once(p.s, 'close');
        for (let n = 1; n <= N; n++) p.c.send({ n }).catch(() => {});
        const err = await firstOf(closed, p.fromClient, () => p.s.closed, byN);
        assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 4));
        assert.strictEqual(err && err.code, code);
        assert.ok(codes(p.sessionErrors).every((c) => c === code), `errors ${codes(p.sessionErrors)}`);
        assert.strictEqual(p.s.lastClientSeq, 4);
        await until(() => p.c.state === 'failed', 'the client gives up (its session is gone)');
      });
    }
  });
});
