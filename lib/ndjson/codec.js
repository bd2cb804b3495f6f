'use strict';
// The seed README's NDJSON API: StreamEncoder, StreamDecoder, parseNDJSON,
// stringifyNDJSON. StreamDecoder is a Writable (bytes or text in) that emits
// 'message' for every value and 'invalid' for every bad line; it never throws
// on bad input and never stalls when nobody iterates it.

const { Transform, Writable } = require('node:stream');
const { createLineDecoder } = require('./line-decoder');
const { toBytes, wellFormed, preview } = require('.');
const { checkOptions } = require('../options');
const { encodeLine, validateMode, parseNDJSON, stringifyNDJSON, NdjsonError, NdjsonErrorCode: ERR } = require('./codec-common');

/** Objects in, NDJSON bytes out. `encode(message)` returns one line with its '\n'. */
class StreamEncoder extends Transform {
  constructor(options) {
    super({ ...checkOptions('StreamEncoder', options), writableObjectMode: true, readableObjectMode: false });
  }

  encode(message) {
    return encodeLine(message);
  }

  /** Many messages as one string of lines. */
  encodeBatch(messages) {
    return stringifyNDJSON(messages);
  }

  _transform(message, _enc, cb) {
    let line;
    try {
      line = encodeLine(message);
    } catch (err) {
      cb(err);
      return;
    }
    cb(null, line);
  }

  _writev(chunks, cb) {
    let out = '';
    try {
      const messages = new Array(chunks.length);
      for (let i = 0; i < chunks.length; i++) messages[i] = chunks[i].chunk;
      out = stringifyNDJSON(messages);
    } catch (err) {
      cb(err);
      return;
    }
    this.push(out);
    cb();
  }
}

// Forwards decoded values to the decoder's events and iterator queue.
class DecoderSink {
  constructor(owner) {
    this.owner = owner;
  }
  value(v) {
    const o = this.owner;
    // One 'message' listener (the usual case) is called directly: emit()'s
    // generic path costs more than many small values' decoding.
    const l = o._events.message;
    if (typeof l === 'function') l.call(o, v);
    else if (l !== undefined) o.emit('message', v);
    if (o._queue !== null) o._queue.push(v);
  }
  invalid(code, error, line, offset, text) {
    this.owner.emit('invalid', { line, offset, error, content: preview(text), code });
  }
}

/**
 * NDJSON bytes (Buffer, Uint8Array or string) in; 'message' per value and
 * 'invalid' ({ line, offset, error, content, code }) per bad line out.
 * Options: maxLineBytes (default 16 MiB), validate: 'event'.
 */
class StreamDecoder extends Writable {
  constructor(options) {
    const { maxLineBytes, validate, ...rest } = checkOptions('StreamDecoder', options);
    super({ ...rest, decodeStrings: false, objectMode: false });
    this._decoder = createLineDecoder(validateMode(validate), maxLineBytes);
    this._sink = new DecoderSink(this);
    this._queue = null; // values for an active async iterator
    this._wake = null;
    this._resume = null;
    this._queueLimit = 1024;
  }

  _write(chunk, encoding, cb) {
    try {
      if (typeof chunk === 'string') {
        if (!wellFormed(chunk)) chunk = chunk.toWellFormed();
        chunk = Buffer.from(chunk, encoding === 'buffer' ? 'utf8' : encoding);
      }
      this._decoder.write(toBytes(chunk), this._sink);
    } catch (err) {
      // Listener errors (from 'message' handlers) end the stream with that error.
      cb(err);
      return;
    }
    this._afterWrite(cb);
  }

  _final(cb) {
    try {
      this._decoder.end(this._sink);
    } catch (err) {
      cb(err);
      return;
    }
    cb();
  }

  _afterWrite(cb) {
    if (this._wake) {
      const w = this._wake;
      this._wake = null;
      w();
    }
    // With an iterator attached, hold the writer while its queue is full.
    if (this._queue !== null && this._queue.length >= this._queueLimit) this._resume = cb;
    else cb();
  }

  /** 1-based number of the last line seen. */
  get lineNumber() {
    return this._decoder.lineNumber();
  }

  async *[Symbol.asyncIterator]() {
    if (this._queue !== null) throw new Error('StreamDecoder: only one async iterator at a time');
    const queue = (this._queue = []);
    let done = false;
    let failure = null;
    const onFinish = () => {
      done = true;
      if (this._wake) this._wake();
    };
    const onError = (err) => {
      failure = err;
      onFinish();
    };
    this.once('finish', onFinish);
    this.once('error', onError);
    if (this.writableFinished) done = true;
    try {
      let i = 0;
      for (;;) {
        while (i < queue.length) {
          const v = queue[i++];
          if (i === queue.length || i > 4096) {
            queue.splice(0, i);
            i = 0;
            if (this._resume) {
              const r = this._resume;
              this._resume = null;
              r();
            }
          }
          yield v;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise((resolve) => {
          this._wake = resolve;
        });
      }
    } finally {
      this.off('finish', onFinish);
      this.off('error', onError);
      this._queue = null;
      this._wake = null;
      if (this._resume) {
        const r = this._resume;
        this._resume = null;
        r();
      }
    }
  }
}

module.exports = { StreamEncoder, StreamDecoder, parseNDJSON, stringifyNDJSON, NdjsonError, NdjsonErrorCode: ERR };
