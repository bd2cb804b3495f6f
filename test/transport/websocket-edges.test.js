'use strict';
// lib/transport/websocket.js edges pinned (docs/MUTATION.md, second run):
// connect()'s node/browser detection (also without the `ws` package or any
// WebSocket) and the options each kind of socket is built with, the
// error-code note on a socket error and the reason of a refused upgrade (with
// or without a url), the close-reason texts, nothing delivered after the
// wrapper closed, and the write callback of each kind of socket.

const assert = require('node:assert');
const { EventEmitter } = require('node:events');
const { WsTransport, loadNodeWs } = require('../../lib/transport/websocket');

const WS_PATH = require.resolve('ws');
require('ws'); // in the require cache, so withWsExports can stand in for it

/** Runs `fn` while require('ws') gives `exports` (restored after). */
function withWsExports(exports, fn) {
  return withWsModule({ value: exports }, fn);
}

/** Runs `fn` while require('ws') throws, as when the package is not installed (restored after). */
function withoutWs(fn) {
  const missing = Object.assign(new Error("Cannot find module 'ws'"), { code: 'MODULE_NOT_FOUND' });
  return withWsModule({
    get() {
      throw missing;
    },
  }, fn);
}

/** Runs `fn` with the `exports` property of ws's require-cache entry described by `descriptor`. */
function withWsModule(descriptor, fn) {
  const entry = require.cache[WS_PATH];
  const saved = Object.getOwnPropertyDescriptor(entry, 'exports');
  Object.defineProperty(entry, 'exports', { configurable: true, ...descriptor });
  try {
    return fn();
  } finally {
    Object.defineProperty(entry, 'exports', saved);
  }
}

/** A `ws`-like socket class (prototype.on): records how it was built and what it was sent. */
class NodeLikeWs extends EventEmitter {
  constructor(...args) {
    super();
    this.args = args;
    this.readyState = 1;
    this.bufferedAmount = 0;
    this.sends = [];
  }
  send(...args) {
    this.sends.push(args);
  }
  close() {}
  terminate() {}
}

/** A WHATWG-like WebSocket class (no prototype.on). */
class WebLikeWs {
  constructor(...args) {
    this.args = args;
    this.readyState = 1;
    this.bufferedAmount = 0;
    this.sends = [];
  }
  send(...args) {
    this.sends.push(args);
  }
  close() {}
}

const handlers = (closes = [], frames = []) => ({ onFrame: (d) => frames.push(d), onClose: (r) => closes.push(r) });

