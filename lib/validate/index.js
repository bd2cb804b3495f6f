'use strict';
// Fast hand-written validator for stream events and encrypted envelopes.
//
// It reproduces the verdicts and output of
// `parseStreamEventOrEncrypted(value)` (zod 4 schemas in lib/validate/schemas.js)
// without running zod on the success path:
//   checkEvent(value)     -> 0 valid and canonical (zod's output serializes
//                               exactly like the input: no key to strip, keys
//                               already in schema order)
//                            1 valid, but zod's output differs from the input
//                            2 invalid
//   normalizeEvent(value) -> what zod's safeParse gives as `data`
//   parseEventValue(value)-> { success: true, data } | { success: false, error }
//                            where `error` is zod's error message
//   checkJsonEvent / parseJsonEventValue: the same for values produced by
//                            JSON.parse (a canonical value is returned as is)
//
// The canonical verdict (0 vs 1) is exact for values produced by JSON.parse;
// for hand-built objects (inherited or undefined-valued keys, symbols) a
// value may be reported 1 although it would serialize the same.
// Valid path: no allocation, no closures; dispatch on `type` with a switch.
// Keep in sync with lib/validate/schemas.js (field rules and shape key order).

const OK = 0;
const NORM = 1;
const BAD = 2;

const hasOwn = Object.prototype.hasOwnProperty;
const isEnumerable = Object.prototype.propertyIsEnumerable;
const isArray = Array.isArray;

// -- primitive rules ------------------------------------------------------------
// util.isObject of zod: any non-null object that is not an array.
function isObj(v) {
  return typeof v === 'object' && v !== null && !isArray(v);
}

// util.isPlainObject of zod (the test z.record applies).
function isPlainObject(o) {
  if (!isObj(o)) return false;
  const ctor = o.constructor;
  if (ctor === undefined || typeof ctor !== 'function') return true;
  const prot = ctor.prototype;
  if (!isObj(prot)) return false;
  return hasOwn.call(prot, 'isPrototypeOf');
}

// z.number(): finite numbers only (NaN and +-Infinity fail).
function isNonNeg(v) {
  return typeof v === 'number' && v >= 0 && v !== Infinity;
}
function isPositive(v) {
  return typeof v === 'number' && v > 0 && v !== Infinity;
}
// .int() in zod 4 is a safe integer.
function isNonNegInt(v) {
  return Number.isSafeInteger(v) && v >= 0;
}

// z.string().startsWith(prefix).min(prefix.length + 1), both prefixes ASCII.
function isSessionId(v) {
  return typeof v === 'string' && v.length > 2 && v.charCodeAt(0) === 115 && v.charCodeAt(1) === 95;
}
function isCallId(v) {
  return typeof v === 'string' && v.length > 2 && v.charCodeAt(0) === 99 && v.charCodeAt(1) === 95;
}
function isNonEmptyString(v) {
  return typeof v === 'string' && v.length !== 0;
}
// Optional rules accept undefined (absent, or present with the value undefined).
function isOptString(v) {
  return v === undefined || typeof v === 'string';
}
function isOptBool(v) {
  return v === undefined || typeof v === 'boolean';
}

