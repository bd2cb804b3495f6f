'use strict';
// Client transports with the Link's duck type (send(text, cb),
// bufferedAmount, close(), terminate()) and four callbacks:
// onOpen(), onFrame(text|bytes), onReject(frame, status), onClose(reason).

function loadNodeWs() {
  try {
    const W = require('ws'); // an empty object in browser bundles ("browser" field)
    return typeof W === 'function' ? W : null;
  } catch {
    return null;
  }
}

/** WebSocket: the `ws` package in Node, the global WebSocket in browsers. */
class WsClientTransport {
  constructor(url, handlers, { WebSocket: Ctor, connectTimeoutMs } = {}) {
    this.kind = 'ws';
    this.h = handlers;
    this.closed = false;
    const NodeWs = Ctor ? null : loadNodeWs();
    const W = Ctor || NodeWs || globalThis.WebSocket;
    if (typeof W !== 'function') throw new Error('no WebSocket implementation: install `ws` or pass options.WebSocket');
    this.node = W === NodeWs || typeof W.prototype.on === 'function';
    this.pollWrites = !this.node;
    const ws = this.node ? new W(url, { perMessageDeflate: false, handshakeTimeout: connectTimeoutMs, maxPayload: 256 * 1024 * 1024 }) : new W(url);
    this.ws = ws;
    if (this.node) {
      ws.on('open', () => this.h.onOpen());
      ws.on('message', (data) => {
        if (!this.closed) this.h.onFrame(data);
      });
      ws.on('error', (err) => {
        this._reason = err && err.message;
      });
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this._closed(this._reason || `closed (${code}${reason && reason.length ? ` ${reason}` : ''})`);
      });
    } else {
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => this.h.onOpen();
      ws.onmessage = (e) => {
        if (!this.closed) this.h.onFrame(typeof e.data === 'string' ? e.data : new Uint8Array(e.data));
      };
      ws.onerror = () => {
        this._reason = 'websocket error';
      };
      ws.onclose = (e) => {
        this.closeCode = e.code;
        this._closed(this._reason || `closed (${e.code})`);
      };
    }
  }

  _closed(reason) {
    if (this.closed) return;
    this.closed = true;
    this.h.onClose(reason);
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
    this._closed(this._reason || 'terminated');
  }
}

/**
 * HTTP: GET {base}/sessions/:id/stream?fromSeq=N streams NDJSON events (the
 * EnclaveJS broker's resume route); client messages and acks go out as
 * POST {base}/sessions/:id/messages, answered with an ack line. Uses fetch
 * (Node >= 18 and browsers).
 */
class HttpClientTransport {
  constructor(base, sessionId, fromSeq, handlers, credential) {
    this.kind = 'http';
    this.cred = credential; // x-esn-credential header: the credential never goes in a URL
    this.pings = false;
    this.h = handlers;
    this.closed = false;
    this.base = base.replace(/\/+$/, '');
    this.sid = encodeURIComponent(sessionId);
    this.queue = [];
    this.queued = 0;
    this.inflight = false;
    this.ac = new AbortController();
    this._open(fromSeq).catch((err) => this._closed(err && err.message));
  }

  async _open(fromSeq) {
    const res = await fetch(`${this.base}/sessions/${this.sid}/stream?fromSeq=${fromSeq}`, {
      signal: this.ac.signal,
      headers: { accept: 'application/x-ndjson', 'x-esn-credential': this.cred },
    });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let frame = null;
      try {
        frame = JSON.parse(text.split('\n')[0]);
      } catch {
        frame = null;
      }
      this.h.onReject(frame, res.status);
      this._closed(`HTTP ${res.status}`);
      return;
    }
    this.h.onOpen();
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (this.closed) return;
      const text = rest + dec.decode(value, { stream: true });
      const cut = text.lastIndexOf('\n');
      if (cut === -1) {
        rest = text;
        continue;
      }
      rest = text.slice(cut + 1);
      this.h.onFrame(text.slice(0, cut + 1));
    }
    this._closed('stream ended');
  }

  _closed(reason) {
    if (this.closed) return;
    this.closed = true;
    this.ac.abort();
    this.h.onClose(reason || 'closed');
  }

  send(text, cb) {
    if (this.closed) return;
    this.queue.push({ text, cb });
    this.queued += text.length;
    if (!this.inflight) this._post();
  }

  async _post() {
    this.inflight = true;
    while (this.queue.length && !this.closed) {
      const batch = this.queue.splice(0, this.queue.length);
      const body = batch.map((b) => b.text).join('');
      try {
        const res = await fetch(`${this.base}/sessions/${this.sid}/messages`, {
          method: 'POST',
          body,
          signal: this.ac.signal,
          headers: { 'content-type': 'application/x-ndjson', 'x-esn-credential': this.cred },
        });
        const answer = await res.text();
        if (!res.ok) {
          let frame = null;
          try {
            frame = JSON.parse(answer.split('\n')[0]);
          } catch {
            frame = null;
          }
          throw new Error(`HTTP ${res.status}${frame && frame.code ? ` ${frame.code}: ${frame.message}` : ''}`);
        }
        this.queued -= body.length;
        if (!this.closed) this.h.onFrame(answer);
        for (const b of batch) if (b.cb) b.cb();
      } catch (err) {
        this._closed(`POST failed: ${err && err.message}`);
        break;
      }
    }
    this.inflight = false;
  }

  get bufferedAmount() {
    return this.queued;
  }

  close() {
    this._closed('closed');
  }

  terminate() {
    this._closed('terminated');
  }
}

module.exports = { WsClientTransport, HttpClientTransport };
