'use strict';
// StreamServer: resumable, optionally end-to-end encrypted event streams
// over WebSocket (the control frames of lib/protocol/control.js), plus
// GET /sessions/:id/stream?fromSeq=N (NDJSON) and
// POST /sessions/:id/messages for HTTP clients.

const http = require('node:http');
const nodeCrypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const { WebSocketServer } = require('ws');
const { Session, SessionError } = require('./session');
const { WsTransport, HttpStreamTransport } = require('./transports');
const control = require('../protocol/control');
const secure = require('../transport/secure');
const { frameLines } = require('../transport/wire');

const { build, RejectCode } = control;

const MODES = new Set(['disabled', 'optional', 'required']);

const DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  path: undefined,
  encryption: 'disabled',
  maxReplayEvents: 10000,
  maxReplayBytes: 16 * 1024 * 1024,
  maxOutboxBytes: 1024 * 1024,
  highWaterMark: 1024 * 1024,
  maxFrameBytes: 64 * 1024,
  sendWindowBytes: 1024 * 1024,
  heartbeatIntervalMs: 15000,
  heartbeatTimeoutMs: undefined, // 2.5 x interval
  helloTimeoutMs: 10000,
  sessionTtlMs: 5 * 60 * 1000,
  maxPayload: 64 * 1024 * 1024,
  maxPostBytes: 16 * 1024 * 1024,
  httpRoutes: undefined, // default: true when the server owns its http.Server
};