describe('transport/websocket edges', () => {
  describe('connect()', () => {
    it('a ws-like options.WebSocket (prototype.on) is built with the Node options and keeps its binaryType', () => {
      const t = WsTransport.connect('ws://x/a', handlers(), { WebSocket: NodeLikeWs });
      assert.ok(t.ws instanceof NodeLikeWs);
      assert.deepStrictEqual(t.ws.args, ['ws://x/a', { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 }]);
      assert.strictEqual(t.ws.binaryType, undefined);
      assert.deepStrictEqual([t.node, t.pollWrites, t.url], [true, false, 'ws://x/a']);
    });

    it('a WHATWG options.WebSocket is built with the url only and gets binaryType arraybuffer', () => {
      const t = WsTransport.connect('ws://x/b', handlers(), { WebSocket: WebLikeWs });
      assert.deepStrictEqual(t.ws.args, ['ws://x/b']);
      assert.strictEqual(t.ws.binaryType, 'arraybuffer');
      assert.deepStrictEqual([t.node, t.pollWrites], [false, true]);
    });

    it('the `ws` package is a Node socket even when its class has no prototype.on', () => {
      function PlainWs(...args) {
        this.args = args;
        this.readyState = 1;
      }
      const t = withWsExports(PlainWs, () => WsTransport.connect('ws://x/c', handlers()));
      assert.deepStrictEqual(t.ws.args, ['ws://x/c', { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 }]);
      assert.strictEqual(t.ws.binaryType, undefined);
    });

    it('no implementation (a browser bundle: `ws` is an empty object, no global WebSocket) is a TypeError', function () {
      const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket'); // Node 22 has one
      if (saved && !saved.configurable) this.skip();
      delete globalThis.WebSocket;
      try {
        assert.strictEqual(withWsExports({}, () => loadNodeWs()), null);
        assert.throws(
          () => withWsExports({}, () => WsTransport.connect('ws://x/d', handlers())),
          (err) => err instanceof TypeError && err.message === 'no WebSocket implementation: install `ws` or pass options.WebSocket',
        );
      } finally {
        if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
      }
    });

    it('without the `ws` package (require throws) there is no Node socket class: null; options.WebSocket is used', () => {
      assert.strictEqual(withoutWs(() => loadNodeWs()), null);
      const t = withoutWs(() => WsTransport.connect('ws://x/e', handlers(), { WebSocket: WebLikeWs }));
      assert.deepStrictEqual([t.ws.args, t.node], [['ws://x/e'], false]);
      assert.strictEqual(typeof loadNodeWs(), 'function', 'restored');
    });
  });

  describe('Node socket', () => {
    it("an error's string code is noted with it; a non-string code is not", () => {
      const a = new WsTransport(new NodeLikeWs(), handlers());
      a.ws.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      assert.deepStrictEqual([a.reason, a.code], ['connect ECONNREFUSED', 'ECONNREFUSED']);
      const b = new WsTransport(new NodeLikeWs(), handlers());
      b.ws.emit('error', Object.assign(new Error('odd'), { code: 42 }));
      assert.deepStrictEqual([b.reason, b.code], ['odd', undefined]);
    });

    it('an upgrade answered with another HTTP status is ERR_STREAM_NOT_A_STREAM, naming the url, or "the server" without one', () => {
      const client = WsTransport.connect('ws://x/f', handlers(), { WebSocket: NodeLikeWs });
      client.ws.emit('error', new Error('Unexpected server response: 404'));
      assert.deepStrictEqual([client.reason, client.code], ['ws://x/f answered HTTP 404 to the WebSocket upgrade, not 101: not a StreamServer', 'ERR_STREAM_NOT_A_STREAM']);
      const bare = new WsTransport(new NodeLikeWs(), handlers());
      bare.ws.emit('error', new Error('Unexpected server response: 200'));
      assert.deepStrictEqual([bare.reason, bare.code], ['the server answered HTTP 200 to the WebSocket upgrade, not 101: not a StreamServer', 'ERR_STREAM_NOT_A_STREAM']);
    });

    it('close reasons: the code alone for an empty reason, code and reason otherwise', () => {
      const closes = [];
      new WsTransport(new NodeLikeWs(), handlers(closes)).ws.emit('close', 1000, Buffer.alloc(0));
      new WsTransport(new NodeLikeWs(), handlers(closes)).ws.emit('close', 4000, Buffer.from('bye'));
      assert.deepStrictEqual(closes, ['closed (1000)', 'closed (4000 bye)']);
    });

    it('send passes the write callback to the socket and does not call it itself', () => {
      const t = new WsTransport(new NodeLikeWs(), handlers());
      let called = 0;
      const cb = () => called++;
      t.send('x\n', cb);
      assert.deepStrictEqual(t.ws.sends, [['x\n', cb]]);
      assert.strictEqual(called, 0);
    });
  });

  describe('WHATWG socket', () => {
    it('nothing is delivered and the close code is not recorded after the wrapper closed', () => {
      const closes = [];
      const frames = [];
      const t = new WsTransport(new WebLikeWs(), handlers(closes, frames));
      t.ws.onmessage({ data: 'a' });
      t.terminate();
      t.ws.onmessage({ data: 'b' });
      t.ws.onclose({ code: 1006 });
      assert.deepStrictEqual(frames, ['a']);
      assert.deepStrictEqual([t.closeCode, closes], [undefined, ['terminated']]);
    });

    it('a close gives its code as the reason', () => {
      const closes = [];
      const t = new WsTransport(new WebLikeWs(), handlers(closes));
      t.ws.onclose({ code: 1001 });
      assert.deepStrictEqual([t.closeCode, closes], [1001, ['closed (1001)']]);
    });

    it('send without a callback sends the text only; with one, calls it at once', () => {
      const t = new WsTransport(new WebLikeWs(), handlers());
      t.send('a\n');
      let called = 0;
      t.send('b\n', () => called++);
      assert.deepStrictEqual(t.ws.sends, [['a\n'], ['b\n']]);
      assert.strictEqual(called, 1);
    });
  });
});
