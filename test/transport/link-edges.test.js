'use strict';
// lib/transport/link.js edges pinned (docs/MUTATION.md, second run): an HTTP
// body gets the whole sendWindowBytes at once while a WebSocket starts at
// 16 KiB, and a frame never packs a line past storedSeq even when the frame
// limit has room for it.

const assert = require('node:assert');
const { Link } = require('../../lib/transport/link');
const { Outbox } = require('../../lib/transport/outbox');
const { build } = require('../../lib/protocol/control');

/** The Link's transport duck type: records the frames, never calls the write callback. */
function fakeTransport(kind) {
  return { kind, bufferedAmount: 0, frames: [], send(text) { this.frames.push(text); }, close() {}, terminate() {} };
}

/** A server-role Link with no heartbeat and no backpressure limits. */
function serverLink(o = {}) {
  const hooks = { onData: () => undefined, onControl: () => undefined, onProtocolError: (err) => assert.fail(err.message) };
  return new Link({ role: 'server', outbox: new Outbox(), maxOutboxBytes: 1 << 30, highWaterMark: 1 << 30, heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, ...o }, hooks);
}

/** Waits for the turn on which the Link writes what it queued. */
const flushed = () => new Promise((resolve) => setImmediate(resolve));
const framesOf = (t) => t.frames.map((f) => f.split('\n').filter(Boolean));
const line = (n) => `L${n}`.padEnd(1000, '.');

describe('transport/link edges', () => {
  it('an HTTP body starts with the whole sendWindowBytes, past 16 KiB', async () => {
    const link = serverLink({ maxFrameBytes: 1000, sendWindowBytes: 30000 });
    const t = fakeTransport('http');
    link.attach(t, 0);
    for (let i = 1; i <= 40; i++) link.enqueue(line(i));
    await flushed();
    // one 1000-byte line per frame (a second would pass maxFrameBytes); frames go while under 30000 bytes
    assert.strictEqual(t.frames.length, 30);
    assert.deepStrictEqual([link.outbox.sentBytes, link.outbox.unsent], [30000, 10]);
  });

  it('a WebSocket with the same options starts at 16 KiB', async () => {
    const link = serverLink({ maxFrameBytes: 1000, sendWindowBytes: 30000 });
    const t = fakeTransport('ws');
    link.attach(t, 0);
    for (let i = 1; i <= 40; i++) link.enqueue(line(i));
    await flushed();
    assert.strictEqual(t.frames.length, 17);
    assert.deepStrictEqual([link.outbox.sentBytes, link.outbox.unsent], [17000, 23]);
  });

  it('a frame with room to spare stops at storedSeq', async () => {
    const link = serverLink();
    const t = fakeTransport('ws');
    link.attach(t, 0);
    link.enqueue('L1');
    await flushed();
    link.receiveFrame(`${build.ack(1)}\n`); // frames of up to 4096 bytes from now on
    link.storedSeq = 3;
    for (let i = 2; i <= 5; i++) link.enqueue(`L${i}`);
    await flushed();
    assert.deepStrictEqual(framesOf(t), [[build.ack(0), 'L1'], ['L2', 'L3']]);
    assert.strictEqual(link.stats.dataOut, 3);
    link.storedSeq = Infinity;
    link.flushSoon();
    await flushed();
    assert.deepStrictEqual(framesOf(t).slice(2), [['L4', 'L5']]);
  });
});
