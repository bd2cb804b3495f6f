'use strict';
// lib/transport/link.js edges pinned (docs/MUTATION.md, second run): the send
// window and frame packing; which frames end a frame early and what they
// leave unacknowledged; when the peer is judged slow (only when something is
// to be written); optional hooks; the native batch-open receive path (driven
// here by a stand-in FrameOpener, so it runs on every backend); and the
// timers a Link holds (the write turn, heartbeat and browser write poll),
// none of them left behind by detach().

const assert = require('node:assert');
const { Link } = require('../../lib/transport/link');
const { Outbox } = require('../../lib/transport/outbox');
const { build } = require('../../lib/protocol/control');
const { FakeClock } = require('../helpers/fake-clock');

/**
 * The Link's transport duck type: records the frames and keeps the write
 * callbacks until written() (or calls them at once with syncWrites, as a
 * browser WebSocket wrapper does); `props` sets pollWrites, bufferedAmount...
 */
function fakeTransport(kind, props = {}) {
  return {
    kind,
    bufferedAmount: 0,
    frames: [],
    callbacks: [],
    send(text, cb) {
      this.frames.push(text);
      if (cb && this.syncWrites) cb();
      else if (cb) this.callbacks.push(cb);
    },
    written(err) {
      for (const cb of this.callbacks.splice(0)) cb(err);
    },
    lines() {
      return this.frames.join('').split('\n').filter(Boolean);
    },
    close() {},
    terminate() {},
    ...props,
  };
}

/** A Link with no heartbeat and no backpressure limits; `hooks` are used as given. */
function bareLink(role, o, hooks) {
  return new Link({ role, outbox: new Outbox(), maxOutboxBytes: 1 << 30, highWaterMark: 1 << 30, heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, ...o }, hooks);
}

/** A server-role Link that fails the test on any protocol error. */
function serverLink(o = {}) {
  return bareLink('server', o, { onData: () => undefined, onControl: () => undefined, onProtocolError: (err) => assert.fail(err.message) });
}

/** A Link whose hooks record what reaches them (`seen`); `hooks` overrides some. */
function recordingLink(role, o = {}, hooks = {}) {
  const seen = { data: [], opened: [], errors: [], controls: [], gaps: [], dead: [], drains: 0, acks: 0 };
  const link = bareLink(role, o, {
    onData: (v, seq) => void seen.data.push([seq, v]),
    onOpened: (text, seq, kid) => void seen.opened.push([seq, text, kid]),
    onControl: (f) => void seen.controls.push(f),
    onGap: (g) => seen.gaps.push(g),
    onDead: (reason) => seen.dead.push(reason),
    onProtocolError: (err) => seen.errors.push(err.code),
    onDrain: () => seen.drains++,
    onAck: () => seen.acks++,
    ...hooks,
  });
  return { link, seen };
}

/** Waits for the turn on which the Link writes what it queued. */
const flushed = () => new Promise((resolve) => setImmediate(resolve));
const framesOf = (t) => t.frames.map((f) => f.split('\n').filter(Boolean));
const line = (n) => `L${n}`.padEnd(1000, '.');
const frame = (...lines) => lines.join('\n') + '\n';
const data = (obj) => JSON.stringify(obj);
/** A server event as the client reads it: it carries its seq. */
const ev = (seq) => data({ protocolVersion: 2, sessionId: 's1', seq, type: 'stdout', payload: { chunk: `${seq}` } });
/** An authenticated session's Channel as the Link sees it, whose MAC checks all give `ok`. */
const macs = (ok) => ({ mac: () => undefined, check: () => ok });

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

