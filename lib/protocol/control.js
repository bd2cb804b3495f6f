'use strict';
// Control frames of the stream protocol between StreamServer and
// ReconnectingStream (docs/PROTOCOL.md §5-§7), version 2.
//
// Every control frame is one NDJSON line whose first key is "$esn" (the
// control-protocol version, 2) and whose "t" names the frame. A peer that
// speaks only the event protocol sees a line that is not an event (it fails
// validation) and skips it; event lines are never changed. On encrypted
// sessions the frames marked (mac) carry `m`, a MAC under the session's
// authentication key of their direction (lib/transport/secure.js).
//
//  t          dir   fields
//  challenge  s->c  n                                     fresh server nonce, sent when the connection opens
//  hello      c->s  sid, resume, rx, enc?, cn?, proof?, tx?  open a session, or resume one with a proof over n
//                                                         (tx: the last message seq the client numbered)
//  welcome    s->c  sid, resumed, rx, hb, first, next, max?, v, enc?, cred?, m?
//  reject     s->c  code, message, m?                     refused; the socket closes. Also sent on a live
//                                                         session the server app closed: code SESSION_CLOSED,
//                                                         m = MAC over ("closed", sid) (session.close())
//  b          c->s  s                                     the client message lines that follow start at seq s
//  ack        both  s, m?                                 cumulative: every seq <= s was received
//  gap        s->c  from, to, count, reason, m?           events from..to will never arrive
//  rekey      s->c  ep, pub, m                            new epoch: the server's fresh ECDH public key
//  rekeyed    c->s  ep, pub, s, m                         the client's fresh ECDH public key; its messages from seq s use epoch ep
//  ping/pong  both  ts                                    heartbeat and its answer

const CONTROL_VERSION = 2;
const CONTROL_KEY = '$esn';

const ControlType = Object.freeze({
  Challenge: 'challenge',
  Hello: 'hello',
  Welcome: 'welcome',
  Reject: 'reject',
  Batch: 'b',
  Ack: 'ack',
  Gap: 'gap',
  Rekey: 'rekey',
  Rekeyed: 'rekeyed',
  Ping: 'ping',
  Pong: 'pong',
});