function isDigit(c) {
  return c >= 48 && c <= 57;
}
function twoDigits(s, i) {
  return (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
}

// z.string().datetime() of zod 4 (regexes.datetime with no offset, no local,
// no precision): ^YYYY-MM-DDTHH:MM:SS(\.\d+)?Z$ with a real calendar date
// (Gregorian leap years), hours 00-23, minutes and seconds 00-59.
// \d is ASCII only (the regex has no `u` flag); 'T' and 'Z' are upper case.
function isDatetime(s) {
  if (typeof s !== 'string') return false;
  const n = s.length;
  if (n < 20) return false;
  if (
    !isDigit(s.charCodeAt(0)) || !isDigit(s.charCodeAt(1)) || !isDigit(s.charCodeAt(2)) || !isDigit(s.charCodeAt(3)) ||
    s.charCodeAt(4) !== 45 || !isDigit(s.charCodeAt(5)) || !isDigit(s.charCodeAt(6)) ||
    s.charCodeAt(7) !== 45 || !isDigit(s.charCodeAt(8)) || !isDigit(s.charCodeAt(9)) ||
    s.charCodeAt(10) !== 84 || !isDigit(s.charCodeAt(11)) || !isDigit(s.charCodeAt(12)) ||
    s.charCodeAt(13) !== 58 || !isDigit(s.charCodeAt(14)) || !isDigit(s.charCodeAt(15)) ||
    s.charCodeAt(16) !== 58 || !isDigit(s.charCodeAt(17)) || !isDigit(s.charCodeAt(18)) ||
    s.charCodeAt(n - 1) !== 90
  ) {
    return false;
  }
  if (n !== 20) {
    // fraction: '.' then at least one digit, up to the final 'Z'
    if (s.charCodeAt(19) !== 46 || n < 22) return false;
    for (let i = 20; i < n - 1; i++) if (!isDigit(s.charCodeAt(i))) return false;
  }
  if (twoDigits(s, 11) > 23 || twoDigits(s, 14) > 59 || twoDigits(s, 17) > 59) return false;
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  let max;
  if (month === 2) {
    const year = twoDigits(s, 0) * 100 + twoDigits(s, 2);
    max = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  } else if (month === 4 || month === 6 || month === 9 || month === 11) {
    max = 30;
  } else {
    max = 31;
  }
  return day <= max;
}

function isStringArray(a) {
  if (!isArray(a)) return false;
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') return false;
  return true;
}

// -- key order -------------------------------------------------------------------
// Canonical when every enumerable key is a key of the shape and they come in
// the shape's order (zod builds its output in shape order and drops the rest).
// keyIndex functions map a key to its position in the shape, -1 if unknown.
function inOrder(o, keyIndex) {
  let last = -1;
  for (const k in o) {
    const i = keyIndex(k);
    if (i <= last) return false;
    last = i;
  }
  return true;
}

function kEvent(k) {
  switch (k) {
    case 'protocolVersion': return 0;
    case 'sessionId': return 1;
    case 'seq': return 2;
    case 'type': return 3;
    case 'payload': return 4;
    default: return -1;
  }
}
function kSessionInit(k) {
  switch (k) {
    case 'cancelUrl': return 0;
    case 'expiresAt': return 1;
    case 'encryption': return 2;
    case 'replayUrl': return 3;
    default: return -1;
  }
}
function kEncryptionConfig(k) {
  return k === 'enabled' ? 0 : k === 'keyId' ? 1 : -1;
}
function kStdout(k) {
  return k === 'chunk' ? 0 : -1;
}
function kLog(k) {
  return k === 'level' ? 0 : k === 'message' ? 1 : k === 'data' ? 2 : -1;
}
function kToolCall(k) {
  return k === 'callId' ? 0 : k === 'toolName' ? 1 : k === 'args' ? 2 : -1;
}
function kCallId(k) {
  return k === 'callId' ? 0 : -1;
}
function kFinal(k) {
  switch (k) {
    case 'ok': return 0;
    case 'result': return 1;
    case 'error': return 2;
    case 'errors': return 3;
    case 'stats': return 4;
    default: return -1;
  }
}
function kErrorInfo(k) {
  return k === 'message' ? 0 : k === 'code' ? 1 : k === 'stack' ? 2 : -1;
}
function kStats(k) {
  return k === 'durationMs' ? 0 : k === 'toolCallCount' ? 1 : k === 'stdoutBytes' ? 2 : -1;
}
function kErrorPayload(k) {
  switch (k) {
    case 'code': return 0;
    case 'message': return 1;
    case 'path': return 2;
    case 'details': return 3;
    default: return -1;
  }
}
function kRetryInfo(k) {
  return k === 'type' ? 0 : k === 'retryDelayMs' ? 1 : -1;
}
function kUpstreamInfo(k) {
  return k === 'type' ? 0 : k === 'statusCode' ? 1 : k === 'url' ? 2 : -1;
}
function kValidationInfo(k) {
  return k === 'type' ? 0 : k === 'field' ? 1 : k === 'reason' ? 2 : -1;
}
function kQuotaInfo(k) {
  return k === 'type' ? 0 : k === 'limit' ? 1 : k === 'used' ? 2 : -1;
}
function kHeartbeat(k) {
  return k === 'ts' ? 0 : -1;
}
function kErrorEvent(k) {
  return k === 'message' ? 0 : k === 'code' ? 1 : k === 'recoverable' ? 2 : -1;
}
function kPartialResult(k) {
  switch (k) {
    case 'path': return 0;
    case 'data': return 1;
    case 'error': return 2;
    case 'hasNext': return 3;
    default: return -1;
  }
}
function kToolProgress(k) {
  switch (k) {
    case 'callId': return 0;
    case 'phase': return 1;
    case 'bytesReceived': return 2;
    case 'totalBytes': return 3;
    case 'elapsedMs': return 4;
    default: return -1;
  }
}
function kDeadline(k) {
  return k === 'elapsedMs' ? 0 : k === 'budgetMs' ? 1 : -1;
}
function kCatalog(k) {
  return k === 'version' ? 0 : k === 'addedActions' ? 1 : k === 'removedActions' ? 2 : -1;
}
function kEnvelope(k) {
  switch (k) {
    case 'kid': return 0;
    case 'nonceB64': return 1;
    case 'ciphertextB64': return 2;
    case 'tagB64': return 3;
    default: return -1;
  }
}

// -- object rules (each returns OK / NORM / BAD) ------------------------------------
function checkErrorInfo(e) {
  if (!isObj(e) || typeof e.message !== 'string' || !isOptString(e.code) || !isOptString(e.stack)) return BAD;
  return inOrder(e, kErrorInfo) ? OK : NORM;
}

function checkErrorDetail(d) {
  if (!isObj(d)) return BAD;
  let keyIndex;
  switch (d.type) {
    case 'retry_info':
      if (!isNonNeg(d.retryDelayMs)) return BAD;
      keyIndex = kRetryInfo;
      break;
    case 'upstream_info':
      if (!Number.isSafeInteger(d.statusCode) || typeof d.url !== 'string') return BAD;
      keyIndex = kUpstreamInfo;
      break;
    case 'validation_info':
      if (typeof d.field !== 'string' || typeof d.reason !== 'string') return BAD;
      keyIndex = kValidationInfo;
      break;
    case 'quota_info':
      if (!isNonNeg(d.limit) || !isNonNeg(d.used)) return BAD;
      keyIndex = kQuotaInfo;
      break;
    default:
      return BAD;
  }
  return inOrder(d, keyIndex) ? OK : NORM;
}

function checkErrorPayload(e) {
  if (!isObj(e) || typeof e.code !== 'string' || typeof e.message !== 'string') return BAD;
  const path = e.path;
  if (path !== undefined && !isStringArray(path)) return BAD;
  let r = OK;
  const details = e.details;
  if (details !== undefined) {
    if (!isArray(details)) return BAD;
    for (let i = 0; i < details.length; i++) {
      const c = checkErrorDetail(details[i]);
      if (c === BAD) return BAD;
      r |= c;
    }
  }
  if (r === OK && !inOrder(e, kErrorPayload)) r = NORM;
  return r;
}

function checkStats(s) {
  if (!isObj(s) || !isNonNeg(s.durationMs) || !isNonNegInt(s.toolCallCount) || !isNonNegInt(s.stdoutBytes)) return BAD;
  return inOrder(s, kStats) ? OK : NORM;
}

function checkFinal(p) {
  if (typeof p.ok !== 'boolean') return BAD;
  let r = OK;
  let c;
  const error = p.error;
  if (error !== undefined) {
    if ((c = checkErrorInfo(error)) === BAD) return BAD;
    r |= c;
  }
  const errors = p.errors;
  if (errors !== undefined) {
    if (!isArray(errors)) return BAD;
    for (let i = 0; i < errors.length; i++) {
      if ((c = checkErrorPayload(errors[i])) === BAD) return BAD;
      r |= c;
    }
  }
  const stats = p.stats;
  if (stats !== undefined) {
    if ((c = checkStats(stats)) === BAD) return BAD;
    r |= c;
  }
  if (r === OK && !inOrder(p, kFinal)) r = NORM;
  return r;
}

// z.record(z.string(), z.unknown()): a plain object whose own enumerable keys
// are all strings (an enumerable symbol key fails the key schema). zod's output
// drops an own `__proto__` key, so such a record is not canonical.
function checkRecord(d) {
  if (!isPlainObject(d)) return BAD;
  const syms = Object.getOwnPropertySymbols(d);
  for (let i = 0; i < syms.length; i++) if (isEnumerable.call(d, syms[i])) return BAD;
  return hasOwn.call(d, '__proto__') && isEnumerable.call(d, '__proto__') ? NORM : OK;
}
// Same for values produced by JSON.parse (no symbols, always plain objects).
function checkJsonRecord(d) {
  if (!isObj(d)) return BAD;
  return hasOwn.call(d, '__proto__') ? NORM : OK;
}

function checkPayload(type, p, json) {
  if (!isObj(p)) return BAD;
  let r = OK;
  let keyIndex;
  switch (type) {
    case 'stdout':
      if (typeof p.chunk !== 'string') return BAD;
      keyIndex = kStdout;
      break;
    case 'log': {
      const level = p.level;
      if ((level !== 'info' && level !== 'debug' && level !== 'warn' && level !== 'error') || typeof p.message !== 'string') return BAD;
      const data = p.data;
      if (data !== undefined) {
        if ((r = json ? checkJsonRecord(data) : checkRecord(data)) === BAD) return BAD;
      }
      keyIndex = kLog;
      break;
    }
    case 'tool_call':
      if (!isCallId(p.callId) || !isNonEmptyString(p.toolName) || !('args' in p)) return BAD;
      keyIndex = kToolCall;
      break;
    case 'heartbeat':
      if (!isDatetime(p.ts)) return BAD;
      keyIndex = kHeartbeat;
      break;
    case 'tool_result_applied':
      if (!isCallId(p.callId)) return BAD;
      keyIndex = kCallId;
      break;
    case 'final':
      if ((r = checkFinal(p)) !== OK) return r;
      return OK; // order already checked
    case 'session_init': {
      if (typeof p.cancelUrl !== 'string' || !isDatetime(p.expiresAt) || !isOptString(p.replayUrl)) return BAD;
      const enc = p.encryption;
      if (!isObj(enc) || typeof enc.enabled !== 'boolean' || !isOptString(enc.keyId)) return BAD;
      if (!inOrder(enc, kEncryptionConfig)) r = NORM;
      keyIndex = kSessionInit;
      break;
    }
    case 'error':
      if (typeof p.message !== 'string' || !isOptString(p.code) || !isOptBool(p.recoverable)) return BAD;
      keyIndex = kErrorEvent;
      break;
    case 'partial_result': {
      if (!isStringArray(p.path) || typeof p.hasNext !== 'boolean') return BAD;
      const error = p.error;
      if (error !== undefined && (r = checkErrorPayload(error)) === BAD) return BAD;
      keyIndex = kPartialResult;
      break;
    }
    case 'tool_progress': {
      const phase = p.phase;
      if (
        !isCallId(p.callId) ||
        (phase !== 'receiving' && phase !== 'connecting' && phase !== 'sending' && phase !== 'processing') ||
        (p.bytesReceived !== undefined && !isNonNegInt(p.bytesReceived)) ||
        (p.totalBytes !== undefined && !isNonNegInt(p.totalBytes)) ||
        !isNonNeg(p.elapsedMs)
      ) {
        return BAD;
      }
      keyIndex = kToolProgress;
      break;
    }
    case 'deadline_exceeded':
      if (!isNonNeg(p.elapsedMs) || !isPositive(p.budgetMs)) return BAD;
      keyIndex = kDeadline;
      break;
    case 'catalog_changed':
      if (!isNonEmptyString(p.version) || !isStringArray(p.addedActions) || !isStringArray(p.removedActions)) return BAD;
      keyIndex = kCatalog;
      break;
    case 'enc':
      if (!isNonEmptyString(p.kid) || !isNonEmptyString(p.nonceB64) || !isNonEmptyString(p.ciphertextB64) || !isOptString(p.tagB64)) {
        return BAD;
      }
      keyIndex = kEnvelope;
      break;
    default:
      return BAD;
  }
  if (r === OK && !inOrder(p, keyIndex)) r = NORM;
  return r;
}

function check(v, json) {
  if (!isObj(v)) return BAD;
  const pv = v.protocolVersion;
  if ((pv !== 2 && pv !== 1) || !isSessionId(v.sessionId) || !isNonNegInt(v.seq)) return BAD;
  const r = checkPayload(v.type, v.payload, json);
  if (r !== OK) return r;
  return inOrder(v, kEvent) ? OK : NORM;
}

/** Verdict of parseStreamEventOrEncrypted(value): 0 valid and canonical, 1 valid (needs normalizeEvent), 2 invalid. */
function checkEvent(value) {
  return check(value, false);
}
/** checkEvent for a value produced by JSON.parse (skips the symbol/prototype checks JSON cannot need). */
function checkJsonEvent(value) {
  return check(value, true);
}

// -- normalization (valid input only) ---------------------------------------------
// Mirrors zod: a new object per schema'd object, keys in shape order, an
// optional key copied when present (`in`, even with the value undefined),
// unknown-typed values and strings kept as they are.
function copyArray(a) {
  const out = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

function normErrorInfo(e) {
  if (e === undefined) return undefined;
  const o = { message: e.message };
  if ('code' in e) o.code = e.code;
  if ('stack' in e) o.stack = e.stack;
  return o;
}

function normErrorDetail(d) {
  switch (d.type) {
    case 'retry_info':
      return { type: d.type, retryDelayMs: d.retryDelayMs };
    case 'upstream_info':
      return { type: d.type, statusCode: d.statusCode, url: d.url };
    case 'validation_info':
      return { type: d.type, field: d.field, reason: d.reason };
    default:
      return { type: d.type, limit: d.limit, used: d.used };
  }
}

function normErrorPayload(e) {
  if (e === undefined) return undefined;
  const o = { code: e.code, message: e.message };
  if ('path' in e) o.path = e.path === undefined ? undefined : copyArray(e.path);
  if ('details' in e) {
    const d = e.details;
    if (d === undefined) {
      o.details = undefined;
    } else {
      const out = new Array(d.length);
      for (let i = 0; i < d.length; i++) out[i] = normErrorDetail(d[i]);
      o.details = out;
    }
  }
  return o;
}

function normRecord(d) {
  if (d === undefined) return undefined;
  const o = {};
  const keys = Reflect.ownKeys(d);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === '__proto__' || !isEnumerable.call(d, k)) continue;
    o[k] = d[k];
  }
  return o;
}

