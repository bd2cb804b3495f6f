'use strict';
// StreamServer: resumable, optionally end-to-end encrypted event streams
// over WebSocket (the control frames of lib/protocol/control.js), plus
// GET /sessions/:id/stream?fromSeq=N (NDJSON) and
// POST /sessions/:id/messages for HTTP clients.

const http = require('node:http');
const nodeCrypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const { WebSocketServer } = require('ws');
const { Session, SessionError, checkOutgoing, sessionMeta, tell } = require('./session');
const { MemorySessionStore } = require('../store/memory');
const { RedisSessionStore } = require('../store/redis');
const { HttpStreamTransport } = require('./transports');
const { WsTransport } = require('../transport/websocket');
const control = require('../protocol/control');
const { splitLines } = require('../ndjson');
const secure = require('../transport/secure');
const { frameLines } = require('../transport/wire');
const { checkMac, randomToken, safeEqual } = require('../crypto/hmac');
const { checkOptions, defaults } = require('../options');

const { build, RejectCode, canonicalSid } = control;
const AUTH_FAILED = 'session resume refused';

// The option defaults, from the one description of every option (lib/options.js).
const DEFAULTS = Object.freeze(defaults('StreamServer'));

class StreamServer extends EventEmitter {
  constructor(options = {}) {
    super();
    const o = checkOptions('StreamServer', options);
    o.maxHelloBytes = Math.min(o.maxHelloBytes, o.maxPayload);
    if (o.heartbeatTimeoutMs === undefined) o.heartbeatTimeoutMs = Math.ceil(o.heartbeatIntervalMs * 2.5);
    this.options = o;
    this.sessions = new Map();
    this.closed = false;
    this._pendingHellos = 0; // connections open whose hello was not yet accepted
    this._claiming = new Map(); // sid -> Promise: a takeover from the store in progress
    // The default is an embedded MemorySessionStore private to this server:
    // its sessions are the server's own (nothing is written twice), as
    // before stores existed. ENCLAVE_STREAM_STORE=memory serves them through
    // a private MemorySessionStore instead, the whole store path (testing).
    this.store = o.store || (process.env.ENCLAVE_STREAM_STORE === 'memory' ? new MemorySessionStore() : MemorySessionStore.embedded());
    this._store = this.store.embedded ? null : this.store; // the store written to, or null (embedded)
    this._node = this.store.register({ onTakeover: (sid) => this._takenOver(sid), onPublish: (sid) => this._published(sid) });
    this._ownServer = !o.server;
    this.httpServer = o.server || http.createServer();
    this._httpRoutes = o.httpRoutes === undefined ? this._ownServer : !!o.httpRoutes;
    // Until its hello is accepted a connection may send at most maxHelloBytes
    // per message; _connection raises the limit to maxPayload afterwards.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxHelloBytes, perMessageDeflate: false });
    this._onUpgrade = (req, socket, head) => this._upgrade(req, socket, head);
    this._onRequest = (req, res) => this._request(req, res);
    this.httpServer.on('upgrade', this._onUpgrade);
    if (this._httpRoutes) this.httpServer.on('request', this._onRequest);
    this.wss.on('connection', (ws) => this._connection(ws));
  }

  /** Starts listening (unless given an external server); resolves with the bound address. */
  listen() {
    if (!this._ownServer) return Promise.resolve(this.address());
    return new Promise((resolve, reject) => {
      const onError = (err) => reject(err);
      this.httpServer.once('error', onError);
      this.httpServer.listen(this.options.port, this.options.host, () => {
        this.httpServer.off('error', onError);
        resolve(this.address());
      });
    });
  }

  address() {
    const a = this.httpServer.address();
    if (!a || typeof a === 'string') return a;
    const host = a.family === 'IPv6' || a.family === 6 ? `[${a.address}]` : a.address;
    return { ...a, url: `ws://${host}:${a.port}${this.options.path || ''}`, httpUrl: `http://${host}:${a.port}` };
  }

