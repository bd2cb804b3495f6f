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
const { build, GapReason, RejectCode } = require('../protocol/control');
const { mac } = require('../crypto/hmac');
const { checkEvent, zodErrorMessage, CHECK_INVALID } = require('../validate');
const { Delivery } = require('../transport/delivery');

/**
 * Throws ERR_STREAM_INVALID_EVENT unless `event` with protocolVersion `pv`
 * and seq `seq` passes the package's schemas. `c` is a reused object holding
 * the session id (no allocation on the success path); `who` names the caller.
 */
function checkOutgoing(c, event, pv, seq, who) {
  c.protocolVersion = pv;
  c.seq = seq;
  c.type = event.type;
  c.payload = event.payload;
  const bad = checkEvent(c) === CHECK_INVALID;
  c.type = c.payload = undefined;
  if (bad) {
    const v = { protocolVersion: pv, sessionId: c.sessionId, seq, type: event.type, payload: event.payload };
    throw new SessionError(`${who}: the event fails the stream event schemas: ${zodErrorMessage(v)}`, 'ERR_STREAM_INVALID_EVENT');
  }
}

/** A session's store metadata: its resume verifier (plaintext) or its exported keys (encrypted). */
function sessionMeta(channel, verifier) {
  return {
    enc: channel !== null,
    verifier: verifier ? Buffer.from(verifier).toString('base64') : null,
    channel: channel ? channel.export() : null,
  };
}

/**
 * Emits an event to the app once the server has finished its own work. A
 * listener that throws is the app's error: it surfaces as an uncaught
 * exception (as a throwing 'request' listener of node:http does), never
 * inside the server's own paths (a takeover from the store would otherwise
 * take it for a store failure and leave the session half attached).
 */
