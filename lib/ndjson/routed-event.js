'use strict';
// What EventRouter yields per line: the routing fields, read without building
// the event object, and the raw line. The event itself is parsed only when
// `event` or `payload` is read (then once, and cached).

const { normalizeEvent, checkJsonEvent, zodErrorMessage, CHECK_OK, CHECK_INVALID } = require('../validate');
const { NdjsonError } = require('../errors');

function invalidEvent(message, code, r) {
  return new NdjsonError(`NDJSON line ${r.line} (byte ${r.offset}): ${message}`, code, { line: r.line, offset: r.offset });
}

const hasBuffer = typeof Buffer === 'function';
const utf8 = typeof TextDecoder === 'function' ? new TextDecoder('utf-8') : null;

class RoutedEvent {
  constructor(type, seq, sessionId, buf, start, end, line, offset) {
    /** Event type, e.g. 'stdout' or 'enc'. */
    this.type = type;
    /** Sequence number. */
    this.seq = seq;
    /** Session id. */
    this.sessionId = sessionId;
    /** 1-based line number in the stream. */
    this.line = line;
    /** Byte offset of the line in the stream. */
    this.offset = offset;
    this._buf = buf;
    this._start = start;
    this._end = end;
    this._event = undefined;
  }

  /** The line's bytes (trimmed, no newline): a view, not a copy. */
  get bytes() {
    return this._buf.subarray(this._start, this._end);
  }

  /** The line as text. */
  get text() {
    const b = this._buf;
    if (hasBuffer && b instanceof Buffer) return b.toString('utf8', this._start, this._end);
    return utf8.decode(b.subarray(this._start, this._end));
  }

  /**
   * The validated event (as parseLine's data), parsed on first access. With
   * EventRouter's default validate: 'fields', this is where the rest of the
   * line is checked: a line that is not valid JSON or not a valid event
   * throws an NdjsonError (code ERR_NDJSON_PARSE or ERR_NDJSON_INVALID_EVENT).
   */
  get event() {
    if (this._event === undefined) {
      let v;
      try {
        v = JSON.parse(this.text);
      } catch (err) {
        throw invalidEvent(`JSON parse error: ${err && err.message}`, 'ERR_NDJSON_PARSE', this);
      }
      const verdict = checkJsonEvent(v);
      if (verdict === CHECK_INVALID) {
        throw invalidEvent(`Validation error: ${zodErrorMessage(v)}`, 'ERR_NDJSON_INVALID_EVENT', this);
      }
      this._event = verdict === CHECK_OK ? v : normalizeEvent(v);
    }
    return this._event;
  }

  /** The event's payload, parsed on first access. */
  get payload() {
    return this.event.payload;
  }

  toJSON() {
    return this.event;
  }
}

module.exports = { RoutedEvent };