  getSession(id) {
    return this.sessions.get(id);
  }

  /**
   * Creates a plaintext session before any client connects (for HTTP
   * consumers of GET /sessions/:id/stream, broker style). The session's
   * `credential` is the secret its client resumes with (the `credential`
   * option of ReconnectingStream, or the x-esn-credential header).
   */
  createSession(id) {
    if (this.options.encryption === 'required') {
      throw new SessionError('encryption is required: sessions are created by a client handshake', RejectCode.EncryptionRequired);
    }
    let sid;
    if (id === undefined) sid = `s_${nodeCrypto.randomUUID()}`;
    else if (!control.isSid(String(id))) throw new TypeError(`StreamServer.createSession: a session id is 1-128 printable ASCII characters, got ${JSON.stringify(String(id))}`);
    else sid = canonicalSid(String(id));
    if (this.sessions.has(sid)) throw new SessionError(`session ${sid} exists`, RejectCode.SessionExists);
    if (this.sessions.size >= this.options.maxSessions) throw new SessionError(`this server holds maxSessions (${this.options.maxSessions}) sessions`, RejectCode.TooManySessions);
    const cred = randomToken(32);
    const verifier = secure.credentialKey(cred, sid);
    const s = this._newSession(sid, null, verifier);
    s.credential = cred;
    if (this._store) {
      // stored before its first event is: _persist waits for the record
      s._useStore(this._store, null, this._store.create(sid, sessionMeta(null, verifier), this._node));
    }
    return s;
  }

  /**
   * Sends `event` to session `sessionId` wherever its client is connected:
   * through this server when it holds the session, else through the store
   * (to the server that holds it, or the next one to take it over).
   * Resolves once the event is stored.
   */
  async publish(sessionId, event) {
    const sid = canonicalSid(String(sessionId));
    const local = this.sessions.get(sid);
    if (local && !local.closed) return local.send(event, false, true); // resolves once stored
    if (!this._store) throw new SessionError(`session ${sid} is unknown to this server (give StreamServer a store to publish across servers)`, RejectCode.SessionUnknown);
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new TypeError('server.publish(sessionId, event): event must be an object');
    const pv = event.protocolVersion === undefined ? 2 : event.protocolVersion;
    checkOutgoing({ protocolVersion: pv, sessionId: sid, seq: 1 }, event, pv, 1, 'server.publish()');
    return this._store.publish(sid, event);
  }

  /** The store says another server took `sid` over. */
  _takenOver(sid) {
    const s = this.sessions.get(sid);
    if (s) s._movedAway(new SessionError(`session ${sid} was taken over by another server`, 'ERR_SESSION_MOVED'));
  }

  /** The store says events were published for `sid` (held here). */
  _published(sid) {
    const s = this.sessions.get(sid);
    if (s) s._drainInbox();
  }

  _newSession(id, channel, verifier) {
    const s = new Session(this, id, this.options, channel, verifier);
    this.sessions.set(id, s);
    return s;
  }

  /**
   * true when `proof` proves the hello's sender holds the session's keys
   * (channel) or credential (verifier), in constant time; the same work
   * whether the session exists or not.
   */
  _proven(channel, verifier, f, nonce) {
    const fields = [f.sid, nonce, f.cn, f.rx];
    if ((!channel && !verifier) || !control.isToken(f.cn) || !control.isToken(f.proof)) {
      checkMac(f.proof, DUMMY_KEY, 'resume', ...fields);
      return false;
    }
    return channel ? channel.check(f.proof, 'resume', ...fields) : checkMac(f.proof, verifier, 'resume', ...fields);
  }

  _forget(session) {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
  }

