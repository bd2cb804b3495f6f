'use strict';
// A TCP load balancer for the session-store tests: each new connection goes
// to the first target that is up, or with { roundRobin: true } to the next
// one up in turn; setUp(i, false) takes a target out (its open connections
// stay until cutAll()).
const net = require('node:net');

class Balancer {
  constructor(ports, { roundRobin = false } = {}) {
    this.targets = ports.map((port) => ({ port, up: true }));
    this.roundRobin = roundRobin;
    this.next = 0;
    this.sockets = new Set();
    this.server = net.createServer((c) => this._accept(c));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  get url() {
    return `ws://127.0.0.1:${this.server.address().port}`;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.server.address().port}`;
  }

  setUp(i, up) {
    this.targets[i].up = up;
  }

  _accept(c) {
    let t = null;
    for (let k = 0; k < this.targets.length && !t; k++) {
      const i = this.roundRobin ? (this.next + k) % this.targets.length : k;
      if (this.targets[i].up) {
        t = this.targets[i];
        if (this.roundRobin) this.next = i + 1;
      }
    }
    if (!t) return c.destroy();
    const u = net.connect(t.port, '127.0.0.1');
    for (const s of [c, u]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    }
    c.pipe(u);
    u.pipe(c);
    c.on('close', () => u.destroy());
    u.on('close', () => c.destroy());
  }

  cutAll() {
    for (const s of this.sockets) s.destroy();
  }

  close() {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

module.exports = { Balancer };
