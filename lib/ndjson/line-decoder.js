'use strict';
// The NDJSON line decoder behind every reader in this package (StreamDecoder,
// NdjsonStreamParser, parseLines, EventRouter...). Two backends with one
// behaviour (docs/PROTOCOL.md section 1):
//   - native: the C framer (csrc/ndjson/framer.c) - one call per chunk. For
//     values (json/event) C parses nothing: it frames the lines over the
//     bytes in one pass and checks that each bracketed line closes exactly
//     at its end (csrc/ndjson/scan.c), so the chunk's lines come back as ONE
//     JSON array text with one element per line, parsed with one JSON.parse;
//     events are then validated here (as the JS backend does). Routing reads
//     the routing fields in the same pass, in place. Only rare lines
//     (invalid, too long, fields C cannot vouch for) are decided one by one;
//   - js: the same framing written in JavaScript.
// Both report to a sink: sink.value(v), sink.invalid(code, error, line,
// offset, text), sink.route(RoutedEvent).

const { native } = require('../binding');
const { checkJsonEvent, normalizeEvent, zodErrorMessage, routableFields } = require('../validate');
const { RoutedEvent } = require('./routed-event');
// The record layout, kinds and modes shared with csrc/ndjson (generated from
// csrc/contracts/codes.js).
const { EVENT_TYPE_CODES, FRAMER_MODE, REC_KIND: REC, RECS, REC_SLOT } = require('../contracts');

// route: lines fully validated as events; 'route-fields': only the routing
// fields are checked (see routableFields), the payload when it is read.
const MODE = { json: 0, event: 1, route: 2, 'route-fields': 3 };
// The framer mode (csrc/ndjson/framer.h) the native backend runs for each:
// json and event lines are only syntax-checked in C (SCAN, no parse: the
// values come from one JSON.parse of the batch array, and events are then
// validated here, as in the JS backend); route-fields reads the routing
// fields in the same one-pass scan (ROUTE_SCAN); route validates in C.
const NATIVE_MODE = [FRAMER_MODE.SCAN, FRAMER_MODE.SCAN, FRAMER_MODE.ROUTE, FRAMER_MODE.ROUTE_SCAN];
const DEFAULT_MAX_LINE_BYTES = require('../options').defaults('EventRouter').maxLineBytes; // 16 MiB

const ERR = {
  PARSE: 'ERR_NDJSON_PARSE',
  EVENT: 'ERR_NDJSON_INVALID_EVENT',
  TOO_LONG: 'ERR_NDJSON_LINE_TOO_LONG',
};

function tooLongMessage(max) {
  return `Line too long: exceeds maxLineBytes (${max} bytes)`;
}

// routableFields (lib/validate, generated): the checks of 'route-fields' mode.

// Decides a line's text in JavaScript: the rare path of the native backend
// and the whole of the JS backend.
function decideText(mode, text, line, offset, sink, bytes) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    sink.invalid(ERR.PARSE, `JSON parse error: ${err && err.message}`, line, offset, text);
    return;
  }
  if (mode === 0) {
    sink.value(value);
    return;
  }
  if (mode === 3 && routableFields(value)) {
    const buf = bytes || encodeUtf8(text);
    sink.route(new RoutedEvent(value.type, value.seq, value.sessionId, buf, 0, buf.length, line, offset));
    return;
  }
  const verdict = checkJsonEvent(value);
  if (verdict === 2) {
    sink.invalid(ERR.EVENT, `Validation error: ${zodErrorMessage(value)}`, line, offset, text);
    return;
  }
  if (verdict === 1) value = normalizeEvent(value);
  if (mode === 1) {
    sink.value(value);
    return;
  }
  const buf = bytes || encodeUtf8(text);
  const r = new RoutedEvent(value.type, value.seq, value.sessionId, buf, 0, buf.length, line, offset);
  r._event = value;
  sink.route(r);
}

// ---------------------------------------------------------------------------
// Native backend
const { STRIDE, HEADER, COUNT, MORE, TYPE_SHIFT } = RECS;
const { KIND, LINE, OFFSET, SEQ, START, END, SID_START, SID_END } = REC_SLOT;
const RECORDS = 512;

