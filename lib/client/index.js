'use strict';
// ReconnectingStream: a client that survives the network. It reconnects with
// exponential backoff and jitter, resumes its session (WebSocket: the hello /
// welcome control frames; HTTP: GET /sessions/:id/stream?fromSeq=N), delivers
// each server event once and in seq order, and resends the messages the
// server has not acknowledged (the server drops duplicates by client seq).

const { StreamError } = require('../errors');
const { EventEmitter } = require('../platform/events');
const { createMachine } = require('./machine');
const { HttpClientTransport } = require('./transports');
const { WsTransport } = require('../transport/websocket');
const { Outbox } = require('../transport/outbox');
const { Link } = require('../transport/link');
const { encodeLine, byteLength, frameLines } = require('../transport/wire');
const control = require('../protocol/control');
const secure = require('../transport/secure');
const { Serial, isThenable } = require('../serial');
const { Delivery } = require('../transport/delivery');
const { notice } = require('../notice');
const { mac, checkMac, randomToken } = require('../crypto/hmac');
const { checkOptions, show } = require('../options');

const { build, RejectCode } = control;

// Room left in a frame for the control lines (ack, pong, batch header) sent with data.
const FRAME_SLACK = 1024;

const RESUME_STATE_VERSION = 1;

/** Checks the shape of a resumeState() object (it may come from storage); returns it. */
function checkResumeState(r) {
  const bad = (what) => new TypeError(`ReconnectingStream: options.resume is not a resumeState(): ${what}`);
  if (!r || typeof r !== 'object') throw bad('an object expected');
  if (r.v !== RESUME_STATE_VERSION) throw bad(`version ${JSON.stringify(r.v)} (this client reads ${RESUME_STATE_VERSION})`);
  if (!control.isSid(r.sessionId)) throw bad('sessionId');
  const seq = (n) => Number.isSafeInteger(n) && n >= 0;
  if (!seq(r.lastSeq) || !seq(r.acked)) throw bad('lastSeq/acked');
  if (!Array.isArray(r.pending) || !r.pending.every((l) => typeof l === 'string')) throw bad('pending');
  if (!Array.isArray(r.unsealed) || !r.unsealed.every((l) => typeof l === 'string')) throw bad('unsealed');
  if (r.enc === null && typeof r.credential !== 'string') throw bad('a plaintext session needs its credential');
  if (r.enc !== null && (typeof r.enc !== 'object' || r.enc === undefined)) throw bad('enc');
  return r;
}

/** The encryption option (checked by lib/options.js) as a mode. */
function encryptionMode(v) {
  if (typeof v === 'boolean') return v ? 'required' : 'disabled';
  return typeof v === 'object' ? v.mode : v;
}

