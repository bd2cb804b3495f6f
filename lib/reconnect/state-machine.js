'use strict';
// ReconnectionStateMachine: the reference's class, same options, methods,
// events and event order (PROTOCOL.md section 4). The state and the backoff
// arithmetic live in the C machine (csrc/backoff) when the addon is loaded,
// in the JavaScript twin below otherwise. Timers and randomness stay here:
// the global setTimeout/clearTimeout/Math.random are looked up on every call,
// so fake clocks drive the machine.

const { native } = require('../binding');
const { ConnectionState, DEFAULT_RECONNECTION_CONFIG } = require('../constants');

const STATES = [
  ConnectionState.Disconnected,
  ConnectionState.Connecting,
  ConnectionState.Connected,
  ConnectionState.Reconnecting,
  ConnectionState.Failed,
  ConnectionState.Closed,
];
const STATE_CODE = Object.fromEntries(STATES.map((s, i) => [s, i]));

const OP = { connect: 0, connected: 1, disconnected: 2, fatal: 3, fired: 4, close: 5, reset: 6 };
const EV = { STATE: 0, SCHEDULED: 1, STARTED: 2, CONNECTED: 3, DISCONNECTED: 4, FAILED: 5, ARM: 6, CANCEL: 7 };

// --- the JavaScript twin of csrc/backoff/backoff.c ----------------------------------
class JsBackoff {
  constructor(c) {
    this.c = c;
    this.state = 0;
    this.retryCount = 0;
    this.armed = false;
    this.pendingAttempt = 0;
  }

  delay(random) {
    const c = this.c;
    let d = Math.min(c.initialDelayMs * Math.pow(c.backoffMultiplier, this.retryCount), c.maxDelayMs);
    if (c.jitter) {
      const amount = d * c.jitterFactor;
      d = d - amount + random * amount * 2;
    }
    return Math.round(d);
  }

  canReconnect() {
    return this.state !== 4 && this.state !== 5 && this.retryCount < this.c.maxRetries;
  }

  op(code, random, out) {
    const ev = [];
    const to = (s) => {
      if (this.state === s) return;
      ev.push([EV.STATE, s, this.state, 0, 0, 0]);
      this.state = s;
    };
    const cancel = () => {
      if (!this.armed) return;
      this.armed = false;
      ev.push([EV.CANCEL, 0, 0, 0, 0, 0]);
    };
    switch (code) {
      case OP.connect:
        if (this.state === 2 || this.state === 1) break;
        cancel();
        this.retryCount = 0;
        to(1);
        break;
      case OP.connected:
        cancel();
        this.retryCount = 0;
        to(2);
        ev.push([EV.CONNECTED, 0, 0, 0, 0, 0]);
        break;
      case OP.disconnected:
        cancel();
        if (this.state === 5 || this.state === 4) break;
        ev.push([EV.DISCONNECTED, 0, 0, 0, 0, 0]);
        if (this.retryCount < this.c.maxRetries) {
          to(3);
          const delay = this.delay(random);
          this.pendingAttempt = this.retryCount + 1;
          ev.push([EV.SCHEDULED, 0, 0, 0, this.pendingAttempt, delay]);
          ev.push([EV.ARM, 0, 0, 0, 0, delay]);
          this.armed = true;
        } else {
          to(4);
          ev.push([EV.FAILED, 0, 0, 1, 0, 0]);
        }
        break;
      case OP.fatal:
        cancel();
        to(4);
        ev.push([EV.FAILED, 0, 0, 2, 0, 0]);
        break;
      case OP.fired:
        if (!this.armed) break;
        this.armed = false;
        this.retryCount += 1;
        ev.push([EV.STARTED, 0, 0, 0, this.pendingAttempt, 0]);
        to(1);
        break;
      case OP.close:
        cancel();
        to(5);
        break;
      case OP.reset:
        cancel();
        this.retryCount = 0;
        to(0);
        break;
      default:
        throw new RangeError('unknown operation');
    }
    for (let i = 0; i < ev.length; i++) {
      const [t, s, p, r, attempt, delay] = ev[i];
      out[i * 3] = t | (s << 8) | (p << 16) | (r << 24);
      out[i * 3 + 1] = attempt;
      out[i * 3 + 2] = delay;
    }
    return ev.length;
  }

  info(out) {
    out[0] = this.state;
    out[1] = this.retryCount;
    out[2] = this.canReconnect() ? 1 : 0;
  }
}

function nativeBackoff(c) {
  return new native.Backoff(c.maxRetries, c.initialDelayMs, c.maxDelayMs, c.backoffMultiplier, !!c.jitter, c.jitterFactor);
}

class ReconnectionStateMachine {
  /**
   * @param {{ config?: Partial<typeof DEFAULT_RECONNECTION_CONFIG>, onEvent: (event: object) => void }} options
   */
  constructor(options = {}) {
    if (typeof options.onEvent !== 'function') {
      throw new TypeError('ReconnectionStateMachine: options.onEvent must be a function');
    }
    this.config = { ...DEFAULT_RECONNECTION_CONFIG, ...options.config };
    this.onEvent = options.onEvent;
    this._m = native ? nativeBackoff(this.config) : new JsBackoff(this.config);
    this._out = new Float64Array(8 * 3);
    this._info = new Float64Array(3);
    this._timer = null;
  }

  // Runs one operation of the machine and turns its records into events.
  _run(code, reason) {
    const random = code === OP.disconnected && this.config.jitter ? globalThis.Math.random() : 0;
    const out = this._out;
    const n = this._m.op(code, random, out);
    for (let i = 0; i < n; i++) {
      const w = out[i * 3];
      const type = w & 0xff;
      switch (type) {
        case EV.STATE:
          this.onEvent({ type: 'state_change', state: STATES[(w >> 8) & 0xff], previousState: STATES[(w >> 16) & 0xff] });
          break;
        case EV.SCHEDULED:
          this.onEvent({ type: 'retry_scheduled', attempt: out[i * 3 + 1], delayMs: out[i * 3 + 2] });
          break;
        case EV.STARTED:
          this.onEvent({ type: 'retry_started', attempt: out[i * 3 + 1] });
          break;
        case EV.CONNECTED:
          this.onEvent({ type: 'connected' });
          break;
        case EV.DISCONNECTED:
          this.onEvent({ type: 'disconnected', reason });
          break;
        case EV.FAILED:
          this.onEvent({ type: 'failed', reason: (w >>> 24) === 1 ? (reason ?? 'Max retries exceeded') : reason });
          break;
        case EV.ARM: {
          const delay = out[i * 3 + 2];
          this._timer = globalThis.setTimeout(() => {
            this._timer = null;
            this._run(OP.fired);
          }, delay);
          break;
        }
        case EV.CANCEL:
          if (this._timer !== null) {
            globalThis.clearTimeout(this._timer);
            this._timer = null;
          }
          break;
        default:
          break;
      }
    }
  }

  getState() {
    this._m.info(this._info);
    return STATES[this._info[0]];
  }

  getRetryCount() {
    this._m.info(this._info);
    return this._info[1];
  }

  connect() {
    this._run(OP.connect);
  }

  onConnected() {
    this._run(OP.connected);
  }

  onDisconnected(reason) {
    this._run(OP.disconnected, reason);
  }

  onFatalError(reason) {
    this._run(OP.fatal, reason);
  }

  close() {
    this._run(OP.close);
  }

  reset() {
    this._run(OP.reset);
  }

  canReconnect() {
    this._m.info(this._info);
    return this._info[2] === 1;
  }
}

module.exports = { ReconnectionStateMachine, JsBackoff, nativeBackoff, OP, STATE_CODE };
