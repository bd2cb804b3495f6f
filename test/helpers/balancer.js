'use strict';
// A TCP load balancer for the session-store tests: each new connection goes
// to the first target that is up; setUp(i, false) takes a target out (its
// open connections stay until cutAll()).
const net = require('node:net');

class Balancer {
  constructor(ports) {
    this.targets = ports.map((port) => ({ port, up: true }));
    this.sockets = new Set();
    this.server = net.createServer((c) => this._accept(c));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  get url() {
    return `ws://127.0.0.1:${this.server.address().port}`;
  }

  setUp(i, up) {
    this.targets[i].up = up;
  }

  _accept(c) {
    const t = this.targets.find((x) => x.up);
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
