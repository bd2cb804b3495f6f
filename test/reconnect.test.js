'use strict';
// The reference's reconnection helpers replay every trace of
// test/vectors/reconnect.json exactly, on both backends, under a fake clock.
const assert = require('node:assert/strict');
const path = require('node:path');
const lib = require('..');
const { native } = require('../lib/binding');
const { JsBackoff, nativeBackoff } = require('../lib/reconnect/state-machine');
const { installFakeClock } = require('../lib/testing');
const { prng } = require('./helpers/prng');

const V = require(path.join(__dirname, 'vectors', 'reconnect.json'));
const plain = (v) => JSON.parse(JSON.stringify(v));

describe(`reconnection helpers (${lib.backend} backend)`, () => {
  let clock;
  beforeEach(() => {
    clock = installFakeClock(1000);
  });
  afterEach(() => clock.uninstall());

  it('exports the reference constants', () => {
    assert.deepEqual(lib.DEFAULT_RECONNECTION_CONFIG, V.defaults);
    assert.deepEqual(lib.ConnectionState, V.states);
  });

  V.machine.forEach((m, k) => {
    it(`ReconnectionStateMachine trace ${k + 1} (${JSON.stringify(m.config)})`, () => {
      let events = [];
      const sm = new lib.ReconnectionStateMachine({ config: m.config, onEvent: (e) => events.push(e) });
      for (const [i, s] of m.trace.entries()) {
        events = [];
        const { op } = s.step;
        if (op === 'advance') clock.tick(s.step.ms);
        else if ('reason' in s.step) sm[op](s.step.reason);
        else sm[op]();
        const where = `step ${i} ${JSON.stringify(s.step)}`;
        assert.deepEqual(plain(events), s.events, where);
        assert.equal(sm.getState(), s.state, where);
        assert.equal(sm.getRetryCount(), s.retryCount, where);
        assert.equal(sm.canReconnect(), s.canReconnect, where);
      }
    });
  });

  it('keeps jittered delays within the band', () => {
    // The band is d - d*f .. d + d*f around the un-jittered delay d; the
    // vectors record delays the reference produced, which must lie in it too.
    const { initialDelayMs, maxDelayMs, backoffMultiplier, jitterFactor } = V.defaults;
    const real = Math.random;
    try {
      for (const band of V.jitter) {
        const d = Math.min(initialDelayMs * backoffMultiplier ** band.retryCount, maxDelayMs);
        const lo = Math.round(d - d * jitterFactor);
        const hi = Math.round(d + d * jitterFactor);
        assert.ok(band.min >= lo && band.max <= hi, `vector band ${JSON.stringify(band)} outside [${lo}, ${hi}]`);
        for (const r of [0, 1e-9, 0.25, 0.5, 0.75, 0.999999999]) {
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
          assert.ok(delays[0] >= lo && delays[0] <= hi, `${delays[0]} not in [${lo}, ${hi}] (r=${r})`);
          sm.close();
        }
      }
    } finally {
      Math.random = real;
    }
  });

  it('SequenceTracker traces', () => {
    // The traces do not record the tracker's maxGaps: each must replay with
    // some maxGaps (most use the default, some a small cap that they hit).
    const replays = (trace, maxGaps) => {
      const t = maxGaps === undefined ? new lib.SequenceTracker() : new lib.SequenceTracker(maxGaps);
      try {
        for (const s of trace) {
          if ('receive' in s) assert.deepEqual(plain(t.receive(s.receive)), s.result);
          else t.clearGap(s.clearGap.start, s.clearGap.end);
          if ('lastSeq' in s) assert.equal(t.getLastSeq(), s.lastSeq);
          assert.deepEqual(t.getGaps(), s.gaps);
          if ('hasGaps' in s) assert.equal(t.hasGaps(), s.hasGaps);
        }
        return true;
      } catch {
        return false;
      }
    };
    V.sequenceTracker.forEach((trace, i) => {
      const ok = replays(trace) || [1, 2, 3, 4, 5, 10].some((n) => replays(trace, n));
      assert.ok(ok, `sequenceTracker trace ${i + 1} does not replay`);
    });
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

  it('bad configuration never throws inside the machine', () => {
    for (const config of [
      { maxRetries: NaN },
      { initialDelayMs: -5, jitter: false },
      { backoffMultiplier: 1e308, maxDelayMs: Infinity, jitter: false },
      { jitterFactor: NaN },
    ]) {
      const events = [];
      const sm = new lib.ReconnectionStateMachine({ config, onEvent: (e) => events.push(e) });
      sm.connect();
      sm.onDisconnected('x');
      clock.tick(1e9);
      sm.onDisconnected('y');
      sm.close();
      assert.equal(sm.getState(), 'closed');
    }
  });
});

describe('native backoff machine equals the JavaScript one', function () {
  before(function () {
    if (!native) this.skip();
  });
  it('random operation sequences', () => {
    const rnd = prng(11);
    const configs = [];
    for (let i = 0; i < 60; i++) {
      configs.push({
        maxRetries: rnd.pick([0, 1, 3, 5, 100, NaN, Infinity]),
        initialDelayMs: rnd.pick([0, 1, 100, 1000, -10, NaN]),
        maxDelayMs: rnd.pick([5, 250, 30000, Infinity, NaN]),
        backoffMultiplier: rnd.pick([1, 1.5, 2, 3, 10, 0, NaN, 1e308]),
        jitter: rnd() < 0.5,
        jitterFactor: rnd.pick([0, 0.3, 1, NaN]),
      });
    }
    const a = new Float64Array(24);
    const b = new Float64Array(24);
    const ia = new Float64Array(3);
    const ib = new Float64Array(3);
    for (const c of configs) {
      const js = new JsBackoff(c);
      const nat = nativeBackoff(c);
      for (let step = 0; step < 200; step++) {
        const op = rnd.int(7);
        const r = rnd();
        const na = js.op(op, r, a);
        const nb = nat.op(op, r, b);
        assert.equal(nb, na);
        assert.deepEqual(Array.from(b.subarray(0, nb * 3)), Array.from(a.subarray(0, na * 3)), JSON.stringify({ c, step, op }));
        js.info(ia);
        nat.info(ib);
        assert.deepEqual(Array.from(ib), Array.from(ia));
      }
    }
  });
});
