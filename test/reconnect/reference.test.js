'use strict';
// ReconnectionStateMachine against a behavioural model of the reference class
// (docs/PROTOCOL.md section 4, reconnect.json) over random scripts, including what
// only a model can check: event handlers that call back into the machine
// (getState() inside a handler, close() inside 'disconnected', ...), handlers
// that throw, the number and order of Math.random and setTimeout calls, odd
// configurations (undefined, strings, NaN) - on whichever backend runs.
//
// The timers are driven the way sinon's fake timers do it: globalThis
// setTimeout/clearTimeout and the whole Date constructor are replaced and
// Math.random is stubbed AFTER the package was loaded.
const assert = require('node:assert/strict');
const lib = require('../..');
const { backend } = require('../../lib/binding');
const { prng } = require('../helpers/prng');

// ---- the model: what the reference class does, step by step ----------------
// Written from the documented behaviour: every emit happens synchronously in
// the middle of the method, so a handler sees (and changes) the state as it is
// at that point, and the method then goes on with whatever state it finds.
const DEFAULTS = { maxRetries: 5, initialDelayMs: 1000, maxDelayMs: 30000, backoffMultiplier: 2, jitter: true, jitterFactor: 0.3 };
class ReferenceModel {
  constructor(options) {
    this.config = Object.assign({}, DEFAULTS, options.config);
    this.emit = options.onEvent;
    this.st = 'disconnected';
    this.n = 0;
    this.timer = null;
  }
  getState() {
    return this.st;
  }
  getRetryCount() {
    return this.n;
  }
  canReconnect() {
    return this.st !== 'failed' && this.st !== 'closed' && this.n < this.config.maxRetries;
  }
  _move(to) {
    if (this.st === to) return;
    const from = this.st;
    this.st = to;
    this.emit({ type: 'state_change', state: to, previousState: from });
  }
  _stopTimer() {
    if (this.timer === null) return;
    globalThis.clearTimeout(this.timer);
    this.timer = null;
  }
  connect() {
    if (this.st === 'connected' || this.st === 'connecting') return;
    this._stopTimer();
    this.n = 0;
    this._move('connecting');
  }
  onConnected() {
    this._stopTimer();
    this.n = 0;
    this._move('connected');
    this.emit({ type: 'connected' });
  }
  onDisconnected(reason) {
    this._stopTimer();
    if (this.st === 'closed' || this.st === 'failed') return;
    this.emit({ type: 'disconnected', reason });
    if (!(this.n < this.config.maxRetries)) {
      this._move('failed');
      this.emit({ type: 'failed', reason: reason === undefined || reason === null ? 'Max retries exceeded' : reason });
      return;
    }
    this._move('reconnecting');
    const c = this.config;
    let d = Math.min(c.initialDelayMs * Math.pow(c.backoffMultiplier, this.n), c.maxDelayMs);
    if (c.jitter) {
      const spread = d * c.jitterFactor;
      d = d - spread + globalThis.Math.random() * spread * 2;
    }
    const delayMs = Math.round(d);
    const attempt = this.n + 1;
    this.emit({ type: 'retry_scheduled', attempt, delayMs });
    this.timer = globalThis.setTimeout(() => {
      this.timer = null;
      this.n++;
      this.emit({ type: 'retry_started', attempt });
      this._move('connecting');
    }, delayMs);
  }
  onFatalError(reason) {
    this._stopTimer();
    this._move('failed');
    this.emit({ type: 'failed', reason });
  }
  close() {
    this._stopTimer();
    this._move('closed');
  }
  reset() {
    this._stopTimer();
    this.n = 0;
    this._move('disconnected');
  }
}

// ---- sinon-style fake environment --------------------------------------------
// Installed after the package was loaded; records every timer and random call.
function installFakes(log, randoms) {
  const saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout, Date: globalThis.Date, random: Math.random };
  const RealDate = saved.Date;
  const clock = { now: 0, timers: new Map(), id: 0 };
  class FakeDate extends RealDate {
    constructor(...a) {
      super(...(a.length ? a : [clock.now]));
    }
    static now() {
      return clock.now;
    }
  }
  globalThis.Date = FakeDate;
  globalThis.setTimeout = (fn, ms) => {
    log.push(['setTimeout', ms]);
    const id = { fakeTimer: ++clock.id };
    const n = Number(ms);
    clock.timers.set(id, { fn, at: clock.now + (n >= 1 && n <= 2147483647 ? Math.floor(n) : 1), seq: clock.id });
    return id;
  };
  globalThis.clearTimeout = (id) => {
    log.push(['clearTimeout', id && id.fakeTimer]);
    clock.timers.delete(id);
  };
  let k = 0;
  Math.random = () => {
    const r = randoms[k++ % randoms.length];
    log.push(['random', r]);
    return r;
  };
  clock.tick = (ms) => {
    const end = clock.now + ms;
    for (;;) {
      let next = null;
      let nextId = null;
      for (const [id, t] of clock.timers) {
        if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.seq < next.seq))) {
          next = t;
          nextId = id;
        }
      }
      if (next === null) break;
      clock.timers.delete(nextId);
      clock.now = next.at;
      try {
        next.fn();
      } catch (e) {
        log.push(['timer threw', e.message]);
      }
    }
    clock.now = end;
  };
  clock.uninstall = () => {
    globalThis.setTimeout = saved.setTimeout;
    globalThis.clearTimeout = saved.clearTimeout;
    globalThis.Date = saved.Date;
    Math.random = saved.random;
  };
  return clock;
}