function normPayload(type, p) {
  let o;
  switch (type) {
    case 'stdout':
      return { chunk: p.chunk };
    case 'log':
      o = { level: p.level, message: p.message };
      if ('data' in p) o.data = normRecord(p.data);
      return o;
    case 'tool_call':
      return { callId: p.callId, toolName: p.toolName, args: p.args };
    case 'tool_result_applied':
      return { callId: p.callId };
    case 'heartbeat':
      return { ts: p.ts };
    case 'final':
      o = { ok: p.ok };
      if ('result' in p) o.result = p.result;
      if ('error' in p) o.error = normErrorInfo(p.error);
      if ('errors' in p) {
        const errors = p.errors;
        if (errors === undefined) {
          o.errors = undefined;
        } else {
          const out = new Array(errors.length);
          for (let i = 0; i < errors.length; i++) out[i] = normErrorPayload(errors[i]);
          o.errors = out;
        }
      }
      if ('stats' in p) {
        const s = p.stats;
        o.stats = s === undefined ? undefined : { durationMs: s.durationMs, toolCallCount: s.toolCallCount, stdoutBytes: s.stdoutBytes };
      }
      return o;
    case 'session_init': {
      const e = p.encryption;
      const enc = { enabled: e.enabled };
      if ('keyId' in e) enc.keyId = e.keyId;
      o = { cancelUrl: p.cancelUrl, expiresAt: p.expiresAt, encryption: enc };
      if ('replayUrl' in p) o.replayUrl = p.replayUrl;
      return o;
    }
    case 'error':
      o = { message: p.message };
      if ('code' in p) o.code = p.code;
      if ('recoverable' in p) o.recoverable = p.recoverable;
      return o;
    case 'partial_result':
      o = { path: copyArray(p.path) };
      if ('data' in p) o.data = p.data;
      if ('error' in p) o.error = normErrorPayload(p.error);
      o.hasNext = p.hasNext;
      return o;
    case 'tool_progress':
      o = { callId: p.callId, phase: p.phase };
      if ('bytesReceived' in p) o.bytesReceived = p.bytesReceived;
      if ('totalBytes' in p) o.totalBytes = p.totalBytes;
      o.elapsedMs = p.elapsedMs;
      return o;
    case 'deadline_exceeded':
      return { elapsedMs: p.elapsedMs, budgetMs: p.budgetMs };
    case 'catalog_changed':
      return { version: p.version, addedActions: copyArray(p.addedActions), removedActions: copyArray(p.removedActions) };
    default: // 'enc'
      o = { kid: p.kid, nonceB64: p.nonceB64, ciphertextB64: p.ciphertextB64 };
      if ('tagB64' in p) o.tagB64 = p.tagB64;
      return o;
  }
}

