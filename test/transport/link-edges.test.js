'use strict';
// lib/transport/link.js edges pinned (docs/MUTATION.md, second run): the send
// window and frame packing; which frames end a frame early and what they
// leave unacknowledged; when the peer is judged slow (only when something is
// to be written); optional hooks; the native batch-open receive path (driven
// here by a stand-in FrameOpener, so it runs on every backend: which lines go
// to the opener, the lines it refuses or has no room for going line by line,
// seqs of any length, a last line without a newline, the bytes each run
// wipes, and a rekey inside a run sending the rest of the frame line by
// line); and the timers a Link holds (the write turn, heartbeat and browser
// write poll), none of them left behind by detach().

const assert = require('node:assert');
const { Link } = require('../../lib/transport/link');
const { Outbox } = require('../../lib/transport/outbox');
const { build } = require('../../lib/protocol/control');
const { FakeClock } = require('../helpers/fake-clock');
const { fakeTransport, flushed, lines, framesFrom } = require('../helpers/fake-transport');

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
    assert.deepStrictEqual(framesFrom(t), [[build.ack(0), 'L1'], ['L2', 'L3']]);
    assert.strictEqual(link.stats.dataOut, 3);
    link.storedSeq = Infinity;
    link.flushSoon();
    await flushed();
    assert.deepStrictEqual(framesFrom(t).slice(2), [['L4', 'L5']]);
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
    assert.deepStrictEqual(lines(t), [build.ack(0)], 'no ack of 1 or 2 on this connection');
    const t2 = fakeTransport('ws');
    link.attach(t2, 0);
    await flushed();
    assert.deepStrictEqual(lines(t2), [build.ack(2)]);
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
  const tail = (kid) => `,"type":"enc","payload":{"kid":"${kid}","nonceB64":"`;
  const NONCE = 'bm9uY2U';
  /**
   * An envelope line of session s1 under key `kid`; the stand-in opener reads
   * its ciphertextB64 as the plaintext's base64, and refuses it (as a failed
   * AES-GCM open) when its nonce is not NONCE.
   */
  const envelope = (seq, text, kid = 'k1', nonce = NONCE) => `${HEAD}${seq}${tail(kid)}${nonce}","ciphertextB64":"${Buffer.from(text).toString('base64')}"}}`;

  /**
   * What lib/transport/secure.js FrameOpener gives the Link: head/tail of the
   * envelope lines it opens under key `kid`, open(buf, start, end, count)
   * filling `res` (per line: seq, offset in `out`, length, status 0 = opened,
   * counter) and `out` for at most `cap` lines (the native scratch can fill
   * up: later slots stay as they were, zeros here), and release(). As the
   * addon does, it opens what it can and gives a non-zero status (the seq
   * when it got that far) for the rest. It records the lines of each run
   * (`runs`) and the `_used` byte count the Link set for each release.
   */
  function standInOpener(kid = 'k1', cap = Infinity) {
    return {
      head: Buffer.from(HEAD),
      tail: Buffer.from(tail(kid)),
      kid,
      res: null,
      out: null,
      released: 0,
      runs: [],
      used: [],
      open(buf, start, end, count) {
        const lines = buf.subarray(start, end).toString().split('\n');
        this.runs.push(lines);
        const k = Math.min(count, cap);
        const texts = [];
        this.res = new Float64Array(5 * count);
        let at = 0;
        for (let i = 0; i < k; i++) {
          const e = parsed(lines[i]);
          const p = e && e.payload;
          const ok = p && p.kid === kid && p.nonceB64 === NONCE && typeof p.ciphertextB64 === 'string';
          const text = ok ? Buffer.from(p.ciphertextB64, 'base64') : Buffer.alloc(0);
          this.res.set([e && Number.isSafeInteger(e.seq) ? e.seq : -1, at, text.length, ok ? 0 : 1, 0], 5 * i);
          texts.push(text);
          at += text.length;
        }
        this.out = Buffer.concat(texts);
        return k;
      },
      release() {
        this.released++;
        this.used.push(this._used);
      },
    };
  }

  function parsed(text) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  /**
   * A client Link of an encrypted session whose peer seals under `openers[0]`;
   * `switchAt` {seq: n} moves it to the next opener (a rekey; null: no frame
   * opener any more) when line n is delivered.
   */
  function sealedLink(openers = [standInOpener()], switchAt = {}) {
    let current = 0;
    const move = (seq) => {
      if (seq in switchAt) current = switchAt[seq];
    };
    const r = recordingLink('client');
    const { onOpened, onData } = r.link.hooks;
    r.link.hooks.onOpened = (text, seq, kid) => {
      onOpened(text, seq, kid);
      move(seq);
    };
    r.link.hooks.onData = (v, seq) => {
      onData(v, seq);
      move(seq);
    };
    r.link.auth = { ...macs(true), frameOpener: () => (current === null ? null : openers[current]) };
    r.link.attach(fakeTransport('ws'), 0);
    return { ...r, fo: openers[0] };
  }
  /** [seq, plaintext, key id] of each envelope opened in a run; [seq, key id (or type)] of each line parsed instead. */
  const opened = (seen) => seen.opened;
  const parsedLines = (seen) => seen.data.map(([seq, v]) => [seq, v.type === 'enc' ? v.payload.kid : v.type]);

  it('a Buffer frame of envelope lines is opened in one run: onOpened gets each plaintext, seq and key id', () => {
    const { link, seen, fo } = sealedLink();
    const text = frame(envelope(1, '{"a":1}'), envelope(2, 'two'));
    link.receiveFrame(Buffer.from(text));
    assert.deepStrictEqual(seen.opened, [[1, '{"a":1}', 'k1'], [2, 'two', 'k1']]);
    assert.deepStrictEqual([seen.data, seen.errors, link.rx, link.stats.openedInBatch, fo.released], [[], [], 2, 2, 1]);
    assert.deepStrictEqual(fo.used, [text.length - 1], 'the run is every byte but the last newline: all of it is wiped');
  });

  it('a string frame goes line by line: each envelope reaches onData parsed, none is opened in a run', () => {
    const { link, seen, fo } = sealedLink();
    link.receiveFrame(frame(envelope(1, 'one'), envelope(2, 'two')));
    assert.deepStrictEqual(seen.data.map(([seq, v]) => [seq, v.type]), [[1, 'enc'], [2, 'enc']]);
    assert.deepStrictEqual([seen.opened, seen.errors, link.stats.openedInBatch, fo.released], [[], [], 0, 0]);
  });

  it('seqs of two and more digits are opened in the run (the key id is found after the seq)', () => {
    const { link, seen } = sealedLink();
    const lines = [];
    for (let i = 1; i <= 100; i++) lines.push(envelope(i, `t${i}`));
    link.receiveFrame(Buffer.from(frame(...lines)));
    assert.deepStrictEqual([seen.data, seen.errors, link.rx, link.stats.openedInBatch], [[], [], 100, 100]);
    assert.deepStrictEqual(opened(seen).slice(8, 11), [[9, 't9', 'k1'], [10, 't10', 'k1'], [11, 't11', 'k1']]);
    assert.deepStrictEqual(opened(seen).at(-1), [100, 't100', 'k1']);
  });

  it('a last line without a newline is opened in the run too', () => {
    const { link, seen, fo } = sealedLink();
    link.receiveFrame(Buffer.from(`${envelope(1, 'one')}\n${envelope(2, 'two')}`));
    assert.deepStrictEqual([opened(seen), seen.data, link.rx], [[[1, 'one', 'k1'], [2, 'two', 'k1']], [], 2]);
    assert.strictEqual(fo.runs.length, 1);
  });

  it('only lines shaped as envelopes of the current key go to the opener; the others go line by line, in order', () => {
    const { link, seen, fo } = sealedLink();
    const reordered = `{"sessionId":"s1","protocolVersion":2,"seq":2,"type":"enc","payload":{"kid":"k1","nonceB64":"${NONCE}","ciphertextB64":"dHdv"}}`;
    const spaced = `${envelope(3, 'three')}  `; // valid JSON, but not ending in '}'
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), reordered, spaced, build.pong(1), envelope(4, 'four'))));
    assert.deepStrictEqual(fo.runs, [[envelope(1, 'one')], [envelope(4, 'four')]]);
    assert.deepStrictEqual(fo.used, [envelope(1, 'one').length, envelope(4, 'four').length], 'each run wipes its own bytes');
    assert.deepStrictEqual(opened(seen), [[1, 'one', 'k1'], [4, 'four', 'k1']]);
    assert.deepStrictEqual([parsedLines(seen), seen.errors, link.rx], [[[2, 'k1'], [3, 'k1']], [], 4]);
  });

  it('a line the opener refuses (status not 0) goes through the line path, which gives the reason', () => {
    const { link, seen } = sealedLink();
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), envelope(2, 'two', 'k1', 'AAAAAAAA'), envelope(3, 'three'))));
    assert.deepStrictEqual(opened(seen), [[1, 'one', 'k1'], [3, 'three', 'k1']]);
    assert.deepStrictEqual([parsedLines(seen), seen.data[0][1].payload.nonceB64, link.stats.openedInBatch], [[[2, 'k1']], 'AAAAAAAA', 2]);
  });

  it('lines past the results the opener gave (its scratch full) go through the line path', () => {
    const { link, seen, fo } = sealedLink([standInOpener('k1', 2)]);
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), envelope(2, 'two'), envelope(3, 'three'))));
    assert.deepStrictEqual(opened(seen), [[1, 'one', 'k1'], [2, 'two', 'k1']]);
    assert.deepStrictEqual([parsedLines(seen), link.stats.duplicates, seen.errors, link.rx, fo.runs.length], [[[3, 'k1']], 0, [], 3, 1]);
  });

  it('after a rekey inside a run, the rest of the frame goes line by line (none is opened under the old key)', () => {
    const k1 = standInOpener('k1');
    const k2 = standInOpener('k2');
    const { link, seen } = sealedLink([k1, k2], { 2: 1 });
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), envelope(2, 'two'), envelope(3, 'three'), envelope(4, 'four'), build.pong(1), envelope(5, 'five', 'k2'))));
    assert.deepStrictEqual(opened(seen), [[1, 'one', 'k1'], [2, 'two', 'k1']]);
    assert.deepStrictEqual(parsedLines(seen), [[3, 'k1'], [4, 'k1'], [5, 'k2']]);
    assert.deepStrictEqual([seen.errors, link.stats.duplicates, link.rx, k1.released, k2.runs], [[], 0, 5, 1, []]);
    // the next frame is opened in a run again, under the new key
    link.receiveFrame(Buffer.from(frame(envelope(6, 'six', 'k2'), envelope(7, 'seven', 'k2'))));
    assert.deepStrictEqual(opened(seen).slice(2), [[6, 'six', 'k2'], [7, 'seven', 'k2']]);
    assert.deepStrictEqual([seen.errors, link.rx, k2.runs.length], [[], 7, 1]);
  });

  it('a rekey on the last line of a run: the lines after the run go line by line', () => {
    const { link, seen } = sealedLink([standInOpener('k1'), standInOpener('k2')], { 2: 1 });
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), envelope(2, 'two'), build.pong(1), envelope(3, 'three', 'k2'))));
    assert.deepStrictEqual([opened(seen).length, parsedLines(seen), seen.errors, link.rx], [2, [[3, 'k2']], [], 3]);
  });

  it('after a rekey inside a run, a bad line among the rest ends the frame', () => {
    const { link, seen } = sealedLink([standInOpener('k1'), standInOpener('k2')], { 2: 1 });
    const bad = `${HEAD}3,"type":}`; // shaped as an envelope, not JSON
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), envelope(2, 'two'), bad, envelope(4, 'four'))));
    assert.deepStrictEqual([opened(seen).length, seen.data, seen.errors, link.rx], [2, [], ['ERR_STREAM_BAD_LINE'], 2]);
  });

  it('a rekey to a key with no frame opener: the rest of the frame goes line by line', () => {
    const { link, seen } = sealedLink([standInOpener('k1')], { 1: null });
    link.receiveFrame(Buffer.from(frame(envelope(1, 'one'), build.pong(1), envelope(2, 'two', 'k2'), envelope(3, 'three', 'k2'))));
    assert.deepStrictEqual([opened(seen).length, parsedLines(seen), seen.errors, link.rx], [1, [[2, 'k2'], [3, 'k2']], [], 3]);
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
    assert.deepStrictEqual([seen.errors, lines(t)], [[], [build.ack(0), 'L1']]);
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
    assert.deepStrictEqual([seen.acks, seen.errors, lines(t)], [1, [], [build.ack(0), 'L1']]);
  });

  it('a frame with nothing new (a pong, a duplicate) writes nothing', async () => {
    const { link, seen, t } = slowPeer();
    link.receiveFrame(frame(build.batch(1), data({ n: 1 })));
    await flushed();
    t.bufferedAmount = 5000;
    link.receiveFrame(frame(build.pong(1), build.batch(1), data({ n: 1 })));
    await flushed();
    assert.deepStrictEqual([link.stats.duplicates, seen.errors, lines(t)], [1, [], [build.ack(1)]]);
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
    assert.deepStrictEqual(framesFrom(t), [[build.ack(0), 'L1']]);
    const t2 = fakeTransport('ws');
    link.attach(t2, 1);
    await flushed();
    assert.deepStrictEqual(lines(t2), [build.ack(0), 'L2', 'L3']);
  });

  it('without setImmediate (a browser), the Link writes on a 0 ms timer', () => {
    withoutImmediates();
    const link = serverLink();
    const t = fakeTransport('ws');
    link.attach(t, 0);
    link.enqueue('L1');
    assert.deepStrictEqual(t.frames, []);
    clock.tick(1);
    assert.deepStrictEqual(lines(t), [build.ack(0), 'L1']);
  });

  it('detach leaves no timer behind: the pending write, the heartbeat and the write poll', () => {
    withoutImmediates();
    const link = serverLink({ highWaterMark: 0, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 });
    const t = fakeTransport('ws', { pollWrites: true, syncWrites: true, bufferedAmount: 1 });
    link.attach(t, 0);
    link.enqueue('L1');
    link.wait().catch(() => {});
    clock.tick(1); // the ack is written; L1 waits (over highWaterMark): a write poll and another write turn are due
    assert.deepStrictEqual(lines(t), [build.ack(0)]);
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
    assert.deepStrictEqual(lines(t2), [build.ack(0), build.ping(2000)]);
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
    assert.deepStrictEqual([released, seen.errors, lines(t)], [false, [], [build.ack(0), 'x']]);
    link.rejectWaiters(new Error('closed'));
  });
});
