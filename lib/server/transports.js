'use strict';
// The server's HTTP transport, with the Link's duck type (send(text, cb),
// bufferedAmount, close(), terminate()): the NDJSON response of
// GET /sessions/:id/stream. (WebSocket: lib/transport/websocket.js, shared
// with the client.)

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

module.exports = { HttpStreamTransport };
