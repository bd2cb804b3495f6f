'use strict';
// The one WebSocket wrapper of the client and the server: a socket of the
// `ws` package (Node) or a WHATWG WebSocket (browsers) with the Link's duck
// type (send(text, cb), bufferedAmount, close(code, reason), terminate()) and
// the owner's callbacks: onOpen(), onFrame(text|bytes), onClose(reason).
// onClose is called once, with the first reason known: the one given to
// abort(), the socket's error, or its close code.

// A refused upgrade: the message `ws` gives a non-101 answer.
const UNEXPECTED_RESPONSE = /^Unexpected server response: (\d+)/;

// The largest message a client accepts (the server sets its own limit).
const CLIENT_MAX_PAYLOAD = 256 * 1024 * 1024;

function loadNodeWs() {
  try {
    const W = require('ws'); // an empty object in browser bundles ("browser" field)
    return typeof W === 'function' ? W : null;
  } catch {
    return null;
  }
}

class WsTransport {
  /**
   * Wraps `ws`, open (server) or opening (client). `handlers`: onFrame and
   * onClose, and onOpen for an opening socket.
   */
  constructor(ws, handlers) {
    this.kind = 'ws';
    this.ws = ws;
    this.h = handlers;
    this.closed = false;
    this.node = typeof ws.on === 'function';
    this.pollWrites = !this.node; // a WHATWG WebSocket has no write callback
    this.closeCode = undefined;
    this.reason = null; // why the connection ends, when known before it closes
    this.code = undefined; // the coded kind of that reason (ERR_STREAM_*, or the system's ECONNREFUSED ...)
    if (this.node) this._listenNode(ws);
    else this._listenWeb(ws);
  }

  /**
   * Opens a client connection to `url`: the `ws` package in Node, or
   * `options.WebSocket`, or the global WebSocket in browsers.
   */
  static connect(url, handlers, { WebSocket: Ctor } = {}) {
    const NodeWs = Ctor ? null : loadNodeWs();
    const W = Ctor || NodeWs || globalThis.WebSocket;
    if (typeof W !== 'function') throw new TypeError('no WebSocket implementation: install `ws` or pass options.WebSocket');
    const node = W === NodeWs || typeof W.prototype.on === 'function';
    const ws = node ? new W(url, { perMessageDeflate: false, maxPayload: CLIENT_MAX_PAYLOAD }) : new W(url);
    if (!node) ws.binaryType = 'arraybuffer';
    const t = new WsTransport(ws, handlers);
    t.url = url;
    return t;
  }

  _listenNode(ws) {
    ws.on('open', () => this.h.onOpen && this.h.onOpen());
    ws.on('message', (data) => {
      if (!this.closed) this.h.onFrame(data);
    });
    ws.on('error', (err) => this._error(err));
    ws.on('close', (code, reason) => {
      if (!this.closed) this.closeCode = code;
      this._closed(`closed (${code}${reason && reason.length ? ` ${reason}` : ''})`);
    });
  }

  _listenWeb(ws) {
    ws.onopen = () => this.h.onOpen && this.h.onOpen();
    ws.onmessage = (e) => {
      if (!this.closed) this.h.onFrame(typeof e.data === 'string' ? e.data : new Uint8Array(e.data));
    };
    ws.onerror = () => this._note('websocket error');
    ws.onclose = (e) => {
      if (!this.closed) this.closeCode = e.code;
      this._closed(`closed (${e.code})`);
    };
  }

  _error(err) {
    const msg = String((err && err.message) || err);
    const m = UNEXPECTED_RESPONSE.exec(msg);
    if (m) this._note(`${this.url || 'the server'} answered HTTP ${m[1]} to the WebSocket upgrade, not 101: not a StreamServer`, 'ERR_STREAM_NOT_A_STREAM');
    else this._note(msg, err && typeof err.code === 'string' ? err.code : undefined);
  }

  /** Records why the connection ends (the first reason wins). */
  _note(reason, code) {
    if (this.reason !== null) return;
    this.reason = reason;
    this.code = code;
  }

  _closed(fallback) {
    if (this.closed) return;
    this.closed = true;
    this._note(fallback);
    this.h.onClose(this.reason);
  }

  send(text, cb) {
    if (this.ws.readyState !== 1) return;
    if (this.node) this.ws.send(text, cb);
    else {
      this.ws.send(text);
      if (cb) cb();
    }
  }

  get bufferedAmount() {
    return this.ws.bufferedAmount;
  }

  close(code = 1000, reason = '') {
    try {
      this.ws.close(code, reason);
    } catch {
      this.terminate();
    }
  }

  terminate() {
    if (this.node) this.ws.terminate();
    else this.ws.close();
    this._closed('terminated');
  }

  /** Ends the connection at once, saying why (onClose gets `reason`; `code` its kind). */
  abort(reason, code) {
    this._note(reason, code);
    this.terminate();
  }
}

module.exports = { WsTransport, loadNodeWs };
