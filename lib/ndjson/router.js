'use strict';
// EventRouter: the broker's fast path. Each chunk of NDJSON bytes becomes
// RoutedEvent objects carrying type, seq and sessionId plus the raw line,
// without building the event object (its payload is parsed on access).
// By default (validate: 'fields') only the routing fields are checked here
// (protocolVersion, sessionId, seq, type, and that payload is an object);
// the rest of the line when `event` or `payload` is read. validate: 'event'
// checks every line fully first. Bad lines go to 'invalid'.

const { EventEmitter } = require('../platform/events');
const { createLineDecoder } = require('./line-decoder');
const { toBytes, preview } = require('.');
const { checkOptions } = require('../options');

class RouterSink {
  constructor(owner) {
    this.owner = owner;
    this.out = null;
  }
  route(r) {
    this.out.push(r);
  }
  value() {}
  invalid(code, error, line, offset, text) {
    const info = { line, offset, error, content: preview(text), code };
    if (this.owner.listenerCount('invalid') > 0) this.owner.emit('invalid', info);
    else this.owner.invalid.push(info);
  }
}

class EventRouter extends EventEmitter {
  constructor(options) {
    super();
    const o = checkOptions('EventRouter', options);
    this._decoder = createLineDecoder(o.validate === 'event' ? 'route' : 'route-fields', o.maxLineBytes);
    this._sink = new RouterSink(this);
    /** Bad lines seen while no 'invalid' listener was attached. */
    this.invalid = [];
  }

  /** Routes the complete lines of a chunk; returns their RoutedEvents in order. */
  push(chunk) {
    const out = (this._sink.out = []);
    this._decoder.write(toBytes(chunk), this._sink);
    this._sink.out = null;
    return out;
  }

  /** Routes a last line without newline, at the end of the input. */
  end() {
    const out = (this._sink.out = []);
    this._decoder.end(this._sink);
    this._sink.out = null;
    return out;
  }

  get lineNumber() {
    return this._decoder.lineNumber();
  }
}

/** Routes a whole NDJSON text or buffer at once. */
function routeNDJSON(input, options) {
  const { onInvalid, ...routerOptions } = checkOptions('routeNDJSON', options);
  const r = new EventRouter(routerOptions);
  if (onInvalid !== undefined) r.on('invalid', onInvalid);
  const out = r.push(input);
  for (const e of r.end()) out.push(e);
  return out;
}

module.exports = { EventRouter, routeNDJSON };