class NativeLineDecoder {
  constructor(mode, maxLineBytes) {
    this.mode = MODE[mode];
    this.maxLineBytes = maxLineBytes;
    this._d = new native.Decoder(NATIVE_MODE[this.mode], maxLineBytes);
    this._recs = new Float64Array(HEADER + RECORDS * STRIDE);
    this._sid = '';
  }

  write(bytes, sink) {
    this._drain(this._d.write(bytes, 0, bytes.length, this._recs), sink);
  }

  /** A string chunk, encoded to UTF-8 by the native side (lone surrogates -> U+FFFD). */
  writeString(text, sink) {
    this._drain(this._d.writeString(text, this._recs), sink);
  }

  end(sink) {
    this._drain(this._d.end(this._recs), sink);
  }

  _drain(batch, sink) {
    for (;;) {
      this._records(batch, sink);
      if (this._recs[MORE] === 0) return;
      batch = this._d.next(this._recs);
    }
  }

  _records(batch, sink) {
    const recs = this._recs;
    const n = recs[COUNT];
    if (n === 0) return;
    const mode = this.mode;
    if (mode < 2) {
      let values = null;
      if (batch !== undefined) {
        try {
          values = JSON.parse(batch);
        } catch {
          values = null; // cannot happen (every line in it passed the scan); decided line by line
        }
      }
      let vi = 0;
      let side = null;
      for (let i = 0, o = HEADER; i < n; i++, o += STRIDE) {
        const kind = recs[o + KIND] & 0xff;
        if (kind === REC.VALUE) {
          if (values === null) {
            decideText(mode, batch.slice(recs[o + START], recs[o + END]), recs[o + LINE], recs[o + OFFSET], sink, null);
            continue;
          }
          const v = values[vi++];
          if (mode === 0) {
            sink.value(v);
            continue;
          }
          const verdict = checkJsonEvent(v);
          if (verdict === 0) sink.value(v);
          else if (verdict === 1) sink.value(normalizeEvent(v));
          else {
            const text = batch.slice(recs[o + START], recs[o + END]);
            sink.invalid(ERR.EVENT, `Validation error: ${zodErrorMessage(v)}`, recs[o + LINE], recs[o + OFFSET], text);
          }
        } else {
          if (side === null) side = this._d.side();
          this._rare(kind, side.slice(recs[o + START], recs[o + END]), recs[o + LINE], recs[o + OFFSET], sink);
        }
      }
      return;
    }
    let side = null;
    for (let i = 0, o = HEADER; i < n; i++, o += STRIDE) {
      const kind = recs[o + KIND] & 0xff;
      if (side === null && (kind !== REC.ROUTE || recs[o + SID_START] !== -1)) side = this._d.side();
      if (kind === REC.ROUTE) {
        if (recs[o + SID_START] !== -1) this._sid = side.slice(recs[o + SID_START], recs[o + SID_END]);
        sink.route(
          new RoutedEvent(
            EVENT_TYPE_CODES[recs[o + KIND] >> TYPE_SHIFT],
            recs[o + SEQ],
            this._sid,
            batch,
            recs[o + START],
            recs[o + END],
            recs[o + LINE],
            recs[o + OFFSET],
          ),
        );
      } else {
        this._rare(kind, side.slice(recs[o + START], recs[o + END]), recs[o + LINE], recs[o + OFFSET], sink);
      }
    }
  }

  _rare(kind, text, line, offset, sink) {
    if (kind === REC.TOO_LONG) {
      sink.invalid(ERR.TOO_LONG, tooLongMessage(this.maxLineBytes), line, offset, text);
    } else {
      decideText(this.mode, text, line, offset, sink, null);
    }
  }

  lineNumber() {
    return this._d.lineNumber();
  }

  hasPending() {
    return this._d.hasPending();
  }

  reset() {
    this._d.reset();
    this._sid = '';
  }
}

// ---------------------------------------------------------------------------
// JavaScript backend
const utf8 = typeof TextDecoder === 'function' ? new TextDecoder('utf-8') : null;
const hasBuffer = typeof Buffer === 'function';
const utf8enc = typeof TextEncoder === 'function' ? new TextEncoder() : null;

function wellFormedText(s) {
  return typeof s.isWellFormed === 'function' ? s.isWellFormed() : !/[\uD800-\uDFFF]/.test(s);
}

function encodeUtf8(text) {
  return hasBuffer ? Buffer.from(text, 'utf8') : utf8enc.encode(text);
}

