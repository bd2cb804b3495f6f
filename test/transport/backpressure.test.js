'use strict';
// A fast writer that awaits send() against a slow reader: the bytes held by
// the writer stay within the configured bounds, heap growth stays bounded,
// and 'drain' fires when room comes back.

const assert = require('node:assert');
const { Harness, until, once } = require('../helpers/stream-harness');

const KB = 'k'.repeat(1000);
const COUNT = 6000; // ~6 MB each way, far above the bounds below
const LIMIT = 128 * 1024;

/** Pauses and resumes a socket so it reads at a fraction of the writer's pace. */
function slowReader(socket) {
  let on = true;
  const timer = setInterval(() => {
    on = !on;
    if (on) socket.resume();
    else socket.pause();
  }, 4);
  return () => {
    clearInterval(timer);
    socket.resume();
  };
}

describe('backpressure', function () {
  this.timeout(20000);
  let h;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  it('client.send() waits for room: a slow server reader keeps the client outbox bounded', async () => {
    const { server, addr } = await h.server({});
    const sessionP = once(server, 'session');
    const c = h.client({ url: addr.url, maxOutboxBytes: LIMIT, highWaterMark: 32 * 1024 });
    await c.connect();
    const s = await sessionP;
    let received = 0;
    s.on('message', () => received++);
    const [ws] = [...server.wss.clients];
    const stop = slowReader(ws._socket);
    let drains = 0;
    c.on('drain', () => drains++);
    const heap0 = process.memoryUsage().heapUsed;
    let maxHeld = 0;
    let maxHeap = 0;
    for (let i = 0; i < COUNT; i++) {
      await c.send({ i, d: KB });
      if (c.bufferedBytes > maxHeld) maxHeld = c.bufferedBytes;
      if ((i & 255) === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed - heap0);
    }
    stop();
    await c.flush();
    await until(() => received === COUNT, 'all messages');
    assert.ok(maxHeld <= LIMIT + 1100, `held ${maxHeld} bytes, limit ${LIMIT}`);
    assert.ok(drains > 0, 'drain never fired');
    // 6 MB went through; what stays live is bounded by the limits, not the volume
    assert.ok(maxHeap < 48 * 1024 * 1024, `heap grew by ${maxHeap} bytes`);
  });

  it('session.send() waits for room: a slow client reader keeps the replay buffer bounded', async () => {
    const { server, addr } = await h.server({ maxOutboxBytes: LIMIT, highWaterMark: 32 * 1024 });
    const sessionP = once(server, 'session');
    let received = 0;
    let last = 0;
    const c = h.client({
      url: addr.url,
      onMessage: (m) => {
        assert.strictEqual(m.seq, last + 1);
        last = m.seq;
        received++;
      },
    });
    await c.connect();
    const s = await sessionP;
    const stop = slowReader(c._transport.ws._socket);
    let drains = 0;
    s.on('drain', () => drains++);
    let maxHeld = 0;
    for (let i = 0; i < COUNT; i++) {
      await s.send({ type: 'stdout', payload: { chunk: KB } });
      if (s.bufferedBytes > maxHeld) maxHeld = s.bufferedBytes;
    }
    stop();
    await until(() => received === COUNT, 'all events');
    assert.ok(maxHeld <= LIMIT + 1200, `held ${maxHeld} bytes, limit ${LIMIT}`);
    assert.ok(drains > 0, 'drain never fired');
  });
});
