'use strict';
// MitmRelay: a WebSocket man in the middle for the attack suite (issue 10).
//
// It listens on 127.0.0.1:0; for every client connection it opens a
// connection to the target ws:// url and forwards frames both ways, one
// frame out for each frame in (frame boundaries are kept). Each frame is
// split into NDJSON lines and handed to a hook that returns the lines to
// forward:
//
//   const relay = new MitmRelay({
//     target: 'ws://127.0.0.1:1234',
//     onServerFrame(lines, ctx) { return lines; },   // server -> client
//     onClientFrame(lines, ctx) { return lines; },   // client -> server
//   });
//   const { url } = await relay.listen();
//
// A hook gets an array of Line objects and returns an array of Line objects
// and/or strings (raw lines), or null / [] to drop the whole frame (nothing
// is written then). Hooks are synchronous. A Line is
//
//   { raw,        the line's text (no '\n')
//     v,          the parsed JSON value (undefined when the line is not JSON)
//     dir,        's2c' | 'c2s'
//     kind,       'control' (a "$esn" frame) | 'data' (anything else) | 'bad' (not JSON)
//     t,          control type ('hello', 'ack', 'b', ...) for control lines
//     seq,        data lines: s2c the line's outer "seq"; c2s the seq given by the
//                 frame's "b" header (+ position), like the server counts it
//     kid }       envelopes ("type":"enc"): payload.kid
//
// and Line helpers build changed copies, keeping the key order of the JSON:
//   line.with({ seq: 7 })            a copy with top-level fields replaced
//   line.withPayload({ kid: 'k' })   a copy with payload fields replaced
//   renumber(line, seq)              a copy with the outer seq changed (.seq updated too)
//   withBatchHeaders(lines, version) for c2s frames: drops the "b" lines and writes a
//                                    new "b" header before every run of data lines
//                                    whose seq is not consecutive (use after dropping,
//                                    swapping or renumbering client messages)
//
// The hook's ctx is the connection: ctx.id (1, 2, ... in accept order),
// ctx.state (a free object for the test), ctx.version (the "$esn" of the
// first control frame seen on it), ctx.lines { s2c: [], c2s: [] } (raw lines
// seen, before rewriting), ctx.sendToClient(text) / ctx.sendToServer(text)
// (inject a frame now; lines or a string), ctx.cut() (terminate both sides),
// ctx.stall() / ctx.unstall() (frames in both directions are held, sockets
// stay open; unstall() forwards what was held; ctx.held counts the frames held),
// ctx.closed.
//
// Global state on the relay: relay.connections (every ctx), relay.lines (every
// line seen: { dir, conn, raw }), relay.stats { connections, frames: {s2c,c2s},
// envelopes: {s2c,c2s}, events: {s2c,c2s} }, relay.kids { s2c: Set, c2s: Set }
// (envelope kids seen), relay.state (a free object), relay.version (the "$esn"
// of the first control frame seen), relay.errors (exceptions thrown by a hook:
// the frame is dropped and the exception rethrown on the next tick, so mocha
// fails the test). relay.cutAll() cuts every open connection; relay.close()
// closes everything.
//
// Close codes are passed on (a reject's 4400, 1009, 4000, ...); codes that
// cannot be sent (1005, 1006) end the other side with terminate().

const { EventEmitter } = require('node:events');
const WebSocket = require('ws');
const { WebSocketServer } = WebSocket;

const MAX_PAYLOAD = 512 * 1024 * 1024;

