'use strict';
// lib/transport/link.js, the resume logic, driven by the fake transport of
// test/helpers/fake-transport.js (the Link's duck type: send(text, cb),
// bufferedAmount, close(), terminate(), kind) and the fake clock: the exact
// frames written (acks, batch headers, data lines, pongs, pings), the seqs
// given to lines that arrive, duplicates and out-of-order lines, cumulative
// acks and their range / MAC checks, the replay from a peer's seq after a
// resume (and the gap when evicted lines are needed), the frame size and
// in-flight window as acks come, backpressure (maxOutboxBytes, highWaterMark,
// maxPendingSends, maxBufferedBytes), the heartbeat's ping and dead-peer
// timing, and storedSeq / ackLimit.
//
// The Link writes on the next turn (setImmediate): `flushed()` waits for
// that turn; the fake clock drives only the heartbeat and poll timers.

const assert = require('node:assert');
const { Link } = require('../../lib/transport/link');
const { Outbox } = require('../../lib/transport/outbox');
const { build } = require('../../lib/protocol/control');
const { FakeClock } = require('../helpers/fake-clock');
const { fakeTransport, flushed, lines, framesFrom } = require('../helpers/fake-transport');

/** A Link with recording hooks; `o` overrides the options, `hooks` wraps onData / onControl. */
function makeLink(role, o = {}, hooks = {}) {
  const seen = { data: [], errors: [], gaps: [], dead: [], controls: [], acks: 0, drains: 0 };
  const link = new Link(
    {
      role,
      outbox: new Outbox(),
      maxOutboxBytes: 1 << 30,
      highWaterMark: 1 << 30,
      heartbeatIntervalMs: 0,
      heartbeatTimeoutMs: 0,
      ...o,
    },
    {
      onData: (v, seq) => {
        seen.data.push([seq, v]);
        return hooks.onData ? hooks.onData(v, seq) : undefined;
      },
      onOpened: () => assert.fail('no envelope is opened without a frame opener'),
      onGap: (g) => seen.gaps.push(g),
      onControl: (f) => {
        seen.controls.push(f);
        return hooks.onControl ? hooks.onControl(f) : undefined;
      },
      onDead: (reason) => seen.dead.push(reason),
      onProtocolError: (err) => seen.errors.push([err.code, err.message]),
      onDrain: () => seen.drains++,
      onAck: () => seen.acks++,
    },
  );
  return { link, seen };
}

const line = (n, size = 0) => (size ? `L${n}`.padEnd(size, '.') : `L${n}`);
const ACK = (s) => build.ack(s);
const B = (s) => build.batch(s);
const frame = (...lines) => lines.join('\n') + '\n';
const data = (obj) => JSON.stringify(obj);