const OPS = ['connect', 'onConnected', 'onDisconnected', 'onFatalError', 'close', 'reset'];
const REASONS = ['socket closed', undefined, 'refused', null, ''];

function randomConfig(rnd) {
  const pick = (values) => rnd.pick(values);
  const config = {};
  if (rnd() < 0.9) config.maxRetries = pick([0, 1, 2, 3, 5]);
  if (rnd() < 0.8) config.initialDelayMs = pick([1, 10, 100, 1000]);
  if (rnd() < 0.7) config.maxDelayMs = pick([5, 50, 250, 30000]);
  if (rnd() < 0.7) config.backoffMultiplier = pick([1, 1.5, 2, 3]);
  if (rnd() < 0.8) config.jitter = rnd() < 0.5;
  if (rnd() < 0.4) config.jitterFactor = pick([0, 0.1, 0.3, 1]);
  if (rnd() < 0.1) config[pick(['maxRetries', 'initialDelayMs', 'maxDelayMs', 'backoffMultiplier', 'jitterFactor'])] = pick([undefined, NaN, '2', -3, Infinity, null]);
  return config;
}

function randomScript(rnd, length) {
  const script = [];
  for (let i = 0; i < length; i++) {
    if (rnd() < 0.3) script.push({ op: 'advance', ms: rnd.pick([1, 10, 100, 1000, 40000]) });
    else script.push({ op: rnd.pick(OPS), reason: rnd.pick(REASONS) });
  }
  return script;
}

// Runs one script against a machine made by `make` and returns everything
// observable: events (with what the getters say inside the handler), timer
// and random calls, exceptions, the state after each step.
function run(make, config, script, reentry, seed) {
  const log = [];
  const clock = installFakes(log, [0, 0.999999, 0.25, 0.5, 0.75, 0.1]);
  try {
    const rnd = prng(seed); // the handler's decisions: same stream for both runs
    let depth = 0;
    let m = null;
    const onEvent = (e) => {
      log.push(['event', { ...e }, m.getState(), m.getRetryCount(), m.canReconnect(), depth]);
      if (!reentry || depth >= 3) return;
      const r = rnd();
      if (r < 0.03) throw new Error(`handler threw on ${e.type}`);
      if (r < 0.25) {
        const op = rnd.pick(OPS);
        const reason = rnd.pick(REASONS);
        log.push(['reenter', op, reason]);
        depth++;
        try {
          m[op](reason);
        } finally {
          depth--;
        }
      }
    };
    m = make({ config, onEvent });
    for (const s of script) {
      try {
        if (s.op === 'advance') clock.tick(s.ms);
        else m[s.op](s.reason);
      } catch (e) {
        log.push(['threw', e.message]);
      }
      log.push(['after', s.op, m.getState(), m.getRetryCount(), m.canReconnect(), clock.timers.size]);
    }
    return log;
  } finally {
    clock.uninstall();
  }
}

const makeLib = (o) => new lib.ReconnectionStateMachine(o);
const makeModel = (o) => new ReferenceModel(o);

// JSON that tells NaN, -0, Infinity, undefined and null apart.
const show = (v) =>
  JSON.stringify(v, (k, x) => {
    if (x === undefined) return '<undefined>';
    if (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0))) return `<${Object.is(x, -0) ? '-0' : x}>`;
    return x;
  });

function compare(config, script, reentry, seed) {
  const want = run(makeModel, config, script, reentry, seed);
  const got = run(makeLib, config, script, reentry, seed);
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (show(got[i]) !== show(want[i])) {
      assert.fail(
        `differs from the reference at log entry ${i} (config ${show(config)}, seed ${seed}):\n` +
          `  want ${show(want[i])}\n  got  ${show(got[i])}\n` +
          `  before: ${show(want.slice(Math.max(0, i - 4), i))}`,
      );
    }
  }
}

