'use strict';
// Browsers: StreamEncoder and StreamDecoder without node:stream (replaces
// lib/ndjson/codec.js through the package.json "browser" field). The same methods and
// events as in Node (write, end, encode, encodeBatch, 'message', 'invalid',
// 'data', 'finish', async iteration), and each object is also a WHATWG
// { readable, writable } pair, so `response.body.pipeThrough(new StreamDecoder())`
// works. Values reach the readable side only once it has been asked for.

const EventEmitter = require('./events');
const { createLineDecoder } = require('../ndjson/line-decoder');
const { checkOptions } = require('../options');
const { toBytes, wellFormed, preview } = require('../ndjson');
const { encodeLine, validateMode, parseNDJSON, stringifyNDJSON, NdjsonError, NdjsonErrorCode } = require('../ndjson/codec-common');

const utf8 = new TextEncoder();

/**
 * The WHATWG side of an encoder or decoder: a readable fed by `push`, and a
 * writable whose writes wait while the readable's queue is full.
 */
class WebSide {
  constructor(owner, highWaterMark) {
    this.owner = owner;
    this.ctl = null;
    this.waiters = [];
    this.readable = new ReadableStream(
      {
        start: (ctl) => {
          this.ctl = ctl;
        },
        pull: () => this._wake(),
        cancel: () => {
          this.ctl = null;
          this._wake();
        },
      },
      { highWaterMark },
    );
    this.writable = new WritableStream({
      write: (chunk) => {
        owner.write(chunk);
        return this._room();
      },
      close: () => owner.end(),
      abort: (reason) => owner._abort(reason),
    });
  }

  push(v) {
    if (this.ctl) this.ctl.enqueue(v);
  }

  close() {
    if (this.ctl) this.ctl.close();
    this.ctl = null;
  }

  error(err) {
    if (this.ctl) this.ctl.error(err);
    this.ctl = null;
  }

  _room() {
    if (!this.ctl || this.ctl.desiredSize > 0) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  _wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * What the encoder and the decoder share: an event emitter that is also a
 * WHATWG { readable, writable } pair and an async iterable of its output
 * (from the moment the readable side is first used).
 */
class WebPair extends EventEmitter {
  constructor(highWaterMark) {
    super();
    this._hwm = highWaterMark;
    this._web = null;
    this.writableEnded = false;
  }

  _abort(reason) {
    this.writableEnded = true;
    if (this._web) this._web.error(reason);
  }

  _side() {
    if (!this._web) this._web = new WebSide(this, this._hwm);
    return this._web;
  }

  /** ReadableStream of the output: NDJSON lines (encoder) or decoded values (decoder). */
  get readable() {
    return this._side().readable;
  }

  /** WritableStream of the input: messages (encoder) or NDJSON chunks, strings or bytes (decoder). */
  get writable() {
    return this._side().writable;
  }

  /** The output written from now on, as an async iterator. */
  [Symbol.asyncIterator]() {
    return iterate(this.readable);
  }
}

/** Objects in, NDJSON text out: 'data' per line, or the readable side. */
class StreamEncoder extends WebPair {
  constructor(options) {
    super(checkOptions('StreamEncoder', options, 'browser').highWaterMark);
  }

  encode(message) {
    return encodeLine(message);
  }

  encodeBatch(messages) {
    return stringifyNDJSON(messages);
  }

  /** Encodes one message: emits 'data' with its line. Throws a coded NdjsonError. */
  write(message) {
    if (this.writableEnded) throw new NdjsonError('write after end', 'ERR_STREAM_WRITE_AFTER_END');
    const line = encodeLine(message);
    this.emit('data', line);
    if (this._web) this._web.push(line);
    return true;
  }

  end(message) {
    if (message !== undefined) this.write(message);
    if (this.writableEnded) return this;
    this.writableEnded = true;
    if (this._web) this._web.close();
    this.emit('end');
    this.emit('finish');
    return this;
  }

}

/**
 * NDJSON text or bytes in (string, Uint8Array, ArrayBuffer); 'message' per
 * value and 'invalid' ({ line, offset, error, content, code }) per bad line.
 * Options: maxLineBytes (default 16 MiB), validate: 'event', highWaterMark
 * (values queued on the readable side before writes wait, default 1024).
 */
class StreamDecoder extends WebPair {
  constructor(options) {
    const { maxLineBytes, validate, highWaterMark } = checkOptions('StreamDecoder', options, 'browser');
    super(highWaterMark);
    this._decoder = createLineDecoder(validateMode(validate), maxLineBytes);
    this.writableFinished = false;
    const self = this;
    this._sink = {
      value(v) {
        self.emit('message', v);
        if (self._web) self._web.push(v);
      },
      invalid(code, error, line, offset, text) {
        self.emit('invalid', { line, offset, error, content: preview(text), code });
      },
    };
  }

  /** Decodes a chunk at once: 'message' / 'invalid' events fire before write() returns. */
  write(chunk) {
    if (this.writableEnded) throw new NdjsonError('write after end', 'ERR_STREAM_WRITE_AFTER_END');
    if (typeof chunk === 'string' && !wellFormed(chunk)) chunk = chunk.toWellFormed();
    this._decoder.write(toBytes(typeof chunk === 'string' ? utf8.encode(chunk) : chunk), this._sink);
    return true;
  }

  /** Ends the input: a last line without '\n' is decoded, then 'finish'. */
  end(chunk) {
    if (chunk !== undefined) this.write(chunk);
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this._decoder.end(this._sink);
    this.writableFinished = true;
    if (this._web) this._web.close();
    this.emit('finish');
    return this;
  }

  /** 1-based number of the last line seen. */
  get lineNumber() {
    return this._decoder.lineNumber();
  }
}

async function* iterate(readable) {
  const reader = readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

module.exports = { StreamEncoder, StreamDecoder, parseNDJSON, stringifyNDJSON, NdjsonError, NdjsonErrorCode };
