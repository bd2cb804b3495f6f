'use strict';
// The reference's NDJSON API (docs/PROTOCOL.md sections 1-2), same names and
// results: serializeEvent, serializeEvents, parseLine, parseLines,
// NdjsonStreamParser, createNdjsonParseStream, createNdjsonSerializeStream,
// parseNdjsonStream. Readers run on the shared line decoder (native when
// available), with the line cap this project adds.

const { native } = require('../binding');
const { createLineDecoder } = require('./line-decoder');
const { parseJsonEventValue } = require('../validate');
const { NdjsonError } = require('../errors');
const { checkOptions } = require('../options');

const hasBuffer = typeof Buffer === 'function';
const encoder = typeof TextEncoder === 'function' ? new TextEncoder() : null;

/** Encodes a string chunk to bytes for the line decoder. */
function toBytes(chunk) {
  if (typeof chunk === 'string') return hasBuffer ? Buffer.from(chunk, 'utf8') : encoder.encode(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError('expected a string, Buffer, Uint8Array or ArrayBuffer chunk');
}

/** A string holding lone surrogates cannot go through UTF-8 unchanged. */
function wellFormed(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !/[\uD800-\uDFFF]/.test(s);
}

/**
 * The NDJSON lines of a whole message (string or bytes), framed by the
 * package's one rule (docs/PROTOCOL.md section 1, as the line decoder does):
 * UTF-8 decoded with replacement, split on '\n', each line trimmed like
 * String.prototype.trim, blank lines dropped. For callers that need the line
 * texts themselves (the transports' frames); readers of events use the line
 * decoder. Never throws on bad bytes.
 */
function splitLines(data) {
  let text;
  if (typeof data === 'string') text = data;
  else if (hasBuffer) text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(toBytes(data)).toString('utf8');
  else text = new TextDecoder('utf-8').decode(toBytes(data));
  const parts = text.split('\n');
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    let p = parts[i];
    // Our own lines start with '{' and end with '}': nothing to trim.
    if (p.charCodeAt(0) !== 123 || p.charCodeAt(p.length - 1) !== 125) p = p.trim();
    if (p.length) out.push(p);
  }
  return out;
}

function preview(text) {
  return text.length > 100 ? text.slice(0, 100) + '...' : text;
}

// Encoding many values: one JSON.stringify of a whole array costs about half
// of one call per element, so arrays of plain objects are stringified a
// chunk at a time and each chunk's array text is split into lines
// (top-level commas become '\n') in C. Chunks keep the strings small (young
// generation, a small reused C buffer); the result is a rope of them. It is
// the per-element join exactly: the fast path is taken only when every
// element is a non-null object without a toJSON method (in an array,
// undefined/functions/symbols would become "null" and toJSON would see the
// index as its key), and any error sends the values down the per-element
// path, which throws what it always threw.
const joinLinesNative = native && typeof native.joinLines === 'function' ? native.joinLines : null;
const JOIN_MIN = 16; // below this the per-element calls cost less than the call into C
const JOIN_CHUNK = 256;

function joinable(values) {
  const n = values.length;
  if (n < JOIN_MIN) return false;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    // `in` first: objects built by spreading each get a map of their own,
    // and a megamorphic property read costs several times an `in` check.
    if (typeof v !== 'object' || v === null || ('toJSON' in v && typeof v.toJSON === 'function')) return false;
  }
  return true;
}

/**
 * The NDJSON lines of an array (each followed by '\n' when `newline`), or
 * null when the caller must encode element by element. Never throws.
 */
function stringifyLines(values, newline) {
  if (joinLinesNative === null || !Array.isArray(values) || !joinable(values)) return null;
  try {
    const n = values.length;
    const chunk = new Array(Math.min(n, JOIN_CHUNK)); // a plain array: no species, no own toJSON
    if ('toJSON' in chunk) return null; // Array.prototype.toJSON, if anyone set one
    let out = '';
    for (let i = 0; i < n; i += JOIN_CHUNK) {
      const m = Math.min(JOIN_CHUNK, n - i);
      if (m < chunk.length) chunk.length = m;
      for (let j = 0; j < m; j++) chunk[j] = values[i + j];
      const part = joinLinesNative(JSON.stringify(chunk), newline);
      if (typeof part !== 'string') return null;
      out = i === 0 ? part : newline ? out + part : out + '\n' + part;
    }
    return out;
  } catch {
    return null;
  }
}

function serializeEvent(event) {
  return JSON.stringify(event);
}

// As the reference's events.map(serializeEvent).join('\n'): holes and
// values JSON cannot encode (undefined, functions) give empty lines.
function serializeEvents(events) {
  if (!Array.isArray(events)) return events.map(serializeEvent).join('\n');
  const fast = stringifyLines(events, false);
  if (fast !== null) return fast;
  let out = ''; // a little faster than map + join
  for (let i = 0; i < events.length; i++) {
    const s = JSON.stringify(events[i]);
    out += (i ? '\n' : '') + (s === undefined ? '' : s);
  }
  return out;
}

function parseLine(line) {
  const trimmed = String(line).trim();
  if (trimmed.length === 0) return { success: false, error: 'Empty line', line };
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { success: false, error: `JSON parse error: ${err instanceof Error ? err.message : String(err)}`, line };
  }
  const r = parseJsonEventValue(value);
  if (r.success) return r;
  return { success: false, error: `Validation error: ${r.error}`, line };
}

