'use strict';
// The receive path of encrypted sessions on the native backend opens whole
// runs of envelope lines of a frame in one call (lib/transport/link.js
// _receiveSealed, lib/transport/secure.js FrameOpener). A relay that mixes
// into those frames what the fast path does not take (blank and whitespace
// lines, CRLF endings, a control frame, a tampered envelope in the middle of
// a run, a rewritten outer session id or kid) changes nothing: every event
// and message once, in order, and the same coded errors as line by line.

const assert = require('node:assert');
const { startPair, codes, guarded } = require('./support/pair');
const { inOrder, chunkEvent } = require('./support/v2');
const { backend } = require('../../lib/binding');

const byN = { what: 'messages', key: (m) => m.n, chunks: false };
const { webOnly } = require('../../lib/crypto/keys');

const nativeSync = () => backend === 'native' && !webOnly();

/** Flips one base64 character of an envelope's ciphertext (the tag no longer matches). */
function tampered(l) {
  const ct = l.v.payload.ciphertextB64;
  const i = ct.length >> 1;
  return l.withPayload({ ciphertextB64: ct.slice(0, i) + (ct[i] === 'A' ? 'B' : 'A') + ct.slice(i + 1) });
}

describe('attacks: frames the batch opener does not take whole (MITM relay, encrypted)', function () {
  this.timeout(30000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  it('server -> client: blank, whitespace and CRLF lines and a ping among envelope runs; every event once, in order, and (native) most opened in batches', async () => {
    const p = await startPair(h, {
      encrypted: true,
      server: { maxFrameBytes: 64 * 1024 },
      relay: {
        onServerFrame(lines) {
          const out = [];
          for (const [i, l] of lines.entries()) {
            if (l.isEnvelope && i % 5 === 1) out.push('', '   ');
            if (l.isEnvelope && i % 7 === 3) out.push(`${l.raw}\r`);
            else out.push(l);
            if (l.isEnvelope && i % 11 === 4) out.push('{"$esn":2,"t":"ping"}');
          }
          return out;
        },
      },
    });
    const N = 300;
    for (let i = 1; i <= N; i++) await p.s.send(chunkEvent(i, 'x'.repeat(200)));
    await inOrder(p.got, N, { stop: () => p.c.state === 'failed' });
    assert.deepStrictEqual(codes(p.errors), []);
    const batched = p.c.stats.openedInBatch;
    if (nativeSync()) assert.ok(batched > N / 2, `opened in batches: ${batched} of ${N}`);
    else assert.strictEqual(batched, 0);
  });

  it('server -> client: a tampered envelope in the middle of a run: ENCRYPTION_DECRYPTION_FAILED, nothing after it in the frame delivered first; the resume brings the genuine event; every event once, in order', async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onServerFrame(lines, ctx) {
          if (ctx.id !== 1) return lines;
          return lines.map((l) => (l.isEnvelope && l.seq === 7 ? tampered(l) : l));
        },
      },
    });
    for (let i = 1; i <= 40; i++) await p.s.send(chunkEvent(i));
    await inOrder(p.got, 40, { stop: () => p.c.state === 'failed' });
    assert.deepStrictEqual(codes(p.errors), ['ENCRYPTION_DECRYPTION_FAILED']);
    assert.ok(p.relay.stats.connections >= 2, 'the client resumed');
  });

  it('client -> server: a tampered message and whitespace lines in client frames: session error ENCRYPTION_DECRYPTION_FAILED once; every message once, in order', async () => {
    const p = await startPair(h, {
      encrypted: true,
      relay: {
        onClientFrame(lines, ctx) {
          const out = [];
          for (const l of lines) {
            if (l.isEnvelope) out.push(' ');
            out.push(ctx.id === 1 && l.isEnvelope && l.seq === 5 ? tampered(l) : l);
          }
          return out;
        },
      },
    });
    for (let n = 1; n <= 30; n++) await p.c.send({ n });
    await inOrder(p.fromClient, 30, { ...byN, stop: () => p.c.state === 'failed' });
    await p.c.flush();
    assert.deepStrictEqual(codes(p.sessionErrors), ['ENCRYPTION_DECRYPTION_FAILED']);
  });
});