const RejectCode = Object.freeze({
  SessionUnknown: 'SESSION_UNKNOWN',
  SessionExists: 'SESSION_EXISTS',
  SessionClosed: 'SESSION_CLOSED',
  SessionAuthFailed: 'SESSION_AUTH_FAILED',
  ResumeOutOfRange: 'RESUME_OUT_OF_RANGE',
  TooManySessions: 'TOO_MANY_SESSIONS',
  UnsupportedVersion: 'UNSUPPORTED_VERSION',
  EncryptionRequired: 'ENCRYPTION_REQUIRED',
  EncryptionDisabled: 'ENCRYPTION_DISABLED',
  HandshakeFailed: 'ENCRYPTION_HANDSHAKE_FAILED',
  BadHello: 'BAD_HELLO',
  BadRequest: 'BAD_REQUEST',
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
const isToken = (s, max = 64) => typeof s === 'string' && s.length > 0 && s.length <= max && /^[A-Za-z0-9_-]+$/.test(s);
const SID = /^[\x21-\x7e]{1,128}$/;
const isSid = (s) => typeof s === 'string' && SID.test(s);
const optMac = (f) => f.m === undefined || isToken(f.m);

/**
 * Checks a parsed control frame. Returns null when it is well formed, else a
 * message saying what is wrong (the caller turns it into a coded error).
 */
function checkControl(f) {
  if (f[CONTROL_KEY] !== CONTROL_VERSION) return `unsupported control version ${JSON.stringify(f[CONTROL_KEY])}`;
  if (!TYPES.has(f.t)) return `unknown control frame type ${JSON.stringify(f.t)}`;
  switch (f.t) {
    case 'challenge':
      return isToken(f.n) ? null : 'challenge.n must be a base64url nonce';
    case 'hello':
      if (f.sid !== undefined && f.sid !== null && !isSid(f.sid)) return 'hello.sid must be 1-128 printable ASCII characters';
      if (!isSeq(f.rx)) return 'hello.rx must be an integer >= 0';
      if (typeof f.resume !== 'boolean') return 'hello.resume must be a boolean';
      if (f.resume && !isSid(f.sid)) return 'a resuming hello needs a sid';
      // a missing or malformed cn/proof is a failed proof (SESSION_AUTH_FAILED), not a malformed hello
      if ((f.cn !== undefined && typeof f.cn !== 'string') || (f.proof !== undefined && typeof f.proof !== 'string')) return 'hello.cn/proof must be strings';
      if (f.tx !== undefined && !isSeq(f.tx)) return 'hello.tx must be an integer >= 0';
      return null;
    case 'welcome':
      if (!isSid(f.sid)) return 'welcome.sid must be a session id';
      if (!isSeq(f.rx) || !isSeq(f.next)) return 'welcome.rx/next must be integers >= 0';
      if (f.cred !== undefined && !isToken(f.cred)) return 'welcome.cred must be a base64url credential';
      return optMac(f) ? null : 'welcome.m must be a MAC';
    case 'reject':
      if (typeof f.code !== 'string') return 'reject.code must be a string';
      return optMac(f) ? null : 'reject.m must be a MAC';
    case 'b':
      return isSeq(f.s) ? null : 'b.s must be an integer >= 0';
    case 'ack':
      if (!isSeq(f.s)) return 'ack.s must be an integer >= 0';
      return optMac(f) ? null : 'ack.m must be a MAC';
    case 'gap':
      if (!(isSeq(f.from) && isSeq(f.to) && isSeq(f.count) && f.from <= f.to)) return 'gap.from/to/count must be integers >= 0, from <= to';
      return optMac(f) ? null : 'gap.m must be a MAC';
    case 'rekey':
    case 'rekeyed':
      if (!Number.isSafeInteger(f.ep) || f.ep < 1) return `${f.t}.ep must be an integer >= 1`;
      if (typeof f.pub !== 'string' || f.pub.length > 200) return `${f.t}.pub must be a public key`;
      if (f.t === 'rekeyed' && !(isSeq(f.s) && f.s >= 1)) return 'rekeyed.s must be an integer >= 1';
      return isToken(f.m) ? null : `${f.t}.m must be a MAC`;
    default:
      return null;
  }
}

// Builders: fixed key order, compact, serialized once.
const v = `{"${CONTROL_KEY}":${CONTROL_VERSION},"t":`;
const ack = (s, m) => (m === undefined ? `${v}"ack","s":${s}}` : `${v}"ack","s":${s},"m":"${m}"}`);
const batch = (s) => `${v}"b","s":${s}}`;
const ping = (ts) => `${v}"ping","ts":${ts}}`;
const pong = (ts) => `${v}"pong","ts":${ts}}`;
const challenge = (n) => `${v}"challenge","n":"${n}"}`;
function gap(from, to, reason, m) {
  const tail = m === undefined ? '' : `,"m":"${m}"`;
  return `${v}"gap","from":${from},"to":${to},"count":${to - from + 1},"reason":${JSON.stringify(reason)}${tail}}`;
}
function reject(code, message, m) {
  const tail = m === undefined ? '' : `,"m":"${m}"`;
  return `${v}"reject","code":${JSON.stringify(code)},"message":${JSON.stringify(String(message))}${tail}}`;
}
const rekey = (t, ep, pub, m, s) => `${v}${JSON.stringify(t)},"ep":${ep},"pub":${JSON.stringify(pub)}${s === undefined ? '' : `,"s":${s}`},"m":"${m}"}`;
function hello({ sid, resume, rx, enc, cn, proof, tx }) {
  const o = { [CONTROL_KEY]: CONTROL_VERSION, t: 'hello', sid: sid ?? null, resume: !!resume, rx };
  if (tx !== undefined) o.tx = tx;
  if (enc) o.enc = enc;
  if (cn !== undefined) o.cn = cn;
  if (proof !== undefined) o.proof = proof;
  return JSON.stringify(o);
}
function welcome({ sid, resumed, rx, hb, enc, first, next, max, cred, m }) {
  const o = { [CONTROL_KEY]: CONTROL_VERSION, t: 'welcome', sid, resumed: !!resumed, rx, hb, first, next, v: CONTROL_VERSION };
  if (max !== undefined && max !== Infinity) o.max = max;
  if (enc) o.enc = enc;
  if (cred !== undefined) o.cred = cred;
  if (m !== undefined) o.m = m;
  return JSON.stringify(o);
}

/**
 * A current-version frame of a type this version does not know: a newer
 * peer's optional hint. Peers ignore it (and count it) instead of failing the
 * connection, so new frame types can be added without breaking old peers.
 */
function isUnknownType(f) {
  return f[CONTROL_KEY] === CONTROL_VERSION && typeof f.t === 'string' && !TYPES.has(f.t);
}

/** The session id a hello's sid names: ids without the schemas' "s_" prefix get it (docs/PROTOCOL.md §5). */
function canonicalSid(sid) {
  return sid.startsWith('s_') && sid.length > 2 ? sid : `s_${sid}`;
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
  isSid,
  isToken,
  canonicalSid,
  build: { ack, batch, ping, pong, gap, reject, hello, welcome, challenge, rekey },
};