describe('Link', () => {
  describe('writing (server role)', () => {
    it('attach writes ack 0 first; each line is its own frame until an ack comes', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport();
      assert.strictEqual(link.connected, false);
      assert.strictEqual(link.attach(t, 0), null);
      assert.strictEqual(link.connected, true);
      assert.deepStrictEqual(t.frames, [], 'nothing written on the same turn');
      for (let i = 1; i <= 3; i++) assert.strictEqual(link.enqueue(line(i)), i);
      await flushed();
      assert.deepStrictEqual(t.frames, [frame(ACK(0), 'L1'), frame('L2'), frame('L3')]);
      assert.deepStrictEqual([link.stats.framesOut, link.stats.dataOut, link.stats.acksOut], [3, 3, 1]);
      assert.strictEqual(link.outbox.unsent, 0);
    });

    it('an ack frees the acknowledged lines, calls onAck, and lets frames grow to 4096 bytes', async () => {
      const { link, seen } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue(line(1, 1000));
      await flushed();
      link.receiveFrame(frame(ACK(1)));
      assert.strictEqual(seen.acks, 1);
      assert.deepStrictEqual([link.outbox.count, link.outbox.acked], [0, 1]);
      for (let i = 2; i <= 10; i++) link.enqueue(line(i, 1000));
      await flushed();
      // 1001 bytes per line with its newline: 4 lines fit in 4096, a 5th would make 5004
      assert.deepStrictEqual(
        framesFrom(t, 1).map((f) => f.map((l) => l.slice(0, 3))),
        [
          ['L2.', 'L3.', 'L4.', 'L5.'],
          ['L6.', 'L7.', 'L8.', 'L9.'],
          ['L10'],
        ],
      );
      assert.deepStrictEqual(seen.errors, []);
    });

    it('frames grow by doubling with each ack that frees lines, capped at maxFrameBytes', async () => {
      const { link } = makeLink('server', { maxFrameBytes: 6000 });
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue(line(1, 1000));
      await flushed();
      link.receiveFrame(frame(ACK(1))); // limit 4096
      link.enqueue(line(2, 1000));
      await flushed();
      link.receiveFrame(frame(ACK(2))); // limit min(6000, 8192)
      link.receiveFrame(frame(ACK(2))); // frees nothing: no growth
      const from = t.frames.length;
      for (let i = 3; i <= 14; i++) link.enqueue(line(i, 1000));
      await flushed();
      // 5 lines are 5005 bytes; a 6th would make 6006 > 6000
      assert.deepStrictEqual(
        framesFrom(t, from).map((f) => f.length),
        [5, 5, 2],
      );
    });

    it('a frame takes a line that makes it exactly the limit, not one byte more', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue('a');
      await flushed();
      link.receiveFrame(frame(ACK(1))); // limit 4096
      const from = t.frames.length;
      link.enqueue('b', 2047); // 2048 with its newline
      link.enqueue('c', 2048); // 2048 + 2048 = 4096: fits
      link.enqueue('d', 2047);
      link.enqueue('e', 2049); // 2048 + 2049 = 4097: next frame
      await flushed();
      assert.deepStrictEqual(framesFrom(t, from), [['b', 'c'], ['d'], ['e']]);
    });

    it('the in-flight window starts at 16 KiB and doubles with each ack that frees lines', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      for (let i = 1; i <= 40; i++) link.enqueue(line(i, 1000));
      await flushed();
      // 16 lines are 16000 bytes < 16384: a 17th goes, then the window is full
      assert.strictEqual(t.frames.length, 17);
      assert.deepStrictEqual([link.outbox.sentBytes, link.outbox.unsent], [17000, 23]);
      link.receiveFrame(frame(ACK(1))); // 16000 in flight, window 32768, frames of 4 lines
      await flushed();
      assert.deepStrictEqual(
        framesFrom(t, 17).map((f) => f.length),
        [4, 4, 4, 4, 4],
      );
      assert.deepStrictEqual([link.outbox.sentBytes, link.outbox.unsent], [36000, 3]);
    });

    it('the window never grows past sendWindowBytes', async () => {
      const { link } = makeLink('server', { sendWindowBytes: 20000 });
      const t = fakeTransport();
      link.attach(t, 0);
      for (let i = 1; i <= 40; i++) link.enqueue(line(i, 1000));
      await flushed();
      assert.strictEqual(t.frames.length, 17);
      link.receiveFrame(frame(ACK(1))); // window min(20000, 32768): 16000 in flight + one frame of 4 lines
      await flushed();
      assert.deepStrictEqual(
        framesFrom(t, 17).map((f) => f.length),
        [4],
      );
      assert.strictEqual(link.outbox.sentBytes, 20000);
    });

    it('sendWindowBytes below 16 KiB is the window from the start', async () => {
      const { link } = makeLink('server', { sendWindowBytes: 3000 });
      const t = fakeTransport();
      link.attach(t, 0);
      for (let i = 1; i <= 5; i++) link.enqueue(line(i, 1000));
      await flushed();
      assert.deepStrictEqual([t.frames.length, link.outbox.unsent], [3, 2]);
    });

    it("an HTTP body ('http' transport): no frame growth phase, frames of up to maxFrameBytes, the whole window at once", async () => {
      const { link } = makeLink('server', { maxFrameBytes: 3000, sendWindowBytes: 5000 });
      const t = fakeTransport('http');
      link.attach(t, 0);
      for (let i = 1; i <= 10; i++) link.enqueue(line(i, 1000));
      await flushed();
      // 2 lines are 2002 bytes; a 3rd would make 3003 > 3000. 6000 bytes fill the 5000-byte window.
      assert.deepStrictEqual(
        framesFrom(t, 0).map((f) => f.map((l) => l.slice(0, 2))),
        [
          [ACK(0).slice(0, 2), 'L1', 'L2'],
          ['L3', 'L4'],
          ['L5', 'L6'],
        ],
      );
    });

    it('a transport with acks: false gets no acks', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport('ws', { acks: false });
      link.attach(t, 0);
      link.enqueue('L1');
      link.receiveFrame(frame(B(1), data({ n: 1 })));
      await flushed();
      assert.deepStrictEqual(lines(t), ['L1']);
      assert.strictEqual(link.stats.acksOut, 0);
    });

    it('enqueue while detached holds the line; control() while detached is dropped', async () => {
      const { link } = makeLink('server');
      assert.strictEqual(link.enqueue('L1'), 1);
      link.control(build.ping(1));
      assert.deepStrictEqual(link.ctrl, []);
      const t = fakeTransport();
      link.attach(t, 0);
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), 'L1']);
    });

    it('detach cancels the pending write and drops queued control frames', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue('L1');
      link.control(build.ping(5));
      assert.strictEqual(link.detach(), t);
      assert.strictEqual(link.connected, false);
      await flushed();
      assert.deepStrictEqual(t.frames, []);
      assert.deepStrictEqual(link.ctrl, []);
      assert.strictEqual(link.detach(), null);
    });

    it('a write callback (the bytes left) writes what highWaterMark held back', async () => {
      const { link } = makeLink('server', { highWaterMark: 1000 });
      const t = fakeTransport('ws', { bufferedAmount: 1001 });
      link.attach(t, 0);
      link.enqueue('L1');
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0)], 'only the ack: the socket buffer is over highWaterMark');
      t.bufferedAmount = 1000; // at highWaterMark: writing may go on
      t.written();
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), 'L1']);
    });

    it('a write callback with an error does nothing', async () => {
      const { link } = makeLink('server', { highWaterMark: 0 });
      const t = fakeTransport('ws', { bufferedAmount: 1 });
      link.attach(t, 0);
      link.enqueue('L1');
      await flushed();
      t.bufferedAmount = 0;
      t.written(new Error('EPIPE'));
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0)]);
    });
  });

  describe('writing (client role)', () => {
    it('each data frame starts with a batch header naming its first seq', async () => {
      const { link } = makeLink('client');
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue(data({ n: 1 }));
      link.enqueue(data({ n: 2 }));
      await flushed();
      assert.deepStrictEqual(t.frames, [frame(ACK(0), B(1), data({ n: 1 })), frame(B(2), data({ n: 2 }))]);
      link.receiveFrame(frame(ACK(2)));
      link.enqueue(data({ n: 3 }));
      link.enqueue(data({ n: 4 }));
      await flushed();
      assert.deepStrictEqual(t.frames[2], frame(B(3), data({ n: 3 }), data({ n: 4 })));
    });

    it('an outbox resumed at firstSeq numbers from there', async () => {
      const { link } = makeLink('client', { outbox: new Outbox({ firstSeq: 8 }) });
      const t = fakeTransport();
      link.attach(t, 7);
      assert.strictEqual(link.enqueue('{"n":8}'), 8);
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), B(8), '{"n":8}']);
    });
  });

  describe('receiving (server role: lines are numbered by batch headers)', () => {
    it('numbers lines from rx + 1, delivers each once, and acks the highest on the next turn', async () => {
      const { link, seen } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      await flushed();
      link.receiveFrame(frame(B(1), data({ n: 1 }), data({ n: 2 })));
      assert.deepStrictEqual(seen.data, [
        [1, { n: 1 }],
        [2, { n: 2 }],
      ]);
      assert.strictEqual(link.rx, 2);
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), ACK(2)]);
      assert.deepStrictEqual([link.stats.framesIn, link.stats.dataIn, link.stats.acksOut], [1, 2, 2]);
    });

    it('a resent run overlapping what arrived: the old lines are counted as duplicates, the new ones delivered', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(B(1), data({ n: 1 }), data({ n: 2 }), data({ n: 3 })));
      link.receiveFrame(frame(B(2), data({ n: 2 }), data({ n: 3 }), data({ n: 4 })));
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 2, 3, 4],
      );
      assert.deepStrictEqual([link.stats.duplicates, link.stats.dataIn, link.rx], [2, 4, 4]);
      assert.deepStrictEqual(seen.errors, []);
    });

    it('lines without a batch header continue from rx + 1', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(data({ n: 1 })));
      link.receiveFrame(frame(data({ n: 2 })));
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 2],
      );
    });

    it('a batch starting past rx + 1 is ERR_STREAM_SEQ; nothing of it is delivered', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(B(1), data({ n: 1 })));
      link.receiveFrame(frame(B(3), data({ n: 3 }), data({ n: 4 })));
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_SEQ', 'out-of-order line: expected seq 2, got 3']]);
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1],
      );
      assert.strictEqual(link.rx, 1);
    });

    it('a line the owner refuses (onData false) is not received: rx stays, the rest of the frame is dropped', async () => {
      const { link, seen } = makeLink('server', {}, { onData: (v) => (v.n === 2 ? false : undefined) });
      const t = fakeTransport();
      link.attach(t, 0);
      link.receiveFrame(frame(B(1), data({ n: 1 }), data({ n: 2 }), data({ n: 3 })));
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 2],
      );
      assert.deepStrictEqual([link.rx, link.stats.dataIn], [1, 1]);
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(1)], 'the refused line is not acknowledged');
    });

    it('a line that is not JSON is ERR_STREAM_BAD_LINE and ends the frame', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(B(1), data({ n: 1 }), '{"n":', data({ n: 3 })));
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1],
      );
      assert.strictEqual(seen.errors.length, 1);
      assert.strictEqual(seen.errors[0][0], 'ERR_STREAM_BAD_LINE');
      assert.match(seen.errors[0][1], /^invalid JSON line: /);
    });

    it('a client may not send gap (ERR_STREAM_CONTROL)', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(build.gap(1, 2, 'replay_overflow')));
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_CONTROL', 'a client may not send gap']]);
      assert.strictEqual(link.rx, 0);
    });

    it('receiveFrame(data, sink): protocol errors go to the sink, not to the owner', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      const sunk = [];
      link.receiveFrame('nope\n', (err) => sunk.push(err.code));
      assert.deepStrictEqual(sunk, ['ERR_STREAM_BAD_LINE']);
      assert.deepStrictEqual(seen.errors, []);
      link.receiveFrame('nope\n');
      assert.deepStrictEqual(seen.errors.map((e) => e[0]), ['ERR_STREAM_BAD_LINE'], 'the sink is for that call only');
    });

    it('a Buffer frame is read like a string', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(Buffer.from(frame(B(1), data({ s: 'é' }))));
      assert.deepStrictEqual(seen.data, [[1, { s: 'é' }]]);
    });
  });

  describe('receiving (client role: lines carry their seq)', () => {
    const ev = (seq) => data({ protocolVersion: 2, sessionId: 's_l', seq, type: 'stdout', payload: { chunk: `${seq}` } });

    it('delivers by the seq field; repeats are duplicates; a jump is ERR_STREAM_SEQ', () => {
      const { link, seen } = makeLink('client');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(ev(1), ev(2), ev(1), ev(2), ev(3)));
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 2, 3],
      );
      assert.strictEqual(link.stats.duplicates, 2);
      link.receiveFrame(frame(ev(5)));
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_SEQ', 'out-of-order line: expected seq 4, got 5']]);
      assert.strictEqual(link.rx, 3);
    });

    it('a line without an integer seq takes rx + 1', () => {
      const { link, seen } = makeLink('client');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(data({ seq: 'x' }), data({ seq: 1.5 }), data(null)));
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 2, 3],
      );
    });

    it('a gap from rx + 1 moves rx to its end and reaches onGap; any other start is ERR_STREAM_RANGE', () => {
      const { link, seen } = makeLink('client');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(ev(1), build.gap(2, 5, 'replay_overflow'), ev(6)));
      assert.deepStrictEqual(seen.gaps, [{ from: 2, to: 5, count: 4, reason: 'replay_overflow' }]);
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 6],
      );
      assert.strictEqual(link.rx, 6);
      link.receiveFrame(frame(build.gap(8, 9, 'replay_overflow')));
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_RANGE', 'gap from 8 does not follow the last seq received (6)']]);
      link.receiveFrame(frame(build.gap(6, 9, 'replay_overflow')));
      assert.strictEqual(seen.errors[1][0], 'ERR_STREAM_RANGE', 'a gap over what arrived is refused too');
      assert.strictEqual(link.rx, 6);
    });

    it('a server may not send b (ERR_STREAM_CONTROL)', () => {
      const { link, seen } = makeLink('client');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(B(1)));
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_CONTROL', 'a server may not send b']]);
    });
  });

  describe('acks received', () => {
    it('an ack of the last seq sent is fine; one past it is ERR_STREAM_RANGE', async () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.enqueue('L1');
      link.enqueue('L2');
      link.receiveFrame(frame(ACK(2)));
      assert.deepStrictEqual(seen.errors, []);
      assert.strictEqual(link.outbox.count, 0);
      link.receiveFrame(frame(ACK(3)));
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_RANGE', 'ack 3 is beyond the last seq sent (2)']]);
      assert.strictEqual(link.outbox.acked, 2);
    });

    it('a repeated or older ack calls onAck only once', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.enqueue('L1');
      link.enqueue('L2');
      link.receiveFrame(frame(ACK(1), ACK(1), ACK(0)));
      assert.strictEqual(seen.acks, 1);
      link.receiveFrame(frame(ACK(2)));
      assert.strictEqual(seen.acks, 2);
    });

    it('on an authenticated link, acks are MACed both ways; a wrong or missing MAC is ERR_STREAM_AUTH', async () => {
      const { link, seen } = makeLink('client');
      link.auth = { mac: (kind, s) => `M${kind}${s}`, check: (m, kind, s) => m === `M${kind}${s}` };
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue('{"n":1}');
      link.enqueue('{"n":2}');
      await flushed();
      assert.strictEqual(lines(t)[0], build.ack(0, 'Mack0'));
      link.receiveFrame(frame(build.ack(1, 'Mack1')));
      assert.deepStrictEqual([seen.errors, link.outbox.acked], [[], 1]);
      link.receiveFrame(frame(build.ack(2, 'Mack1')));
      link.receiveFrame(frame(ACK(2)));
      assert.deepStrictEqual(seen.errors, [
        ['ERR_STREAM_AUTH', 'ack 2 failed authentication'],
        ['ERR_STREAM_AUTH', 'ack 2 failed authentication'],
      ]);
      assert.strictEqual(link.outbox.acked, 1);
      link.receiveFrame(frame(build.gap(1, 3, 'replay_overflow')));
      assert.deepStrictEqual(seen.errors[2], ['ERR_STREAM_AUTH', 'gap 1..3 failed authentication']);
      link.receiveFrame(frame(build.gap(1, 3, 'replay_overflow', 'Mgap1')));
      assert.deepStrictEqual(seen.gaps, [{ from: 1, to: 3, count: 3, reason: 'replay_overflow' }]);
    });
  });

  describe('control frames', () => {
    it('a ping queues one pong (the latest ts); a pong is ignored', async () => {
      const { link, seen } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      await flushed();
      link.receiveFrame(frame(build.ping(5), build.ping(6), build.pong(7)));
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), build.pong(6)]);
      link.receiveFrame(frame('{"$esn":2,"t":"ping","ts":"x"}'));
      await flushed();
      assert.strictEqual(lines(t)[2], build.pong(0), 'a ts that is not a number is answered with 0');
      assert.deepStrictEqual(seen.errors, []);
    });

    it('an unknown type of the current version is counted and skipped; the lines after it count', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(B(1), data({ n: 1 }), '{"$esn":2,"t":"zzz"}', data({ n: 2 })));
      assert.strictEqual(link.stats.unknownControl, 1);
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1, 2],
      );
      assert.deepStrictEqual(seen.errors, []);
    });

    it('a frame of another version or a malformed one is ERR_STREAM_CONTROL with the reason', () => {
      const { link, seen } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame('{"$esn":3,"t":"ack","s":1}', data({ n: 1 })));
      link.receiveFrame(frame('{"$esn":2,"t":"ack","s":-1}'));
      assert.deepStrictEqual(seen.errors, [
        ['ERR_STREAM_CONTROL', 'bad control frame: unsupported control version 3'],
        ['ERR_STREAM_CONTROL', 'bad control frame: ack.s must be an integer >= 0'],
      ]);
      assert.deepStrictEqual(seen.data, []);
    });

    it('other known frames go to onControl; false from it ends the frame', () => {
      const { link, seen } = makeLink('server', {}, { onControl: (f) => f.code !== 'STOP' });
      link.attach(fakeTransport(), 0);
      link.receiveFrame(frame(build.reject('GO', 'a'), B(1), data({ n: 1 }), build.reject('STOP', 'b'), data({ n: 2 })));
      assert.deepStrictEqual(
        seen.controls.map((f) => [f.t, f.code]),
        [
          ['reject', 'GO'],
          ['reject', 'STOP'],
        ],
      );
      assert.deepStrictEqual(
        seen.data.map((d) => d[0]),
        [1],
      );
    });
  });

  describe('resume (attach again)', () => {
    it('resends from peerRx + 1 the lines that were written but not acknowledged', async () => {
      const { link } = makeLink('server');
      const t1 = fakeTransport();
      link.attach(t1, 0);
      for (let i = 1; i <= 5; i++) link.enqueue(line(i));
      await flushed();
      link.receiveFrame(frame(ACK(2)));
      link.detach();
      const t2 = fakeTransport();
      assert.strictEqual(link.attach(t2, 4), null);
      await flushed();
      assert.deepStrictEqual(lines(t2), [ACK(0), 'L5']);
      assert.strictEqual(link.outbox.acked, 4, 'the peer said it holds 4');
    });

    it('a peerRx below the last ack resends from the first unacknowledged line', async () => {
      const { link } = makeLink('server');
      link.attach(fakeTransport(), 0);
      for (let i = 1; i <= 4; i++) link.enqueue(line(i));
      await flushed();
      link.receiveFrame(frame(ACK(2)));
      const t2 = fakeTransport();
      link.attach(t2, 1); // attach detaches the old transport itself
      await flushed();
      assert.deepStrictEqual(lines(t2), [ACK(0), 'L3', 'L4']);
    });

    it('tells the new connection its rx even when the old one had it (sentAck reset)', async () => {
      const { link } = makeLink('server');
      const t1 = fakeTransport();
      link.attach(t1, 0);
      link.receiveFrame(frame(B(1), data({ n: 1 })));
      await flushed();
      assert.deepStrictEqual(lines(t1), [ACK(1)]);
      const t2 = fakeTransport();
      link.attach(t2, 0);
      await flushed();
      assert.deepStrictEqual(lines(t2), [ACK(1)]);
    });

    it('returns the gap when lines the peer needs were evicted, and sends the held ones', async () => {
      const { link } = makeLink('server', { outbox: new Outbox({ maxEvents: 3, evict: true }) });
      for (let i = 1; i <= 5; i++) link.enqueue(line(i));
      const t = fakeTransport();
      assert.deepStrictEqual(link.attach(t, 0), { from: 1, to: 2 });
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), 'L3', 'L4', 'L5']);
      const t2 = fakeTransport();
      assert.strictEqual(link.attach(t2, 2), null, 'the peer already had 1..2');
    });

    it('after a resume the window and the frame size start small again', async () => {
      const { link } = makeLink('server');
      link.attach(fakeTransport(), 0);
      link.enqueue(line(1, 1000));
      await flushed();
      link.receiveFrame(frame(ACK(1))); // frames of 4 lines on this connection
      const t2 = fakeTransport();
      link.attach(t2, 1);
      for (let i = 2; i <= 4; i++) link.enqueue(line(i, 1000));
      await flushed();
      assert.deepStrictEqual(
        framesFrom(t2, 0).map((f) => f.length),
        [2, 1, 1],
        'ack + one line, then one line per frame',
      );
    });
  });

  describe('storedSeq and ackLimit (a session store)', () => {
    it('lines after storedSeq wait; raising it writes them', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      link.storedSeq = 2;
      for (let i = 1; i <= 4; i++) link.enqueue(line(i));
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), 'L1', 'L2']);
      link.storedSeq = Infinity;
      link.flushSoon();
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), 'L1', 'L2', 'L3', 'L4']);
    });

    it('acks never pass ackLimit', async () => {
      const { link } = makeLink('server');
      const t = fakeTransport();
      link.attach(t, 0);
      link.ackLimit = 2;
      link.receiveFrame(frame(B(1), data(1), data(2), data(3)));
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(2)]);
      link.ackLimit = Infinity;
      link.flushSoon();
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(2), ACK(3)]);
    });
  });

  describe('backpressure', () => {
    class Refused extends Error {
      constructor(message, code) {
        super(message);
        this.code = code;
      }
    }

    it('wait() resolves at once while the bytes held are at most maxOutboxBytes', async () => {
      const { link } = makeLink('server', { maxOutboxBytes: 2000 });
      link.enqueue('a', 2000);
      let done = false;
      await link.wait().then(() => (done = true));
      assert.strictEqual(done, true);
      assert.strictEqual(link.blocked, false);
    });

    it('one byte over maxOutboxBytes: wait() holds until an ack frees room, then onDrain once', async () => {
      const { link, seen } = makeLink('server', { maxOutboxBytes: 2000 });
      const t = fakeTransport();
      link.attach(t, 0);
      link.enqueue('a', 1000);
      link.enqueue('b', 1001);
      let released = 0;
      link.wait().then(() => released++);
      link.wait().then(() => released++);
      assert.strictEqual(link.blocked, true);
      await flushed();
      assert.strictEqual(released, 0);
      link.receiveFrame(frame(ACK(1)));
      await flushed();
      assert.strictEqual(released, 2);
      assert.deepStrictEqual([link.blocked, seen.drains], [false, 1]);
    });

    it('extraBytes (queued outside the outbox) count toward maxOutboxBytes', async () => {
      const { link } = makeLink('server', { maxOutboxBytes: 100 });
      link.extraBytes = 101;
      let released = false;
      link.wait().then(() => (released = true));
      await flushed();
      assert.strictEqual(released, false);
      link.extraBytes = 0;
      link._checkWaiters();
      await flushed();
      assert.strictEqual(released, true);
    });

    it('a socket buffer over highWaterMark with lines unsent holds wait(); not when everything is written', async () => {
      const { link } = makeLink('server', { highWaterMark: 100 });
      const t = fakeTransport('ws', { bufferedAmount: 101 });
      link.attach(t, 0);
      link.enqueue('L1');
      let released = false;
      link.wait().then(() => (released = true));
      await flushed();
      assert.strictEqual(released, false);
      t.bufferedAmount = 100;
      t.written();
      await flushed();
      assert.strictEqual(released, true);
      t.bufferedAmount = 5000;
      await link.wait(); // nothing unsent: a full socket buffer alone does not hold the producer
    });

    it('pendingRefusal: null below maxPendingSends waiters, a coded error at it', () => {
      const { link } = makeLink('server', { maxOutboxBytes: 0, maxPendingSends: 2 });
      link.enqueue('x');
      link.wait().catch(() => {});
      assert.strictEqual(link.pendingRefusal(Refused, 'send()'), null);
      link.wait().catch(() => {});
      const err = link.pendingRefusal(Refused, 'send()');
      assert.ok(err instanceof Refused);
      assert.strictEqual(err.code, 'ERR_STREAM_TOO_MANY_PENDING');
      assert.strictEqual(err.message, 'send(): 2 sends already wait for room (maxPendingSends); await send() or raise the limit');
    });

    it('rejectWaiters rejects every waiting send with the error, without onDrain', async () => {
      const { link, seen } = makeLink('server', { maxOutboxBytes: 0 });
      link.enqueue('x');
      const a = link.wait();
      const b = link.wait();
      const boom = new Error('closed');
      link.rejectWaiters(boom);
      await assert.rejects(a, (e) => e === boom);
      await assert.rejects(b, (e) => e === boom);
      assert.deepStrictEqual([link.blocked, link.waiters.length, seen.drains], [false, 0, 0]);
    });

    it('a peer that leaves more than maxBufferedBytes unread is ERR_STREAM_SLOW_CONSUMER; exactly the limit is fine', async () => {
      const { link, seen } = makeLink('server', { maxBufferedBytes: 5000 });
      const t = fakeTransport('ws', { bufferedAmount: 5000 });
      link.attach(t, 0);
      link.enqueue('L1');
      await flushed();
      assert.deepStrictEqual(seen.errors, []);
      t.bufferedAmount = 5001;
      link.enqueue('L2');
      await flushed();
      assert.deepStrictEqual(seen.errors, [['ERR_STREAM_SLOW_CONSUMER', 'the peer does not read: 5001 bytes unread (maxBufferedBytes 5000)']]);
      assert.strictEqual(link.stats.slowConsumer, 1);
      assert.deepStrictEqual(lines(t), [ACK(0), 'L1'], 'nothing more is written to it');
    });

    it('a ping from a peer that does not read is refused the same way (no pong piles up)', () => {
      const { link, seen } = makeLink('server', { maxBufferedBytes: 10 });
      const t = fakeTransport('ws', { bufferedAmount: 11 });
      link.attach(t, 0);
      link.receiveFrame(frame(build.ping(1)));
      assert.deepStrictEqual(seen.errors.map((e) => e[0]), ['ERR_STREAM_SLOW_CONSUMER']);
      assert.deepStrictEqual(link.ctrl, []);
    });
  });

  describe('heartbeat (fake clock)', () => {
    let clock;
    beforeEach(() => {
      clock = new FakeClock(10000).install();
    });
    afterEach(() => clock.uninstall());

    it('pings every heartbeatIntervalMs with the time; a silent peer is dead on the first tick at or past heartbeatTimeoutMs', async () => {
      const { link, seen } = makeLink('server', { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
      const t = fakeTransport();
      link.attach(t, 0);
      await flushed();
      clock.tick(999);
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0)]);
      clock.tick(1);
      await flushed();
      clock.tick(1000);
      await flushed();
      assert.deepStrictEqual(lines(t), [ACK(0), build.ping(11000), build.ping(12000)]);
      assert.deepStrictEqual(seen.dead, []);
      clock.tick(1000); // 3000 ms without a byte: dead at once (>=)
      assert.deepStrictEqual(seen.dead, ['no data or heartbeat from the peer for 3000 ms']);
      clock.tick(10000);
      await flushed();
      assert.strictEqual(seen.dead.length, 1, 'reported once, no more pings');
      assert.strictEqual(lines(t).length, 3);
    });

    it('any frame from the peer restarts the count', () => {
      const { link, seen } = makeLink('server', { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 2500 });
      link.attach(fakeTransport(), 0);
      clock.tick(2000);
      link.receiveFrame(frame(build.pong(1)));
      clock.tick(2000); // 2000 since the pong
      assert.deepStrictEqual(seen.dead, []);
      clock.tick(1000); // 3000 >= 2500
      assert.deepStrictEqual(seen.dead, ['no data or heartbeat from the peer for 2500 ms']);
    });

    it('a oneWay transport is never declared dead; pings: false sends no pings', async () => {
      const one = makeLink('server', { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 1500 });
      const t1 = fakeTransport('ws', { oneWay: true, pings: false });
      one.link.attach(t1, 0);
      clock.tick(10000);
      await flushed();
      assert.deepStrictEqual(one.seen.dead, []);
      assert.deepStrictEqual(lines(t1), [ACK(0)]);
    });

    it('detach stops the heartbeat', () => {
      const { link, seen } = makeLink('server', { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 1000 });
      link.attach(fakeTransport(), 0);
      link.detach();
      clock.tick(5000);
      assert.deepStrictEqual(seen.dead, []);
    });

    it('no heartbeat when heartbeatIntervalMs is 0', () => {
      const { link, seen } = makeLink('server', { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 1 });
      link.attach(fakeTransport(), 0);
      clock.tick(60000);
      assert.deepStrictEqual(seen.dead, []);
    });

    it('a transport that polls writes (a browser WebSocket) re-checks waiting sends every 10 ms', async () => {
      const { link } = makeLink('server', { highWaterMark: 0 });
      const t = fakeTransport('ws', { pollWrites: true, syncWrites: true, bufferedAmount: 1 });
      link.attach(t, 0);
      link.enqueue('L1');
      let released = false;
      link.wait().then(() => (released = true));
      await flushed(); // the ack is written; its (immediate) callback starts the poll and asks for another flush
      await flushed(); // that flush: still over highWaterMark, nothing written
      assert.deepStrictEqual(lines(t), [ACK(0)]);
      t.bufferedAmount = 0; // the browser sent the bytes: no event says so
      clock.tick(9);
      await flushed();
      assert.strictEqual(released, false);
      clock.tick(1);
      await flushed();
      assert.strictEqual(released, true);
      assert.deepStrictEqual(lines(t), [ACK(0), 'L1']);
    });
  });
});