class ReconnectingStream extends EventEmitter {
  constructor(options = {}) {
    super();
    const o = checkOptions('ReconnectingStream', options); // every option checked, defaults filled in
    let u;
    try {
      u = new URL(o.url);
    } catch {
      throw new TypeError(`ReconnectingStream: options.url is not a URL, got ${show(o.url)}`);
    }
    if (u.protocol === 'ws:' || u.protocol === 'wss:') this.transportKind = 'ws';
    else if (u.protocol === 'http:' || u.protocol === 'https:') this.transportKind = 'http';
    else throw new TypeError(`ReconnectingStream: unsupported url scheme ${u.protocol} (use ws:, wss:, http: or https:)`);
    this.url = options.url;
    this.options = options;
    const resume = o.resume === undefined ? null : checkResumeState(o.resume);
    if (resume && (options.sessionId !== undefined || options.credential !== undefined)) {
      throw new TypeError('ReconnectingStream: options.resume carries the session id and credential; give neither with it');
    }
    this._sessionId = resume ? resume.sessionId : o.sessionId === undefined ? null : o.sessionId;
    if (this._sessionId !== null && !control.isSid(this._sessionId)) {
      throw new TypeError(`ReconnectingStream: options.sessionId must be 1-128 printable ASCII characters, got ${show(this._sessionId)}`);
    }
    if (this._sessionId !== null) this._sessionId = control.canonicalSid(this._sessionId);
    // The resume credential of a plaintext session (docs/PROTOCOL.md §6):
    // given for a session made by server.createSession(), else received in
    // the welcome of a new session.
    this._credential = resume ? resume.credential : options.credential === undefined ? null : options.credential;
    if (this._credential !== null && (typeof this._credential !== 'string' || !this._sessionId)) {
      throw new TypeError('ReconnectingStream: options.credential must be a string, given with options.sessionId');
    }
    this._credKey = this._credential === null ? null : secure.credentialKey(this._credential, this._sessionId);
    if (this._credential !== null && !this._credKey) throw new TypeError('ReconnectingStream: options.credential is not a credential (base64url of 32 bytes)');
    this.encryptionMode = encryptionMode(o.encryption);
    if (this.transportKind === 'http') {
      if (!this._sessionId || this._credential === null) {
        throw new TypeError('ReconnectingStream: an http(s) url needs options.sessionId and options.credential (session.credential of server.createSession())');
      }
      if (this.encryptionMode === 'required') {
        throw new TypeError('ReconnectingStream: encryption over the HTTP transport is not supported; use a ws:// or wss:// url');
      }
    }
    const r = o.reconnect;
    const maxAttempts = r.maxAttempts;
    this._machine = createMachine({
      config: { maxRetries: maxAttempts, initialDelayMs: r.initialDelay, maxDelayMs: r.maxDelay, backoffMultiplier: r.backoffMultiplier, jitter: r.jitter, jitterFactor: r.jitterFactor },
      onEvent: (e) => this._machineEvent(e),
    });
    this._hbConfigured = options.heartbeatIntervalMs !== undefined;
    const hb = o.heartbeatIntervalMs;
    this.connectTimeoutMs = o.connectTimeoutMs;
    this._link = new Link(
      {
        role: 'client',
        outbox: new Outbox(resume ? { firstSeq: resume.acked + 1 } : undefined),
        maxOutboxBytes: o.maxOutboxBytes,
        highWaterMark: o.highWaterMark,
        maxFrameBytes: (this._maxFrameBytes = o.maxFrameBytes),
        sendWindowBytes: o.sendWindowBytes,
        heartbeatIntervalMs: hb,
        heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? Math.ceil(hb * 2.5),
        maxBufferedBytes: o.maxBufferedBytes,
        maxPendingSends: o.maxPendingSends,
      },
      {
        onData: (v, seq) => this._delivery.receive(v, seq),
        onOpened: (text, seq, kid) => this._delivery.receive(null, seq, text, kid),
        onControl: (f) => this._onControl(f),
        onGap: (g) => this._onGap(g),
        onDead: (reason) => this._drop(`heartbeat timeout: ${reason}`),
        onProtocolError: (err) => this._drop(err.message, err),
        onDrain: () => this.emit('drain'),
        onAck: () => this._checkFlushed(),
      },
    );
    this._pre = []; // message lines waiting for the encryption keys
    // server events: opened, delivered or refused (3 refusals of one seq in a row fail the stream)
    this._delivery = new Delivery(
      { what: 'event' },
      {
        channel: () => this.channel,
        deliver: (msg) => this.emit('message', msg),
        refused: (err, reason, final) => {
          if (!final) return this._drop(reason, err);
          this._emitError(err);
          return this._fatal(final, err.code || 'ENCRYPTION_DECRYPTION_FAILED');
        },
      },
    );
    this._peerMax = null; // the server's maximum message size (welcome.max)
    this._handshake = null;
    this.channel = null;
    // crypto.subtle (browsers): frames are handled in order behind the
    // pending decryption; seals complete in order into the outbox.
    this._rx = new Serial((err) => this._drop(`cannot read a frame: ${err.message}`, err));
    this._frameTask = (t, data) => this._readFrame(t, data);
    this._closeTask = (t, reason) => this._onClose(t, reason);
    this._sealTail = null;
    this._sealing = 0; // messages being sealed, not yet in the outbox
    this._finishing = null; // Promise while the keys of a welcome are derived
    this._transport = null;
    this._welcomed = false;
    this._everConnected = false;
    this._connectTimer = null;
    this._connectWaiters = [];
    this._flushWaiters = [];
    this._maxAttempts = maxAttempts;
    this._stalls = 0; // connections in a row that ended without progress
    this._lastAttempt = null; // { reason, code } of the last connection that ended
    if (resume) this._restore(resume);
    this.failure = null;
    this.reconnects = 0;
    this.gaps = [];
    for (const [ev, key] of [
      ['message', 'onMessage'],
      ['gap', 'onGap'],
      ['error', 'onError'],
    ]) {
      if (typeof options[key] === 'function') this.on(ev, options[key]);
    }
  }

  // ---- public surface --------------------------------------------------

