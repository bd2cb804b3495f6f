'use strict';
// One server-side session: the events it sent (as serialized or sealed
// lines, kept until the client acknowledges them, bounded by
// maxReplayEvents/maxReplayBytes), the client messages it delivered (by
// client seq, so a resent message is dropped), and its encryption and
// authentication state (lib/transport/secure.js Channel, or the resume
// verifier of a plaintext session), which outlive any one connection.

const { SessionError } = require('../errors');
const { EventEmitter } = require('node:events');
const { Outbox } = require('../transport/outbox');
const { Link } = require('../transport/link');
const { encodeLine, byteLength } = require('../transport/wire');
const { build, GapReason } = require('../protocol/control');
const { checkEvent, zodErrorMessage, CHECK_INVALID } = require('../validate');

// Times in a row the same client message may be refused before the session closes.
const { Refusals } = require('../transport/refusals');

class Session extends EventEmitter {
  constructor(server, id, opts, channel, verifier) {
    super();
    this.id = id;
    this.server = server;
    this.channel = channel || null; // secure.Channel when encrypted
    this._verifier = verifier || null; // plaintext: the key the client's resume proof is checked with
    this.credential = undefined; // set by server.createSession() for the app to hand to its client
    this._rekeyAfterMessages = opts.rekeyAfterMessages;
    this._rekeyAfterMs = opts.rekeyAfterMs;
    this._check = { protocolVersion: 2, sessionId: id, seq: 0, type: undefined, payload: undefined };
    this.closed = false;
    this.createdAt = Date.now();
    this._ttl = null;
    this._sessionTtlMs = opts.sessionTtlMs;
    this.gaps = 0;
    this._refusals = new Refusals(); // a client message refused on consecutive attempts
    this.link = new Link(
      {
        role: 'server',
        outbox: new Outbox({ maxEvents: opts.maxReplayEvents, maxBytes: opts.maxReplayBytes, evict: true }),
        maxOutboxBytes: Math.min(opts.maxOutboxBytes, opts.maxReplayBytes),
        highWaterMark: opts.highWaterMark,
        maxFrameBytes: opts.maxFrameBytes,
        sendWindowBytes: opts.sendWindowBytes,
        heartbeatIntervalMs: opts.heartbeatIntervalMs,
        heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
        maxBufferedBytes: opts.maxBufferedBytes,
        maxPendingSends: opts.maxPendingSends,
      },
      {
        onData: (v, seq) => this._onData(v, seq),
        onControl: (f) => this._onControl(f),
        onDead: (reason) => this._drop(reason),
        onProtocolError: (err) => this._drop(err.message, err),
        onDrain: () => this.emit('drain'),
      },
    );
    this.link.auth = this.channel;
    this._prefix = `{"protocolVersion":`;
    this._sid = `,"sessionId":${JSON.stringify(id)},"seq":`;
  }

  get encrypted() {
    return this.channel !== null;
  }

  get connected() {
    return this.link.transport !== null;
  }

  /** Seq of the last event queued by send(). */
  get lastSeq() {
    return this.link.outbox.nextSeq - 1;
  }

  /** Seq of the last client message delivered. */
  get lastClientSeq() {
    return this.link.rx;
  }

  /** Bytes held for replay (sent or queued, not yet acknowledged). */
  get bufferedBytes() {
    return this.link.outbox.bytes;
  }

  get stats() {
    const rekeys = this.channel ? this.channel.rekeys : 0;
    return { ...this.link.stats, held: this.link.outbox.count, heldBytes: this.link.outbox.bytes, gaps: this.gaps, rekeys };
  }