describe('transport/link edges: reading frames', () => {
  it('lines without a batch header after a resume continue from rx + 1', () => {
    const { link, seen } = recordingLink('server');
    link.attach(fakeTransport('ws'), 0);
    link.receiveFrame(frame(build.batch(1), data({ n: 1 }), data({ n: 2 })));
    link.attach(fakeTransport('ws'), 0);
    link.receiveFrame(frame(data({ n: 3 })));
    assert.deepStrictEqual(seen.data, [[1, { n: 1 }], [2, { n: 2 }], [3, { n: 3 }]]);
    assert.strictEqual(link.stats.duplicates, 0);
  });

  it('a Link not attached yet (a POST before the stream) numbers lines from rx + 1; a refused line is taken when resent', () => {
    let refuse = true;
    const { link, seen } = recordingLink('server', {}, {
      onData: (v, seq) => {
        seen.data.push([seq, v]);
        return refuse ? false : undefined; // false: the owner refuses the line
      },
    });
    link.receiveFrame(frame(data({ n: 1 })));
    assert.strictEqual(link.rx, 0);
    refuse = false;
    link.receiveFrame(frame(data({ n: 1 })));
    assert.deepStrictEqual(seen.data, [[1, { n: 1 }], [1, { n: 1 }]]);
    assert.deepStrictEqual([link.rx, seen.errors], [1, []]);
  });

  it('a batch header at seq 0 numbers its first line 0: a duplicate, the next is 1', () => {
    const { link, seen } = recordingLink('server');
    link.attach(fakeTransport('ws'), 0);
    link.receiveFrame(frame(build.batch(0), data({ n: 0 }), data({ n: 1 })));
    assert.deepStrictEqual(seen.data, [[1, { n: 1 }]]);
    assert.strictEqual(link.stats.duplicates, 1);
  });

  it('a ping on a Link not attached is ignored (nothing to answer on)', () => {
    const { link, seen } = recordingLink('server');
    link.receiveFrame(frame(build.ping(1), build.batch(1), data({ n: 1 })));
    assert.deepStrictEqual([link.ctrl, seen.errors, seen.data], [[], [], [[1, { n: 1 }]]]);
  });

  it('a pong is skipped without reaching onControl; the lines after it count', () => {
    const { link, seen } = recordingLink('server');
    link.attach(fakeTransport('ws'), 0);
    link.receiveFrame(frame(build.pong(7), build.batch(1), data({ n: 1 })));
    assert.deepStrictEqual([seen.controls, seen.data, seen.errors], [[], [[1, { n: 1 }]], []]);
  });

  // Each bad control frame is a coded protocol error and ends its frame: the data line after it is not read.
  const ENDERS = [
    ['an ack past the last seq sent', 'server', {}, null, build.ack(5), 'ERR_STREAM_RANGE'],
    ['an ack whose MAC fails', 'server', {}, macs(false), build.ack(0), 'ERR_STREAM_AUTH'],
    ['a batch header from the server', 'client', {}, null, build.batch(1), 'ERR_STREAM_CONTROL'],
    ['a ping from a peer that does not read', 'server', { maxBufferedBytes: 10 }, null, build.ping(1), 'ERR_STREAM_SLOW_CONSUMER'],
    ['a gap from the client', 'server', {}, null, build.gap(1, 2, 'replay_overflow'), 'ERR_STREAM_CONTROL'],
    ['a gap that does not start at rx + 1', 'client', {}, null, build.gap(5, 6, 'replay_overflow'), 'ERR_STREAM_RANGE'],
    ['a gap whose MAC fails', 'client', {}, macs(false), build.gap(1, 2, 'replay_overflow'), 'ERR_STREAM_AUTH'],
  ];
  for (const [what, role, o, auth, bad, code] of ENDERS) {
    it(`${what} is ${code} and ends the frame`, () => {
      const { link, seen } = recordingLink(role, o);
      link.auth = auth;
      link.attach(fakeTransport('ws', { bufferedAmount: 11 }), 0);
      const next = role === 'server' ? [build.batch(1), data({ n: 1 })] : [ev(1)];
      link.receiveFrame(frame(bad, ...next));
      assert.deepStrictEqual([seen.errors, seen.data, seen.gaps, link.rx], [[code], [], [], 0]);
    });
  }

  it('a frame that ends in an error is not acknowledged on its connection; the next one is told rx', async () => {
    const { link, seen } = recordingLink('server');
    const t = fakeTransport('ws');
    link.attach(t, 0);
    await flushed();
    link.receiveFrame(frame(build.batch(1), data({ n: 1 }), 'nope'));
    assert.deepStrictEqual([seen.data.length, seen.errors], [1, ['ERR_STREAM_BAD_LINE']]);
    link.receiveFrame(frame(build.batch(2), data({ n: 2 }), '{"$esn":2,"t":"ack","s":-1}'));
    await flushed();
    assert.deepStrictEqual(t.lines(), [build.ack(0)], 'no ack of 1 or 2 on this connection');
    const t2 = fakeTransport('ws');
    link.attach(t2, 0);
    await flushed();
    assert.deepStrictEqual(t2.lines(), [build.ack(2)]);
  });

  it('a sink is for its receiveFrame call only: a slow peer found by a later write goes to the owner', async () => {
    const { link, seen } = recordingLink('server', { maxBufferedBytes: 10 });
    const t = fakeTransport('ws');
    link.attach(t, 0);
    await flushed();
    const sunk = [];
    link.receiveFrame(frame(build.batch(1), data({ n: 1 })), (err) => sunk.push(err.code));
    t.bufferedAmount = 11;
    await flushed(); // the ack of 1 is due: the write finds the peer slow
    assert.deepStrictEqual([sunk, seen.errors], [[], ['ERR_STREAM_SLOW_CONSUMER']]);
  });
});