/** Sets fields of a parsed value keeping the key order of the original (new keys go last). */
function patched(v, patch) {
  const out = {};
  for (const k of Object.keys(v)) out[k] = Object.prototype.hasOwnProperty.call(patch, k) ? patch[k] : v[k];
  for (const k of Object.keys(patch)) if (!Object.prototype.hasOwnProperty.call(v, k)) out[k] = patch[k];
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

class Line {
  constructor(raw, dir, v) {
    this.raw = raw;
    this.dir = dir;
    if (v === undefined) {
      try {
        v = JSON.parse(raw);
      } catch {
        v = undefined;
      }
    }
    this.v = v;
    const obj = v !== null && typeof v === 'object' && !Array.isArray(v);
    if (v === undefined) this.kind = 'bad';
    else if (obj && Object.prototype.hasOwnProperty.call(v, '$esn')) this.kind = 'control';
    else this.kind = 'data';
    this.t = this.kind === 'control' ? v.t : undefined;
    this.seq = this.kind === 'data' && obj && Number.isSafeInteger(v.seq) ? v.seq : undefined;
    this.kid = obj && v.type === 'enc' && v.payload && typeof v.payload === 'object' ? v.payload.kid : undefined;
  }

  get isEnvelope() {
    return this.kid !== undefined;
  }

  /** A copy with top-level fields replaced (undefined deletes a field). */
  with(patch) {
    const l = new Line(JSON.stringify(patched(this.v, patch)), this.dir);
    if (l.kind === 'data' && this.dir === 'c2s' && !Object.prototype.hasOwnProperty.call(patch, 'seq')) l.seq = this.seq;
    return l;
  }

  /** A copy with fields of `payload` replaced. */
  withPayload(patch) {
    return this.with({ payload: patched(this.v.payload || {}, patch) });
  }

  toString() {
    return this.raw;
  }
}

/** A copy of a data line with its outer seq set to `seq` (the JSON "seq" too, when it has one). */
function renumber(line, seq) {
  const l = line.v && typeof line.v === 'object' && 'seq' in line.v ? line.with({ seq }) : new Line(line.raw, line.dir, line.v);
  l.seq = seq;
  return l;
}

/**
 * Client -> server frames: the lines without their "b" headers, with a new
 * header before each run of data lines whose seqs are not consecutive.
 */
function withBatchHeaders(lines, version = 2) {
  const out = [];
  let next = null;
  for (const x of lines) {
    const l = typeof x === 'string' ? new Line(x, 'c2s') : x;
    if (l.kind === 'control' && l.t === 'b') continue;
    if (l.kind === 'data' || l.kind === 'bad') {
      if (l.seq === undefined) throw new Error('withBatchHeaders: a data line without seq');
      if (l.seq !== next) out.push(`{"$esn":${version},"t":"b","s":${l.seq}}`);
      next = l.seq + 1;
    }
    out.push(l);
  }
  return out;
}

function splitLines(data) {
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
  return text.split('\n').filter((l) => l.trim().length > 0);
}

const sendable = (code) => Number.isInteger(code) && ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));

class MitmRelay extends EventEmitter {
  /**
   * @param {object} o target (ws url, required), onServerFrame, onClientFrame, host (127.0.0.1)
   */
  constructor(o = {}) {
    super();
    if (typeof o.target !== 'string') throw new TypeError('MitmRelay: options.target (a ws:// url) is required');
    this.target = o.target;
    this.host = o.host || '127.0.0.1';
    this.onServerFrame = o.onServerFrame || null;
    this.onClientFrame = o.onClientFrame || null;
    this.connections = [];
    this.lines = [];
    this.state = {};
    this.version = undefined;
    this.stats = { connections: 0, frames: { s2c: 0, c2s: 0 }, envelopes: { s2c: 0, c2s: 0 }, events: { s2c: 0, c2s: 0 } };
    this.kids = { s2c: new Set(), c2s: new Set() };
    this.errors = []; // exceptions thrown by the hooks
    this.wss = null;
    this.closed = false;
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.wss = new WebSocketServer({ host: this.host, port: 0, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
      this.wss.once('error', reject);
      this.wss.once('listening', () => {
        this.wss.off('error', reject);
        resolve(this.address());
      });
      this.wss.on('connection', (ws) => this._accept(ws));
    });
  }

  address() {
    const a = this.wss.address();
    return { host: a.address, port: a.port, url: `ws://${a.address}:${a.port}` };
  }

  /** Open connections. */
  get open() {
    return this.connections.filter((c) => !c.closed);
  }

