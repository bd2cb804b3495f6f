'use strict';
// A MemorySessionStore whose calls of one method can be held (a slow store)
// and are counted: `new HeldStore('append')`, then hold() / release() and
// `store.calls`.

const { MemorySessionStore } = require('../../lib/server');

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

module.exports = { HeldStore };