  get state() {
    return this._machine.getState();
  }

  /** Seq of the last server event delivered (0 before the first). */
  get lastSeq() {
    return this._link.rx;
  }

  get sessionId() {
    return this._sessionId;
  }

  get encrypted() {
    return this.channel !== null;
  }

  get retryCount() {
    return this._machine.getRetryCount();
  }

  /** Messages sent and not yet acknowledged by the server. */
  get pending() {
    return this._link.outbox.count + this._pre.length + this._sealing;
  }

  get bufferedBytes() {
    return this._link.outbox.bytes + this._link.extraBytes;
  }

  get stats() {
    const rekeys = this.channel ? this.channel.rekeys : 0;
    return { ...this._link.stats, reconnects: this.reconnects, gaps: this.gaps.length, pending: this.pending, rekeys, stalls: this._stalls };
  }

  /**
   * Everything a new process needs to continue this session exactly once
   * (`new ReconnectingStream({ url, resume })`), as JSON-serializable data:
   * the session id, the resume credential or the session's keys, the last
   * event delivered, and the messages not yet acknowledged. A secret: store
   * it like a password. Take it after handling events (it says which were
   * delivered) and after send() (it carries what is not yet acknowledged).
   */
  resumeState() {
    if (!this._everConnected) throw new StreamError('resumeState(): no session yet (connect first)', 'ERR_STREAM_NO_SESSION');
    if (this.channel && this.channel.async) {
      throw new StreamError('resumeState(): the keys of a crypto.subtle session cannot be exported', 'ERR_STREAM_RESUME_STATE');
    }
    if (this._sealing) throw new StreamError('resumeState(): messages are being sealed; await send() first', 'ERR_STREAM_RESUME_STATE');
    const ob = this._link.outbox;
    return {
      v: RESUME_STATE_VERSION,
      sessionId: this._sessionId,
      credential: this.channel ? null : this._credential,
      lastSeq: this._link.rx,
      acked: ob.headSeq - 1,
      pending: ob.lines.slice(ob.head),
      unsealed: this._pre.slice(),
      enc: this.channel ? this.channel.export() : null,
    };
  }

  _restore(r) {
    this._everConnected = true;
    this._link.rx = r.lastSeq;
    for (const line of r.pending) this._link.outbox.push(line);
    if (r.enc) {
      this.channel = secure.Channel.restore(r.sessionId, r.enc);
      this._link.auth = this.channel;
    }
    for (const inner of r.unsealed) {
      this._pre.push(inner);
      this._link.extraBytes += byteLength(inner);
    }
  }

  /** The resume credential of a plaintext session (null for an encrypted one: its keys prove it). A secret. */
  get credential() {
    return this._credential;
  }

  /** Connects (or reconnects after a failure); resolves once the session is ready. */
  connect() {
    const st = this.state;
    if (st === 'closed') return Promise.reject(new StreamError('stream is closed', 'ERR_STREAM_CLOSED'));
    if (st === 'connected') return Promise.resolve();
    const p = new Promise((resolve, reject) => this._connectWaiters.push({ resolve, reject }));
    if (st === 'disconnected' || st === 'failed') {
      this.failure = null;
      this._machine.connect();
    }
    return p;
  }

  /**
   * Queues one message (serialized once, sealed once when encrypted) and
   * resolves when the unacknowledged bytes and the socket buffer are within
   * maxOutboxBytes / highWaterMark. Delivered once, in order, across reconnects.
   */
  send(message) {
    const st = this.state;
    if (st === 'closed') return Promise.reject(new StreamError('stream is closed', 'ERR_STREAM_CLOSED'));
    if (st === 'failed') return Promise.reject(this._failError());
    const full = this._link.pendingRefusal(StreamError, 'send()');
    if (full) return Promise.reject(full);
    let inner;
    try {
      inner = encodeLine(message);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this._peerMax !== null) {
      const size = byteLength(inner);
      // an envelope: base64 of the ciphertext and tag, plus its JSON fields
      const wire = this.channel ? 4 * Math.ceil((size + 40) / 3) + 256 + this._sessionId.length : size;
      if (wire + FRAME_SLACK > this._peerMax) {
        return Promise.reject(
          new StreamError(`message of ${size} bytes exceeds the server's maximum message size (${this._peerMax} bytes)`, 'ERR_STREAM_MESSAGE_TOO_LARGE'),
        );
      }
    }
    if (this._pre.length || (!this._welcomed && this.encryptionMode !== 'disabled' && !this.channel)) {
      const size = byteLength(inner);
      this._pre.push(inner);
      this._link.extraBytes += size;
    } else {
      this._enqueue(inner);
    }
    return this._link.wait();
  }