  _accept(client) {
    this.stats.connections++;
    const upstream = new WebSocket(this.target, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
    const relay = this;
    const pending = []; // client frames before the upstream is open
    const held = []; // [dir, text] while stalled
    const ctx = {
      id: this.stats.connections,
      client,
      upstream,
      state: {},
      version: undefined,
      lines: { s2c: [], c2s: [] },
      closed: false,
      stalled: false,
      closeCodes: { client: undefined, upstream: undefined },
      sendToClient(text) {
        write(client, text);
      },
      sendToServer(text) {
        if (upstream.readyState === WebSocket.OPEN) write(upstream, text);
        else if (upstream.readyState === WebSocket.CONNECTING) pending.push(['raw', text]);
      },
      cut() {
        if (ctx.closed) return;
        ctx.closed = true;
        client.terminate();
        upstream.terminate();
        relay.emit('cut', ctx);
      },
      stall() {
        ctx.stalled = true;
      },
      unstall() {
        ctx.stalled = false;
        for (const [dir, text] of held.splice(0)) if (dir === 's2c') write(client, text);
        else write(upstream, text);
      },
      get held() {
        return held.length;
      },
    };
    this.connections.push(ctx);
    this.emit('connection', ctx);

    function write(ws, x) {
      if (ws.readyState !== WebSocket.OPEN) return;
      const text = Array.isArray(x) ? x.map(String).join('\n') + '\n' : String(x);
      ws.send(text);
    }

    const handle = (dir, data) => {
      if (ctx.closed) return;
      this.stats.frames[dir]++;
      const raws = splitLines(data);
      let cur = -1; // c2s: seq of the next data line (from the "b" header)
      const lines = raws.map((raw) => {
        const l = new Line(raw, dir);
        ctx.lines[dir].push(raw);
        this.lines.push({ dir, conn: ctx.id, raw });
        if (l.kind === 'control') {
          if (ctx.version === undefined) ctx.version = l.v.$esn;
          if (this.version === undefined) this.version = l.v.$esn;
          if (dir === 'c2s' && l.t === 'b' && Number.isSafeInteger(l.v.s)) cur = l.v.s;
        } else if (l.kind !== 'control') {
          if (dir === 'c2s') l.seq = cur >= 0 ? cur++ : undefined;
          if (l.kind === 'data') this.stats.events[dir]++;
          if (l.isEnvelope) {
            this.stats.envelopes[dir]++;
            this.kids[dir].add(l.kid);
          }
        }
        return l;
      });
      const hook = dir === 's2c' ? this.onServerFrame : this.onClientFrame;
      let out = lines;
      if (hook) {
        try {
          out = hook(lines, ctx);
        } catch (err) {
          // a bug in the test's hook: the frame is dropped and the error surfaces (mocha fails the test)
          this.errors.push(err);
          process.nextTick(() => {
            throw err;
          });
          out = null;
        }
      }
      if (ctx.closed || !out || out.length === 0) return;
      const text = out.map(String).join('\n') + '\n';
      if (ctx.stalled) {
        held.push([dir, text]);
        return;
      }
      write(dir === 's2c' ? client : upstream, text);
    };

    client.on('message', (data) => {
      if (upstream.readyState === WebSocket.CONNECTING) pending.push(['frame', data]);
      else handle('c2s', data);
    });
    upstream.on('open', () => {
      for (const [kind, x] of pending.splice(0)) {
        if (kind === 'frame') handle('c2s', x);
        else write(upstream, x);
      }
    });
    upstream.on('message', (data) => handle('s2c', data));
    const end = (ws, code, reason) => {
      if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
      if (sendable(code)) {
        try {
          ws.close(code, reason);
          return;
        } catch {
          /* fall through */
        }
      }
      ws.terminate();
    };
    client.on('close', (code, reason) => {
      ctx.closeCodes.client = code;
      ctx.closed = true;
      end(upstream, code, reason);
    });
    upstream.on('close', (code, reason) => {
      ctx.closeCodes.upstream = code;
      ctx.closed = true;
      end(client, code, reason);
    });
    client.on('error', () => {});
    upstream.on('error', () => {
      ctx.closed = true;
      client.terminate();
    });
  }

  cutAll() {
    for (const c of this.open) c.cut();
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections) {
      c.closed = true;
      c.client.terminate();
      c.upstream.terminate();
    }
    if (this.wss) await new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

module.exports = { MitmRelay, Line, renumber, withBatchHeaders, splitLines };