  /**
   * Sends one event: fills protocolVersion (2 unless given), sessionId and
   * seq, serializes once (and seals once when encrypted), and resolves when
   * the session's outbox and the socket buffer are within bounds.
   */
  send(event) {
    if (this.closed) return Promise.reject(new SessionError('session is closed', 'ERR_SESSION_CLOSED'));
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      return Promise.reject(new TypeError('session.send(event): event must be an object'));
    }
    if (this.link.tooManyPending()) {
      return Promise.reject(
        new SessionError(`session.send(): ${this.link.maxPendingSends} sends already wait for room (maxPendingSends); await send() or raise the limit`, 'ERR_STREAM_TOO_MANY_PENDING'),
      );
    }
    let line;
    const seq = this.link.outbox.nextSeq;
    try {
      line = this._line(event, seq);
    } catch (err) {
      return Promise.reject(err);
    }
    this.link.enqueue(line, byteLength(line));
    const ch = this.channel;
    if (ch !== null && this.link.transport !== null && ch.due(this._rekeyAfterMessages, this._rekeyAfterMs, this.link.outbox.headSeq)) this.link.control(ch.startRekey());
    return this.link.wait();
  }

  /** Throws ERR_STREAM_INVALID_EVENT unless the event, as it will be sent, passes the package's schemas. */
  _validate(event, pv, seq) {
    const c = this._check;
    c.protocolVersion = pv;
    c.seq = seq;
    c.type = event.type;
    c.payload = event.payload;
    const bad = checkEvent(c) === CHECK_INVALID;
    c.type = c.payload = undefined;
    if (bad) {
      const v = { protocolVersion: pv, sessionId: this.id, seq, type: event.type, payload: event.payload };
      throw new SessionError(`session.send(): the event fails the stream event schemas: ${zodErrorMessage(v)}`, 'ERR_STREAM_INVALID_EVENT');
    }
  }

  _line(event, seq) {
    const pv = event.protocolVersion === undefined ? 2 : event.protocolVersion;
    this._validate(event, pv, seq);
    // Fixed key order (protocolVersion, sessionId, seq, type, payload, ...rest).
    let rest = '';
    for (const k in event) {
      if (k === 'protocolVersion' || k === 'sessionId' || k === 'seq' || k === 'type' || k === 'payload') continue;
      if (!Object.prototype.hasOwnProperty.call(event, k) || event[k] === undefined) continue;
      rest += `,${JSON.stringify(k)}:${encodeLine(event[k])}`;
    }
    let body = '';
    if (event.type !== undefined) body += `,"type":${encodeLine(event.type)}`;
    if (event.payload !== undefined) body += `,"payload":${encodeLine(event.payload)}`;
    const inner = `${this._prefix}${encodeLine(pv)}${this._sid}${seq}${body}${rest}}`;
    return this.channel ? this.channel.seal(seq, inner) : inner;
  }

  _onData(v, seq) {
    let msg = v;
    const ch = this.channel;
    if (ch) {
      try {
        msg = ch.open(v, seq, 'message');
      } catch (err) {
        return this._refuse(seq, err);
      }
      ch.accept(seq);
      if (this.link.transport !== null && ch.due(this._rekeyAfterMessages, this._rekeyAfterMs, this.link.outbox.headSeq)) this.link.control(ch.startRekey());
    }
    this._refusals.clear();
    this.emit('message', msg);
    return true;
  }

  /** Control frames the Link leaves to its owner: only a client's answer to a rekey. */
  _onControl(f) {
    if (f.t === 'rekeyed' && this.channel) {
      try {
        this.channel.onRekeyed(f, this.link.outbox.nextSeq, this.link.rx);
      } catch (err) {
        this.link._protocolError(err.message, err.code);
        return false;
      }
      return true;
    }
    this.link._protocolError(`unexpected ${f.t} frame from a client`, 'ERR_STREAM_CONTROL');
    return false;
  }

  /**
   * The body of POST /sessions/:id/messages: delivered like a WebSocket frame
   * but never drops the session's live connection; returns the first error
   * (the request is answered 400 with it), or null.
   */
  _post(body) {
    let first = null;
    this._posting = (err) => {
      if (!first) first = err;
    };
    this.link._cur = -1;
    try {
      this.link.receiveFrame(body, this._posting);
    } finally {
      this._posting = null;
    }
    return first;
  }

  /**
   * A client message that cannot be delivered (tampered, replayed, sealed
   * with another key, plaintext): reported on 'error', not counted as
   * received (the Link rolls back, so the client resends the genuine line
   * after its resume), and the connection is dropped. The same client seq
   * refused 3 times in a row (transport/refusals.js) closes the session.
   */
  _refuse(seq, err) {
    err.seq = seq;
    if (this._posting) {
      this._posting(err);
      return false;
    }
    const giveUp = this._refusals.add(seq);
    this._drop(`client message ${seq} refused: ${err.message}`, err);
    if (giveUp) this.close(new SessionError(`client message ${seq} refused ${this._refusals.count} times: ${err.message}`, err.code || 'ENCRYPTION_DECRYPTION_FAILED'));
    return false;
  }

  // ---- connection management (called by StreamServer) ------------------

  _attach(transport, peerRx) {
    if (this._ttl !== null) {
      clearTimeout(this._ttl);
      this._ttl = null;
    }
    const old = this.link.transport;
    if (old) {
      this.link.detach();
      old.close(4000, 'replaced by a newer connection');
    }
    const gap = this.link.attach(transport, peerRx);
    const ch = this.channel;
    const rekey = ch && ch.resendFrame();
    if (rekey) this.link.control(rekey);
    if (gap) {
      this.gaps++;
      this.link.control(build.gap(gap.from, gap.to, GapReason.ReplayOverflow, ch ? ch.mac('gap', gap.from, gap.to) : undefined));
      this.emit('gap', { from: gap.from, to: gap.to, count: gap.to - gap.from + 1, reason: GapReason.ReplayOverflow });
    }
    this.emit('connect', transport.kind);
    return gap;
  }

  _detached(transport, reason) {
    if (this.link.transport !== transport) return;
    this.link.detach();
    this.emit('disconnect', reason);
    if (!this.closed && this._sessionTtlMs > 0 && Number.isFinite(this._sessionTtlMs)) {
      this._ttl = setTimeout(() => {
        this._ttl = null;
        this.close(new SessionError('session expired while detached', 'ERR_SESSION_EXPIRED'));
      }, this._sessionTtlMs);
    }
  }

  _drop(reason, err) {
    const t = this.link.transport;
    if (err && this.listenerCount('error')) this.emit('error', err);
    if (t) {
      this._detached(t, reason);
      t.terminate();
    }
  }

  /** Ends the session: closes its connection, rejects pending sends, forgets it. */
  close(err) {
    if (this.closed) return;
    this.closed = true;
    if (this._ttl !== null) {
      clearTimeout(this._ttl);
      this._ttl = null;
    }
    const t = this.link.detach();
    if (t) t.close(1000, 'session closed');
    this.link.rejectWaiters(err || new SessionError('session is closed', 'ERR_SESSION_CLOSED'));
    if (this.channel) this.channel.dispose();
    this.server._forget(this);
    this.emit('close', err);
  }
}

module.exports = { Session, SessionError };