describe('transport/link edges: the native batch-open path (a stand-in FrameOpener)', () => {
  const HEAD = '{"protocolVersion":2,"sessionId":"s1","seq":';
  const TAIL = ',"type":"enc","payload":{"kid":"k1","nonceB64":"';
  /** An envelope line of session s1 under key k1; the stand-in opener reads its ciphertextB64 as the plaintext's base64. */
  const envelope = (seq, text) => `${HEAD}${seq}${TAIL}bm9uY2U","ciphertextB64":"${Buffer.from(text).toString('base64')}"}}`;

  /**
   * What lib/transport/secure.js FrameOpener gives the Link: head/tail of the
   * envelope lines it opens, open(buf, start, end, count) filling `res` (per
   * line: seq, offset in `out`, length, status 0 = opened, counter) and `out`,
   * and release().
   */
  function standInOpener() {
    return {
      head: Buffer.from(HEAD),
      tail: Buffer.from(TAIL),
      kid: 'k1',
      res: null,
      out: null,
      released: 0,
      open(buf, start, end, count) {
        const envs = buf.subarray(start, end).toString().split('\n').map((l) => JSON.parse(l));
        const texts = envs.map((e) => Buffer.from(e.payload.ciphertextB64, 'base64'));
        this.out = Buffer.concat(texts);
        this.res = new Float64Array(5 * count);
        let at = 0;
        envs.forEach((e, i) => {
          this.res.set([e.seq, at, texts[i].length, 0, 0], 5 * i);
          at += texts[i].length;
        });
        return count;
      },
      release() {
        this.released++;
      },
    };
  }

  function sealedLink() {
    const fo = standInOpener();
    const r = recordingLink('client');
    r.link.auth = { ...macs(true), frameOpener: () => fo };
    r.link.attach(fakeTransport('ws'), 0);
    return { ...r, fo };
  }

  it('a Buffer frame of envelope lines is opened in one run: onOpened gets each plaintext, seq and key id', () => {
    const { link, seen, fo } = sealedLink();
    link.receiveFrame(Buffer.from(frame(envelope(1, '{"a":1}'), envelope(2, 'two'))));
    assert.deepStrictEqual(seen.opened, [[1, '{"a":1}', 'k1'], [2, 'two', 'k1']]);
    assert.deepStrictEqual([seen.data, seen.errors, link.rx, link.stats.openedInBatch, fo.released], [[], [], 2, 2, 1]);
  });

  it('a string frame goes line by line: each envelope reaches onData parsed, none is opened in a run', () => {
    const { link, seen, fo } = sealedLink();
    link.receiveFrame(frame(envelope(1, 'one'), envelope(2, 'two')));
    assert.deepStrictEqual(seen.data.map(([seq, v]) => [seq, v.type]), [[1, 'enc'], [2, 'enc']]);
    assert.deepStrictEqual([seen.opened, seen.errors, link.stats.openedInBatch, fo.released], [[], [], 0, 0]);
  });
});

