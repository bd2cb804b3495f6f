'use strict';
// A TCP proxy for fault-injection tests: forwards loopback connections to a
// target and cuts them at random moments (after a random number of bytes
// and/or a random time), can stall them (data stops, sockets stay open, as
// on a dead network path) and can refuse new connections. Seeded, so a
// failing run can be replayed.

const net = require('node:net');
const { EventEmitter } = require('node:events');
const { checkOptions } = require('../options');

/** mulberry32: small, fast, seedable. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A cutAfter* option (checked by lib/options.js) as [min, max], or null. */
function range(v) {
  if (v === undefined) return null;
  return Array.isArray(v) ? v : [v, v];
}

class FaultProxy extends EventEmitter {
  /**
   * @param {object} o
   *   target: { host, port } (required), host/port to listen on (default 127.0.0.1:0),
   *   cutAfterBytes: n | [min, max]  cut a connection after that many bytes (both directions),
   *   cutAfterMs: n | [min, max]     cut a connection that long after it opened,
   *   maxCuts: stop cutting after this many, seed: PRNG seed.
   */
  constructor(options) {
    super();
    const o = checkOptions('FaultProxy', options);
    this.target = { host: o.target.host || '127.0.0.1', port: o.target.port };
    this.host = o.host;
    this.port = o.port;
    this.cutAfterBytes = range(o.cutAfterBytes);
    this.cutAfterMs = range(o.cutAfterMs);
    this.maxCuts = o.maxCuts;
    this.random = prng(o.seed);
    this.pairs = new Set();
    this.refusing = false;
    this.stalled = false;
    this.stats = { connections: 0, cuts: 0, bytes: 0, refused: 0 };
    this.server = net.createServer((c) => this._accept(c));
  }

  _pick(r) {
    return Math.round(r[0] + this.random() * (r[1] - r[0]));
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve(this.address());
      });
    });
  }

  address() {
    const a = this.server.address();
    return { host: a.address, port: a.port, url: `ws://${a.address}:${a.port}`, httpUrl: `http://${a.address}:${a.port}` };
  }

  _accept(client) {
    if (this.refusing) {
      this.stats.refused++;
      client.destroy();
      return;
    }
    this.stats.connections++;
    const upstream = net.connect(this.target.port, this.target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, upstream, budget: this.cutAfterBytes ? this._pick(this.cutAfterBytes) : Infinity, timer: null, held: [] };
    this.pairs.add(pair);
    const forward = (from, to) => {
      from.on('data', (chunk) => {
        if (this.stalled) return; // dropped, as on a dead path
        this.stats.bytes += chunk.length;
        if (pair.budget !== Infinity && this.stats.cuts < this.maxCuts) {
          pair.budget -= chunk.length;
          if (pair.budget <= 0) {
            // deliver a random prefix of this chunk, then cut mid-stream
            const keep = Math.floor(this.random() * chunk.length);
            if (keep > 0) to.write(chunk.subarray(0, keep));
            this._cut(pair);
            return;
          }
        }
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = () => this._close(pair);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    if (this.cutAfterMs && this.stats.cuts < this.maxCuts) {
      pair.timer = setTimeout(() => this._cut(pair), this._pick(this.cutAfterMs));
    }
  }

  _cut(pair) {
    if (!this.pairs.has(pair)) return;
    this.stats.cuts++;
    this.emit('cut', this.stats.cuts);
    this._close(pair);
  }

  _close(pair) {
    if (!this.pairs.delete(pair)) return;
    if (pair.timer) clearTimeout(pair.timer);
    pair.client.destroy();
    pair.upstream.destroy();
  }

  /** Cuts every open connection now. */
  cutAll() {
    for (const p of [...this.pairs]) this._cut(p);
  }

  /** Stops forwarding (data is dropped, connections stay open) until unstall(). */
  stall() {
    this.stalled = true;
  }

  unstall() {
    this.stalled = false;
  }

  /** New connections are accepted then closed at once until accept(). */
  refuse() {
    this.refusing = true;
  }

  accept() {
    this.refusing = false;
  }

  get openConnections() {
    return this.pairs.size;
  }

  close() {
    for (const p of [...this.pairs]) this._close(p);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

module.exports = { FaultProxy, prng };
