'use strict';
// One side of a resumable stream: the outbox of lines not yet acknowledged,
// duplicate suppression and cumulative acks for what arrives, protocol-level
// heartbeats, and the backpressure of send(). A Link outlives connections:
// attach() a new transport after a resume, detach() when it drops.
//
// Transports are duck-typed: send(text, cb), bufferedAmount, close(reason).
// Timers and clocks are looked up on the global object at call time, so fake
// clocks drive them.

const control = require('../protocol/control');
const { frameLines, byteLength } = require('./wire');
const { StreamProtocolError } = require('../errors');
// The bounds both ends share, when a caller leaves them out (lib/options.js holds them).
const LINK_DEFAULTS = require('../options').defaults('StreamServer');

// Bytes in flight on a new WebSocket connection before the first ack.
const START_WINDOW = 16 * 1024;

/** A peer broke the protocol (bad line, control frame, order, authentication, range). */

const { build } = control;

function later(fn) {
  if (typeof setImmediate === 'function') return setImmediate(fn);
  return setTimeout(fn, 0);
}

/** Decimal digits of a non-negative safe integer. */
function digits(x) {
  let d = 1;
  while (x >= 10) {
    x = Math.floor(x / 10);
    d++;
  }
  return d;
}

/** true when buf holds the bytes of `pat` at `at` (a loop: cheaper than Buffer#compare for ~60 bytes). */
function bytesAt(buf, at, pat) {
  if (at + pat.length > buf.length) return false;
  for (let i = 0; i < pat.length; i++) if (buf[at + i] !== pat[i]) return false;
  return true;
}

class Link {
  /**
   * @param {object} o
   *   role 'client' (data lines get a batch header, seq counted) | 'server' (lines carry their seq)
   *   outbox, maxOutboxBytes, highWaterMark, maxFrameBytes, heartbeatIntervalMs, heartbeatTimeoutMs,
   *   maxBufferedBytes (socket bytes the peer has not read before it is a slow consumer),
   *   maxPendingSends (send() calls that may wait for room)
   * @param {object} hooks onData(value, seq) (returns false to refuse the line), onOpened(text, seq, kid)
   *   (the same for an envelope the Link opened: its plaintext), onGap(gap), onControl(frame),
   *   onDead(reason), onProtocolError(err), onDrain(), onAck()
   */
  constructor(o, hooks) {
    this.role = o.role;
    this.outbox = o.outbox;
    this.maxOutboxBytes = o.maxOutboxBytes;
    this.highWaterMark = o.highWaterMark;
    this.maxFrameBytes = o.maxFrameBytes ?? LINK_DEFAULTS.maxFrameBytes;
    this.sendWindowBytes = o.sendWindowBytes ?? LINK_DEFAULTS.sendWindowBytes;
    this.heartbeatIntervalMs = o.heartbeatIntervalMs;
    this.heartbeatTimeoutMs = o.heartbeatTimeoutMs;
    this.maxBufferedBytes = o.maxBufferedBytes ?? LINK_DEFAULTS.maxBufferedBytes;
    this.maxPendingSends = o.maxPendingSends ?? LINK_DEFAULTS.maxPendingSends;
    this.hooks = hooks;
    // The session's Channel on encrypted sessions: acks are MACed (docs/PROTOCOL.md §6).
    this.auth = null;
    this._frameLimit = 0; // bytes per data frame on this connection (0: one line); grows with acks
    this._window = 0; // bytes in flight allowed on this connection; grows with acks up to sendWindowBytes
    this._pong = -1; // index in ctrl of the pending pong (one at a time)
    this._errSink = null; // receiveFrame(data, sink): errors go to the caller instead of the owner
    this.storedSeq = Infinity; // lines after this seq wait (a session store has not stored them yet)
    this.ackLimit = Infinity; // acks never go past this (a session store has recorded the peer's lines up to it)
    this.transport = null;
    this.rx = 0; // highest peer seq delivered
    this.sentAck = 0; // highest rx told to the peer
    this.ctrl = [];
    this.waiters = [];
    this.blocked = false;
    this.extraBytes = 0; // bytes queued by the owner outside the outbox (pre-handshake)
    this._flushTimer = null;
    this._hbTimer = null;
    this._lastRecv = 0;
    this._cur = -1; // server role: seq of the next data line in the current frame
    this.stats = { framesIn: 0, framesOut: 0, dataIn: 0, dataOut: 0, duplicates: 0, acksOut: 0, unknownControl: 0, slowConsumer: 0, openedInBatch: 0 };
    this._onSent = (err) => {
      if (err) return;
      this._checkWaiters();
      if (this.outbox.unsent > 0 || this.ctrl.length) this.flushSoon();
    };
  }