  /** Stops accepting, closes every connection and forgets every session. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.httpServer.off('upgrade', this._onUpgrade);
    this.httpServer.off('request', this._onRequest);
    // with a store: what send() accepted is written there before the sessions let go
    if (this._store) await Promise.all([...this.sessions.values()].map((s) => (s.closed ? null : s._stored({ meta: true }).catch(() => {}))));
    for (const s of [...this.sessions.values()]) {
      const t = s.link.transport;
      // with a store the sessions stay there: another server (or this one restarted) takes them over
      s.close(new SessionError('server closed', 'ERR_SERVER_CLOSED'), { keepStored: true });
      if (t) t.terminate();
    }
    this.store.unregister(this._node);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise((resolve) => this.wss.close(() => resolve()));
    if (this._ownServer) {
      if (typeof this.httpServer.closeAllConnections === 'function') this.httpServer.closeAllConnections();
      await new Promise((resolve) => this.httpServer.close(() => resolve()));
    }
    this.emit('close');
  }

  // ---- WebSocket -------------------------------------------------------

  _upgrade(req, socket, head) {
    if (this.closed) return socket.destroy();
    const want = this.options.path;
    if (want !== undefined) {
      const p = (req.url || '/').split('?')[0];
      if (p !== want) {
        if (!this._ownServer) return; // someone else's upgrade
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  _connection(ws) {
    // Connections that have not said hello are bounded in number (each may
    // buffer up to maxHelloBytes): past maxPendingHellos, close 1013 (try again later).
    if (this._pendingHellos >= this.options.maxPendingHellos) {
      ws.on('error', () => {});
      ws.close(1013, 'too many connections waiting for their hello');
      return;
    }
    this._pendingHellos++;
    let waiting = true;
    const settled = () => {
      if (waiting) {
        waiting = false;
        this._pendingHellos--;
      }
    };
    let session = null;
    let queued = null; // frames that arrive while a hello waits for the store (at most maxHelloBytes in all)
    let queuedBytes = 0;
    const nonce = randomToken(16);
    const helloTimer = setTimeout(() => this._reject(ws, RejectCode.BadHello, 'no hello received'), this.options.helloTimeoutMs);
    const accepted = (s) => {
      session = s;
      // accepted: messages up to maxPayload from now on (ws keeps the limit in its receiver)
      if (s && ws._receiver && typeof ws._receiver._maxPayload === 'number') ws._receiver._maxPayload = this.options.maxPayload;
    };
    const onFrame = (data) => {
      if (session) {
        // frames still arriving on a connection the session dropped (a refused
        // line, a newer connection) are not read: the resume sends them again
        if (session.link.transport === t) session.link.receiveFrame(data);
        return;
      }
      if (queued) {
        // a client sends nothing before its welcome: a peer that does is bounded
        queuedBytes += data.length;
        if (queuedBytes > this.options.maxHelloBytes) {
          queued = [];
          ws.close(1008, 'too much sent before the welcome');
          return;
        }
        queued.push(data);
        return;
      }
      clearTimeout(helloTimer);
      settled();
      if (ws.readyState !== 1) return;
      const r = this._hello(ws, t, data, nonce);
      if (r === null || typeof r.then !== 'function') return accepted(r);
      queued = [];
      r.then(
        (s) => {
          accepted(s);
          const q = queued;
          queued = null;
          if (s) for (const d of q) if (s.link.transport === t) s.link.receiveFrame(d);
        },
        (err) => {
          queued = null;
          this._reject(ws, RejectCode.BadHello, `the session store failed: ${err && err.message}`);
        },
      );
    };
    const t = new WsTransport(ws, {
      onFrame,
      onClose: () => {
        clearTimeout(helloTimer);
        settled();
        if (session) session._detached(t, 'connection closed');
      },
    });
    ws.send(build.challenge(nonce) + '\n');
  }

  _reject(ws, code, message) {
    if (ws.readyState === 1) ws.send(build.reject(code, message) + '\n');
    ws.close(4400, code);
  }

  _hello(ws, t, data, nonce) {
    let f;
    try {
      f = JSON.parse(frameLines(data)[0]);
    } catch {
      f = null;
    }
    if (!f || !control.isControl(f) || f.t !== 'hello') {
      this._reject(ws, RejectCode.BadHello, 'the first frame must be a hello');
      return null;
    }
    if (f[control.CONTROL_KEY] !== control.CONTROL_VERSION) {
      this._reject(ws, RejectCode.UnsupportedVersion, `control version ${JSON.stringify(f[control.CONTROL_KEY])} is not supported (this server speaks ${control.CONTROL_VERSION})`);
      return null;
    }
    const bad = control.checkControl(f);
    if (bad) {
      this._reject(ws, RejectCode.BadHello, bad);
      return null;
    }
    if (f.resume) return this._resume(ws, t, f, nonce);
    const mode = this.options.encryption;
    const sid = f.sid ? canonicalSid(f.sid) : `s_${nodeCrypto.randomUUID()}`;
    if (f.rx !== 0) {
      this._reject(ws, RejectCode.ResumeOutOfRange, 'a new session has sent nothing: hello.rx must be 0');
      return null;
    }
    if (this.sessions.has(sid)) {
      this._reject(ws, RejectCode.SessionExists, `session ${sid} already exists`);
      return null;
    }
    if (this.sessions.size >= this.options.maxSessions) {
      this._reject(ws, RejectCode.TooManySessions, 'this server holds its maximum number of sessions');
      return null;
    }
    if (mode === 'required' && !f.enc) {
      this._reject(ws, RejectCode.EncryptionRequired, 'this server requires encryption');
      return null;
    }
    let channel = null;
    let serverHello;
    let cred;
    if (f.enc && mode !== 'disabled') {
      try {
        ({ serverHello, channel } = secure.serverHandshake(f.enc, sid));
      } catch (err) {
        this._reject(ws, err.code || RejectCode.HandshakeFailed, err.message);
        return null;
      }
    } else cred = randomToken(32);
    const verifier = channel ? null : secure.credentialKey(cred, sid);
    const open = (token) => {
      if (ws.readyState !== 1 || this.closed || this.sessions.has(sid)) {
        if (token !== undefined) this._store.remove(sid, token).catch(() => {});
        if (ws.readyState === 1) this._reject(ws, RejectCode.SessionExists, `session ${sid} already exists`);
        if (channel) channel.dispose();
        return null;
      }
      const s = this._newSession(sid, channel, verifier);
      if (token !== undefined) s._useStore(this._store, token);
      ws.send(build.welcome({ sid, resumed: false, rx: 0, hb: this.options.heartbeatIntervalMs, enc: serverHello, cred, first: 1, next: 1, max: this.options.maxPayload }) + '\n');
      s._attach(t, 0);
      tell(this, 'session', s);
      return s;
    };
    if (!this._store) return open(undefined);
    return this._store.create(sid, sessionMeta(channel, verifier), this._node).then((token) => {
      if (token === null || token === undefined) {
        if (channel) channel.dispose();
        this._reject(ws, RejectCode.SessionExists, `session ${sid} already exists`);
        return null;
      }
      return open(token);
    });
  }

  /** A resuming hello: proof, then range, then the session moves to this connection. */
  _resume(ws, t, f, nonce) {
    const s = this.sessions.get(canonicalSid(f.sid));
    if (!s && this._store) return this._resumeFromStore(ws, t, f, nonce);
    if (!this._proven(s && s.channel, s && s._verifier, f, nonce)) {
      this._reject(ws, RejectCode.SessionAuthFailed, AUTH_FAILED);
      return null;
    }
    if (f.rx > s.lastSeq) {
      this._reject(ws, RejectCode.ResumeOutOfRange, `hello.rx ${f.rx} is beyond the last event sent (${s.lastSeq})`);
      return null;
    }
    this._welcomeBack(ws, t, s, f);
    return s;
  }

