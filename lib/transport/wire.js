'use strict';
// The one place where this package's streaming transport turns values into
// NDJSON lines and lines back into values. Lines are produced once per
// message (and kept as strings for replay), never re-serialized.
const { Buffer } = require('../platform/buffer');

const { serializeEvent, splitLines } = require('../ndjson');
const { WireError } = require('../errors');

// Strings JSON.stringify would write other than as "<the string>": control
// characters, '"', '\\' and surrogates (lone ones are escaped; pairs are
// left to JSON.stringify too, for simplicity).
const ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
const OBJECT = Object.prototype;
const ARRAY = Array.prototype;

function quote(s) {
  return ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * JSON.stringify(v) for the common shapes of events and messages (plain
 * objects and arrays of strings, finite or not numbers, booleans and null,
 * nested a few levels), byte for byte, or undefined when JSON.stringify must
 * decide (toJSON, other prototypes, BigInt, deep or cyclic values...). On
 * Node 20 JSON.stringify scans strings one character at a time; a regular
 * expression finds that a string needs no escaping about 3x faster, which is
 * most of the cost of a 1 KiB event (test/transport/wire.test.js compares the two on
 * random values).
 */
function stringifyFlat(v, depth) {
  if (depth > 4 || typeof v.toJSON === 'function') return undefined;
  const proto = Object.getPrototypeOf(v);
  let out;
  if (proto === ARRAY && Array.isArray(v)) {
    out = '[';
    for (let i = 0; i < v.length; i++) {
      const t = member(v[i], depth);
      if (t === undefined) return undefined;
      out += (i ? ',' : '') + (t === null ? 'null' : t);
    }
    return out + ']';
  }
  if (proto !== OBJECT && proto !== null) return undefined;
  out = '{';
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const t = member(v[k], depth);
    if (t === undefined) return undefined;
    if (t === null) continue; // undefined, a function or a symbol: left out
    out += (out.length > 1 ? ',' : '') + quote(k) + ':' + t;
  }
  return out + '}';
}

// One member's JSON text; null: omitted (in an array: "null"); undefined: give up.
function member(x, depth) {
  switch (typeof x) {
    case 'string':
      return quote(x);
    case 'number':
      return Number.isFinite(x) ? String(x) : 'null';
    case 'boolean':
      return x ? 'true' : 'false';
    case 'object':
      return x === null ? 'null' : stringifyFlat(x, depth + 1);
    case 'undefined':
    case 'function':
    case 'symbol':
      return null;
    default:
      return undefined; // bigint: JSON.stringify throws
  }
}

/** JSON.stringify(value), faster for the usual shapes (see stringifyFlat). */
function stringify(value) {
  if (typeof value === 'string') return quote(value);
  if (value !== null && typeof value === 'object') {
    const s = stringifyFlat(value, 0);
    if (s !== undefined) return s;
  }
  return serializeEvent(value);
}

/** One value to one line (without the trailing '\n'). Throws a coded error. */
function encodeLine(value) {
  let s;
  try {
    s = stringify(value);
  } catch (err) {
    throw new WireError(`cannot serialize message: ${err && err.message}`, 'ERR_STREAM_ENCODE');
  }
  if (typeof s !== 'string') throw new WireError(`cannot serialize a value of type ${typeof value}`, 'ERR_STREAM_ENCODE');
  if (s.indexOf('\n') !== -1) throw new WireError('serialized message contains a newline', 'ERR_STREAM_ENCODE');
  return s;
}

/** One line to a value, or undefined (with onError called) when it is not JSON. */
function decodeLine(line) {
  return JSON.parse(line);
}

/** UTF-8 byte length of a string, without allocating. */
function byteLength(s) {
  return typeof Buffer === 'function' ? Buffer.byteLength(s, 'utf8') : new TextEncoder().encode(s).length;
}

/**
 * Splits one transport frame (string or bytes holding whole lines) into
 * lines, trimming like docs/PROTOCOL.md section 1 and skipping blank ones:
 * the package's one line splitter for whole texts (lib/ndjson/index.js).
 */
const frameLines = splitLines;

module.exports = { encodeLine, decodeLine, byteLength, frameLines, stringify };
