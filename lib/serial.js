'use strict';
// Ordered work that may or may not be asynchronous: tasks run at once while
// every task is synchronous (Node's crypto), and queue behind the pending one
// as soon as one returns a Promise (crypto.subtle in browsers), so arrival
// order is kept without paying for Promises on the synchronous path.

const isThenable = (v) => v !== null && typeof v === 'object' && typeof v.then === 'function';

class Serial {
  /** @param {(err: Error) => void} onError a task that threw or rejected (asynchronous tasks only) */
  constructor(onError) {
    this.tail = null;
    this.onError = onError;
  }

  /**
   * Runs task(a, b) now, or after the pending task. A synchronous throw
   * reaches the caller. (Arguments rather than a closure: no allocation per
   * call on the synchronous path.)
   */
  run(task, a, b) {
    if (this.tail === null) {
      const r = task(a, b);
      if (isThenable(r)) this.tail = this._settle(r);
      return;
    }
    this.tail = this._settle(this.tail.then(() => task(a, b)));
  }

  /** Resolves once every task run so far has finished. */
  idle() {
    return this.tail === null ? Promise.resolve() : this.tail.then(() => this.idle());
  }

  _settle(p) {
    // Promise.resolve: a task may return any thenable, whose then() need not return a Promise
    const q = Promise.resolve(p).then(
      () => {
        if (this.tail === q) this.tail = null;
      },
      (err) => {
        if (this.tail === q) this.tail = null;
        this.onError(err);
      },
    );
    return q;
  }
}

module.exports = { Serial, isThenable };