  /**
   * Answers an accepted resume: the welcome (rx: what the session recorded;
   * MACed over the client's nonce when encrypted), then the session moves to
   * this connection.
   */
  _welcomeBack(ws, t, s, f) {
    const ob = s.link.outbox;
    const rx = Math.min(s.link.rx, s.link.ackLimit); // with a store: what it has recorded
    const m = s.channel ? s.channel.mac('welcome', s.id, f.cn, rx, ob.nextSeq) : undefined;
    ws.send(build.welcome({ sid: s.id, resumed: true, rx, hb: this.options.heartbeatIntervalMs, first: ob.headSeq, next: ob.nextSeq, max: this.options.maxPayload, m }) + '\n');
    s._attach(t, f.rx);
    tell(this, 'resume', s);
  }

  /**
   * A resume of a session this server does not hold: from the store (the
   * server that held it died, restarted, or the client's reconnect landed
   * here). The same proof and range checks; then this server claims it (the
   * previous holder lets go), emits 'session' with session.resumed === true,
   * and serves it.
   */
  _resumeFromStore(ws, t, f, nonce) {
    return this._fromStore(canonicalSid(f.sid), {
      proven: (channel, verifier) => this._proven(channel, verifier, f, nonce),
      rx: f.rx,
      tx: f.tx,
      alive: () => ws.readyState === 1,
      refuse: (code, message) => {
        if (ws.readyState === 1) this._reject(ws, code, message);
        return null;
      },
      held: () => this._resume(ws, t, f, nonce),
      attach: (s) => this._welcomeBack(ws, t, s, f),
    });
  }