describe('transport/link edges: when the peer is judged slow', () => {
  // A peer that leaves more than maxBufferedBytes unread is dropped when the
  // Link has something to write to it (or a ping to answer), not on every event.
  function slowPeer(props = {}) {
    const { link, seen } = recordingLink('server', { maxBufferedBytes: 1000 });
    const t = fakeTransport('ws', props);
    link.attach(t, 0);
    return { link, seen, t };
  }

  it('a write callback with nothing left to write writes nothing and judges nothing', async () => {
    const { link, seen, t } = slowPeer();
    link.enqueue('L1');
    await flushed();
    t.bufferedAmount = 5000;
    t.written();
    await flushed();
    assert.deepStrictEqual([seen.errors, t.lines()], [[], [build.ack(0), 'L1']]);
    link.enqueue('L2'); // something to write: now it counts
    await flushed();
    assert.deepStrictEqual(seen.errors, ['ERR_STREAM_SLOW_CONSUMER']);
  });

  it('an ack that frees lines, with nothing unsent, writes nothing', async () => {
    const { link, seen, t } = slowPeer();
    link.enqueue('L1');
    await flushed();
    t.bufferedAmount = 5000;
    link.receiveFrame(frame(build.ack(1)));
    await flushed();
    assert.deepStrictEqual([seen.acks, seen.errors, t.lines()], [1, [], [build.ack(0), 'L1']]);
  });

  it('a frame with nothing new (a pong, a duplicate) writes nothing', async () => {
    const { link, seen, t } = slowPeer();
    link.receiveFrame(frame(build.batch(1), data({ n: 1 })));
    await flushed();
    t.bufferedAmount = 5000;
    link.receiveFrame(frame(build.pong(1), build.batch(1), data({ n: 1 })));
    await flushed();
    assert.deepStrictEqual([link.stats.duplicates, seen.errors, t.lines()], [1, [], [build.ack(1)]]);
  });
});

