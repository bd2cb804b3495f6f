'use strict';
// Control frames this project adds on the wire (PROTOCOL.md section 5).
//
// Every control frame is one NDJSON line whose first key is "$esn" (the
// control-protocol version, currently 1) and whose "t" names the frame. A
// peer that speaks only PROTOCOL.md sections 1-4 sees a line that is not an
// event (it fails validation) and skips it; event lines are never changed.
//
//  t         dir   fields                                     meaning
//  hello     c->s  sid?, resume, rx, enc?, v                  open or resume a session; rx = last server seq received
//  welcome   s->c  sid, resumed, rx, hb, enc?, max?, v        session ready; rx = last client seq the server holds;
//                                                             max = largest WebSocket message the server accepts (bytes)
//  reject    s->c  code, message                              refused (SESSION_UNKNOWN, ENCRYPTION_REQUIRED, ...); socket closes
//  b         c->s  s                                          the client message lines that follow in this frame start at seq s
//  ack       both  s                                          cumulative: every seq <= s was received (sender may free them)
//  gap       s->c  from, to, count, reason                    events from..to are no longer held and will never arrive
//  ping      both  ts                                         heartbeat (answered with pong)
//  pong      both  ts                                         heartbeat answer (echoes ts)

const CONTROL_VERSION = 1;
const CONTROL_KEY = '$esn';

const ControlType = Object.freeze({
  Hello: 'hello',
  Welcome: 'welcome',
  Reject: 'reject',
  Batch: 'b',
  Ack: 'ack',
  Gap: 'gap',
  Ping: 'ping',
  Pong: 'pong',
});

const RejectCode = Object.freeze({
  SessionUnknown: 'SESSION_UNKNOWN',
  EncryptionRequired: 'ENCRYPTION_REQUIRED',
  EncryptionDisabled: 'ENCRYPTION_DISABLED',
  HandshakeFailed: 'ENCRYPTION_HANDSHAKE_FAILED',
  BadHello: 'BAD_HELLO',
  ServerClosing: 'SERVER_CLOSING',
});

const GapReason = Object.freeze({
  ReplayOverflow: 'replay_overflow',
});

const TYPES = new Set(Object.values(ControlType));

function isControl(value) {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, CONTROL_KEY);
}

const isSeq = (n) => Number.isSafeInteger(n) && n >= 0;

/**
 * Checks a parsed control frame. Returns null when it is well formed, else a
 * message saying what is wrong (the caller turns it into a coded error).
 */
function checkControl(f) {
  if (f[CONTROL_KEY] !== CONTROL_VERSION) return `unsupported control version ${JSON.stringify(f[CONTROL_KEY])}`;
  if (!TYPES.has(f.t)) return `unknown control frame type ${JSON.stringify(f.t)}`;
  switch (f.t) {
    case 'hello':
      if (f.sid !== undefined && f.sid !== null && (typeof f.sid !== 'string' || f.sid.length === 0 || f.sid.length > 256)) return 'hello.sid must be a non-empty string';
      if (!isSeq(f.rx)) return 'hello.rx must be an integer >= 0';
      if (typeof f.resume !== 'boolean') return 'hello.resume must be a boolean';
      return null;
    case 'welcome':
      if (typeof f.sid !== 'string') return 'welcome.sid must be a string';
      if (!isSeq(f.rx)) return 'welcome.rx must be an integer >= 0';
      return null;
    case 'reject':
      return typeof f.code === 'string' ? null : 'reject.code must be a string';
    case 'b':
    case 'ack':
      return isSeq(f.s) ? null : `${f.t}.s must be an integer >= 0`;
    case 'gap':
      return isSeq(f.from) && isSeq(f.to) && isSeq(f.count) ? null : 'gap.from/to/count must be integers >= 0';
    default:
      return null;
  }
}

// Builders: fixed key order, compact, serialized once.
const v = `{"${CONTROL_KEY}":${CONTROL_VERSION},"t":`;
const ack = (s) => `${v}"ack","s":${s}}`;
const batch = (s) => `${v}"b","s":${s}}`;
const ping = (ts) => `${v}"ping","ts":${ts}}`;
const pong = (ts) => `${v}"pong","ts":${ts}}`;
const gap = (from, to, reason) => `${v}"gap","from":${from},"to":${to},"count":${to - from + 1},"reason":${JSON.stringify(reason)}}`;
const reject = (code, message) => `${v}"reject","code":${JSON.stringify(code)},"message":${JSON.stringify(String(message))}}`;
function hello({ sid, resume, rx, enc }) {
  const o = { [CONTROL_KEY]: CONTROL_VERSION, t: 'hello', sid: sid ?? null, resume: !!resume, rx };
  if (enc) o.enc = enc;
  return JSON.stringify(o);
}
function welcome({ sid, resumed, rx, hb, enc, first, next, max }) {
  const o = { [CONTROL_KEY]: CONTROL_VERSION, t: 'welcome', sid, resumed: !!resumed, rx, hb, first, next };
  if (max !== undefined && max !== Infinity) o.max = max;
  if (enc) o.enc = enc;
  return JSON.stringify(o);
}

/**
 * A version-1 frame of a type this version does not know: a newer peer's
 * optional hint. Peers ignore it (and count it) instead of failing the
 * connection, so new frame types can be added without breaking old peers.
 */
function isUnknownType(f) {
  return f[CONTROL_KEY] === CONTROL_VERSION && typeof f.t === 'string' && !TYPES.has(f.t);
}

module.exports = {
  CONTROL_VERSION,
  CONTROL_KEY,
  ControlType,
  RejectCode,
  GapReason,
  isControl,
  checkControl,
  isUnknownType,
  build: { ack, batch, ping, pong, gap, reject, hello, welcome },
};