// A sink collecting events and {line, error, content} errors.
class Collect {
  constructor() {
    this.events = [];
    this.errors = [];
  }
  value(v) {
    this.events.push(v);
  }
  invalid(code, error, line, offset, text) {
    this.errors.push({ line, error, content: preview(text) });
  }
}

function parseLines(data) {
  data = String(data);
  if (!wellFormed(data)) return parseLinesText(data);
  const sink = new Collect();
  const d = createLineDecoder('event', 0xffffffff);
  d.write(toBytes(data), sink);
  d.end(sink);
  return { events: sink.events, errors: sink.errors };
}

// Strings with lone surrogates keep them: decided line by line in JS.
function parseLinesText(data) {
  const lines = data.split('\n');
  const events = [];
  const errors = [];
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed.length === 0) continue;
    const r = parseLine(trimmed);
    if (r.success) events.push(r.data);
    else errors.push({ line: i + 1, error: r.error, content: preview(trimmed) });
  }
  return { events, errors };
}

// Events to onEvent; bad lines to onError, or (without one) kept in `failed`.
class ParserSink {
  constructor(onEvent, onError) {
    this.onEvent = onEvent;
    this.onError = onError;
    this.failed = null;
  }
  value(v) {
    this.onEvent(v);
  }
  invalid(code, error, line, offset, text) {
    const info = { line, error, content: preview(text), code, offset };
    if (this.onError) this.onError(info);
    else (this.failed || (this.failed = [])).push(info);
  }
  /** Without onError: throws the bad lines of the last chunk, once all its events are delivered. */
  throwFailed() {
    const bad = this.failed;
    if (bad === null) return;
    this.failed = null;
    const first = bad[0];
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more bad line${bad.length > 2 ? 's' : ''})` : '';
    throw new NdjsonError(`NdjsonStreamParser: NDJSON line ${first.line}: ${first.error}${more}; give options.onError to receive bad lines`, first.code, { ...first, errors: bad });
  }
}

class NdjsonStreamParser {
  /**
   * @param {{ onEvent: Function, onError?: Function, maxLineBytes?: number }} options
   * Without onError, feed() and flush() throw an NdjsonError for the bad
   * lines of the chunk (as the reference throws there), after every good
   * line of the chunk has reached onEvent; the parser can be fed on.
   */
  constructor(options) {
    const o = checkOptions('NdjsonStreamParser', options);
    this._decoder = createLineDecoder('event', o.maxLineBytes);
    this._sink = new ParserSink(o.onEvent, o.onError === undefined ? null : o.onError);
  }

  /** Feeds a chunk (string or bytes); complete lines are parsed at once. */
  feed(chunk) {
    this._sink.failed = null;
    if (typeof chunk === 'string') this._decoder.writeString(chunk, this._sink);
    else this._decoder.write(toBytes(chunk), this._sink);
    this._sink.throwFailed();
  }

  /** Parses what is left (a last line without newline). */
  flush() {
    this._sink.failed = null;
    this._decoder.end(this._sink);
    this._sink.throwFailed();
  }

  reset() {
    this._decoder.reset();
  }

  getLineNumber() {
    return this._decoder.lineNumber();
  }

  hasPendingData() {
    return this._decoder.hasPending();
  }
}

/**
 * A TransformStream of text (or bytes) to events. Invalid lines are dropped
 * like the reference does, unless `options.onError` is given to receive them.
 */
function createNdjsonParseStream(options) {
  const o = checkOptions('createNdjsonParseStream', options);
  let parser;
  return new TransformStream({
    start(controller) {
      parser = new NdjsonStreamParser({ onEvent: (e) => controller.enqueue(e), onError: o.onError || dropLine, maxLineBytes: o.maxLineBytes });
    },
    transform(chunk) {
      parser.feed(chunk);
    },
    flush() {
      parser.flush();
    },
  });
}

/** The reference's stream readers drop bad lines silently. */
function dropLine() {}

function createNdjsonSerializeStream() {
  return new TransformStream({
    transform(event, controller) {
      controller.enqueue(JSON.stringify(event) + '\n');
    },
  });
}

/** Async generator of the events of a ReadableStream of bytes. */
async function* parseNdjsonStream(stream, options) {
  const o = checkOptions('parseNdjsonStream', options);
  const reader = stream.getReader();
  const queue = [];
  const sink = new ParserSink((e) => queue.push(e), o.onError || dropLine);
  const decoder = createLineDecoder('event', o.maxLineBytes);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) decoder.end(sink);
      else decoder.write(toBytes(value), sink);
      for (let i = 0; i < queue.length; i++) yield queue[i];
      queue.length = 0;
      if (done) break;
    }
  } finally {
    reader.releaseLock();
  }
}

const api = {
  serializeEvent,
  serializeEvents,
  parseLine,
  parseLines,
  NdjsonStreamParser,
  createNdjsonParseStream,
  createNdjsonSerializeStream,
  parseNdjsonStream,
};

module.exports = { ...api, api, toBytes, wellFormed, preview, stringifyLines, splitLines };
