'use strict';
// Server-side transport wrappers with the Link's duck type:
// send(text, cb), bufferedAmount, close(code, reason), terminate().

class WsTransport {
  constructor(ws) {
    this.ws = ws;
    this.kind = 'ws';
  }

  send(text, cb) {
    if (this.ws.readyState !== 1) return;
    this.ws.send(text, cb);
  }

  get bufferedAmount() {
    return this.ws.bufferedAmount;
  }

  close(code = 1000, reason = '') {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  terminate() {
    this.ws.terminate();
  }
}

/** The NDJSON response of GET /sessions/:id/stream. */
class HttpStreamTransport {
  constructor(res) {
    this.res = res;
    this.kind = 'http';
    this.acks = false; // client messages are acknowledged in the POST response
    this.oneWay = true;
  }

  send(text, cb) {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(text, cb);
  }

  get bufferedAmount() {
    return this.res.writableLength;
  }

  close() {
    if (!this.res.writableEnded) this.res.end();
  }

  terminate() {
    this.res.destroy();
  }
}

module.exports = { WsTransport, HttpStreamTransport };
