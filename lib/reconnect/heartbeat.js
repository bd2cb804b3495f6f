'use strict';
// HeartbeatMonitor: calls onTimeout when no heartbeat came for timeoutMs (the
// reference's class). Date.now and the timers are looked up at call time.

class HeartbeatMonitor {
  constructor(options = {}) {
    if (options === null || typeof options !== 'object' || typeof options.onTimeout !== 'function') {
      const err = new TypeError('HeartbeatMonitor: options.onTimeout must be a function');
      err.code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
    this.timeoutMs = options.timeoutMs;
    this.onTimeout = options.onTimeout;
    this.lastHeartbeat = globalThis.Date.now();
    this.timeoutId = null;
  }

  start() {
    this.lastHeartbeat = globalThis.Date.now();
    this._schedule();
  }

  stop() {
    if (this.timeoutId !== null) {
      globalThis.clearTimeout(this.timeoutId);
      this.timeoutId = null;
    }
  }

  reset() {
    this.lastHeartbeat = globalThis.Date.now();
  }

  onHeartbeat() {
    this.lastHeartbeat = globalThis.Date.now();
  }

  getTimeSinceLastHeartbeat() {
    return globalThis.Date.now() - this.lastHeartbeat;
  }

  _schedule() {
    this.timeoutId = globalThis.setTimeout(() => {
      if (globalThis.Date.now() - this.lastHeartbeat >= this.timeoutMs) this.onTimeout();
      else this._schedule();
    }, this.timeoutMs);
  }
}

module.exports = { HeartbeatMonitor };
