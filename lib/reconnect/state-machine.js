'use strict';
// ReconnectionStateMachine: the reference's class - same options, methods,
// return values, events and event order (docs/PROTOCOL.md section 4). The states,
// retry counting and backoff arithmetic run in the C machine (csrc/backoff)
// when the addon is loaded, in JsBackoff below (its twin) otherwise.
//
// An operation runs step by step: each step's records are delivered before the
// next step runs, so an onEvent handler that reads the getters or calls back
// into the machine sees and changes the state exactly as in the reference
// (whose methods emit synchronously half-way through). Timers and randomness
// stay here, looked up on globalThis at call time, so fake timers installed
// at any moment (sinon, jest, lib/testing's FakeClock) drive the machine.

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

// Step codes, record types and layout of csrc/backoff/backoff.h (generated
// from csrc/contracts/codes.js into lib/contracts.js).
const { BACKOFF } = require('../contracts');

const { STEP, STEP_COUNT, REASON, STRIDE, MAX_EVENTS, STATE: S, SHIFT } = BACKOFF;
const EV = {
  STATE: BACKOFF.EVENT.STATE_CHANGE,
  SCHEDULED: BACKOFF.EVENT.RETRY_SCHEDULED,
  STARTED: BACKOFF.EVENT.RETRY_STARTED,
  CONNECTED: BACKOFF.EVENT.CONNECTED,
  DISCONNECTED: BACKOFF.EVENT.DISCONNECTED,
  FAILED: BACKOFF.EVENT.FAILED,
  ARM: BACKOFF.EVENT.ARM_TIMER,
  CANCEL: BACKOFF.EVENT.CANCEL_TIMER,
};
const OUT_LENGTH = 1 + MAX_EVENTS * STRIDE;

// What the reference's arithmetic and comparisons make of a configuration
// value: its ToNumber (strings, null, undefined -> NaN, ...). Never throws.
function toNumber(v) {
  if (typeof v === 'number') return v;
  try {
    return Number(v);
  } catch {
    return NaN;
  }
}

function numericConfig(config) {
  return {
    maxRetries: toNumber(config.maxRetries),
    initialDelayMs: toNumber(config.initialDelayMs),
    maxDelayMs: toNumber(config.maxDelayMs),
    backoffMultiplier: toNumber(config.backoffMultiplier),
    jitter: !!config.jitter,
    jitterFactor: toNumber(config.jitterFactor),
  };
}

// ---- the JavaScript twin of csrc/backoff/backoff.c ---------------------------
// Same constructor arguments, step(code, arg, out) and info(out) as the native
// Backoff, record for record (test/reconnect/reconnect.test.js compares them).
class JsBackoff {
  constructor(maxRetries, initialDelayMs, maxDelayMs, backoffMultiplier, jitter, jitterFactor) {
    this.c = { maxRetries, initialDelayMs, maxDelayMs, backoffMultiplier, jitter: !!jitter, jitterFactor };
    this.state = S.DISCONNECTED;
    this.retryCount = 0;
    this.armed = false;
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
    return this.state !== S.FAILED && this.state !== S.CLOSED && this.retryCount < this.c.maxRetries;
  }

  step(code, arg, out) {
    if (!(out instanceof Float64Array) || out.length < OUT_LENGTH) throw new TypeError(`Backoff.step(code, arg, out): out must be a Float64Array of ${OUT_LENGTH} or more`);
    code |= 0; // as the binding's Int32Value
    if (!(code > STEP.DONE && code < STEP_COUNT)) throw new RangeError('Backoff.step: unknown step');
    let n = 0;
    let next = STEP.DONE;
    const emit = (type, state = 0, prev = 0, reason = 0, attempt = 0, delay = 0) => {
      const o = 1 + n * STRIDE;
      out[o] = type | (state << SHIFT.STATE) | (prev << SHIFT.PREV) | (reason << SHIFT.REASON);
      out[o + 1] = attempt;
      out[o + 2] = delay;
      n++;
    };
    const to = (s) => {
      if (this.state === s) return;
      emit(EV.STATE, s, this.state);
      this.state = s;
    };
    const cancel = () => {
      if (!this.armed) return;
      this.armed = false;
      emit(EV.CANCEL);
    };
    switch (code) {
      case STEP.CONNECT:
        if (this.state === S.CONNECTED || this.state === S.CONNECTING) break;
        cancel();
        this.retryCount = 0;
        to(S.CONNECTING);
        break;
      case STEP.CONNECTED:
        cancel();
        this.retryCount = 0;
        to(S.CONNECTED);
        emit(EV.CONNECTED);
        break;
      case STEP.DISCONNECTED:
        cancel();
        if (this.state === S.CLOSED || this.state === S.FAILED) break;
        emit(EV.DISCONNECTED);
        next = STEP.DECIDE;
        break;
      case STEP.DECIDE:
        if (this.retryCount < this.c.maxRetries) {
          to(S.RECONNECTING);
          next = STEP.SCHEDULE;
        } else {
          to(S.FAILED);
          emit(EV.FAILED, 0, 0, REASON.OR_DEFAULT);
        }
        break;
      case STEP.SCHEDULE:
        emit(EV.SCHEDULED, 0, 0, 0, this.retryCount + 1, this.delay(arg));
        next = STEP.ARM;
        break;
      case STEP.ARM:
        this.armed = true;
        emit(EV.ARM);
        break;
      case STEP.FIRED:
        this.armed = false;
        this.retryCount += 1;
        emit(EV.STARTED, 0, 0, 0, arg);
        next = STEP.FIRED_CONNECT;
        break;
      case STEP.FIRED_CONNECT:
        to(S.CONNECTING);
        break;
      case STEP.FATAL:
        cancel();
        to(S.FAILED);
        emit(EV.FAILED, 0, 0, REASON.GIVEN);
        break;
      case STEP.CLOSE:
        cancel();
        to(S.CLOSED);
        break;
      case STEP.RESET:
        cancel();
        this.retryCount = 0;
        to(S.DISCONNECTED);
        break;
      default:
        break;
    }
    out[0] = next;
    return n;
  }

