'use strict';
// lib/transport/websocket.js, the WebSocket wrapper of both sides: over a
// fake `ws` socket (Node style, EventEmitter), a fake WHATWG WebSocket
// (browser style, on* handlers), and a real `ws` pair on loopback where both
// ends are wrapped.

const assert = require('node:assert');
const { EventEmitter } = require('node:events');
const { WebSocketServer } = require('ws');
const { WsTransport } = require('../../lib/transport/websocket');
const { once } = require('../helpers/stream-harness');

/** A `ws`-like socket: records what is sent and how it was closed. */
class FakeNodeWs extends EventEmitter {
  constructor() {
    super();
    this.readyState = 1;
    this.bufferedAmount = 0;
    this.sent = [];
    this.closedWith = null;
    this.terminated = 0;
  }
  send(text, cb) {
    this.sent.push(text);
    if (cb) cb();
  }
  close(code, reason) {
    if (this.throwOnClose) throw new Error('bad close code');
    this.closedWith = [code, reason];
  }
  terminate() {
    this.terminated++;
  }
}

/** A WHATWG-like WebSocket: on* handlers, no write callback. */
class FakeWebWs {
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.bufferedAmount = 7;
    this.sent = [];
    this.closes = 0;
    FakeWebWs.last = this;
  }
  send(text) {
    this.sent.push(text);
  }
  close() {
    this.closes++;
  }
}

/** Handlers that record their calls. */
function recorder() {
  const r = { opens: 0, frames: [], closes: [] };
  r.h = {
    onOpen: () => r.opens++,
    onFrame: (d) => r.frames.push(d),
    onClose: (reason) => r.closes.push(reason),
  };
  return r;
}