  get connected() {
    return this.transport !== null;
  }

  // ---- attach / detach -------------------------------------------------

  /** Starts writing to `transport`, resending what the peer (at peerRx) lacks. */
  attach(transport, peerRx) {
    this.detach();
    this.transport = transport;
    const gap = this.outbox.rewind(peerRx);
    this._checkWaiters();
    this._lastRecv = Date.now();
    this._cur = -1;
    this.sentAck = -1; // always tell a new connection where we are
    // A new WebSocket starts with one line per frame and grows as acks come
    // (progress on bad links); an HTTP body is a byte stream: no frames.
    this._frameLimit = transport.kind === 'http' ? Infinity : 0;
    // Bytes in flight start small too (a slow start), so a link that dies
    // after a few KB is not fed a whole window that never arrives, and acks
    // come back while the connection lives.
    this._window = transport.kind === 'http' ? this.sendWindowBytes : Math.min(this.sendWindowBytes, START_WINDOW);
    this._startHeartbeat();
    this.flushSoon();
    return gap;
  }

  detach() {
    const t = this.transport;
    this.transport = null;
    this._stopHeartbeat();
    if (this._flushTimer !== null) {
      (typeof clearImmediate === 'function' ? clearImmediate : clearTimeout)(this._flushTimer);
      this._flushTimer = null;
    }
    this.ctrl.length = 0;
    this._pong = -1;
    return t;
  }

  // ---- outbound --------------------------------------------------------

  /** Queues a data line (already holding, or implying, its seq); returns the seq. */
  enqueue(line, size) {
    const seq = this.outbox.push(line, size);
    if (this.transport) this.flushSoon();
    return seq;
  }

  control(line) {
    if (!this.transport) return;
    this.ctrl.push(line);
    this.flushSoon();
  }

  /**
   * The error one more send() gets when maxPendingSends calls already wait
   * for room (ERR_STREAM_TOO_MANY_PENDING, of class `Err`; `who` names the
   * call), else null.
   */
  pendingRefusal(Err, who) {
    if (this.waiters.length < this.maxPendingSends) return null;
    return new Err(`${who}: ${this.maxPendingSends} sends already wait for room (maxPendingSends); await send() or raise the limit`, 'ERR_STREAM_TOO_MANY_PENDING');
  }

  /**
   * A peer that does not read: the bytes it left in the socket (data and
   * control replies such as pongs) passed maxBufferedBytes. true when the
   * connection was dropped for it (hooks.onProtocolError, ERR_STREAM_SLOW_CONSUMER).
   */
  _slow(t) {
    if (t.bufferedAmount <= this.maxBufferedBytes) return false;
    this.stats.slowConsumer++;
    this._protocolError(`the peer does not read: ${t.bufferedAmount} bytes unread (maxBufferedBytes ${this.maxBufferedBytes})`, 'ERR_STREAM_SLOW_CONSUMER');
    return true;
  }

