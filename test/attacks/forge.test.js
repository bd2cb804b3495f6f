'use strict';
// Issue 10, attack 2 (control frames): on an encrypted session a relay
// cannot forge or alter an ack (either direction), a gap, the welcome's rx or
// the hello's rx, nor send envelopes under another kid or session id,
// without the receiver noticing: ERR_STREAM_AUTH (MACed frames),
// SESSION_AUTH_FAILED (the resume proof covers hello.rx), ERR_STREAM_ENVELOPE;
// the connection drops, nothing is recorded, and after the resume no event
// or message is lost, silently or otherwise.

const assert = require('node:assert');
const { until } = require('../helpers/stream-harness');
const { startPair, codes, guarded } = require('./support/pair');
const { ctl, token, inOrder, range, chunkEvent } = require('./support/v2');

const byN = { what: 'messages', key: (m) => m.n, chunks: false };
/** A client frame without its data lines (and "b" headers): the messages never reach the server. */
const withoutData = (lines) => lines.filter((l) => l.kind === 'control' && l.t !== 'b');

describe('attacks: forged or altered control frames and envelopes (MITM relay, encrypted)', function () {
  this.timeout(20000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  // ---- acks ------------------------------------------------------------------------

  it("server -> client, a forged ack for messages the server never got: 'error' ERR_STREAM_AUTH; every message arrives once, in order", async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onClientFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          const last = lines.filter((l) => l.kind !== 'control').pop();
          if (last && last.seq === 5) ctx.sendToClient(ctl('ack', ctx.version >= 2 ? { s: 5, m: token() } : { s: 5 }, ctx.version));
          return withoutData(lines);
        },
      },
    });
    for (let n = 1; n <= 5; n++) await p.c.send({ n });
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 5), 'flush() resolved on a forged ack: messages lost');
    assert.ok(codes(p.errors).includes('ERR_STREAM_AUTH'), `errors ${codes(p.errors)}`);
  });

  it("server -> client, a genuine ack altered (3 -> 5): 'error' ERR_STREAM_AUTH; every message arrives once, in order", async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onClientFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          return lines.filter((l) => l.kind === 'control' ? l.t !== 'b' || l.v.s <= 3 : l.seq <= 3);
        },
        onServerFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          return lines.map((l) => (l.t === 'ack' && l.v.s === 3 ? l.with({ s: 5 }) : l));
        },
      },
    });
    for (let n = 1; n <= 5; n++) await p.c.send({ n });
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 5), 'flush() resolved on an altered ack: messages lost');
    assert.ok(codes(p.errors).includes('ERR_STREAM_AUTH'), `errors ${codes(p.errors)}`);
  });

  for (const how of ['forged', 'altered']) {
    it(`client -> server, ${how} ack for events the client never got: session 'error' ERR_STREAM_AUTH; every event arrives once, in order`, async () => {
      const p = await startPair(h, {
        encrypted: true,
        relay: {
          onServerFrame(lines, ctx) {
            if (ctx.id !== 1) return lines;
            if (how === 'forged' && lines.some((l) => l.seq === 10)) ctx.sendToServer(ctl('ack', { s: 10 }, ctx.version));
            return lines.filter((l) => l.kind === 'control' || l.seq <= 3);
          },
          onClientFrame(lines, ctx) {
            if (ctx.id !== 1 || how !== 'altered') return lines;
            return lines.map((l) => (l.t === 'ack' && l.v.s === 3 ? l.with({ s: 10 }) : l));
          },
        },
      });
      for (let i = 1; i <= 10; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 10, { ms: 8000, stop: () => p.c.state === 'failed' });
      assert.ok(codes(p.sessionErrors).includes('ERR_STREAM_AUTH'), `session errors ${codes(p.sessionErrors)}`);
      assert.strictEqual(p.c.gaps.length, 0);
    });
  }

  // ---- gap -------------------------------------------------------------------------

  it("server -> client, a forged gap: 'error' ERR_STREAM_AUTH, no gap recorded; every event arrives once, in order", async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onServerFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          const out = lines.filter((l) => l.kind === 'control' || l.seq <= 3);
          if (lines.some((l) => l.seq === 10)) {
            // well formed and from rx + 1 (after events 1..3 of this connection): only its MAC is wrong
            const gap = { from: 4, to: 10, count: 7, reason: 'replay_overflow' };
            if (ctx.version >= 2) gap.m = token();
            out.push(ctl('gap', gap, ctx.version));
          }
          return out;
        },
      },
    });
    for (let i = 1; i <= 10; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 10, { ms: 8000, stop: () => p.c.gaps.length > 0 || p.c.state === 'failed' });
    assert.deepStrictEqual(p.c.gaps, []);
    assert.ok(codes(p.errors).includes('ERR_STREAM_AUTH'), `errors ${codes(p.errors)}`);
  });

  it('a genuine gap (replay overflow) on an encrypted session is still accepted: its MAC checks, from === rx + 1', async () => {
    const p = await startPair(h, { encrypted: true, server: { maxReplayEvents: 20 }, relay: true });
    for (let i = 1; i <= 5; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 5);
    await p.c.flush();
    await until(() => p.s.stats.held === 0, 'the acks');
    // the client goes away; 60 more events overflow the replay buffer (20)
    p.relay.cutAll();
    await until(() => !p.s.connected, 'the drop');
    for (let i = 6; i <= 65; i++) p.s.send(chunkEvent(i)).catch(() => {});
    await until(() => p.got.length === 25, 'the held events after the gap');
    assert.deepStrictEqual(p.c.gaps, [{ from: 6, to: 45, count: 40, reason: 'replay_overflow' }]);
    assert.deepStrictEqual(p.got.slice(5).map((e) => e.seq), range(46, 65));
    assert.deepStrictEqual(codes(p.errors), []);
  });

  it("a genuine gap replayed later by the relay (its MAC is valid): 'error' ERR_STREAM_RANGE (it does not follow rx); no event delivered twice, no gap recorded twice", async () => {
    const p = await startPair(h, { encrypted: true, server: { maxReplayEvents: 20 }, relay: true });
    for (let i = 1; i <= 5; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 5);
    await p.c.flush();
    await until(() => p.s.stats.held === 0, 'the acks');
    p.relay.cutAll();
    await until(() => !p.s.connected, 'the drop');
    for (let i = 6; i <= 65; i++) p.s.send(chunkEvent(i)).catch(() => {});
    await until(() => p.got.length === 25, 'the held events after the gap');
    const genuine = p.relay.lines.find((l) => l.dir === 's2c' && l.raw.includes('"t":"gap"'));
    assert.ok(genuine, 'the relay saw the gap');
    // later, on the live connection: the old gap (from 6, to 45) again, then more events
    const live = p.relay.connections.filter((c) => !c.closed).pop();
    live.sendToClient(genuine.raw + '\n');
    for (let i = 66; i <= 70; i++) await p.s.send(chunkEvent(i));
    await until(() => p.got.length === 30, 'events 66..70');
    assert.deepStrictEqual(p.got.map((e) => e.seq), [...range(1, 5), ...range(46, 70)], 'nothing twice, nothing out of order');
    assert.strictEqual(p.c.gaps.length, 1);
    assert.ok(codes(p.errors).includes('ERR_STREAM_RANGE'), `errors ${codes(p.errors)}`);
  });

  // ---- resume points -----------------------------------------------------------------

  it("welcome.rx altered on a resume (claims every message arrived): 'error' ERR_STREAM_AUTH; every message arrives once, in order", async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onClientFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          if (lines.some((l) => l.kind !== 'control' && l.seq === 5)) {
            setImmediate(() => ctx.cut());
          }
          return withoutData(lines);
        },
        onServerFrame(lines, ctx) {
          if (ctx.id !== 2) return lines;
          return lines.map((l) => (l.t === 'welcome' ? l.with({ rx: 5 }) : l));
        },
      },
    });
    for (let n = 1; n <= 5; n++) await p.c.send({ n });
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 5), 'flush() resolved on a forged welcome.rx: messages lost');
    assert.ok(codes(p.errors).includes('ERR_STREAM_AUTH'), `errors ${codes(p.errors)}`);
    assert.ok(p.relay.stats.connections >= 3);
  });

  it("plaintext: welcome.rx beyond what the client sent (relay): 'error' ERR_STREAM_RANGE, nothing recorded; every message once, in order", async () => {
    const p = await startPair(h, {
      relay: {
        onClientFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          if (lines.some((l) => l.kind !== 'control' && l.seq === 3)) setImmediate(() => ctx.cut());
          return withoutData(lines);
        },
        onServerFrame(lines, ctx) {
          if (ctx.id !== 2) return lines;
          return lines.map((l) => (l.t === 'welcome' ? l.with({ rx: 1000 }) : l));
        },
      },
    });
    for (let n = 1; n <= 3; n++) await p.c.send({ n });
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 3), 'flush() resolved on an out-of-range welcome.rx: messages lost');
    assert.ok(codes(p.errors).includes('ERR_STREAM_RANGE'), `errors ${codes(p.errors)}`);
    for (let n = 4; n <= 5; n++) await p.c.send({ n });
    await p.c.flush();
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 5));
  });

  it("an old resume welcome replayed on a later resume: 'error' ERR_STREAM_AUTH (its MAC binds the client's nonce); nothing lost, nothing twice", async () => {
    const welcomes = new Map();
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onServerFrame(lines, ctx) {
          return lines.map((l) => {
            if (l.t !== 'welcome') return l;
            welcomes.set(ctx.id, l);
            return ctx.id === 3 && welcomes.has(2) ? welcomes.get(2) : l; // connection 3 gets connection 2's welcome
          });
        },
      },
    });
    p.relay.cutAll();
    await until(() => p.c.reconnects === 1 && p.c.state === 'connected', 'the first resume');
    for (let n = 1; n <= 3; n++) await p.c.send({ n });
    for (let i = 1; i <= 3; i++) await p.s.send(chunkEvent(i));
    await p.c.flush();
    await inOrder(p.got, 3);
    p.relay.cutAll();
    await until(() => p.relay.stats.connections >= 3, 'the second resume');
    for (let n = 4; n <= 6; n++) await p.c.send({ n });
    for (let i = 4; i <= 6; i++) await p.s.send(chunkEvent(i));
    await p.c.flush();
    await inOrder(p.got, 6);
    assert.deepStrictEqual(p.fromClient.map((m) => m.n), range(1, 6));
    assert.ok(codes(p.errors).includes('ERR_STREAM_AUTH'), `errors ${codes(p.errors)}`);
  });

  it('hello.rx altered on a resume (claims every event arrived): refused (SESSION_AUTH_FAILED), nothing recorded, no event lost silently', async () => {
    const answers = [];
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onServerFrame(lines, ctx) {
          for (const l of lines) if (l.t === 'welcome' || l.t === 'reject') answers.push([ctx.id, l.v]);
          if (ctx.id !== 1) return lines;
          if (lines.some((l) => l.seq === 10)) setImmediate(() => ctx.cut());
          return lines.filter((l) => l.kind === 'control' || l.seq <= 5);
        },
        onClientFrame(lines, ctx) {
          if (ctx.id !== 2) return lines;
          return lines.map((l) => (l.t === 'hello' ? l.with({ rx: 10 }) : l));
        },
      },
    });
    for (let i = 1; i <= 10; i++) await p.s.send(chunkEvent(i));
    await until(() => answers.some(([id]) => id === 2), "the server's answer to the altered hello");
    const [, answer] = answers.find(([id]) => id === 2);
    assert.deepStrictEqual([answer.t, answer.code], ['reject', 'SESSION_AUTH_FAILED'], `answer ${JSON.stringify(answer)}`);
    assert.ok(p.s.stats.held >= 5, `the forged resume point was recorded (held ${p.s.stats.held})`);
    // the client either resumes (every event, once, in order) or fails with the code; never a silent hole
    await until(() => p.got.length === 10 || p.c.state === 'failed', 'the end of the stream');
    assert.deepStrictEqual(p.got.map((e) => e.seq), range(1, p.got.length));
    if (p.c.state === 'failed') assert.strictEqual((await p.failed).code, 'SESSION_AUTH_FAILED');
  });

  // ---- envelopes under another kid / session id ----------------------------------------

  for (const [field, patch] of [
    ['kid', (l) => l.withPayload({ kid: 'k_forged' })],
    ['outer sessionId', (l) => l.with({ sessionId: 's_forged' })],
  ]) {
    it(`client -> server, an envelope with a wrong ${field}: session 'error' ERR_STREAM_ENVELOPE; every message once, in order`, async () => {
      const p = await startPair(h, {
        encrypted: true,
        relay: {
          onClientFrame(lines, ctx) {
            if (ctx.id !== 1) return lines;
            return lines.map((l) => (l.isEnvelope && l.seq === 2 ? patch(l) : l));
          },
        },
      });
      for (let n = 1; n <= 4; n++) await p.c.send({ n });
      await inOrder(p.fromClient, 4, { ...byN, stop: () => p.c.state === 'failed' });
      await p.c.flush();
      assert.deepStrictEqual(codes(p.sessionErrors), ['ERR_STREAM_ENVELOPE']);
      assert.ok(p.relay.stats.connections >= 2, 'the client resumed');
    });

    it(`server -> client, an envelope with a wrong ${field}: 'error' ERR_STREAM_ENVELOPE; every event once, in order`, async () => {
      const p = await startPair(h, {
        encrypted: true,
        relay: {
          onServerFrame(lines, ctx) {
            if (ctx.id !== 1) return lines;
            return lines.map((l) => (l.isEnvelope && l.seq === 2 ? patch(l) : l));
          },
        },
      });
      for (let i = 1; i <= 4; i++) await p.s.send(chunkEvent(i));
      await inOrder(p.got, 4, { stop: () => p.c.state === 'failed' });
      assert.deepStrictEqual(codes(p.errors), ['ERR_STREAM_ENVELOPE']);
      assert.ok(p.relay.stats.connections >= 2, 'the client resumed');
    });
  }
});
