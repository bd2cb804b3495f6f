'use strict';
// The NDJSON codec's parts that need no stream class: one message to one
// line, whole-document parse and stringify, the validate option. Shared by
// lib/ndjson/codec.js (Node streams) and lib/browser/codec.js (WHATWG streams).

const { NdjsonError } = require('../errors');
const { createLineDecoder, ERR } = require('./line-decoder');
const { toBytes, wellFormed, preview, stringifyLines } = require('.');
const { checkOptions } = require('../options');

function encodeLine(message) {
  let s;
  try {
    s = JSON.stringify(message);
  } catch (err) {
    throw new NdjsonError(`cannot encode message: ${err.message}`, 'ERR_NDJSON_ENCODE');
  }
  if (s === undefined) {
    throw new NdjsonError(`cannot encode a value of type ${typeof message} as JSON`, 'ERR_NDJSON_ENCODE');
  }
  return s + '\n';
}

/** The validate option (checked by lib/options.js) as a line decoder mode. */
function validateMode(v) {
  return v === 'event' || v === true ? 'event' : 'json';
}

class Collector {
  constructor(onInvalid) {
    this.values = [];
    this.onInvalid = onInvalid;
  }
  value(v) {
    this.values.push(v);
  }
  invalid(code, error, line, offset, text) {
    const info = { line, offset, error, content: preview(text), code };
    if (this.onInvalid) {
      this.onInvalid(info);
      return;
    }
    throw new NdjsonError(`NDJSON line ${line} (byte ${offset}): ${error}`, code, info);
  }
}

/**
 * Parses NDJSON text or bytes into values. Throws an NdjsonError naming the
 * line on the first bad line, unless `options.onInvalid` is given: then bad
 * lines go to it and parsing continues. Options: validate: 'event', maxLineBytes.
 */
function parseNDJSON(input, options) {
  const o = checkOptions('parseNDJSON', options);
  const c = new Collector(o.onInvalid === undefined ? null : o.onInvalid);
  const d = createLineDecoder(validateMode(o.validate), o.maxLineBytes);
  if (typeof input === 'string' && !wellFormed(input)) input = input.toWellFormed();
  d.write(toBytes(input), c);
  d.end(c);
  return c.values;
}

/** Values to NDJSON: each line ends in '\n'. */
function stringifyNDJSON(values) {
  if (!Array.isArray(values)) throw new TypeError('stringifyNDJSON: expected an array of values');
  const fast = stringifyLines(values, true);
  if (fast !== null) return fast;
  let out = '';
  for (let i = 0; i < values.length; i++) out += encodeLine(values[i]);
  return out;
}

module.exports = { encodeLine, validateMode, parseNDJSON, stringifyNDJSON, NdjsonError, NdjsonErrorCode: ERR };
