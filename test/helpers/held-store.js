'use strict';
// Store helpers of the Session tests: a MemorySessionStore whose calls of one
// method can be held (a slow store) and are counted: `new HeldStore('append')`,
// then hold() / release() and `store.calls`; and `untilStore(cond, what)`,
// which waits until a store read shows something.

const assert = require('node:assert');
const { MemorySessionStore } = require('../../lib/server');
const { flushed } = require('./fake-transport');

class HeldStore extends MemorySessionStore {
  constructor(method, o) {
    super(o);
    this.calls = 0;
    this._gate = null;
    const inner = this[method].bind(this);
    this[method] = async (...a) => {
      this.calls++;
      if (this._gate) await this._gate.promise;
      return inner(...a);
    };
  }

  /** Calls from now on wait until release(). */
  hold() {
    let release;
    const promise = new Promise((resolve) => {
      release = resolve;
    });
    this._gate = { promise, release };
  }

  release() {
    const g = this._gate;
    this._gate = null;
    g.release();
  }
}

/** Waits (event-loop turns, no timers) until the async `cond` (a store read) holds. */
async function untilStore(cond, what) {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await flushed();
  }
  assert.fail(`the store never showed ${what}`);
}

module.exports = { HeldStore, untilStore };