  /** Resolves when the bytes held and the socket buffer are within bounds. */
  wait() {
    if (this.waiters.length === 0 && this._roomy()) return Promise.resolve();
    this.blocked = true;
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  _roomy() {
    if (this.outbox.bytes + this.extraBytes > this.maxOutboxBytes) return false;
    const t = this.transport;
    return !t || t.bufferedAmount <= this.highWaterMark || this.outbox.unsent === 0;
  }

  _checkWaiters() {
    while (this.waiters.length && this._roomy()) this.waiters.shift().resolve();
    if (this.blocked && this.waiters.length === 0) {
      this.blocked = false;
      if (this.hooks.onDrain) this.hooks.onDrain();
    }
    // A browser WebSocket has no write callback: poll bufferedAmount.
    if (this.waiters.length && this.transport && this.transport.pollWrites && !this._poll) {
      this._poll = setTimeout(() => {
        this._poll = null;
        this._checkWaiters();
        if (this.outbox.unsent) this.flushSoon();
      }, 10);
    }
  }

  rejectWaiters(err) {
    const w = this.waiters;
    this.waiters = [];
    this.blocked = false;
    for (const x of w) x.reject(err);
  }

  flushSoon() {
    if (this._flushTimer === null && this.transport) this._flushTimer = later(() => this.flush());
  }

  flush() {
    this._flushTimer = null;
    const t = this.transport;
    if (!t) return;
    if (this._slow(t)) return;
    let parts = null;
    const upto = this.rx < this.ackLimit ? this.rx : this.ackLimit;
    if (upto !== this.sentAck && t.acks !== false) {
      parts = [build.ack(upto, this.auth ? this.auth.mac('ack', upto) : undefined)];
      this.sentAck = upto;
      this.stats.acksOut++;
    }
    if (this.ctrl.length) {
      parts = parts ? parts.concat(this.ctrl) : this.ctrl.slice();
      this.ctrl.length = 0;
      this._pong = -1;
    }
    const ob = this.outbox;
    const header = this.role === 'client';
    const end = this.storedSeq === Infinity ? ob.lines.length : Math.min(ob.lines.length, ob.head + (this.storedSeq - ob.headSeq + 1));
    while (ob.sent < end && t.bufferedAmount <= this.highWaterMark && ob.sentBytes < this._window) {
      if (!parts) parts = [];
      if (header) parts.push(build.batch(ob.seqAt(ob.sent)));
      let bytes = 0;
      const start = ob.sent;
      const limit = Math.min(this._frameLimit, this.maxFrameBytes);
      while (ob.sent < end && (bytes === 0 || bytes + ob.sizes[ob.sent] <= limit)) {
        parts.push(ob.lines[ob.sent]);
        bytes += ob.sizes[ob.sent] + 1;
        ob.sentBytes += ob.sizes[ob.sent];
        ob.sent++;
      }
      this.stats.dataOut += ob.sent - start;
      this._write(t, parts);
      parts = null;
      if (this.transport !== t) return;
    }
    if (parts) this._write(t, parts);
  }

  _write(t, parts) {
    this.stats.framesOut++;
    parts.push('');
    t.send(parts.join('\n'), this._onSent);
  }

  // ---- inbound ---------------------------------------------------------

  /**
   * One transport frame (whole lines). With `sink`, protocol errors go to
   * sink(err) instead of the owner (an HTTP POST answers them itself).
   */
  receiveFrame(data, sink = null) {
    this._errSink = sink;
    try {
      this._receive(data);
    } finally {
      this._errSink = null;
    }
  }

  _receive(data) {
    this._lastRecv = Date.now();
    this.stats.framesIn++;
    const before = this.rx;
    // Native encrypted sessions open whole runs of envelope lines in one
    // call (secure.js FrameOpener); everything else goes line by line.
    const fo = this.auth !== null && typeof data !== 'string' && this.auth.frameOpener ? this.auth.frameOpener() : null;
    const ok = fo !== null ? this._receiveSealed(data, fo) : this._receiveLines(frameLines(data));
    if (ok && this.rx !== before && this.transport) this.flushSoon();
  }

  /** The lines of a frame one by one; false when one ended the frame (a protocol error or a refused line). */
  _receiveLines(lines) {
    for (let i = 0; i < lines.length; i++) if (!this._line(lines[i])) return false;
    return true;
  }

  _line(text) {
    let v;
    try {
      v = JSON.parse(text);
    } catch (err) {
      // The owner drops the connection: the rest of this frame is not
      // looked at (the resume sends what is missing again).
      this._protocolError(`invalid JSON line: ${err.message}`, 'ERR_STREAM_BAD_LINE');
      return false;
    }
    if (v !== null && typeof v === 'object' && v.$esn !== undefined) return this._control(v);
    return this._data(this.role === 'client' ? v && v.seq : undefined, v, null, null);
  }

  /**
   * A data line: `v` parsed, or (v null) `text` the plaintext of an envelope
   * opened under key `kid` whose seq field is `carried`. Returns false when
   * it ended the frame.
   */
  _data(carried, v, text, kid) {
    let seq;
    if (this.role === 'client') {
      seq = Number.isSafeInteger(carried) ? carried : this.rx + 1;
    } else {
      seq = this._cur >= 0 ? this._cur++ : this.rx + 1;
    }
    if (seq <= this.rx) {
      this.stats.duplicates++;
      return true;
    }
    if (seq !== this.rx + 1) {
      this._protocolError(`out-of-order line: expected seq ${this.rx + 1}, got ${seq}`, 'ERR_STREAM_SEQ');
      return false;
    }
    this.rx = seq;
    this.stats.dataIn++;
    if ((v !== null || text === null ? this.hooks.onData(v, seq) : this.hooks.onOpened(text, seq, kid)) === false) {
      // The owner refused the line (an envelope that does not open, a
      // replay, plaintext on an encrypted session) and dropped the
      // connection: the line was not received, so the peer's resume
      // sends the genuine one again. Nothing after it in this frame counts.
      this.rx = seq - 1;
      this.stats.dataIn--;
      return false;
    }
    return true;
  }

  /**
   * A frame of an encrypted session, native backend: runs of lines shaped
   * as this session's envelopes under the peer's current key are opened in
   * one call; other lines (control frames, other keys, anything odd) and any
   * line the batch refuses go through _line, which gives the coded reason.
   * Lines are handled in order, as _receiveLines would.
   */
  _receiveSealed(data, fo) {
    const buf = data;
    const n = buf.length;
    const starts = this._starts || (this._starts = []);
    let pos = 0;
    while (pos < n) {
      // the key may have changed with the line before (a rekey frame, or a line under a newer key)
      if (pos > 0 && (fo = this.auth.frameOpener()) === null) return this._receiveLines(frameLines(buf.subarray(pos)));
      const head = fo.head;
      // a run of envelope-shaped lines from pos
      let count = 0;
      let end = pos;
      let s = pos;
      while (s < n) {
        let e = buf.indexOf(10, s);
        if (e === -1) e = n;
        if (e - s <= head.length || buf[e - 1] !== 125 || !bytesAt(buf, s, head)) break;
        starts[count++] = s;
        end = e;
        s = e + 1;
      }
      if (count > 0) {
        const k = fo.open(buf, pos, end, count);
        fo._used = end - pos;
        try {
          if (!this._openedRun(buf, fo, k, count, end)) return false;
        } finally {
          fo.release();
        }
        if (this._rekeyed) {
          this._rekeyed = false;
          return this._receiveLines(frameLines(buf.subarray(Math.min(end + 1, n))));
        }
        pos = end + 1;
        continue;
      }
      // one line that is not an envelope of the current key (or blank)
      let e = buf.indexOf(10, pos);
      if (e === -1) e = n;
      const lines = frameLines(buf.subarray(pos, e));
      if (lines.length && !this._line(lines[0])) return false;
      pos = e + 1;
    }
    return true;
  }

  /** The results of one opened run (see _receiveSealed); false when a line ended the frame. */
  _openedRun(buf, fo, k, count, end) {
    const starts = this._starts;
    const head = fo.head;
    const res = fo.res;
    for (let i = 0; i < count; i++) {
      const ls = starts[i];
      const le = i + 1 < count ? starts[i + 1] - 1 : end;
      let handled = false;
      if (i < k && res[5 * i + 3] === 0) {
        const seq = res[5 * i];
        const t = ls + head.length + digits(seq);
        if (bytesAt(buf, t, fo.tail)) {
          const o = res[5 * i + 1];
          this.stats.openedInBatch++;
          if (!this._data(seq, null, fo.out.utf8Slice(o, o + res[5 * i + 2]), fo.kid)) return false;
          handled = true;
        }
      }
      if (!handled && !this._line(buf.utf8Slice(ls, le))) return false;
      // a rekey may have moved the peer to another key: the rest of the run goes line by line
      if (this.auth.frameOpener() !== fo) {
        for (let j = i + 1; j < count; j++) {
          if (!this._line(buf.utf8Slice(starts[j], j + 1 < count ? starts[j + 1] - 1 : end))) return false;
        }
        this._rekeyed = true;
        return true;
      }
    }
    return true;
  }

  /** Handles one control frame; false when it is malformed (a protocol error was raised). */
  _control(f) {
    if (control.isUnknownType(f)) {
      this.stats.unknownControl++; // forward compatibility: ignored, see protocol/control.js
      return true;
    }
    const bad = control.checkControl(f);
    if (bad) {
      this._protocolError(`bad control frame: ${bad}`, 'ERR_STREAM_CONTROL');
      return false;
    }
    return this._controlFrame(f) !== false;
  }

  /** Acts on a well-formed control frame; false when it raised a protocol error. */
  _controlFrame(f) {
    switch (f.t) {
      case 'ack':
        if (f.s > this.outbox.nextSeq - 1) {
          this._protocolError(`ack ${f.s} is beyond the last seq sent (${this.outbox.nextSeq - 1})`, 'ERR_STREAM_RANGE');
          return false;
        }
        if (this.auth && !this.auth.check(f.m, 'ack', f.s)) {
          this._protocolError(`ack ${f.s} failed authentication`, 'ERR_STREAM_AUTH');
          return false;
        }
        if (this.outbox.ack(f.s)) {
          // bytes got through: frames may grow (up to maxFrameBytes)
          this._frameLimit = Math.min(this.maxFrameBytes, Math.max(4096, this._frameLimit * 2));
          this._window = Math.min(this.sendWindowBytes, this._window * 2);
          this._checkWaiters();
          if (this.outbox.unsent) this.flushSoon();
          if (this.hooks.onAck) this.hooks.onAck();
        }
        return true;
      case 'b':
        if (this.role !== 'server') {
          this._protocolError('a server may not send b', 'ERR_STREAM_CONTROL');
          return false;
        }
        this._cur = f.s;
        return true;
      case 'ping': {
        const t = this.transport;
        if (!t) return true;
        if (this._slow(t)) return false;
        const p = build.pong(Number.isFinite(f.ts) ? f.ts : 0);
        if (this._pong >= 0) this.ctrl[this._pong] = p; // at most one pong pending
        else {
          this._pong = this.ctrl.length;
          this.control(p);
        }
        return true;
      }
      case 'pong':
        return true;
      case 'gap':
        if (this.role !== 'client') {
          this._protocolError('a client may not send gap', 'ERR_STREAM_CONTROL');
          return false;
        }
        if (f.from !== this.rx + 1) {
          this._protocolError(`gap from ${f.from} does not follow the last seq received (${this.rx})`, 'ERR_STREAM_RANGE');
          return false;
        }
        if (this.auth && !this.auth.check(f.m, 'gap', f.from, f.to)) {
          this._protocolError(`gap ${f.from}..${f.to} failed authentication`, 'ERR_STREAM_AUTH');
          return false;
        }
        this.rx = f.to;
        if (this.hooks.onGap) this.hooks.onGap({ from: f.from, to: f.to, count: f.count, reason: f.reason });
        return true;
      default:
        return this.hooks.onControl ? this.hooks.onControl(f) !== false : true;
    }
  }

  _protocolError(message, code) {
    const err = new StreamProtocolError(message, code);
    if (this._errSink) this._errSink(err);
    else if (this.hooks.onProtocolError) this.hooks.onProtocolError(err);
  }

  // ---- heartbeats ------------------------------------------------------

  _startHeartbeat() {
    const every = this.heartbeatIntervalMs;
    if (!(every > 0)) return;
    const tick = () => {
      this._hbTimer = null;
      if (!this.transport) return;
      if (!this.transport.oneWay && Date.now() - this._lastRecv >= this.heartbeatTimeoutMs) {
        if (this.hooks.onDead) this.hooks.onDead(`no data or heartbeat from the peer for ${this.heartbeatTimeoutMs} ms`);
        return;
      }
      if (this.transport.pings !== false) this.control(build.ping(Date.now()));
      this._hbTimer = setTimeout(tick, every);
    };
    this._hbTimer = setTimeout(tick, every);
  }

  _stopHeartbeat() {
    if (this._hbTimer !== null) {
      clearTimeout(this._hbTimer);
      this._hbTimer = null;
    }
    if (this._poll) {
      clearTimeout(this._poll);
      this._poll = null;
    }
  }
}

module.exports = { Link, byteLength };
