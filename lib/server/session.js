'use strict';
// One server-side session: the events it sent (as serialized or sealed
// lines, kept until the client acknowledges them, bounded by
// maxReplayEvents/maxReplayBytes), the client messages it delivered (by
// client seq, so a resent message is dropped), and its encryption keys,
// which outlive any one connection.

const { SessionError } = require('../errors');
const { EventEmitter } = require('node:events');
const { Outbox } = require('../transport/outbox');
const { Link } = require('../transport/link');
const { encodeLine, byteLength } = require('../transport/wire');
const { build, GapReason } = require('../protocol/control');

// Times in a row the same client message may be refused before the session closes.
const { Refusals, openMessage } = require('../transport/refusals');

class Session extends EventEmitter {
  constructor(server, id, opts, channel) {
    super();
    this.id = id;
    this.server = server;
    this.channel = channel || null; // { kid, sealer, opener } when encrypted
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
      },
      {
        onData: (v, seq) => this._onData(v, seq),
        onDead: (reason) => this._drop(reason),
        onProtocolError: (err) => this._drop(err.message, err),
        onDrain: () => this.emit('drain'),
      },
    );
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
    return { ...this.link.stats, held: this.link.outbox.count, heldBytes: this.link.outbox.bytes, gaps: this.gaps };
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
    let line;
    const seq = this.link.outbox.nextSeq;
    try {
      line = this._line(event, seq);
    } catch (err) {
      return Promise.reject(err);
    }
    this.link.enqueue(line, byteLength(line));
    return this.link.wait();
  }

  _line(event, seq) {
    const pv = event.protocolVersion === undefined ? 2 : event.protocolVersion;
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
    return this.channel ? this.channel.sealer.sealLine(seq, inner) : inner;
  }

  _onData(v, seq) {
    let msg = v;
    if (this.channel) {
      const opener = this.channel.opener;
      try {
        msg = openMessage(opener, v, SessionError, 'message');
      } catch (err) {
        return this._refuse(seq, err);
      }
      opener.accept();
    }
    this._refusals.clear();
    this.emit('message', msg);
    return true;
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
    if (gap) {
      this.gaps++;
      this.link.control(build.gap(gap.from, gap.to, GapReason.ReplayOverflow));
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
    this.server._forget(this);
    this.emit('close', err);
  }
}

module.exports = { Session, SessionError };