/** zod's `data` for a value that checkEvent does not reject. */
function normalizeEvent(v) {
  const type = v.type;
  return {
    protocolVersion: v.protocolVersion,
    sessionId: v.sessionId,
    seq: v.seq,
    type,
    payload: normPayload(type, v.payload),
  };
}

let schemas = null;
function zodErrorMessage(value) {
  if (schemas === null) schemas = require('./schemas');
  const r = schemas.parseStreamEventOrEncrypted(value);
  // Cannot succeed when checkEvent says invalid; keep a message regardless.
  return r.success ? 'Invalid event' : r.error.message;
}

/**
 * parseStreamEventOrEncrypted without zod on the success path: on success
 * `data` is a fresh object equal (deepStrictEqual, same key order) to zod's
 * `data`; on failure `error` is zod's error message.
 */
function parseEventValue(value) {
  if (checkEvent(value) === BAD) return { success: false, error: zodErrorMessage(value) };
  return { success: true, data: normalizeEvent(value) };
}

/**
 * parseEventValue for a value produced by JSON.parse: a canonical value is
 * returned as it is (it equals zod's output), saving the copy.
 */
function parseJsonEventValue(value) {
  const c = checkJsonEvent(value);
  if (c === OK) return { success: true, data: value };
  if (c === NORM) return { success: true, data: normalizeEvent(value) };
  return { success: false, error: zodErrorMessage(value) };
}

module.exports = {
  checkEvent,
  checkJsonEvent,
  normalizeEvent,
  parseEventValue,
  parseJsonEventValue,
  zodErrorMessage,
  isDatetime,
  CHECK_OK: OK,
  CHECK_NORMALIZE: NORM,
  CHECK_INVALID: BAD,
};
