'use strict';
// How a ReconnectingStream fails against real things that are not a working
// StreamServer, on loopback: an HTTP server answering 200 text/html (or 502),
// a WebSocket server that speaks something else, a closed port, and a TCP
// server that accepts and never answers. Each failed attempt is coded and
// counts against maxAttempts; the stream ends 'failed' and says why. Also:
// the one-line notice of each first-connect retry, and the coded error of an
// encrypted channel used after close().

const assert = require('node:assert');
const http = require('node:http');
const net = require('node:net');
const { WebSocketServer } = require('ws');
const { Harness, freePort, once } = require('../helpers/stream-harness');
const { stderrOf } = require('../helpers/notices');
const { createEncryptedChannel, StreamError } = require('../../index.js');

// The retry notices go to stderr unless this is set; the tests that check them unset it for a moment.
process.env.ENCLAVE_STREAM_QUIET = '1';

const FAST = { maxAttempts: 2, initialDelay: 5, maxDelay: 10, jitter: false };
const CREDENTIAL = 'A'.repeat(43); // a well-formed credential (32 bytes, base64url)

/** An http.Server on loopback answering every request (upgrades included) with `status` and an HTML page; counts requests by method. */
async function htmlServer(h, status = 200) {
  const seen = { GET: 0, POST: 0 };
  const srv = http.createServer((req, res) => {
    seen[req.method] = (seen[req.method] || 0) + 1;
    req.resume();
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><body>not a stream</body></html>\n');
  });
  srv.on('upgrade', (req, socket) => {
    seen.upgrade = (seen.upgrade || 0) + 1;
    socket.end(`HTTP/1.1 ${status} OK\r\ncontent-type: text/html\r\ncontent-length: 6\r\nconnection: close\r\n\r\n<html>`);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  h.add({ close: () => new Promise((resolve) => srv.close(() => resolve())) });
  return { port: srv.address().port, seen };
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(h) {
  const sockets = [];
  const srv = net.createServer((s) => sockets.push(s));
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  h.add({
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => srv.close(() => resolve()));
    },
  });
  return { port: srv.address().port, sockets };
}

/** Records what a client says while it fails: 'error' codes, 'retry' events, states (with their reasons), 'failed'. */
function watch(c) {
  const w = { errors: [], retries: [], states: [], reasons: [], disconnects: [] };
  c.on('error', (e) => w.errors.push(e.code));
  c.on('retry', (e) => w.retries.push(e));
  c.on('disconnected', (e) => w.disconnects.push(e));
  c.on('stateChange', (st, prev, why) => {
    w.states.push(st);
    if (st === 'reconnecting') w.reasons.push(why);
  });
  w.failed = once(c, 'failed');
  return w;
}

describe('ReconnectingStream failure modes (real servers on loopback)', function () {
  this.timeout(20000);
  let h;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  /** A client against `url` that never gets a session: asserts the common outcome; returns the watch. */
  async function failsEveryAttempt(url, lastCode, options = {}) {
    const c = h.add(new (require('../../lib/client').ReconnectingStream)({ url, sessionId: 'not_a_stream', credential: CREDENTIAL, reconnect: FAST, ...options }));
    const w = watch(c);
    const queued = c.send({ n: 1 }); // queued (send() resolves on room in the buffers, not on delivery)
    const flushed = c.flush();
    await assert.rejects(c.connect(), (err) => err instanceof StreamError && err.code === 'ERR_STREAM_RETRIES_EXHAUSTED' && err.lastCode === lastCode);
    const f = await w.failed;
    assert.strictEqual(f.code, 'ERR_STREAM_RETRIES_EXHAUSTED');
    assert.strictEqual(f.lastCode, lastCode);
    assert.strictEqual(c.state, 'failed');
    assert.ok(!w.states.includes('connected'), `states ${w.states}`);
    assert.deepStrictEqual(w.retries.map((r) => r.attempt), [1, 2], 'maxAttempts applies');
    for (const r of w.retries) assert.strictEqual(r.code, lastCode);
    for (const why of w.reasons) assert.strictEqual(why.code, lastCode);
    await queued;
    await assert.rejects(flushed, { code: 'ERR_STREAM_RETRIES_EXHAUSTED' });
    await assert.rejects(c.send({ n: 2 }), { code: 'ERR_STREAM_RETRIES_EXHAUSTED' });
    assert.strictEqual(c.pending, 1, 'the message is kept, not dropped');
    return { c, w, f };
  }

  describe('a url answered by something that is not a StreamServer: ERR_STREAM_NOT_A_STREAM, a failed attempt', () => {
    it('http:// answered 200 text/html: every attempt fails, maxAttempts applies, nothing is posted', async () => {
      const { port, seen } = await htmlServer(h, 200);
      const { w, f } = await failsEveryAttempt(`http://127.0.0.1:${port}`, 'ERR_STREAM_NOT_A_STREAM');
      assert.deepStrictEqual(w.errors, ['ERR_STREAM_NOT_A_STREAM', 'ERR_STREAM_NOT_A_STREAM', 'ERR_STREAM_NOT_A_STREAM']);
      assert.match(f.reason, /HTTP 200 \(text\/html\), not an NDJSON stream/);
      assert.strictEqual(seen.GET, 3, 'one GET per attempt');
      assert.strictEqual(seen.POST || 0, 0, 'nothing posted');
    });

    it('http:// answered 502 text/html (a proxy error page): a failed attempt, not a final refusal', async () => {
      const { port, seen } = await htmlServer(h, 502);
      const { f } = await failsEveryAttempt(`http://127.0.0.1:${port}`, 'ERR_STREAM_NOT_A_STREAM');
      assert.match(f.reason, /HTTP 502/);
      assert.strictEqual(seen.GET, 3);
    });

    it('ws:// whose upgrade is answered 200 instead of 101', async () => {
      const { port, seen } = await htmlServer(h, 200);
      const { w, f } = await failsEveryAttempt(`ws://127.0.0.1:${port}/`, 'ERR_STREAM_NOT_A_STREAM');
      assert.match(f.reason, /answered HTTP 200 to the WebSocket upgrade/);
      assert.strictEqual(w.errors.length, 3);
      assert.strictEqual(seen.upgrade, 3);
    });

    it('ws:// served by a WebSocket server that speaks something else', async () => {
      const port = await freePort();
      const wss = new WebSocketServer({ port, host: '127.0.0.1' });
      await once(wss, 'listening');
      wss.on('connection', (ws) => ws.send('<html>hello</html>\n'));
      h.add({ close: () => new Promise((resolve) => wss.close(() => resolve())) });
      const { f } = await failsEveryAttempt(`ws://127.0.0.1:${port}`, 'ERR_STREAM_NOT_A_STREAM');
      assert.match(f.reason, /expected a welcome from the server/);
    });
  });

  describe('connectTimeoutMs', () => {
    for (const scheme of ['ws', 'http']) {
      it(`${scheme}://, a server that accepts and never answers: "connect timed out after N ms" (ERR_STREAM_CONNECT_TIMEOUT), not "terminated"`, async () => {
        const { port } = await silentServer(h);
        const { w, f } = await failsEveryAttempt(`${scheme}://127.0.0.1:${port}`, 'ERR_STREAM_CONNECT_TIMEOUT', { connectTimeoutMs: 100 });
        assert.strictEqual(f.reason, 'connect timed out after 100 ms');
        for (const r of w.retries) assert.strictEqual(r.reason, 'connect timed out after 100 ms');
        for (const d of w.disconnects) assert.deepStrictEqual(d, { reason: 'connect timed out after 100 ms', code: 'ERR_STREAM_CONNECT_TIMEOUT' });
        assert.ok(!/terminated/.test(JSON.stringify(w)), 'no "terminated" reason');
      });
    }
  });

  describe('first-connect retries against a closed port', () => {
    it("say why on 'retry', 'disconnected' and the state change to 'reconnecting'", async () => {
      const port = await freePort();
      const { w } = await failsEveryAttempt(`ws://127.0.0.1:${port}`, 'ECONNREFUSED');
      for (const r of w.retries) assert.match(r.reason, /ECONNREFUSED/);
      assert.strictEqual(w.reasons.length, 2, 'two retries: two states reconnecting (the third failure is final)');
      for (const why of w.reasons) assert.match(why.reason, /ECONNREFUSED/);
      assert.deepStrictEqual(w.disconnects.map((d) => d.code), ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    });

    it('print one line per retry on stderr when nobody listens (attempt, maxAttempts, code, reason)', async () => {
      const port = await freePort();
      const lines = await stderrOf(async () => {
        const c = h.add(new (require('../../lib/client').ReconnectingStream)({ url: `ws://127.0.0.1:${port}`, reconnect: { ...FAST, maxAttempts: 3 } }));
        await assert.rejects(c.connect(), { code: 'ERR_STREAM_RETRIES_EXHAUSTED' });
      }, false);
      assert.strictEqual(lines.length, 3, lines.join(''));
      lines.forEach((line, i) => {
        assert.ok(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, 'one line');
        assert.match(line, new RegExp(`^enclave-stream-native: ReconnectingStream ws://127\\.0\\.0\\.1:${port}: connection failed \\(ECONNREFUSED: connect ECONNREFUSED [^)]*\\); retry ${i + 1} of 3 in \\d+ ms\\n$`));
      });
    });

    it('print nothing with ENCLAVE_STREAM_QUIET=1, or when a listener is attached, or after the first connection', async () => {
      const port = await freePort();
      const quiet = await stderrOf(async () => {
        const c = h.add(new (require('../../lib/client').ReconnectingStream)({ url: `ws://127.0.0.1:${port}`, reconnect: FAST }));
        await assert.rejects(c.connect());
      }, true);
      assert.deepStrictEqual(quiet, []);
      const listened = await stderrOf(async () => {
        const c = h.add(new (require('../../lib/client').ReconnectingStream)({ url: `ws://127.0.0.1:${port}`, reconnect: FAST }));
        c.on('retry', () => {});
        await assert.rejects(c.connect());
      }, false);
      assert.deepStrictEqual(listened, []);
      const { server, addr } = await h.server({});
      const after = await stderrOf(async () => {
        const c = h.add(new (require('../../lib/client').ReconnectingStream)({ url: addr.url, reconnect: { ...FAST, maxAttempts: 1 } }));
        await c.connect();
        const failed = once(c, 'failed');
        await server.close();
        await failed;
      }, false);
      assert.deepStrictEqual(after, []);
    });
  });

  it('EncryptedChannel.send() after close() rejects with ERR_CHANNEL_CLOSED (a StreamError)', async () => {
    const ch = await createEncryptedChannel({ role: 'client' });
    const queued = ch.send({ n: 0 }); // no keys yet: queued, rejected by close()
    ch.close();
    await assert.rejects(queued, (err) => err instanceof StreamError && err.code === 'ERR_CHANNEL_CLOSED');
    await assert.rejects(ch.send({ n: 1 }), (err) => err instanceof StreamError && err.code === 'ERR_CHANNEL_CLOSED' && /closed/.test(err.message));
  });
});
