'use strict';
// The reference's reconnection helpers replay every trace of
// test/vectors/reconnect.json exactly, on both backends, under a manual clock;
// jittered delays stay in the band; the C backoff machine and its JavaScript
// twin agree record for record. (test/reconnect/reference.test.js compares
// the class with a model of the reference under reentrant handlers.)
const assert = require('node:assert/strict');
const path = require('node:path');
const lib = require('../..');
const { native, backend } = require('../../lib/binding');
const { JsBackoff, createBackoff, STEP } = require('../../lib/reconnect/state-machine');
const { installFakeClock } = require('../helpers/fake-clock');
const testing = require('../../lib/testing');
const { prng } = require('../helpers/prng');

const V = require(path.join(__dirname, '..', 'vectors', 'reconnect.json'));
const plain = (v) => JSON.parse(JSON.stringify(v));

// Replays one machine trace; `advance(ms)` moves whichever clock is installed.
function replay(m, advance) {
  let events = [];
  const sm = new lib.ReconnectionStateMachine({ config: m.config, onEvent: (e) => events.push(e) });
  for (const [i, s] of m.trace.entries()) {
    events = [];
    const { op } = s.step;
    if (op === 'advance') advance(s.step.ms);
    else if ('reason' in s.step) sm[op](s.step.reason);
    else sm[op]();
    const where = `step ${i} ${JSON.stringify(s.step)}`;
    assert.deepEqual(plain(events), s.events, where);
    assert.equal(sm.getState(), s.state, where);
    assert.equal(sm.getRetryCount(), s.retryCount, where);
    assert.equal(sm.canReconnect(), s.canReconnect, where);
  }
  sm.close();
}