  /**
   * Takes session `sid` over from the store for a connection (`how`: its
   * proof check, resume point, liveness, refusal, and what to do when the
   * session is held here after all or once it is taken over). One takeover
   * of a session at a time in this server: a second one (a reconnect while
   * the first was loading) waits, then finds it held here.
   */
  async _fromStore(sid, how) {
    const busy = this._claiming.get(sid);
    if (busy) {
      await busy.catch(() => {});
      if (!how.alive()) return null;
      if (this.sessions.has(sid)) return how.held();
    }
    let done;
    const mine = new Promise((resolve) => {
      done = resolve;
    });
    this._claiming.set(sid, mine);
    try {
      return await this._takeOver(sid, how);
    } finally {
      if (this._claiming.get(sid) === mine) this._claiming.delete(sid);
      done();
    }
  }

  async _takeOver(sid, how) {
    const rec = await this._store.load(sid);
    let channel = null;
    let verifier = null;
    if (rec) {
      if (rec.meta.channel) channel = secure.Channel.restore(sid, rec.meta.channel, 'server');
      else if (rec.meta.verifier) verifier = new Uint8Array(Buffer.from(rec.meta.verifier, 'base64'));
    }
    const refuse = (code, message) => {
      if (channel) channel.dispose();
      return how.refuse(code, message);
    };
    if (!how.proven(channel, verifier)) return refuse(RejectCode.SessionAuthFailed, AUTH_FAILED);
    if (how.rx > rec.nextSeq - 1) return refuse(RejectCode.ResumeOutOfRange, `resume point ${how.rx} is beyond the last event sent (${rec.nextSeq - 1})`);
    if (!how.alive() || this.closed) return refuse(RejectCode.ServerClosing, 'the connection or the server closed');
    if (this.sessions.has(sid)) {
      // taken over here by a concurrent resume meanwhile: the ordinary path
      if (channel) channel.dispose();
      return how.held();
    }
    const token = await this._store.claim(sid, this._node);
    if (token === null || !how.alive() || this.sessions.has(sid)) return refuse(RejectCode.SessionAuthFailed, AUTH_FAILED);
    const s = this._newSession(sid, channel, verifier);
    s._restore(rec, this._store, token);
    // messages the previous server may have handed to its app without recording it
    if (Number.isSafeInteger(how.tx) && how.tx > rec.clientRx) s._redeliverUpTo = how.tx;
    tell(this, 'session', s);
    how.attach(s);
    s._drainInbox();
    return s;
  }

  // ---- HTTP ------------------------------------------------------------