describe(`ReconnectionStateMachine vs the reference behaviour (${backend} backend)`, () => {
  it('the model itself replays the reconnect.json machine traces', () => {
    // Keeps the model honest: it must agree with the recorded reference traces.
    const V = require('../vectors/reconnect.json');
    for (const m of V.machine) {
      const script = m.trace.map((s) => s.step);
      const log = run(makeModel, m.config, script, false, 1);
      const steps = [];
      let cur = [];
      for (const entry of log) {
        if (entry[0] === 'event') cur.push(entry[1]);
        if (entry[0] === 'after') {
          steps.push({ events: cur, state: entry[2], retryCount: entry[3], canReconnect: entry[4] });
          cur = [];
        }
      }
      const want = m.trace.map((s) => ({ events: s.events, state: s.state, retryCount: s.retryCount, canReconnect: s.canReconnect }));
      assert.deepEqual(JSON.parse(JSON.stringify(steps)), want);
    }
  });

  it('random scripts: events, getters, timers and Math.random calls match', () => {
    const rnd = prng(20260);
    for (let i = 0; i < 300; i++) compare(randomConfig(rnd), randomScript(rnd, 30), false, i);
  });

  it('random scripts with handlers that call back into the machine or throw', () => {
    const rnd = prng(777);
    for (let i = 0; i < 400; i++) compare(randomConfig(rnd), randomScript(rnd, 30), true, 1000 + i);
  });

  it('the getters inside a handler report the state at that event', () => {
    const seen = [];
    const m = new lib.ReconnectionStateMachine({
      config: { jitter: false, maxRetries: 2, initialDelayMs: 10 },
      onEvent: (e) => seen.push(`${e.type}:${m.getState()}:${m.getRetryCount()}`),
    });
    m.connect();
    m.onConnected();
    m.onDisconnected('x');
    m.close();
    assert.deepEqual(seen, [
      'state_change:connecting:0',
      'state_change:connected:0',
      'connected:connected:0',
      'disconnected:connected:0',
      'state_change:reconnecting:0',
      'retry_scheduled:reconnecting:0',
      'state_change:closed:0',
    ]);
  });

  it('close() inside the disconnected handler: the reference goes on scheduling the retry', () => {
    // The reference checks nothing after emitting 'disconnected': a close()
    // there is followed by closed -> reconnecting and a retry. Same here.
    const compareOne = (make) => {
      const types = [];
      const log = [];
      const clock = installFakes(log, [0.5]);
      try {
        const m = make({
          config: { jitter: false, initialDelayMs: 10 },
          onEvent: (e) => {
            types.push(e.type === 'state_change' ? `${e.previousState}->${e.state}` : e.type);
            if (e.type === 'disconnected') m.close();
          },
        });
        m.connect();
        m.onDisconnected('x');
        clock.tick(10);
        return { types, state: m.getState(), log };
      } finally {
        clock.uninstall();
      }
    };
    assert.deepEqual(compareOne(makeLib), compareOne(makeModel));
  });

  it('sinon-style fakes installed after loading drive the retry timer, Date and Math.random', () => {
    const log = [];
    const clock = installFakes(log, [0.75]);
    try {
      const events = [];
      const m = new lib.ReconnectionStateMachine({ config: { initialDelayMs: 1000, jitterFactor: 0.3 }, onEvent: (e) => events.push(e) });
      m.connect();
      m.onDisconnected('x');
      // d = 1000, jitter 1000 - 300 + 0.75 * 600 = 1150
      assert.deepEqual(events.at(-1), { type: 'retry_scheduled', attempt: 1, delayMs: 1150 });
      assert.deepEqual(log, [['random', 0.75], ['setTimeout', 1150]]);
      clock.tick(1149);
      assert.equal(m.getState(), 'reconnecting');
      clock.tick(1);
      assert.equal(m.getState(), 'connecting');
      assert.equal(m.getRetryCount(), 1);

      const timeouts = [];
      const h = new lib.HeartbeatMonitor({ timeoutMs: 100, onTimeout: () => timeouts.push(Date.now()) });
      h.start();
      clock.tick(50);
      h.onHeartbeat();
      assert.equal(h.getTimeSinceLastHeartbeat(), 0);
      clock.tick(99);
      assert.deepEqual(timeouts, []);
      clock.tick(101);
      assert.deepEqual(timeouts, [clock.now - 50]);
      h.stop();
    } finally {
      clock.uninstall();
    }
  });

  it('odd configuration values behave as in the reference on this backend', () => {
    const configs = [
      { maxRetries: undefined },
      { maxRetries: '2', initialDelayMs: '10', jitter: false },
      { initialDelayMs: undefined, jitter: false },
      { maxDelayMs: null, jitter: false },
      { backoffMultiplier: NaN, jitter: false },
      { initialDelayMs: -50, jitter: true, jitterFactor: 2 },
      { backoffMultiplier: 1e308, maxDelayMs: Infinity, jitter: false },
      { jitter: 'yes', jitterFactor: '0.5' },
      { jitter: 0 },
    ];
    const script = [
      { op: 'connect' },
      { op: 'onDisconnected', reason: 'a' },
      { op: 'advance', ms: 1e6 },
      { op: 'onDisconnected' },
      { op: 'advance', ms: 1e6 },
      { op: 'onDisconnected', reason: 'c' },
      { op: 'advance', ms: 1e6 },
      { op: 'onDisconnected' },
      { op: 'close' },
    ];
    for (const config of configs) compare(config, script, false, 5);
  });
});