function tell(emitter, event, ...args) {
  try {
    emitter.emit(event, ...args);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

class Session extends EventEmitter {
  constructor(server, id, opts, channel, verifier) {
    super();
    this.id = id;
    this.server = server;
    this.channel = channel || null; // secure.Channel when encrypted
    this._verifier = verifier || null; // plaintext: the key the client's resume proof is checked with
    this.credential = undefined; // set by server.createSession() for the app to hand to its client
    this.resumed = false; // true when this server took the session over from a store
    this._redeliverUpTo = 0; // after a takeover: client seqs the previous server may have delivered
    this.redelivered = 0;
    this._store = null; // a SessionStore (docs/PROTOCOL.md §10): { store, token, queue, ... }
    this._opts = opts;
    this._posting = null;
    this._rekeyAfterMessages = opts.rekeyAfterMessages;
    this._rekeyAfterMs = opts.rekeyAfterMs;
    this._check = { protocolVersion: 2, sessionId: id, seq: 0, type: undefined, payload: undefined };
    this.closed = false;
    this.createdAt = Date.now();
    this._ttl = null;
    this._sessionTtlMs = opts.sessionTtlMs;
    this.gaps = 0;
    // client messages: opened, delivered or refused (3 refusals of one seq in a row close the session)
    this._delivery = new Delivery(
      { what: 'message', label: 'client message' },
      {
        channel: () => this.channel,
        accepted: (ch) => {
          if (this.link.transport !== null && ch.due(this._rekeyAfterMessages, this._rekeyAfterMs, this.link.outbox.headSeq)) this._offerRekey();
        },
        deliver: (msg, seq) => this._deliver(msg, seq),
        sink: (err) => {
          if (!this._posting) return false;
          this._posting(err); // a POST body: the request is answered with the error
          return true;
        },
        refused: (err, reason, final) => {
          this._drop(reason, err);
          if (final) this.close(new SessionError(final, err.code || 'ENCRYPTION_DECRYPTION_FAILED'));
        },
      },
    );
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
        onData: (v, seq) => this._delivery.receive(v, seq),
        onOpened: (text, seq, kid) => this._delivery.receive(null, seq, text, kid),
        onControl: (f) => this._onControl(f),
        onDead: (reason) => this._drop(reason),
        onProtocolError: (err) => this._drop(err.message, err),
        onDrain: () => this.emit('drain'),
        onAck: () => this._stored({ acked: true }),
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
    return { ...this.link.stats, held: this.link.outbox.count, heldBytes: this.link.outbox.bytes, gaps: this.gaps, rekeys, redelivered: this.redelivered };
  }

  /**
   * Sends one event: fills protocolVersion (2 unless given), sessionId and
   * seq, serializes once (and seals once when encrypted), and resolves when
   * the session's outbox and the socket buffer are within bounds.
   */
  send(event, fromInbox = false, untilStored = false) {
    if (this.closed) return Promise.reject(new SessionError('session is closed', 'ERR_SESSION_CLOSED'));
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      return Promise.reject(new TypeError('session.send(event): event must be an object'));
    }
    const full = this.link.pendingRefusal(SessionError, 'session.send()');
    if (full) return Promise.reject(full);
    let line;
    const seq = this.link.outbox.nextSeq;
    try {
      line = this._line(event, seq);
    } catch (err) {
      return Promise.reject(err);
    }
    this.link.enqueue(line, byteLength(line));
    const ch = this.channel;
    if (ch !== null && this.link.transport !== null && ch.due(this._rekeyAfterMessages, this._rekeyAfterMs, this.link.outbox.headSeq)) this._offerRekey();
    if (this._store !== null) {
      // With a store the line reaches the client only once it is stored;
      // send() itself resolves on room in the buffers, like without a store,
      // so a producer that awaits each send() still gets batched writes.
      const stored = this._stored({ seq, line, inbox: fromInbox });
      if (fromInbox || untilStored) return Promise.all([stored, this.link.wait()]).then(() => undefined);
      stored.catch(() => {}); // reported by close()
    }
    return this.link.wait();
  }

  /**
   * Offers the client a rekey. With a store, the offer (its ephemeral key)
   * is stored first, so a server that takes the session over can complete
   * the answer.
   */
  _offerRekey() {
    const frame = this.channel.startRekey();
    if (this._store === null) return this.link.control(frame);
    return this._stored({ meta: true }).then(() => {
      if (this.link.transport !== null) this.link.control(frame);
    });
  }

  // ---- a session store (docs/PROTOCOL.md §10) --------------------------

  /** This session is kept in `store` under fencing `token` (this server owns it). */
  _useStore(store, token, created = null) {
    this._store = { store, token, created, lines: [], waiters: [], metaWaiters: [], acked: false, clientRx: false, inbox: 0, busy: false, draining: false, again: false, epoch: this.channel ? this.channel.epoch : -1 };
    this.link.storedSeq = this.link.outbox.nextSeq - 1;
    // the client frees a message once acknowledged: acknowledge only what the store has recorded,
    // so a server that takes the session over never asks for less than the client still holds
    this.link.ackLimit = this.link.rx;
  }

  /** The store record's metadata of this session (its resume verifier or keys). */
  _meta() {
    return sessionMeta(this.channel, this._verifier);
  }

  /** Rebuilds the state a store record holds (a takeover): held lines, seqs, the client seq delivered. */
  _restore(rec, store, token) {
    const o = this._opts;
    const ob = new Outbox({ maxEvents: o.maxReplayEvents, maxBytes: o.maxReplayBytes, evict: true, firstSeq: rec.headSeq });
    ob.acked = rec.headSeq - 1;
    ob.droppedThrough = rec.headSeq - 1;
    for (const e of rec.events) ob.push(e.line);
    this.link.outbox = ob;
    this.link.rx = rec.clientRx;
    this.resumed = true;
    this._useStore(store, token);
  }

  /**
   * Records a change for the store (an event line, an ack, a client message
   * delivered) and resolves once it is stored; changes are written in
   * batches, one store call at a time (no round trip per event).
   */
  _stored(change) {
    const st = this._store;
    if (st === null) return Promise.resolve();
    if (change.line !== undefined) st.lines.push({ seq: change.seq, line: change.line });
    if (change.acked) st.acked = true;
    if (change.clientRx) st.clientRx = true;
    if (change.inbox) st.inbox++;
    const p = change.meta ? new Promise((resolve, reject) => st.metaWaiters.push({ resolve, reject })) : change.line !== undefined ? new Promise((resolve, reject) => st.waiters.push({ seq: change.seq, resolve, reject })) : null;
    if (!st.busy) {
      st.busy = true;
      queueMicrotask(() => this._persist());
    }
    return p || Promise.resolve();
  }

  /**
   * The store token, once server.createSession()'s record is made (every
   * store call needs it: a call with no token is refused as a takeover).
   * Null when the record was not made: the session is then closed with
   * SESSION_EXISTS.
   */
  async _token() {
    const st = this._store;
    const created = st.created;
    if (created) {
      const token = await created.catch(() => null);
      if (st.created === created) {
        st.created = null;
        if (token !== null && token !== undefined) st.token = token;
        else this.close(new SessionError(`session ${this.id} already exists in the store`, 'SESSION_EXISTS'), { keepStored: true });
      }
    }
    return st.token;
  }

  async _persist() {
    const st = this._store;
    if ((await this._token()) === null) {
      st.busy = false;
      return;
    }
    while (st && !this.closed && (st.lines.length || st.acked || st.clientRx || st.inbox || st.metaWaiters.length || (this.channel && this.channel.epoch !== st.epoch))) {
      const lines = st.lines.splice(0);
      const metaWaiters = st.metaWaiters.splice(0);
      const patch = {};
      if (st.acked) patch.acked = this.link.outbox.acked;
      const rx = this.link.rx;
      if (st.clientRx) patch.clientRx = rx;
      if (st.inbox) patch.inbox = st.inbox; // published events sealed into these lines leave the inbox with them
      st.inbox = 0;
      if (metaWaiters.length || (this.channel && this.channel.epoch !== st.epoch)) {
        st.epoch = this.channel ? this.channel.epoch : -1;
        patch.meta = this._meta(); // new keys (or an offered rekey) go with (before) the first lines sealed under them
      }
      st.acked = st.clientRx = false;
      try {
        await st.store.append(this.id, st.token, lines, patch, { maxEvents: this._opts.maxReplayEvents, maxBytes: this._opts.maxReplayBytes });
      } catch (err) {
        st.busy = false;
        if (err && err.code === 'ERR_SESSION_MOVED') this._movedAway(err);
        else this.close(err, { keepStored: true });
        return;
      }
      for (const w of metaWaiters) w.resolve();
      if (patch.clientRx !== undefined && patch.clientRx > this.link.ackLimit) {
        this.link.ackLimit = patch.clientRx;
        this.link.flushSoon();
      }
      if (lines.length) {
        const last = lines[lines.length - 1].seq;
        this.link.storedSeq = last;
        while (st.waiters.length && st.waiters[0].seq <= last) st.waiters.shift().resolve();
        this.link.flushSoon();
      }
    }
    if (st) st.busy = false;
  }

  /**
   * The session's inbox in the store, in order, one batch at a time: events
   * published through it (another process's server.publish()), sent with
   * backpressure; and client POST bodies that reached another server,
   * delivered as if posted here. An item leaves the inbox in the same store
   * write as the line sealed from it or the client seq it delivered, so a
   * server that dies meanwhile loses none: its successor handles it (client
   * messages a taken-over inbox delivers are flagged `redelivered`: the
   * previous server may have handed them to its app).
   */
  async _drainInbox() {
    const st = this._store;
    if (st === null || this.closed) return;
    if (st.draining) {
      st.again = true;
      return;
    }
    st.draining = true;
    try {
      do {
        st.again = false;
        let items;
        try {
          if ((await this._token()) === null) return;
          items = await st.store.peekInbox(this.id, st.token, 256);
        } catch (err) {
          if (err && err.code === 'ERR_SESSION_MOVED') this._movedAway(err);
          return;
        }
        const inherited = this.resumed && !st.drained; // the first batch after a takeover
        st.drained = true;
        for (const item of items) {
          if (this.closed) return;
          if (item.c !== undefined) {
            this._postFromInbox(item.c, inherited);
            continue;
          }
          try {
            await this.send(item.e, true);
          } catch (err) {
            if (this.closed) return;
            this._stored({ inbox: true }); // refused (it fails the schemas): it leaves the inbox, reported
            if (this.listenerCount('error')) this.emit('error', err);
          }
        }
        if (items.length === 256) st.again = true;
      } while (st.again && !this.closed);
    } finally {
      st.draining = false;
    }
  }

  /**
   * A client POST body from the store's inbox: delivered like a POST to this
   * server (messages already delivered are skipped by seq); it leaves the
   * inbox with the client seq it delivered. A refused body is reported on
   * 'error' (the client resends what was not acknowledged after its resume).
   */
  _postFromInbox(body, inherited) {
    const upTo = this._redeliverUpTo;
    if (inherited) this._redeliverUpTo = Number.MAX_SAFE_INTEGER;
    let err;
    try {
      err = this._post(Buffer.from(body, 'utf8'));
    } finally {
      this._redeliverUpTo = upTo;
    }
    this._stored({ inbox: true, clientRx: true });
    if (err && this.listenerCount('error')) this.emit('error', err);
  }

  /** Another server took this session over: let go here, without forgetting it in the store. */
  _movedAway(err) {
    const t = this.link.transport;
    if (t) {
      this.link.detach();
      t.terminate();
    }
    this.close(err, { keepStored: true });
  }

  /** Throws ERR_STREAM_INVALID_EVENT unless the event, as it will be sent, passes the package's schemas. */
  _validate(event, pv, seq) {
    checkOutgoing(this._check, event, pv, seq, 'session.send()');
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

  /** Client message `seq` delivered (opened, when encrypted): to the app. */
  _deliver(msg, seq) {
    if (seq <= this._redeliverUpTo) {
      // possibly a duplicate: the server that held the session before may have delivered it
      this.redelivered++;
      this.emit('message', msg, { seq, redelivered: true });
    } else this.emit('message', msg);
    if (this._store !== null) this._stored({ clientRx: true });
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
      tell(this, 'gap', { from: gap.from, to: gap.to, count: gap.to - gap.from + 1, reason: GapReason.ReplayOverflow });
    }
    tell(this, 'connect', transport.kind);
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

  /**
   * The session ends here for good: what is queued goes out (as far as the
   * send window allows), then a reject SESSION_CLOSED, MACed over ("closed",
   * sid) with the session's key (encrypted) or resume verifier (plaintext),
   * so the client fails with SESSION_CLOSED instead of retrying a resume.
   */
  _tellClosed(err) {
    const link = this.link;
    // With a store, lines go out once stored (so a server taking the session over never
    // has less than the client saw); a session ending for good is taken over by no one,
    // so what send() accepted goes out now, stored or not.
    if (this._store !== null) link.storedSeq = link.outbox.nextSeq - 1;
    link.flush();
    const t = link.transport;
    if (t === null) return;
    const m = this.channel ? this.channel.mac('closed', this.id) : this._verifier ? mac(this._verifier, 'closed', this.id) : undefined;
    const why = err && err.message ? `the server closed session ${this.id}: ${err.message}` : `the server closed session ${this.id}`;
    t.send(build.reject(RejectCode.SessionClosed, why, m) + '\n');
  }

  /**
   * Ends the session: closes its connection, rejects pending sends, forgets
   * it (also in its store, unless `keepStored`: this server goes away, or
   * another took the session over).
   */
  close(err, { keepStored = false } = {}) {
    if (this.closed) return;
    this.closed = true;
    const st = this._store;
    if (st !== null) {
      const e = err || new SessionError('session is closed', 'ERR_SESSION_CLOSED');
      for (const w of st.waiters.splice(0)) w.reject(e);
      for (const w of st.metaWaiters.splice(0)) w.reject(e);
      if (!keepStored) {
        this._token()
          .then((token) => token !== null && st.store.remove(this.id, token))
          .catch(() => {});
      }
    }
    if (this._ttl !== null) {
      clearTimeout(this._ttl);
      this._ttl = null;
    }
    if (!keepStored && this.link.transport !== null) this._tellClosed(err);
    const t = this.link.detach();
    if (t) t.close(1000, 'session closed');
    this.link.rejectWaiters(err || new SessionError('session is closed', 'ERR_SESSION_CLOSED'));
    if (this.channel) this.channel.dispose();
    this.server._forget(this);
    this.emit('close', err);
  }
}

module.exports = { tell, Session, SessionError, checkOutgoing, sessionMeta };
