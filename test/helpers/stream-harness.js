'use strict';
// Shared bits of the server/client tests: a server + client pair on
// loopback, polling waits, a free (closed) port.

const net = require('node:net');
const { StreamServer } = require('../../lib/server');
const { ReconnectingStream } = require('../../lib/client');
const { FaultProxy } = require('../../lib/testing');

/** Polls `cond` every few ms; rejects with `what` after `ms`. */
function until(cond, what = 'condition', ms = 10000) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let v;
      try {
        v = cond();
      } catch (err) {
        reject(err);
        return;
      }
      if (v) resolve(v);
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function once(emitter, name) {
  return new Promise((resolve) => emitter.once(name, (...a) => resolve(a.length > 1 ? a : a[0])));
}

/** Tracks everything started in a test and closes it afterwards. */
class Harness {
  constructor() {
    this.items = [];
  }
  add(x) {
    this.items.push(x);
    return x;
  }
  async server(opts) {
    const s = this.add(new StreamServer(opts));
    const addr = await s.listen();
    return { server: s, addr };
  }
  async proxy(opts) {
    const p = this.add(new FaultProxy(opts));
    const addr = await p.listen();
    return { proxy: p, addr };
  }
  client(opts) {
    const c = this.add(new ReconnectingStream(opts));
    c.on('error', () => {});
    return c;
  }
  async cleanup() {
    for (const x of this.items.reverse()) {
      try {
        await x.close();
      } catch {
        /* already closed */
      }
    }
    this.items = [];
  }
}

module.exports = { until, freePort, once, Harness, StreamServer, ReconnectingStream, FaultProxy };