describe('transport/websocket: WsTransport', () => {
  describe('over a `ws` socket (Node)', () => {
    it('has the Link duck type: kind, send with its callback, bufferedAmount, no write polling', () => {
      const ws = new FakeNodeWs();
      const r = recorder();
      const t = new WsTransport(ws, r.h);
      assert.strictEqual(t.kind, 'ws');
      assert.strictEqual(t.pollWrites, false);
      let called = 0;
      t.send('a\n', () => called++);
      assert.deepStrictEqual(ws.sent, ['a\n']);
      assert.strictEqual(called, 1);
      ws.bufferedAmount = 42;
      assert.strictEqual(t.bufferedAmount, 42);
      ws.readyState = 3;
      t.send('b\n', () => called++);
      assert.deepStrictEqual(ws.sent, ['a\n'], 'nothing is written to a socket that is not open');
      assert.strictEqual(called, 1);
    });

    it('passes open and frames on; no frame after it closed', () => {
      const ws = new FakeNodeWs();
      const r = recorder();
      const t = new WsTransport(ws, r.h);
      ws.emit('open');
      ws.emit('message', Buffer.from('x\n'));
      t.terminate();
      ws.emit('message', Buffer.from('y\n'));
      assert.strictEqual(r.opens, 1);
      assert.deepStrictEqual(r.frames.map(String), ['x\n']);
    });

    it('onClose once, with the close code and reason', () => {
      const ws = new FakeNodeWs();
      const r = recorder();
      const t = new WsTransport(ws, r.h);
      ws.emit('close', 4000, Buffer.from('replaced'));
      ws.emit('close', 1000, Buffer.from(''));
      t.terminate();
      assert.deepStrictEqual(r.closes, ['closed (4000 replaced)']);
      assert.strictEqual(t.closeCode, 4000);
    });

    it('the first known reason wins: a socket error (with its system code) before the close', () => {
      const ws = new FakeNodeWs();
      const r = recorder();
      const t = new WsTransport(ws, r.h);
      ws.emit('error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
      ws.emit('close', 1006, Buffer.alloc(0));
      assert.deepStrictEqual(r.closes, ['connect ECONNREFUSED 127.0.0.1:9']);
      assert.strictEqual(t.code, 'ECONNREFUSED');
    });

    it('an upgrade answered without 101 is ERR_STREAM_NOT_A_STREAM, naming the url and the status', () => {
      const ws = new FakeNodeWs();
      const r = recorder();
      const t = new WsTransport(ws, r.h);
      t.url = 'ws://127.0.0.1:9/x';
      ws.emit('error', new Error('Unexpected server response: 404'));
      ws.emit('close', 1006, Buffer.alloc(0));
      assert.strictEqual(t.code, 'ERR_STREAM_NOT_A_STREAM');
      assert.match(r.closes[0], /^ws:\/\/127\.0\.0\.1:9\/x answered HTTP 404 to the WebSocket upgrade/);
    });

    it("abort(reason, code) terminates at once and onClose gets that reason; terminate() alone says 'terminated'", () => {
      const ws = new FakeNodeWs();
      const r = recorder();
      const t = new WsTransport(ws, r.h);
      t.abort('connect timed out after 5 ms', 'ERR_STREAM_CONNECT_TIMEOUT');
      assert.strictEqual(ws.terminated, 1);
      assert.deepStrictEqual(r.closes, ['connect timed out after 5 ms']);
      assert.strictEqual(t.code, 'ERR_STREAM_CONNECT_TIMEOUT');
      const r2 = recorder();
      new WsTransport(new FakeNodeWs(), r2.h).terminate();
      assert.deepStrictEqual(r2.closes, ['terminated']);
    });

    it('close(code, reason) closes the socket; a close the socket refuses becomes terminate()', () => {
      const ws = new FakeNodeWs();
      const t = new WsTransport(ws, recorder().h);
      t.close(4400, 'BAD_HELLO');
      assert.deepStrictEqual(ws.closedWith, [4400, 'BAD_HELLO']);
      const bad = new FakeNodeWs();
      bad.throwOnClose = true;
      const r = recorder();
      new WsTransport(bad, r.h).close(1, 'x');
      assert.strictEqual(bad.terminated, 1);
      assert.deepStrictEqual(r.closes, ['terminated']);
    });
  });

  describe('over a WHATWG WebSocket (browsers)', () => {
    it('connect() with options.WebSocket: arraybuffer frames as bytes, text as text, writes polled', () => {
      const r = recorder();
      const t = WsTransport.connect('ws://example.invalid/', r.h, { WebSocket: FakeWebWs });
      const ws = FakeWebWs.last;
      assert.strictEqual(ws.url, 'ws://example.invalid/');
      assert.strictEqual(ws.binaryType, 'arraybuffer');
      assert.strictEqual(t.pollWrites, true);
      ws.onopen();
      ws.onmessage({ data: 'a\n' });
      ws.onmessage({ data: new Uint8Array([98, 10]).buffer });
      assert.strictEqual(r.opens, 1);
      assert.strictEqual(r.frames[0], 'a\n');
      assert.ok(r.frames[1] instanceof Uint8Array);
      assert.deepStrictEqual([...r.frames[1]], [98, 10]);
      let called = 0;
      t.send('c\n', () => called++);
      assert.strictEqual(called, 1, 'no write callback: called at once');
      assert.strictEqual(t.bufferedAmount, 7);
    });

    it("an error then a close: 'websocket error', once; terminate() closes the socket", () => {
      const r = recorder();
      const t = WsTransport.connect('ws://example.invalid/', r.h, { WebSocket: FakeWebWs });
      const ws = FakeWebWs.last;
      ws.onerror();
      ws.onclose({ code: 1006 });
      assert.deepStrictEqual(r.closes, ['websocket error']);
      assert.strictEqual(t.closeCode, 1006);
      const r2 = recorder();
      const t2 = WsTransport.connect('ws://example.invalid/', r2.h, { WebSocket: FakeWebWs });
      t2.terminate();
      assert.strictEqual(FakeWebWs.last.closes, 1);
      assert.deepStrictEqual(r2.closes, ['terminated']);
    });
  });

  it('a real `ws` pair on loopback, both ends wrapped: frames both ways, then the close reaches the other side', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    try {
      const server = recorder();
      const accepted = new Promise((resolve) => wss.on('connection', (ws) => resolve(new WsTransport(ws, server.h))));
      const client = recorder();
      const opened = new Promise((resolve) => {
        client.h.onOpen = resolve;
      });
      const c = WsTransport.connect(`ws://127.0.0.1:${wss.address().port}`, client.h);
      const [s] = await Promise.all([accepted, opened]);
      const gotServer = new Promise((resolve) => {
        server.h.onFrame = (d) => resolve(String(d));
      });
      c.send('{"n":1}\n');
      assert.strictEqual(await gotServer, '{"n":1}\n');
      const gotClient = new Promise((resolve) => {
        client.h.onFrame = (d) => resolve(String(d));
      });
      s.send('{"n":2}\n');
      assert.strictEqual(await gotClient, '{"n":2}\n');
      const closed = new Promise((resolve) => {
        client.h.onClose = resolve;
      });
      s.close(1000, 'session closed');
      assert.strictEqual(await closed, 'closed (1000 session closed)');
      assert.strictEqual(c.closeCode, 1000);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