  info(out) {
    out[0] = this.state;
    out[1] = this.retryCount;
    out[2] = this.canReconnect() ? 1 : 0;
    out[3] = this.armed ? 1 : 0;
  }
}

/** A backoff core for a numeric configuration: the C one when the addon is loaded. */
function createBackoff(c, useNative = native !== null) {
  const Impl = useNative ? native.backoff.Backoff : JsBackoff;
  return new Impl(c.maxRetries, c.initialDelayMs, c.maxDelayMs, c.backoffMultiplier, !!c.jitter, c.jitterFactor);
}

class ReconnectionStateMachine {
  /**
   * @param {{ config?: Partial<typeof DEFAULT_RECONNECTION_CONFIG>, onEvent: (event: object) => void }} options
   */
  constructor(options) {
    if (options === null || typeof options !== 'object' || typeof options.onEvent !== 'function') {
      const err = new TypeError('ReconnectionStateMachine: options.onEvent must be a function');
      err.code = 'ERR_INVALID_ARG_TYPE';
      throw err;
    }
    this.config = { ...DEFAULT_RECONNECTION_CONFIG, ...options.config };
    this.onEvent = options.onEvent;
    const c = numericConfig(this.config);
    this._jitter = c.jitter;
    this._m = createBackoff(c);
    this._bufs = [];
    this._depth = 0;
    this._info = new Float64Array(4);
    this._timer = null;
  }

  // Runs an operation to its end, delivering each step's records before the
  // next step. `arg`: the attempt for FIRED; `reason`: the caller's reason.
  _run(step, arg, reason) {
    const depth = this._depth++;
    const out = this._bufs[depth] || (this._bufs[depth] = new Float64Array(OUT_LENGTH));
    let delayMs = 0;
    let attempt = 0;
    try {
      while (step !== STEP.DONE) {
        if (step === STEP.SCHEDULE) arg = this._jitter ? toNumber(globalThis.Math.random()) : 0;
        const n = this._m.step(step, arg, out);
        step = out[0];
        for (let i = 0, o = 1; i < n; i++, o += STRIDE) {
          const w = out[o];
          switch (w & 0xff) {
            case EV.STATE:
              this.onEvent({ type: 'state_change', state: STATES[(w >> SHIFT.STATE) & 0xff], previousState: STATES[(w >> SHIFT.PREV) & 0xff] });
              break;
            case EV.SCHEDULED:
              attempt = out[o + 1];
              delayMs = out[o + 2];
              this.onEvent({ type: 'retry_scheduled', attempt, delayMs });
              break;
            case EV.STARTED:
              this.onEvent({ type: 'retry_started', attempt: out[o + 1] });
              break;
            case EV.CONNECTED:
              this.onEvent({ type: 'connected' });
              break;
            case EV.DISCONNECTED:
              this.onEvent({ type: 'disconnected', reason });
              break;
            case EV.FAILED:
              this.onEvent({ type: 'failed', reason: (w >>> SHIFT.REASON) === REASON.OR_DEFAULT ? (reason ?? 'Max retries exceeded') : reason });
              break;
            case EV.ARM: {
              const a = attempt;
              this._timer = globalThis.setTimeout(() => {
                this._timer = null;
                this._run(STEP.FIRED, a);
              }, delayMs);
              break;
            }
            case EV.CANCEL:
              globalThis.clearTimeout(this._timer);
              this._timer = null;
              break;
            default:
              break;
          }
        }
      }
    } finally {
      this._depth--;
    }
  }

  _read(i) {
    this._m.info(this._info);
    return this._info[i];
  }

  getState() {
    return STATES[this._read(0)];
  }

  getRetryCount() {
    return this._read(1);
  }

  canReconnect() {
    return this._read(2) === 1;
  }

  connect() {
    this._run(STEP.CONNECT, 0);
  }

  onConnected() {
    this._run(STEP.CONNECTED, 0);
  }

  onDisconnected(reason) {
    this._run(STEP.DISCONNECTED, 0, reason);
  }

  onFatalError(reason) {
    this._run(STEP.FATAL, 0, reason);
  }

  close() {
    this._run(STEP.CLOSE, 0);
  }

  reset() {
    this._run(STEP.RESET, 0);
  }
}

module.exports = { ReconnectionStateMachine, JsBackoff, createBackoff, numericConfig, STEP };
