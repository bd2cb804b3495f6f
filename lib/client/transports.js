'use strict';
// The client's HTTP transport, with the Link's duck type (send(text, cb),
// bufferedAmount, close(), terminate(), abort(reason, code)) and four
// callbacks: onOpen(), onFrame(text|bytes), onReject(frame, status),
// onClose(reason). (WebSocket: lib/transport/websocket.js, shared with the
// server.)

const NDJSON = /^application\/(x-)?ndjson\b/i;

/** The first line of `text` as a control frame ({"$esn":…}), or null. */
function controlFrame(text) {
  try {
    const f = JSON.parse(text.split('\n')[0]);
    return f !== null && typeof f === 'object' && f.$esn !== undefined ? f : null;
  } catch {
    return null;
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
    this.reason = null; // why the connection ends, when known before it closes
    this.code = undefined; // the coded kind of that reason
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
    this._open(fromSeq).catch((err) => {
      // fetch says "fetch failed"; its cause says why (connect ECONNREFUSED ...)
      const cause = err && err.cause;
      if (cause && cause.message) this.abort(`${err.message}: ${cause.message}`, typeof cause.code === 'string' ? cause.code : undefined);
      else this._closed(err && err.message);
    });
  }

  async _open(fromSeq) {
    const res = await fetch(`${this.base}/sessions/${this.sid}/stream?fromSeq=${fromSeq}`, {
      signal: this.ac.signal,
      headers: { accept: 'application/x-ndjson', 'x-esn-credential': this.cred },
    });
    const type = res.headers.get('content-type') || '';
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const frame = controlFrame(text);
      if (frame || NDJSON.test(type)) {
        this.h.onReject(frame, res.status);
        this._closed(`HTTP ${res.status}`);
      } else this._notAStream(res.status, type);
      return;
    }
    if (!NDJSON.test(type)) {
      res.body.cancel().catch(() => {});
      this._notAStream(res.status, type);
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

  /** An answer that is not a StreamServer's (an HTML page, a proxy's error): a failed attempt. */
  _notAStream(status, type) {
    const what = type ? type.split(';')[0] : 'no content-type';
    this.abort(`${this.base} answered HTTP ${status} (${what}), not an NDJSON stream: not a StreamServer`, 'ERR_STREAM_NOT_A_STREAM');
  }

  _closed(reason) {
    if (this.closed) return;
    this.closed = true;
    if (this.reason === null) this.reason = reason || 'closed';
    this.ac.abort();
    this.h.onClose(this.reason);
  }

  /** Ends the connection at once, saying why (onClose gets `reason`; `code` its kind). */
  abort(reason, code) {
    if (this.reason === null) {
      this.reason = reason;
      this.code = code;
    }
    this._closed(reason);
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
          const frame = controlFrame(answer);
          throw new Error(`HTTP ${res.status}${frame && frame.code ? ` ${frame.code}: ${frame.message}` : ''}`);
        }
        if (!NDJSON.test(res.headers.get('content-type') || '')) {
          this._notAStream(res.status, res.headers.get('content-type'));
          break;
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

module.exports = { HttpClientTransport };