function posInt(name, v, allowZero = false) {
  if (v === Infinity) return;
  if (!Number.isSafeInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new RangeError(`StreamServer: options.${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
  }
}

class StreamServer extends EventEmitter {
  constructor(options = {}) {
    super();
    const o = { ...DEFAULTS };
    for (const k of Object.keys(options)) if (options[k] !== undefined) o[k] = options[k];
    if (!MODES.has(o.encryption)) {
      throw new TypeError(`StreamServer: options.encryption must be 'disabled', 'optional' or 'required', got ${String(o.encryption)}`);
    }
    for (const k of ['maxReplayEvents', 'maxReplayBytes', 'maxOutboxBytes', 'maxFrameBytes', 'sendWindowBytes', 'helloTimeoutMs', 'maxPostBytes']) posInt(k, o[k]);
    for (const k of ['highWaterMark', 'heartbeatIntervalMs', 'sessionTtlMs']) posInt(k, o[k], true);
    if (o.heartbeatTimeoutMs === undefined) o.heartbeatTimeoutMs = Math.ceil(o.heartbeatIntervalMs * 2.5);
    this.options = o;
    this.sessions = new Map();
    this.closed = false;
    this._ownServer = !o.server;
    this.httpServer = o.server || http.createServer();
    this._httpRoutes = o.httpRoutes === undefined ? this._ownServer : !!o.httpRoutes;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload, perMessageDeflate: false });
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
   * consumers of GET /sessions/:id/stream, broker style).
   */
  createSession(id) {
    if (this.options.encryption === 'required') {
      throw new SessionError('encryption is required: sessions are created by a client handshake', RejectCode.EncryptionRequired);
    }
    const sid = id === undefined ? `s_${nodeCrypto.randomUUID()}` : String(id);
    if (this.sessions.has(sid)) throw new SessionError(`session ${sid} exists`, 'SESSION_EXISTS');
    return this._newSession(sid, null);
  }

  _newSession(id, channel) {
    const s = new Session(this, id, this.options, channel);
    this.sessions.set(id, s);
    return s;
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
    for (const s of [...this.sessions.values()]) {
      const t = s.link.transport;
      s.close(new SessionError('server closed', 'ERR_SERVER_CLOSED'));
      if (t) t.terminate();
    }
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
    const t = new WsTransport(ws);
    let session = null;
    const helloTimer = setTimeout(() => this._reject(ws, RejectCode.BadHello, 'no hello received'), this.options.helloTimeoutMs);
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (session) session._detached(t, 'connection closed');
    });
    ws.on('message', (data) => {
      if (session) {
        session.link.receiveFrame(data);
        return;
      }
      clearTimeout(helloTimer);
      if (ws.readyState !== 1) return;
      session = this._hello(ws, t, data);
    });
  }

  _reject(ws, code, message) {
    if (ws.readyState === 1) ws.send(build.reject(code, message) + '\n');
    ws.close(4400, code);
  }

  _hello(ws, t, data) {
    let f;
    try {
      f = JSON.parse(frameLines(data)[0]);
    } catch {
      f = null;
    }
    const bad = f && control.isControl(f) && f.t === 'hello' ? control.checkControl(f) : 'the first frame must be a hello';
    if (bad) {
      this._reject(ws, RejectCode.BadHello, bad);
      return null;
    }
    const mode = this.options.encryption;
    const existing = f.sid ? this.sessions.get(f.sid) : undefined;
    if (f.resume) {
      if (!existing) {
        this._reject(ws, RejectCode.SessionUnknown, `session ${f.sid} is unknown to this server (expired or the server restarted)`);
        return null;
      }
      const ob = existing.link.outbox;
      ws.send(build.welcome({ sid: existing.id, resumed: true, rx: existing.link.rx, hb: this.options.heartbeatIntervalMs, first: ob.headSeq, next: ob.nextSeq, max: this.options.maxPayload }) + '\n');
      existing._attach(t, f.rx);
      this.emit('resume', existing);
      return existing;
    }
    if (existing) {
      this._reject(ws, 'SESSION_EXISTS', `session ${f.sid} already exists`);
      return null;
    }
    if (mode === 'required' && !f.enc) {
      this._reject(ws, RejectCode.EncryptionRequired, 'this server requires encryption');
      return null;
    }
    const sid = f.sid || `s_${nodeCrypto.randomUUID()}`;
    let channel = null;
    let serverHello;
    if (f.enc && mode !== 'disabled') {
      try {
        ({ serverHello, channel } = secure.serverHandshake(f.enc, sid));
      } catch (err) {
        this._reject(ws, err.code || RejectCode.HandshakeFailed, err.message);
        return null;
      }
    }
    const s = this._newSession(sid, channel);
    ws.send(build.welcome({ sid, resumed: false, rx: 0, hb: this.options.heartbeatIntervalMs, enc: serverHello, first: 1, next: 1, max: this.options.maxPayload }) + '\n');
    s._attach(t, f.rx);
    this.emit('session', s);
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
    const sid = decodeURIComponent(m[1]);
    const session = this.sessions.get(sid);
    const ndjson = { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' };
    if (!session) {
      res.writeHead(404, ndjson);
      res.end(build.reject(RejectCode.SessionUnknown, `session ${sid} is unknown to this server`) + '\n');
      return;
    }
    if (session.encrypted) {
      res.writeHead(409, ndjson);
      res.end(build.reject(RejectCode.EncryptionRequired, 'this session is encrypted: use the WebSocket transport') + '\n');
      return;
    }
    if (m[2] === 'stream' && req.method === 'GET') {
      const from = url.searchParams.has('fromSeq') ? Number(url.searchParams.get('fromSeq')) : 1;
      if (!Number.isSafeInteger(from) || from < 0) {
        res.writeHead(400, ndjson);
        res.end(build.reject('BAD_REQUEST', 'fromSeq must be an integer >= 0') + '\n');
        return;
      }
      res.writeHead(200, ndjson);
      res.flushHeaders();
      const t = new HttpStreamTransport(res);
      res.on('close', () => session._detached(t, 'http stream closed'));
      session._attach(t, Math.max(0, from - 1));
      return;
    }
    if (m[2] === 'messages' && req.method === 'POST') {
      const chunks = [];
      let size = 0;
      req.on('data', (c) => {
        size += c.length;
        if (size > this.options.maxPostBytes) {
          res.writeHead(413, ndjson);
          res.end(build.reject('TOO_LARGE', 'request body too large') + '\n');
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (res.writableEnded) return;
        session.link._cur = -1;
        session.link.receiveFrame(Buffer.concat(chunks));
        res.writeHead(200, ndjson);
        res.end(build.ack(session.link.rx) + '\n');
      });
      return;
    }
    res.writeHead(405, ndjson);
    res.end(build.reject('METHOD_NOT_ALLOWED', `${req.method} not allowed`) + '\n');
  }
}

module.exports = { StreamServer, Session, SessionError, SERVER_DEFAULTS: DEFAULTS };