function decodeUtf8(bytes, start, end) {
  if (hasBuffer && bytes instanceof Buffer) return bytes.toString('utf8', start, end);
  return utf8.decode(bytes.subarray(start, end));
}

function concat(parts, total) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return hasBuffer ? Buffer.from(out.buffer, 0, total) : out;
}

/** The first `n` bytes of a list of byte arrays (for error previews). */
function firstBytes(parts, n) {
  const picked = [];
  let total = 0;
  for (const p of parts) {
    if (total >= n) break;
    const take = p.subarray(0, Math.min(p.length, n - total));
    picked.push(take);
    total += take.length;
  }
  return picked.length ? concat(picked, total) : new Uint8Array(0);
}

class JsLineDecoder {
  constructor(mode, maxLineBytes) {
    this.mode = MODE[mode];
    this.maxLineBytes = maxLineBytes;
    this.reset();
  }

  reset() {
    this._parts = []; // bytes of the open line
    this._partLen = 0;
    this._lineStart = 0; // stream offset of the open line
    this._pos = 0; // stream offset of the next byte
    this._line = 0;
    this._skipping = false;
  }

  write(bytes, sink) {
    const base = this._pos;
    const len = bytes.length;
    this._pos += len;
    let i = 0;
    while (i < len) {
      const nl = bytes.indexOf(10, i);
      const end = nl === -1 ? len : nl;
      if (this._skipping) {
        if (nl === -1) return;
        this._skipping = false;
      } else if (this._partLen + (end - i) > this.maxLineBytes) {
        // Report it now and keep nothing more of this line.
        const head = firstBytes([...this._parts, bytes.subarray(i, end)], Math.min(512, this.maxLineBytes + 1));
        const preview = decodeUtf8(head, 0, head.length).trim();
        this._parts = [];
        this._partLen = 0;
        this._line++;
        sink.invalid(ERR.TOO_LONG, tooLongMessage(this.maxLineBytes), this._line, this._lineStart, preview);
        if (nl === -1) {
          this._skipping = true;
          return;
        }
      } else if (nl === -1) {
        this._parts.push(bytes.subarray(i));
        this._partLen += len - i;
        return;
      } else {
        this._line++;
        if (this._partLen) {
          this._parts.push(bytes.subarray(i, end));
          const whole = concat(this._parts, this._partLen + end - i);
          this._parts = [];
          this._partLen = 0;
          this._decide(whole, 0, whole.length, sink, false);
        } else {
          this._decide(bytes, i, end, sink, false);
        }
      }
      i = nl + 1;
      this._lineStart = base + i;
    }
  }

  writeString(text, sink) {
    if (!wellFormedText(text)) text = text.toWellFormed();
    this.write(encodeUtf8(text), sink);
  }

  end(sink) {
    if (this._skipping) {
      this._skipping = false;
      return;
    }
    if (this._partLen === 0) return;
    const whole = concat(this._parts, this._partLen);
    this._parts = [];
    this._partLen = 0;
    this._line++;
    this._decide(whole, 0, whole.length, sink, true);
  }

  _decide(bytes, start, end, sink, last) {
    const text = decodeUtf8(bytes, start, end).trim();
    if (text.length === 0) {
      if (last) this._line--; // a blank last line is not counted
      return;
    }
    decideText(this.mode, text, this._line, this._lineStart, sink, null);
  }

  lineNumber() {
    return this._line;
  }

  hasPending() {
    if (this._skipping) return true;
    if (this._partLen === 0) return false;
    const whole = concat(this._parts, this._partLen);
    return decodeUtf8(whole, 0, whole.length).trim().length > 0;
  }
}

function createLineDecoder(mode, maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
  if (!(mode in MODE)) throw new TypeError(`unknown decoder mode: ${mode}`);
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1 || maxLineBytes > 0xffffffff) {
    throw new RangeError('maxLineBytes must be an integer between 1 and 2^32-1');
  }
  return native ? new NativeLineDecoder(mode, maxLineBytes) : new JsLineDecoder(mode, maxLineBytes);
}

module.exports = {
  createLineDecoder,
  routableFields,
  NativeLineDecoder,
  JsLineDecoder,
  ERR,
  DEFAULT_MAX_LINE_BYTES,
};