  /** Resolves when every message sent so far has been acknowledged by the server. */
  flush() {
    if (this.pending === 0) return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new StreamError('stream is closed', 'ERR_STREAM_CLOSED'));
    if (this.state === 'failed') return Promise.reject(this._failError());
    return new Promise((resolve, reject) => this._flushWaiters.push({ resolve, reject }));
  }

  /** Final: cancels any pending retry, closes the connection, rejects pending sends. */
  close() {
    if (this.state === 'closed') return Promise.resolve();
    this._machine.close();
    const err = new StreamError('stream is closed', 'ERR_STREAM_CLOSED');
    this._teardown(err);
    const t = this._transport;
    this._transport = null;
    if (!t) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        t.terminate();
        resolve();
      }, 1000);
      t.h.onClose = () => {
        clearTimeout(timer);
        resolve();
      };
      t.close(1000, 'client closed');
    }).then(() => this.emit('close'));
  }

  // ---- machine events --------------------------------------------------

  _machineEvent(e) {
    switch (e.type) {
      case 'state_change': {
        // entering 'reconnecting': why the connection (or the attempt) ended
        const why = e.state === 'reconnecting' && this._lastAttempt ? this._lastAttempt : undefined;
        this.emit('stateChange', e.state, e.previousState, why);
        if (typeof this.options.onStateChange === 'function') this.options.onStateChange(e.state, e.previousState, why);
        if (e.state === 'connecting') this._open();
        return;
      }
      case 'retry_scheduled': {
        const last = this._lastAttempt || { reason: undefined, code: undefined };
        if (!this._everConnected) this._noticeRetry(e, last);
        this.emit('retry', { attempt: e.attempt, delayMs: e.delayMs, reason: last.reason, code: last.code });
        if (typeof this.options.onReconnect === 'function') this.options.onReconnect(e.attempt, e.delayMs);
        return;
      }
      case 'retry_started':
        this.emit('retryStarted', { attempt: e.attempt });
        return;
      case 'connected':
        return;
      case 'disconnected':
        this.emit('disconnected', { reason: e.reason, code: this._lastAttempt ? this._lastAttempt.code : undefined });
        return;
      case 'failed':
        this._failed(e.reason);
        return;
      default:
    }
  }

  /**
   * A first connection that keeps failing is said on stderr, one line per
   * retry, while nobody listens to 'retry', 'disconnected' or 'stateChange'
   * (nor gave onReconnect/onStateChange); ENCLAVE_STREAM_QUIET=1 silences it.
   */
  _noticeRetry(e, last) {
    const o = this.options;
    if (typeof o.onReconnect === 'function' || typeof o.onStateChange === 'function') return;
    if (this.listenerCount('retry') || this.listenerCount('disconnected') || this.listenerCount('stateChange')) return;
    const why = last.code && !String(last.reason).startsWith(last.code) ? `${last.code}: ${last.reason}` : last.reason;
    notice(`ReconnectingStream ${this.url}: connection failed (${why}); retry ${e.attempt} of ${this._maxAttempts} in ${e.delayMs} ms`);
  }

  _failError() {
    const f = this.failure || { reason: 'failed', code: 'ERR_STREAM_FAILED' };
    return new StreamError(f.reason, f.code, f.lastCode === undefined ? undefined : { lastCode: f.lastCode });
  }

  _failed(reason) {
    if (!this.failure) {
      // retries exhausted: the last attempt's reason, and its code as lastCode (ERR_STREAM_NOT_A_STREAM, ECONNREFUSED ...)
      this.failure = { reason, code: 'ERR_STREAM_RETRIES_EXHAUSTED' };
      if (this._lastAttempt && this._lastAttempt.code !== undefined) this.failure.lastCode = this._lastAttempt.code;
    }
    const err = this._failError();
    const t = this._transport;
    this._transport = null;
    if (t) t.terminate();
    this._teardown(err);
    this.emit('failed', { ...this.failure });
    if (typeof this.options.onFailed === 'function') this.options.onFailed(this.failure);
  }

  _fatal(reason, code) {
    this.failure = { reason, code };
    this._machine.onFatalError(reason);
  }

  _teardown(err) {
    if (this._connectTimer !== null) {
      clearTimeout(this._connectTimer);
      this._connectTimer = null;
    }
    this._link.detach();
    this._welcomed = false;
    this._link.rejectWaiters(err);
    for (const w of this._connectWaiters.splice(0)) w.reject(err);
    for (const w of this._flushWaiters.splice(0)) w.reject(err);
  }

  // ---- connection attempts --------------------------------------------

  _open() {
    const old = this._transport;
    if (old) {
      this._transport = null;
      old.terminate();
    }
    this._welcomed = false;
    const handlers = {
      onOpen: () => this._onOpen(t),
      onFrame: (data) => this._onFrame(t, data),
      onReject: (frame, status) => this._onReject(t, frame, status),
      // in arrival order: after the frames that came before it (crypto.subtle reads them asynchronously)
      onClose: (reason) => this._rx.run(this._closeTask, t, reason),
    };
    let t;
    try {
      if (this.transportKind === 'ws') {
        t = WsTransport.connect(this.url, handlers, { WebSocket: this.options.WebSocket });
      } else {
        t = new HttpClientTransport(this.url, this._sessionId, this._link.rx + 1, handlers, this._credential);
      }
    } catch (err) {
      this._fatal(err.message, 'ERR_STREAM_TRANSPORT');
      return;
    }
    this._transport = t;
    this._connectTimer = setTimeout(() => {
      this._connectTimer = null;
      if (this._transport === t && !this._welcomed) {
        t.abort(`connect timed out after ${this.connectTimeoutMs} ms`, 'ERR_STREAM_CONNECT_TIMEOUT');
      }
    }, this.connectTimeoutMs);
  }

  _onOpen(t) {
    if (this._transport !== t) return;
    if (t.kind === 'http') {
      this._ready(t, { sid: this._sessionId, resumed: this._everConnected, rx: this._link.outbox.acked });
      return;
    }
    if (this._finishing) {
      // keys from the last welcome are still being derived: resume with them
      this._finishing.then(() => this._onOpen(t));
      return;
    }
    if (this._resuming()) {
      // a resume proves the session's keys or credential over the server's challenge
      t.needsChallenge = true;
      if (t.challenge) this._sendHello(t);
      return;
    }
    let enc;
    if (this.encryptionMode !== 'disabled') {
      this._handshake = secure.clientHandshake();
      enc = this._handshake.hello;
    }
    const hello = (e) => {
      if (this._transport === t) t.send(build.hello({ sid: this._sessionId, resume: false, rx: 0, enc: e }) + '\n');
    };
    if (isThenable(enc)) enc.then(hello, (err) => this._fatal(`encryption handshake failed: ${err.message}`, err.code || 'ENCRYPTION_HANDSHAKE_FAILED'));
    else hello(enc);
  }

  /** true when the next hello resumes a session (one this client opened, or one given with its credential). */
  _resuming() {
    return this._everConnected || this._credKey !== null;
  }

  /** The resuming hello: rx and a proof over the server's challenge and our nonce. */
  _sendHello(t) {
    if (t.helloSent || this._transport !== t) return;
    t.helloSent = true;
    t.cn = randomToken(16);
    const sid = this._sessionId;
    const rx = this._link.rx;
    const fields = [sid, t.challenge, t.cn, rx];
    const proof = this.channel ? this.channel.mac('resume', ...fields) : mac(this._credKey, 'resume', ...fields);
    // tx: what this client may have sent before (a server that takes the session over flags those it redelivers)
    t.send(build.hello({ sid, resume: true, rx, cn: t.cn, proof, tx: this._link.outbox.nextSeq - 1 }) + '\n');
  }

  // Frames are read in arrival order: at once while everything is
  // synchronous, else behind the pending crypto.subtle work.
  _onFrame(t, data) {
    if (this._transport !== t) return;
    this._rx.run(this._frameTask, t, data);
  }

  _readFrame(t, data) {
    if (t.dropped) return undefined;
    if (t.welcomed) {
      // A frame that arrived whole is read even if its connection dropped
      // while earlier frames were decrypted: what it delivers is not fetched
      // again (the next hello carries the new rx), duplicates are dropped by seq.
      if (this.channel && this.channel.async) return this._openThenReceive(data);
      this._link.receiveFrame(data);
      return undefined;
    }
    if (this._transport !== t) return undefined; // a welcome of a dropped connection
    let lines = frameLines(data);
    let f = null;
    try {
      f = JSON.parse(lines[0]);
    } catch {
      f = null;
    }
    if (f && control.isControl(f) && f.t === 'challenge' && !t.challenge && !control.checkControl(f)) {
      t.challenge = f.n;
      if (t.needsChallenge) this._sendHello(t);
      if (lines.length === 1) return undefined;
      lines = lines.slice(1);
      try {
        f = JSON.parse(lines[0]);
      } catch {
        f = null;
      }
    }
    if (f && control.isControl(f) && f[control.CONTROL_KEY] !== control.CONTROL_VERSION) {
      this._fatal(`the server speaks control version ${JSON.stringify(f[control.CONTROL_KEY])}, this client ${control.CONTROL_VERSION}`, RejectCode.UnsupportedVersion);
      return undefined;
    }
    if (!f || !control.isControl(f) || control.checkControl(f)) {
      // a WebSocket server that is not a StreamServer (or a relay that garbles): a failed attempt
      t.dropped = true;
      t.abort('expected a welcome from the server: not a StreamServer', 'ERR_STREAM_NOT_A_STREAM');
      return;
    }
    if (f.t === 'reject') {
      this._onReject(t, f);
      return;
    }
    if (f.t !== 'welcome') {
      this._drop(`expected a welcome, got ${f.t}`);
      return;
    }
    if (t.helloSent && !f.resumed) {
      this._fatal('the server started a new session instead of resuming', RejectCode.SessionUnknown);
      return;
    }
    if (f.resumed) {
      // the server proves it holds the session's keys, over our nonce, and vouches for its rx
      if (this.channel && !this.channel.check(f.m, 'welcome', this._sessionId, t.cn, f.rx, f.next)) {
        this._drop('the welcome failed authentication', new StreamError('the welcome failed authentication', 'ERR_STREAM_AUTH'));
        return undefined;
      }
    }
    // a welcome never acknowledges more than was sent on the session (a new
    // one has received nothing): the outbox would take the rest as delivered
    // and never send it
    const sent = f.resumed ? this._link.outbox.nextSeq - 1 : 0;
    if (f.rx > sent) {
      const why = `welcome.rx ${f.rx} is beyond the last message sent (${sent})`;
      this._drop(why, new StreamError(why, 'ERR_STREAM_RANGE'));
      return undefined;
    }
    if (f.resumed && !this.channel && this.encryptionMode === 'required') {
      this._fatal('the server resumed a plaintext session but encryption is required', RejectCode.EncryptionRequired);
      return undefined;
    }
    if (!f.resumed) {
      if (f.enc && !this._handshake) {
        this._drop('a ServerHello this client did not ask for', new StreamError('a ServerHello this client did not ask for', 'ERR_STREAM_CONTROL'));
        return undefined;
      }
      if (!f.enc && this.encryptionMode === 'required') {
        // refused before anything of the session is kept: a later connect() starts afresh
        this._fatal('the server does not encrypt this session but encryption is required', RejectCode.EncryptionRequired);
        return undefined;
      }
      if (!f.enc) {
        this._credKey = f.cred === undefined ? null : secure.credentialKey(f.cred, f.sid);
        if (!this._credKey) {
          this._drop('the welcome of a plaintext session carries no resume credential', new StreamError('welcome without a resume credential', 'ERR_STREAM_CONTROL'));
          return undefined;
        }
        this._credential = f.cred;
      }
      if (f.enc) {
        const failed = (err) => this._fatal(`encryption handshake failed: ${err.message}`, err.code || 'ENCRYPTION_HANDSHAKE_FAILED');
        let ch;
        try {
          ch = this._handshake.finish(f.enc, f.sid);
        } catch (err) {
          failed(err);
          return undefined;
        }
        if (isThenable(ch)) {
          this._finishing = ch.then(
            (c) => {
              this._finishing = null;
              this.channel = c;
              this._handshake = null;
              if (this._transport === t) return this._welcome(t, f, lines);
              // The connection dropped while the keys were derived: the
              // session exists on the server, so the next connection resumes it.
              this._sessionId = f.sid;
              this._everConnected = true;
              return undefined;
            },
            (err) => {
              this._finishing = null;
              failed(err);
            },
          );
          return this._finishing;
        }
        this.channel = ch;
      }
      this._handshake = null;
    }
    return this._welcome(t, f, lines);
  }

  _welcome(t, f, lines) {
    if (Number.isSafeInteger(f.max) && f.max > 0) {
      // Frames stay under the server's message limit (less room for the
      // control lines that share a frame); send() refuses a longer message.
      this._peerMax = f.max;
      this._link.maxFrameBytes = Math.max(1, Math.min(this._maxFrameBytes, f.max - FRAME_SLACK));
    }
    if (!this._hbConfigured && Number.isFinite(f.hb)) {
      this._link.heartbeatIntervalMs = f.hb;
      if (this.options.heartbeatTimeoutMs === undefined) this._link.heartbeatTimeoutMs = Math.ceil(f.hb * 2.5);
    }
    this._ready(t, f);
    if (lines.length > 1) {
      const rest = lines.slice(1).join('\n');
      if (this.channel && this.channel.async) return this._openThenReceive(rest);
      this._link.receiveFrame(rest);
    }
    return undefined;
  }

  /**
   * crypto.subtle: opens every envelope of a frame first (in parallel), then
   * lets the Link read the frame with the results at hand, so seq checks,
   * acks, replay checks and refusals happen exactly as on the synchronous path.
   */
  async _openThenReceive(data) {
    const ch = this.channel;
    await ch.prepare(frameLines(data));
    try {
      this._link.receiveFrame(data);
    } finally {
      ch.done();
    }
  }

  _ready(t, f) {
    if (this._connectTimer !== null) {
      clearTimeout(this._connectTimer);
      this._connectTimer = null;
    }
    const resumed = this._everConnected;
    this._sessionId = f.sid;
    this._welcomed = true;
    t.welcomed = true;
    this._everConnected = true;
    this._link.auth = this.channel;
    // Messages sent before the keys existed: sealed now, in order.
    if (this._pre.length) {
      const pre = this._pre;
      this._pre = [];
      this._link.extraBytes = 0;
      for (const inner of pre) this._enqueue(inner);
    }
    const ackedBefore = this._link.outbox.acked;
    this._link.attach(t, f.rx);
    // The welcome acknowledges messages the last connection delivered without
    // its acks getting back: that connection made progress after all.
    if (this._link.outbox.acked > ackedBefore) this._stalls = 0;
    // An unanswered rekey goes first, before any message sealed with its keys.
    const rekeyed = this.channel && this.channel.resendFrame();
    if (rekeyed) this._link.control(rekeyed);
    // Progress on this connection (a connection that moves nothing while
    // something waits counts as a failed attempt).
    t.start = { rx: this._link.rx, acked: this._link.outbox.acked, work: (Number.isSafeInteger(f.next) && f.next - 1 > this._link.rx) || this._link.outbox.count > 0, sent: this._link.outbox.nextSeq };
    // The welcome's rx may acknowledge what an ack frame never did.
    this._checkFlushed();
    this._machine.onConnected();
    if (resumed) this.reconnects++;
    this.emit('connected', { sessionId: f.sid, resumed });
    if (resumed) this.emit('reconnect', { sessionId: f.sid, lastSeq: this._link.rx });
    for (const w of this._connectWaiters.splice(0)) w.resolve();
  }

  _enqueue(inner) {
    const link = this._link;
    if (this.channel && this.channel.async) {
      // crypto.subtle: the seq is reserved now, the envelope joins the outbox in order
      const size = byteLength(inner);
      const seq = link.outbox.nextSeq + this._sealing;
      this._sealing++;
      link.extraBytes += size;
      const sealed = this.channel.seal(seq, inner);
      const done = () => {
        this._sealing--;
        link.extraBytes -= size;
      };
      this._sealTail = (this._sealTail || Promise.resolve()).then(() =>
        sealed.then(
          (line) => {
            done();
            if (this.state === 'closed' || this.state === 'failed') return;
            link.enqueue(line, line.length);
          },
          (err) => {
            done();
            this._emitError(err);
            this._fatal(`cannot seal message ${seq}: ${err.message}`, err.code || 'ENCRYPTION_HANDSHAKE_FAILED');
          },
        ),
      );
      return;
    }
    const line = this.channel ? this.channel.seal(link.outbox.nextSeq, inner) : inner;
    link.enqueue(line, line === inner ? undefined : line.length);
  }

  _onReject(t, f, status) {
    if (this._transport !== t) return;
    const code = (f && f.code) || `HTTP_${status}`;
    let message = (f && f.message) || `the server refused the connection (${code})`;
    if (code === RejectCode.SessionAuthFailed) {
      // the server says no more, on purpose (docs/PROTOCOL.md §6)
      message = `the server refused to resume session ${this._sessionId}: it does not know it (expired, closed, or the server restarted without a shared store) or the proof failed`;
    }
    if (code === RejectCode.TooManySessions || code === RejectCode.ServerClosing) {
      // the server is full or going away: a failed attempt, retried with backoff (maxAttempts applies)
      t.abort(`${code}: ${message}`, code);
      return;
    }
    this._fatal(message, code);
  }

  _onClose(t, reason) {
    if (this._transport !== t) return;
    this._transport = null;
    if (this._connectTimer !== null) {
      clearTimeout(this._connectTimer);
      this._connectTimer = null;
    }
    this._link.detach();
    this._welcomed = false;
    const st = this.state;
    if (st === 'closed' || st === 'failed') return;
    if (t.start) {
      const s0 = t.start;
      const link = this._link;
      const moved = link.rx > s0.rx || link.outbox.acked > s0.acked;
      const work = s0.work || link.outbox.nextSeq > s0.sent || link.outbox.count > 0;
      if (moved || !work) this._stalls = 0;
      else if (++this._stalls >= Math.max(1, this._maxAttempts)) {
        // (a connection whose messages arrived but whose acks did not is
        // credited when the next welcome reports them: see _ready)
        this._fatal(`${this._stalls} connections in a row ended without delivering anything (last: ${reason})`, 'ERR_STREAM_NO_PROGRESS');
        return;
      }
    }
    if (t.closeCode === 1009) {
      // A frame over the receiver's maximum message size: resending it
      // after a reconnect would fail the same way, forever.
      this._fatal(`a message exceeds the maximum message size of the peer (${reason})`, 'ERR_STREAM_MESSAGE_TOO_LARGE');
      return;
    }
    this._lastAttempt = { reason, code: t.code };
    // a url answered by something else than a StreamServer: said on 'error' at each attempt
    if (t.code === 'ERR_STREAM_NOT_A_STREAM') this._emitError(new StreamError(reason, t.code));
    this._machine.onDisconnected(reason);
  }

  _drop(reason, err) {
    if (err) this._emitError(err);
    const t = this._transport;
    if (!t) return;
    t.dropped = true; // frames of it still queued are not read (the resume fetches them again)
    t.abort(reason, err && err.code);
  }

  _emitError(err) {
    if (this.listenerCount('error')) this.emit('error', err);
  }

  // ---- inbound ---------------------------------------------------------

  /** Control frames the Link leaves to its owner: the server's rekey. */
  _onControl(f) {
    const link = this._link;
    if (f.t === 'rekey' && this.channel) {
      let r;
      try {
        r = this.channel.onRekey(f, () => link.outbox.nextSeq + this._sealing);
      } catch (err) {
        link._protocolError(err.message, err.code);
        return false;
      }
      if (isThenable(r)) {
        const t = this._transport;
        // crypto.subtle: the answer goes out when the keys exist (or with the next resume)
        r.then(
          (frame) => {
            if (this._transport === t && link.transport) link.control(frame);
          },
          // the same error and drop as a synchronous refusal, on the connection it came on
          (err) => {
            if (this._transport === t) link._protocolError(err.message, err.code);
          },
        );
      } else if (r) link.control(r);
      return true;
    }
    if (f.t === 'challenge') return true; // a late duplicate: harmless
    if (f.t === 'reject' && f.code === RejectCode.SessionClosed && this._closedBy(f)) return false;
    link._protocolError(`unexpected ${f.t} frame from the server`, 'ERR_STREAM_CONTROL');
    return false;
  }

  /**
   * A reject SESSION_CLOSED on a live session: the server app closed it.
   * Final only when its MAC over ("closed", sid) checks with the session's
   * key or credential (a relay cannot forge it on an encrypted session);
   * else (false) a protocol error drops the connection and the resume finds out.
   */
  _closedBy(f) {
    const fields = ['closed', this._sessionId];
    const ok = this.channel ? this.channel.check(f.m, ...fields) : this._credKey !== null && checkMac(f.m, this._credKey, ...fields);
    if (!ok) return false;
    this._fatal(f.message || `the server closed session ${this._sessionId}`, RejectCode.SessionClosed);
    return true;
  }

  _onGap(g) {
    this.gaps.push(g);
    this.emit('gap', g);
  }

  _checkFlushed() {
    if (this._flushWaiters.length && this.pending === 0) for (const w of this._flushWaiters.splice(0)) w.resolve();
  }
}

module.exports = { ReconnectingStream };