describe('transport/link edges: hooks and timers', () => {
  let clock;
  let restore = null;
  beforeEach(() => {
    clock = new FakeClock(1000).install();
  });
  afterEach(() => {
    if (restore) restore();
    restore = null;
    clock.uninstall();
  });

  /** As in a browser: no setImmediate / clearImmediate (the Link writes on a 0 ms timer of the fake clock). */
  function withoutImmediates() {
    const saved = { setImmediate: globalThis.setImmediate, clearImmediate: globalThis.clearImmediate };
    delete globalThis.setImmediate;
    delete globalThis.clearImmediate;
    restore = () => Object.assign(globalThis, saved);
  }

  /** Counts the setImmediate callbacks scheduled and neither run nor cleared (`live.size`). */
  function trackImmediates() {
    const saved = { setImmediate: globalThis.setImmediate, clearImmediate: globalThis.clearImmediate };
    const live = new Set();
    globalThis.setImmediate = (fn, ...args) => {
      const h = saved.setImmediate(() => {
        live.delete(h);
        fn(...args);
      });
      live.add(h);
      return h;
    };
    globalThis.clearImmediate = (h) => {
      live.delete(h);
      saved.clearImmediate(h);
    };
    restore = () => Object.assign(globalThis, saved);
    return live;
  }

  it('hooks other than onData are optional', async () => {
    const link = bareLink('client', { maxOutboxBytes: 100, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 1000 }, { onData: () => undefined });
    link.attach(fakeTransport('ws'), 0);
    link.enqueue('x', 200);
    let released = false;
    link.wait().then(() => (released = true));
    await flushed();
    link.receiveFrame(frame(build.ack(1))); // drained, acknowledged: no onDrain, no onAck
    link.receiveFrame(frame(build.gap(1, 3, 'replay_overflow'))); // no onGap
    link.receiveFrame('nope\n'); // no onProtocolError
    clock.tick(1000); // the peer is silent: no onDead
    await flushed();
    assert.deepStrictEqual([released, link.rx], [true, 3]);
  });

  it('onDrain waits until no send waits any more, not for each check', async () => {
    const { link, seen } = recordingLink('server', { maxOutboxBytes: 100 });
    link.enqueue('x', 101);
    let released = false;
    link.wait().then(() => (released = true));
    link.attach(fakeTransport('ws'), 0); // checks the waiters: still no room
    await flushed();
    assert.deepStrictEqual([released, link.blocked, seen.drains], [false, true, 0]);
    link.receiveFrame(frame(build.ack(1)));
    await flushed();
    assert.deepStrictEqual([released, link.blocked, seen.drains], [true, false, 1]);
  });

  it('a transport that drops during a write gets no more frames; the next one gets the rest', async () => {
    const link = serverLink();
    const t = fakeTransport('ws');
    t.send = function (text) {
      this.frames.push(text);
      link.detach(); // the socket closed as it was written to
    };
    link.attach(t, 0);
    for (let i = 1; i <= 3; i++) link.enqueue(`L${i}`);
    await flushed();
    assert.deepStrictEqual(framesOf(t), [[build.ack(0), 'L1']]);
    const t2 = fakeTransport('ws');
    link.attach(t2, 1);
    await flushed();
    assert.deepStrictEqual(t2.lines(), [build.ack(0), 'L2', 'L3']);
  });

  it('without setImmediate (a browser), the Link writes on a 0 ms timer', () => {
    withoutImmediates();
    const link = serverLink();
    const t = fakeTransport('ws');
    link.attach(t, 0);
    link.enqueue('L1');
    assert.deepStrictEqual(t.frames, []);
    clock.tick(1);
    assert.deepStrictEqual(t.lines(), [build.ack(0), 'L1']);
  });

  it('detach leaves no timer behind: the pending write, the heartbeat and the write poll', () => {
    withoutImmediates();
    const link = serverLink({ highWaterMark: 0, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 });
    const t = fakeTransport('ws', { pollWrites: true, syncWrites: true, bufferedAmount: 1 });
    link.attach(t, 0);
    link.enqueue('L1');
    link.wait().catch(() => {});
    clock.tick(1); // the ack is written; L1 waits (over highWaterMark): a write poll and another write turn are due
    assert.deepStrictEqual(t.lines(), [build.ack(0)]);
    assert.strictEqual(clock.pending, 3, 'write turn, heartbeat, write poll');
    link.detach();
    assert.strictEqual(clock.pending, 0);
    link.rejectWaiters(new Error('closed'));
  });

  it('a re-attached Link runs one heartbeat, not one per attach', () => {
    withoutImmediates();
    const link = serverLink({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 });
    link.attach(fakeTransport('ws'), 0);
    const t2 = fakeTransport('ws');
    link.attach(t2, 0);
    clock.tick(1001); // the ping at 2000, written on the next 0 ms turn
    assert.deepStrictEqual(t2.lines(), [build.ack(0), build.ping(2000)]);
  });

  it('one write turn pending at a time, none while detached; detach cancels it (setImmediate)', () => {
    const live = trackImmediates();
    const link = serverLink();
    link.enqueue('L0');
    assert.strictEqual(live.size, 0, 'detached: nothing to write to');
    link.attach(fakeTransport('ws'), 0);
    link.enqueue('L1');
    link.enqueue('L2');
    assert.strictEqual(live.size, 1);
    link.detach();
    assert.strictEqual(live.size, 0);
  });

  it('the write poll runs only for a transport without write callbacks, and only while a send waits', () => {
    const node = serverLink({ maxOutboxBytes: 10 });
    node.enqueue('x', 11);
    node.wait().catch(() => {});
    node.attach(fakeTransport('ws'), 0);
    const web = serverLink();
    web.attach(fakeTransport('ws', { pollWrites: true }), 0);
    assert.strictEqual(clock.pending, 0);
    const waiting = serverLink({ maxOutboxBytes: 10 });
    waiting.enqueue('x', 11);
    waiting.wait().catch(() => {});
    waiting.attach(fakeTransport('ws', { pollWrites: true }), 0);
    assert.strictEqual(clock.pending, 1);
    waiting.rejectWaiters(new Error('closed'));
    clock.tick(10);
    assert.strictEqual(clock.pending, 0, 'no send waits: the poll stops');
    node.rejectWaiters(new Error('closed'));
  });

  it('the write poll writes only when lines wait to be written (an idle socket buffer is not judged)', async () => {
    const { link, seen } = recordingLink('server', { maxOutboxBytes: 100, maxBufferedBytes: 1000 });
    const t = fakeTransport('ws', { pollWrites: true, syncWrites: true });
    link.attach(t, 0);
    link.enqueue('x', 200);
    let released = false;
    link.wait().then(() => (released = true));
    await flushed(); // written; its callback finds the send still waiting (200 > 100 held): the poll starts
    t.bufferedAmount = 5000;
    clock.tick(10);
    await flushed();
    assert.deepStrictEqual([released, seen.errors, t.lines()], [false, [], [build.ack(0), 'x']]);
    link.rejectWaiters(new Error('closed'));
  });
});
