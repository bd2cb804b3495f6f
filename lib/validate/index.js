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
// The per-shape checks and normalizers are generated (lib/validate/rules-gen.js,
// from csrc/contracts/events.js: `npm run gen:contracts`); this module holds
// the primitive rules they call. lib/validate/schemas.js stays the exported API.

const OK = 0;
const NORM = 1;
const BAD = 2;

const hasOwn = Object.prototype.hasOwnProperty;
const isEnumerable = Object.prototype.propertyIsEnumerable;
const isArray = Array.isArray;
const createRules = require('./rules-gen');
const { EVENT_TYPE_CODE } = require('../contracts');

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
// keyIndex functions (generated) map a key to its position in the shape, -1 if unknown.
function inOrder(o, keyIndex) {
  let last = -1;
  for (const k in o) {
    const i = keyIndex(k);
    if (i <= last) return false;
    last = i;
  }
  return true;
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

// -- normalization helpers (valid input only) ---------------------------------------
// Mirror zod: a new object per schema'd object, keys in shape order, an
// optional key copied when present (`in`, even with the value undefined),
// unknown-typed values and strings kept as they are.
function copyArray(a) {
  const out = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

function mapArray(a, fn) {
  const out = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = fn(a[i]);
  return out;
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

// -- the generated rules ----------------------------------------------------------
const { checkEvent: checkRules, normalizeEvent, routable } = createRules({
  OK,
  NORM,
  BAD,
  EVENT_TYPE_CODE,
  isArray,
  isObj,
  isDatetime,
  isNonNeg,
  isPositive,
  isNonNegInt,
  isStringArray,
  checkRecord,
  checkJsonRecord,
  inOrder,
  copyArray,
  mapArray,
  normRecord,
});

/** Verdict of parseStreamEventOrEncrypted(value): 0 valid and canonical, 1 valid (needs normalizeEvent), 2 invalid. */
function checkEvent(value) {
  return checkRules(value, false);
}
/** checkEvent for a value produced by JSON.parse (skips the symbol/prototype checks JSON cannot need). */
function checkJsonEvent(value) {
  return checkRules(value, true);
}

// normalizeEvent(value): zod's `data` for a value that checkEvent does not reject.

/**
 * The checks of 'route-fields' mode (the C twin is routable() in
 * csrc/ndjson/framer.c): an object with protocolVersion 1 or 2, sessionId
 * "s_" + at least one character, seq a safe integer >= 0, a known type and
 * an object payload. Every valid event passes; an event that passes may
 * still have a payload that breaks its type's rule.
 */
const routableFields = routable;

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
  routableFields,
  parseEventValue,
  parseJsonEventValue,
  zodErrorMessage,
  isDatetime,
  CHECK_OK: OK,
  CHECK_NORMALIZE: NORM,
  CHECK_INVALID: BAD,
};
