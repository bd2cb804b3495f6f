'use strict';
// A manual clock for tests: replaces the global setTimeout, clearTimeout,
// setInterval, clearInterval and Date.now until uninstall(); tick(ms) moves
// time forward and runs the timers that fall due, in order. Everything in
// this package looks the globals up at call time, so it runs on this clock.

class FakeClock {
  constructor(start = 0) {
    this.now = start;
    this._timers = new Map();
    this._nextId = 1;
    this._saved = null;
  }

  install() {
    if (this._saved) return this;
    const g = globalThis;
    this._saved = {
      setTimeout: g.setTimeout,
      clearTimeout: g.clearTimeout,
      setInterval: g.setInterval,
      clearInterval: g.clearInterval,
      now: g.Date.now,
    };
    g.setTimeout = (fn, ms = 0, ...args) => this._add(fn, ms, args, false);
    g.clearTimeout = (id) => this._timers.delete(id);
    g.setInterval = (fn, ms = 0, ...args) => this._add(fn, ms, args, true);
    g.clearInterval = (id) => this._timers.delete(id);
    g.Date.now = () => this.now;
    return this;
  }

  uninstall() {
    if (!this._saved) return;
    const g = globalThis;
    g.setTimeout = this._saved.setTimeout;
    g.clearTimeout = this._saved.clearTimeout;
    g.setInterval = this._saved.setInterval;
    g.clearInterval = this._saved.clearInterval;
    g.Date.now = this._saved.now;
    this._saved = null;
  }

  _add(fn, ms, args, repeat) {
    if (typeof fn !== 'function') throw new TypeError('FakeClock: the callback must be a function');
    const id = this._nextId++;
    // Node's rule: a delay outside [1, 2^31 - 1] (NaN, 0, negative, huge) is
    // 1 ms, and fractions are truncated.
    let delay = Number(ms);
    if (!(delay >= 1 && delay <= 2147483647)) delay = 1;
    delay = Math.trunc(delay);
    this._timers.set(id, { id, fn, args, at: this.now + delay, repeat: repeat ? delay : 0 });
    return id;
  }

  /** Moves time forward by ms, running due timers in time order. */
  tick(ms) {
    ms = Number(ms);
    if (!(ms >= 0)) throw new RangeError('FakeClock.tick(ms): ms must be a number >= 0');
    const end = this.now + ms;
    for (;;) {
      let next = null;
      for (const t of this._timers.values()) if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === null) break;
      this.now = next.at;
      if (next.repeat) next.at += next.repeat;
      else this._timers.delete(next.id);
      next.fn(...next.args);
    }
    this.now = end;
  }

  /** Runs every pending timer (bounded, for runaway intervals). */
  runAll(limit = 10000) {
    for (let i = 0; i < limit && this._timers.size; i++) {
      let next = null;
      for (const t of this._timers.values()) if (next === null || t.at < next.at) next = t;
      this.tick(Math.max(0, next.at - this.now));
    }
  }

  /** Number of pending timers. */
  get pending() {
    return this._timers.size;
  }
}

/** Installs a FakeClock and returns it; call clock.uninstall() when done. */
function installFakeClock(start = 0) {
  return new FakeClock(start).install();
}

module.exports = { FakeClock, installFakeClock };