  _request(req, res) {
    const url = new URL(req.url || '/', 'http://x');
    const m = /^\/sessions\/([^/]+)\/(stream|messages)$/.exec(url.pathname);
    if (!m) {
      if (this._ownServer) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
      return;
    }
    let sid;
    try {
      sid = canonicalSid(decodeURIComponent(m[1]));
    } catch {
      sid = '';
    }
    const ndjson = { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' };
    const refuse = (status, code, message) => {
      if (res.headersSent) return;
      res.writeHead(status, ndjson);
      res.end(build.reject(code, message) + '\n');
    };
    const route = m[2] === 'stream' && req.method === 'GET' ? 'stream' : m[2] === 'messages' && req.method === 'POST' ? 'messages' : null;
    if (!route) {
      res.writeHead(405, ndjson);
      res.end(build.reject('METHOD_NOT_ALLOWED', `${req.method} not allowed`) + '\n');
      return;
    }
    // The credential travels in a header, never in the URL. Unknown session,
    // encrypted session (no credential) and wrong credential look the same.
    const cred = req.headers['x-esn-credential'];
    const proven = (verifier) => {
      const key = verifier && typeof cred === 'string' ? secure.credentialKey(cred, sid) : null;
      return !!key && safeEqual(Buffer.from(key).toString('base64'), Buffer.from(verifier).toString('base64'));
    };
    const session = this.sessions.get(sid);
    if (!session && this._store && sid) {
      // held by another server, or by none: through the store (docs/PROTOCOL.md §10)
      if (route === 'stream') this._httpStreamFromStore(sid, url, req, res, proven, refuse);
      else this._readBody(req, res, refuse, (body) => this._postThroughStore(sid, body, proven, res, refuse));
      return;
    }
    if (!session || session.encrypted || !proven(session._verifier)) {
      refuse(403, RejectCode.SessionAuthFailed, AUTH_FAILED);
      req.resume();
      return;
    }
    if (route === 'stream') {
      const from = this._fromSeq(url, refuse);
      if (from === null) return;
      if (from - 1 > session.lastSeq) return refuse(416, RejectCode.ResumeOutOfRange, `fromSeq ${from} is beyond the next event (${session.lastSeq + 1})`);
      this._httpStream(session, res, from);
      return;
    }
    this._readBody(req, res, refuse, async (body) => {
      let err = session._post(body);
      if (err && err.code === 'ERR_STREAM_SEQ' && session._store !== null) {
        // the client's previous POST may have gone to another server and wait in the store's inbox
        await session._drainInbox();
        err = session.closed ? err : session._post(body);
      }
      if (err) return refuse(400, err.code || RejectCode.BadRequest, err.message);
      const answer = () => {
        res.writeHead(200, ndjson);
        res.end(build.ack(Math.min(session.link.rx, session.link.ackLimit)) + '\n');
      };
      // with a store: acknowledge once the messages are recorded there
      if (session._store !== null) session._stored({ meta: true }).then(answer, () => refuse(503, RejectCode.ServerClosing, 'the session moved or closed'));
      else answer();
    });
  }

  _fromSeq(url, refuse) {
    const from = url.searchParams.has('fromSeq') ? Number(url.searchParams.get('fromSeq')) : 1;
    if (!Number.isSafeInteger(from) || from < 0) {
      refuse(400, RejectCode.BadRequest, 'fromSeq must be an integer >= 0');
      return null;
    }
    return from;
  }

  /** Streams session `s` to an HTTP response from seq `from`. */
  _httpStream(s, res, from) {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    const t = new HttpStreamTransport(res);
    res.on('close', () => s._detached(t, 'http stream closed'));
    s._attach(t, Math.max(0, from - 1));
  }

  /** A request body of at most maxPostBytes (413 past it), then `then(body)`. */
  _readBody(req, res, refuse, then) {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > this.options.maxPostBytes) {
        refuse(413, 'TOO_LARGE', 'request body too large');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!res.writableEnded) then(Buffer.concat(chunks));
    });
  }

  /** GET …/stream of a session this server does not hold: a takeover from the store (as a WebSocket resume). */
  _httpStreamFromStore(sid, url, req, res, proven, refuse) {
    const from = this._fromSeq(url, refuse);
    if (from === null) return;
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    const how = {
      proven: (channel, verifier) => !channel && proven(verifier),
      rx: Math.max(0, from - 1),
      alive: () => !gone,
      refuse: (code, message) => {
        refuse(code === RejectCode.ResumeOutOfRange ? 416 : code === RejectCode.SessionAuthFailed ? 403 : 503, code, message);
        return null;
      },
      held: () => {
        const s = this.sessions.get(sid);
        if (!s || s.encrypted || !proven(s._verifier)) return how.refuse(RejectCode.SessionAuthFailed, AUTH_FAILED);
        if (from - 1 > s.lastSeq) return how.refuse(RejectCode.ResumeOutOfRange, `fromSeq ${from} is beyond the next event (${s.lastSeq + 1})`);
        this._httpStream(s, res, from);
        return s;
      },
      attach: (s) => {
        this._httpStream(s, res, from);
        tell(this, 'resume', s);
      },
    };
    this._fromStore(sid, how).catch((err) => refuse(503, RejectCode.ServerClosing, `the session store failed: ${err && err.message}`));
  }

  /**
   * POST …/messages of a session this server does not hold: the body goes
   * into the session's inbox in the store, and the server holding the
   * session (or the next one to take it over) delivers it as if posted
   * there. Checked here: the credential, and that each line is JSON and each
   * control frame well-formed. Answered with an ack of what the store has
   * recorded as delivered; the rest is acknowledged on the event stream.
   */
  async _postThroughStore(sid, body, proven, res, refuse) {
    let rec;
    try {
      rec = await this._store.load(sid, { events: false });
    } catch (err) {
      return refuse(503, RejectCode.ServerClosing, `the session store failed: ${err && err.message}`);
    }
    if (!rec || rec.meta.channel || !rec.meta.verifier || !proven(new Uint8Array(Buffer.from(rec.meta.verifier, 'base64')))) {
      return refuse(403, RejectCode.SessionAuthFailed, AUTH_FAILED);
    }
    const text = body.toString('utf8');
    let last = 0; // the last client seq the body carries
    let next = -1;
    for (const line of splitLines(text)) {
      let v;
      try {
        v = JSON.parse(line);
      } catch (err) {
        return refuse(400, 'ERR_STREAM_BAD_LINE', `invalid JSON line: ${err.message}`);
      }
      if (v !== null && typeof v === 'object' && v.$esn !== undefined) {
        const bad = control.isUnknownType(v) ? null : control.checkControl(v);
        if (bad) return refuse(400, 'ERR_STREAM_CONTROL', `bad control frame: ${bad}`);
        if (v.t === 'b') next = v.s;
      } else if (next >= 0) last = next++;
    }
    try {
      await this._store.post(sid, text);
    } catch (err) {
      if (err && err.code === 'SESSION_UNKNOWN') return refuse(403, RejectCode.SessionAuthFailed, AUTH_FAILED);
      return refuse(503, (err && err.code) || RejectCode.ServerClosing, err && err.message);
    }
    // An HTTP client hears acks only in POST answers: wait (a little) for the
    // session's server to record these messages, so the answer acknowledges them.
    let rx = rec.clientRx;
    const until = Date.now() + POST_ACK_WAIT_MS;
    let gone = false;
    res.once('close', () => {
      gone = true;
    });
    while (rx < last && !gone && !this.closed && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const now = await this._store.load(sid, { events: false }).catch(() => null);
      if (!now) break;
      rx = now.clientRx;
    }
    if (gone) return;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.end(build.ack(rx) + '\n');
  }
}

const DUMMY_KEY = new Uint8Array(32);
// A POST through the store waits at most this long for the session's server to record its messages.
const POST_ACK_WAIT_MS = 1000;

module.exports = { StreamServer, Session, SessionError, MemorySessionStore, RedisSessionStore, SERVER_DEFAULTS: DEFAULTS };
