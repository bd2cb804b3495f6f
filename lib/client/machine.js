'use strict';
// The client's connection state machine: lib/reconnect's
// ReconnectionStateMachine (the reference's states, retry counting, backoff
// with jitter and event order), with a same-behaviour fallback used only
// while that module is unavailable.

let Machine = null;
try {
  const r = require('../reconnect');
  if (r && typeof r.ReconnectionStateMachine === 'function') Machine = r.ReconnectionStateMachine;
} catch {
  Machine = null;
}

const DEFAULTS = { maxRetries: 5, initialDelayMs: 1000, maxDelayMs: 30000, backoffMultiplier: 2, jitter: true, jitterFactor: 0.3 };

class FallbackMachine {
  constructor({ config, onEvent }) {
    this.config = { ...DEFAULTS, ...config };
    this.onEvent = onEvent;
    this.state = 'disconnected';
    this.retryCount = 0;
    this.timer = null;
  }
  getState() {
    return this.state;
  }
  getRetryCount() {
    return this.retryCount;
  }
  _to(s) {
    const prev = this.state;
    if (prev === s) return;
    this.state = s;
    this.onEvent({ type: 'state_change', state: s, previousState: prev });
  }
  _delay() {
    const c = this.config;
    let d = Math.min(c.initialDelayMs * Math.pow(c.backoffMultiplier, this.retryCount), c.maxDelayMs);
    if (c.jitter) {
      const j = d * c.jitterFactor;
      d = d - j + Math.random() * j * 2;
    }
    return Math.round(d);
  }
  _cancel() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
  connect() {
    if (this.state === 'connected' || this.state === 'connecting') return;
    this._cancel();
    this.retryCount = 0;
    this._to('connecting');
  }
  onConnected() {
    this._cancel();
    this.retryCount = 0;
    this._to('connected');
    this.onEvent({ type: 'connected' });
  }
  onDisconnected(reason) {
    this._cancel();
    if (this.state === 'closed' || this.state === 'failed') return;
    this.onEvent({ type: 'disconnected', reason });
    if (this.retryCount < this.config.maxRetries) {
      this._to('reconnecting');
      const delayMs = this._delay();
      const attempt = this.retryCount + 1;
      this.onEvent({ type: 'retry_scheduled', attempt, delayMs });
      this.timer = setTimeout(() => {
        this.timer = null;
        this.retryCount++;
        this.onEvent({ type: 'retry_started', attempt });
        this._to('connecting');
      }, delayMs);
    } else {
      this._to('failed');
      this.onEvent({ type: 'failed', reason: reason ?? 'Max retries exceeded' });
    }
  }
  onFatalError(reason) {
    this._cancel();
    this._to('failed');
    this.onEvent({ type: 'failed', reason });
  }
  close() {
    this._cancel();
    this._to('closed');
  }
  canReconnect() {
    return this.state !== 'failed' && this.state !== 'closed' && this.retryCount < this.config.maxRetries;
  }
}

function createMachine(options) {
  return Machine ? new Machine(options) : new FallbackMachine(options);
}

module.exports = { createMachine, usingReconnectModule: Machine !== null };
