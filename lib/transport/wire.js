'use strict';
// The one place where this package's streaming transport turns values into
// NDJSON lines and lines back into values. Lines are produced once per
// message (and kept as strings for replay), never re-serialized.
const { Buffer } = require('../platform/buffer');

const { serializeEvent } = require('../ndjson');
const { WireError } = require('../errors');

/** One value to one line (without the trailing '\n'). Throws a coded error. */
function encodeLine(value) {
  let s;
  try {
    s = serializeEvent(value);
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
 * lines, trimming like docs/PROTOCOL.md section 1 and skipping blank ones.
 */
function frameLines(data) {
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
  const parts = text.split('\n');
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    let p = parts[i];
    // Fast path: our own lines start with '{' and end with '}'.
    if (p.charCodeAt(0) !== 123 || p.charCodeAt(p.length - 1) !== 125) p = p.trim();
    if (p.length) out.push(p);
  }
  return out;
}

module.exports = { encodeLine, decodeLine, byteLength, frameLines, WireError };