describe(`reconnection helpers (${backend} backend)`, () => {
  let clock;
  beforeEach(() => {
    clock = installFakeClock(1000);
  });
  afterEach(() => clock.uninstall());

  it('exports the reference constants and classes', () => {
    assert.deepEqual(lib.DEFAULT_RECONNECTION_CONFIG, V.defaults);
    assert.deepEqual(lib.ConnectionState, V.states);
    for (const name of ['ReconnectionStateMachine', 'SequenceTracker', 'EventBuffer', 'HeartbeatMonitor']) {
      assert.equal(typeof lib[name], 'function', name);
    }
    assert.equal(testing.FakeClock, clock.constructor);
  });

  V.machine.forEach((m, k) => {
    it(`ReconnectionStateMachine trace ${k + 1} (${JSON.stringify(m.config)})`, () => {
      replay(m, (ms) => clock.tick(ms));
    });
  });

  it('the events carry the reference fields, undefined reasons included', () => {
    const events = [];
    const sm = new lib.ReconnectionStateMachine({ config: { jitter: false, maxRetries: 0 }, onEvent: (e) => events.push(e) });
    sm.connect();
    sm.onDisconnected();
    assert.deepEqual(events, [
      { type: 'state_change', state: 'connecting', previousState: 'disconnected' },
      { type: 'disconnected', reason: undefined },
      { type: 'state_change', state: 'failed', previousState: 'connecting' },
      { type: 'failed', reason: 'Max retries exceeded' },
    ]);
    events.length = 0;
    sm.reset();
    sm.onFatalError();
    assert.deepEqual(events.at(-1), { type: 'failed', reason: undefined });
    assert.equal(sm.connect(), undefined);
  });

  it('jittered delays stay within the band', () => {
    const real = Math.random;
    try {
      for (const band of V.jitter) {
        const c = V.defaults;
        const base = Math.min(c.initialDelayMs * c.backoffMultiplier ** band.retryCount, c.maxDelayMs);
        const lo = Math.round(base - base * c.jitterFactor);
        const hi = Math.round(base + base * c.jitterFactor);
        // the band the reference was seen to produce lies within the formula's
        assert.ok(band.min >= lo && band.max <= hi, JSON.stringify(band));
        const seen = [];
        const rs = [0, 1e-9, 0.25, 0.5, 0.75, 0.999999999];
        for (let i = 0; i < 40; i++) rs.push(real());
        for (const r of rs) {
          Math.random = () => r;
          const delays = [];
          const sm = new lib.ReconnectionStateMachine({
            config: { maxRetries: band.retryCount + 1 },
            onEvent: (e) => {
              if (e.type === 'retry_scheduled' && e.attempt === band.retryCount + 1) delays.push(e.delayMs);
            },
          });
          sm.connect();
          for (let n = 0; n <= band.retryCount; n++) {
            sm.onDisconnected('x');
            if (n < band.retryCount) clock.tick(60000);
          }
          assert.equal(delays.length, 1);
          const d = delays[0];
          assert.ok(Number.isInteger(d) && d >= lo && d <= hi, `${d} not in [${lo}, ${hi}] (r=${r})`);
          assert.equal(d, Math.round(base - base * c.jitterFactor + r * base * c.jitterFactor * 2));
          seen.push(d);
          sm.close();
        }
        assert.ok(Math.max(...seen) - Math.min(...seen) > 0, 'jitter spreads the delays');
      }
    } finally {
      Math.random = real;
    }
  });

  it('SequenceTracker traces', () => {
    // The vectors do not record each trace's maxGaps (the traces need 1 or 2):
    // each must replay exactly with one of 1..3, and the default (100) must
    // agree with every result and lastSeq.
    const replayTrace = (trace, t) => {
      for (const s of trace) {
        if ('receive' in s) assert.deepEqual(plain(t.receive(s.receive)), s.result);
        else t.clearGap(s.clearGap.start, s.clearGap.end);
        if ('lastSeq' in s) assert.equal(t.getLastSeq(), s.lastSeq);
        assert.deepEqual(t.getGaps(), s.gaps);
        if ('hasGaps' in s) assert.equal(t.hasGaps(), s.hasGaps);
      }
    };
    for (const [i, trace] of V.sequenceTracker.entries()) {
      const fits = [1, 2, 3].filter((maxGaps) => {
        try {
          replayTrace(trace, new lib.SequenceTracker(maxGaps));
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(fits.length > 0, `sequenceTracker trace ${i} replays with no maxGaps in 1..3`);
      const t = new lib.SequenceTracker();
      for (const s of trace) {
        if ('receive' in s) assert.deepEqual(plain(t.receive(s.receive)), s.result);
        if ('lastSeq' in s) assert.equal(t.getLastSeq(), s.lastSeq);
      }
      t.reset();
      assert.equal(t.getLastSeq(), 0);
      assert.equal(t.hasGaps(), false);
    }
    const small = new lib.SequenceTracker(1);
    small.receive(1);
    small.receive(5);
    assert.deepEqual(small.receive(9), { gap: true, missingStart: 6, missingEnd: 8 });
    assert.deepEqual(small.getGaps(), [{ start: 2, end: 4 }]); // maxGaps: later gaps are reported, not kept
  });

  it('EventBuffer trace', () => {
    const b = new lib.EventBuffer(3);
    for (const s of V.eventBuffer) {
      if ('add' in s) {
        assert.equal(b.add(s.add), s.accepted);
        assert.equal(b.isFull(), s.full);
      } else assert.deepEqual(b.drain(), s.drain);
      assert.equal(b.size(), s.size);
    }
    b.add('a');
    const all = b.getAll();
    all.push('b');
    assert.equal(b.size(), 1, 'getAll returns a copy');
    b.clear();
    assert.equal(b.size(), 0);
    assert.equal(new lib.EventBuffer().isFull(), false);
  });

  it('HeartbeatMonitor trace (timeout 100 ms, heartbeat at 60 ms)', () => {
    const fired = [];
    const t0 = Date.now();
    const h = new lib.HeartbeatMonitor({ timeoutMs: 100, onTimeout: () => fired.push(Date.now() - t0) });
    h.start();
    let at = 0;
    const advanceTo = (ms) => {
      clock.tick(ms - at);
      at = ms;
    };
    advanceTo(60);
    h.onHeartbeat();
    for (const s of V.heartbeat) {
      advanceTo(s.at);
      assert.deepEqual(fired, s.fired, `at ${s.at}`);
      if ('sinceLast' in s) assert.equal(h.getTimeSinceLastHeartbeat(), s.sinceLast);
    }
    h.stop();
    assert.equal(clock.pending, 0);
  });

  it('HeartbeatMonitor: stop() cancels, reset() restarts the count', () => {
    const fired = [];
    const h = new lib.HeartbeatMonitor({ timeoutMs: 50, onTimeout: () => fired.push(Date.now()) });
    h.start();
    clock.tick(40);
    h.reset(); // at 40: the check at 50 finds 10 ms and looks again at 100
    assert.equal(h.getTimeSinceLastHeartbeat(), 0);
    clock.tick(59);
    assert.deepEqual(fired, []);
    h.stop();
    clock.tick(1000);
    assert.deepEqual(fired, []);
    assert.equal(clock.pending, 0);
    assert.throws(() => new lib.HeartbeatMonitor({ timeoutMs: 5 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('close() cancels a pending retry', () => {
    const events = [];
    const sm = new lib.ReconnectionStateMachine({ config: { jitter: false }, onEvent: (e) => events.push(e.type) });
    sm.connect();
    sm.onDisconnected('x');
    assert.equal(clock.pending, 1);
    sm.close();
    assert.equal(clock.pending, 0);
    clock.tick(100000);
    assert.equal(sm.getState(), 'closed');
    assert.ok(!events.includes('retry_started'));
  });

  it('a handler calling back into the machine uses its own record buffer', () => {
    const seen = [];
    const sm = new lib.ReconnectionStateMachine({
      config: { jitter: false, initialDelayMs: 10 },
      onEvent: (e) => {
        seen.push(e.type === 'state_change' ? `${e.previousState}->${e.state}` : e.type);
        if (e.type === 'state_change' && e.state === 'connected') sm.onFatalError('nested');
      },
    });
    sm.connect();
    sm.onConnected();
    // the nested call's events come in the middle; the outer 'connected' still follows
    assert.deepEqual(seen, ['disconnected->connecting', 'connecting->connected', 'connected->failed', 'failed', 'connected']);
    assert.equal(sm.getState(), 'failed');
  });

  it('bad configuration never throws inside the machine', () => {
    for (const config of [
      { maxRetries: NaN },
      { initialDelayMs: -5, jitter: false },
      { backoffMultiplier: 1e308, maxDelayMs: Infinity, jitter: false },
      { backoffMultiplier: 1e308, initialDelayMs: 0, jitter: false },
      { jitterFactor: NaN },
      { maxRetries: Symbol('x'), initialDelayMs: {}, maxDelayMs: [], backoffMultiplier: 10n },
    ]) {
      const events = [];
      const sm = new lib.ReconnectionStateMachine({ config, onEvent: (e) => events.push(e) });
      sm.connect();
      sm.onDisconnected('x');
      clock.tick(1e9);
      sm.onDisconnected('y');
      sm.close();
      assert.equal(sm.getState(), 'closed');
      assert.equal(clock.pending, 0);
    }
    assert.throws(() => new lib.ReconnectionStateMachine({}), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new lib.ReconnectionStateMachine(), { name: 'TypeError' });
  });
});

describe(`reconnection helpers under a hand-made clock (${backend} backend)`, () => {
  // Not our FakeClock: a few lines that patch globalThis after the package was
  // loaded, as a user's own test would.
  let saved;
  let now;
  let timers;
  beforeEach(() => {
    saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, now: Date.now };
    now = 0;
    timers = new Map();
    let id = 0;
    globalThis.setTimeout = (fn, ms) => {
      timers.set(++id, { fn, at: now + (ms >= 1 ? ms : 1) });
      return id;
    };
    globalThis.clearTimeout = (i) => timers.delete(i);
    Date.now = () => now;
  });
  afterEach(() => {
    globalThis.setTimeout = saved.setTimeout;
    globalThis.clearTimeout = saved.clearTimeout;
    Date.now = saved.now;
  });
  const advance = (ms) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
      if (!due.length) break;
      const [i, t] = due[0];
      timers.delete(i);
      now = t.at;
      t.fn();
    }
    now = end;
  };

  it('replays every machine trace', () => {
    for (const m of V.machine) replay(m, advance);
  });

  it('drives the heartbeat monitor', () => {
    const fired = [];
    const h = new lib.HeartbeatMonitor({ timeoutMs: 100, onTimeout: () => fired.push(Date.now()) });
    h.start();
    advance(60);
    h.onHeartbeat();
    for (const s of V.heartbeat) {
      advance(s.at - now);
      assert.deepEqual(fired, s.fired);
      if ('sinceLast' in s) assert.equal(h.getTimeSinceLastHeartbeat(), s.sinceLast);
    }
  });
});

describe('the C backoff machine equals its JavaScript twin', function () {
  before(function () {
    if (!native) this.skip();
  });

  it('random step sequences, odd configurations included', () => {
    const rnd = prng(11);
    const a = new Float64Array(13);
    const b = new Float64Array(13);
    const ia = new Float64Array(4);
    const ib = new Float64Array(4);
    const show = (x) => Array.from(x, (v) => (Object.is(v, -0) ? '-0' : String(v)));
    for (let k = 0; k < 150; k++) {
      const c = {
        maxRetries: rnd.pick([0, 1, 3, 5, 100, 1e6, NaN, Infinity, -1]),
        initialDelayMs: rnd.pick([0, 1, 100, 333, 1000, -10, -0.4, 2.5, NaN, 1e300]),
        maxDelayMs: rnd.pick([5, 250, 30000, 0, -0, Infinity, NaN]),
        backoffMultiplier: rnd.pick([1, 1.1, 1.5, 1.7, 2, 3, 10, 0, -2, NaN, 1e308, Infinity]),
        jitter: rnd() < 0.5,
        jitterFactor: rnd.pick([0, 0.3, 1, 2, NaN]),
      };
      const js = createBackoff(c, false);
      const nat = createBackoff(c, true);
      assert.ok(js instanceof JsBackoff && !(nat instanceof JsBackoff));
      for (let step = 0; step < 300; step++) {
        const code = 1 + rnd.int(11);
        const arg = code === STEP.FIRED ? 1 + rnd.int(50) : rnd.pick([rnd(), 0, 0.999999, NaN, -1, 2]);
        a.fill(-7);
        b.fill(-7);
        const na = js.step(code, arg, a);
        const nb = nat.step(code, arg, b);
        const where = JSON.stringify({ c, step, code, arg }, (key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
        assert.equal(nb, na, where);
        assert.deepEqual(show(b), show(a), where);
        js.info(ia);
        nat.info(ib);
        assert.deepEqual(show(ib), show(ia), where);
      }
    }
  });

  it('the binding rejects bad arguments with a clear error', () => {
    const nat = createBackoff(lib.DEFAULT_RECONNECTION_CONFIG, true);
    assert.throws(() => nat.step(1, 0, new Float64Array(3)), TypeError);
    assert.throws(() => nat.step(1, 0, new Float32Array(13)), TypeError);
    assert.throws(() => nat.step('1', 0, new Float64Array(13)), TypeError);
    assert.throws(() => nat.step(99, 0, new Float64Array(13)), RangeError);
    assert.throws(() => nat.step(0, 0, new Float64Array(13)), RangeError);
    assert.throws(() => nat.info([]), TypeError);
    assert.throws(() => new native.backoff.Backoff(1, 2, 3), TypeError);
    assert.throws(() => new native.backoff.Backoff('1', 2, 3, 4, true, 0.3), TypeError);
    const js = createBackoff(lib.DEFAULT_RECONNECTION_CONFIG, false);
    assert.throws(() => js.step(99, 0, new Float64Array(13)), RangeError);
    assert.throws(() => js.step(1, 0, new Float64Array(3)), TypeError);
  });
});
