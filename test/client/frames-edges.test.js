'use strict';
// How a ReconnectingStream reacts to each frame a server sends (lib/client
// _readFrame/_welcome/_ready/_onReject/_onClose/_onControl/_closedBy, pinned
// for docs/MUTATION.md): a hand-made WebSocket server on loopback plays the
// server (or a hostile one) frame by frame, and the tests check the client's
// exact answer: the coded failure, the 'error'/'disconnected' events, what it
// sends back, the limits it takes from the welcome (max, hb), the frames that
// share the welcome's frame, the late or unexpected control frames, and the
// count of connections in a row that made no progress (stats.stalls).
// Encrypted cases run against a real StreamServer (with a MitmRelay where a
// frame is altered, merged or held); the crypto.subtle path
// (ENCLAVE_STREAM_WEBCRYPTO=1, set here around the tests that need it) is
// driven on every backend. One test is skipped: a bug found on the way (a new
// session's welcome.rx is not range-checked), see its comment.

const assert = require('node:assert');
const http = require('node:http');
const { WebSocketServer } = require('ws');
const { Harness, until, once } = require('../helpers/stream-harness');
const { processGuard, flipCiphertext } = require('../helpers/bad-input');
const { withWebCrypto } = require('../helpers/webcrypto-env');
const { ctl, token, mac, credentialKeys, chunkEvent, lib } = require('../attacks/support/v2');
const { startPair } = require('../attacks/support/pair');
const { ReconnectingStream } = require('../../lib/client');
const { StreamError } = require('../../index.js');

process.env.ENCLAVE_STREAM_QUIET = '1'; // no retry notices on stderr

const SID = 's_frames';
const CRED = token(32);
const FAST = { initialDelay: 1, maxDelay: 5, jitter: false, maxAttempts: 10 };

/** A data line of the server: event `i` with its seq. */
const event = (i) => JSON.stringify({ seq: i, ...chunkEvent(i) });

/** A welcome of a new plaintext session (no heartbeat), `extra` fields added or overridden. */
const welcome = (extra = {}) => ctl('welcome', { sid: SID, resumed: false, rx: 0, hb: 0, first: 1, next: 1, v: 2, cred: CRED, ...extra });

/**
 * A WebSocket server that plays the StreamServer by hand: every connection
 * becomes a Conn (the lines it received, parsed; send(lines); close(code));
 * `script(conn, index)` runs on each new connection.
 */
async function fakeServer(h, script) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const conns = [];
  const sockets = new Set();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    const conn = {
      ws,
      frames: [],
      lines: [],
      closed: false,
      send(x) {
        if (ws.readyState === 1) ws.send(Array.isArray(x) ? x.join('\n') + '\n' : x);
      },
      /** The next line received (parsed) for which pred(line) holds, from index `from` on. */
      next(pred, what = 'line') {
        return until(() => this.lines.find(pred) || (this.closed && Promise.reject(new Error(`closed before ${what}`))), what, 5000);
      },
      hello() {
        return this.next((l) => l.$esn !== undefined && l.t === 'hello', 'hello');
      },
    };
    ws.on('message', (data) => {
      conn.frames.push(String(data));
      for (const raw of String(data).split('\n')) if (raw.trim()) conn.lines.push(JSON.parse(raw));
    });
    ws.on('close', () => {
      conn.closed = true;
      sockets.delete(ws);
    });
    conns.push(conn);
    Promise.resolve(script(conn, conns.length - 1)).catch(() => ws.terminate());
  });
  h.add({
    close: () =>
      new Promise((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close(() => resolve());
      }),
  });
  return { url: `ws://127.0.0.1:${wss.address().port}`, conns };
}

/** A client of `url` that records its errors, disconnects, states and messages (no error listener with `quiet`). */
function client(h, url, options = {}, { listen = true } = {}) {
  const c = h.add(new ReconnectingStream({ url, reconnect: FAST, ...options }));
  const w = { errors: [], disconnects: [], got: [], connected: [], stalls: [] };
  if (listen) c.on('error', (e) => w.errors.push(e));
  c.on('disconnected', (d) => {
    w.disconnects.push(d);
    w.stalls.push(c.stats.stalls);
  });
  c.on('message', (m) => w.got.push(m));
  c.on('connected', (e) => w.connected.push({ ...e, stalls: c.stats.stalls }));
  w.failed = once(c, 'failed');
  return { c, w };
}

/** Sends a challenge, waits for the hello and answers `reply(hello)` (a frame: a line or lines). */
async function answer(conn, reply) {
  conn.send(ctl('challenge', { n: token() }));
  const hello = await conn.hello();
  conn.send(reply(hello));
  return hello;
}

/** The server's MAC key of a plaintext session (the resume verifier derived from the credential). */
const credKey = () => credentialKeys(CRED, SID).authC;

describe('ReconnectingStream: frames from the server (a hand-made server on loopback)', function () {
  this.timeout(10000);
  let h;
  let guard;
  beforeEach(() => {
    h = new Harness();
    guard = processGuard();
  });
  afterEach(async () => {
    await h.cleanup();
    guard.uninstall();
    assert.deepStrictEqual(guard.seen, [], 'uncaught exception or unhandled rejection');
  });

  describe('before the welcome', () => {
    it('a challenge and the welcome in one frame: the welcome is read (and so are events after it)', async () => {
      const { url } = await fakeServer(h, (conn) => conn.send([ctl('challenge', { n: token() }), welcome({ next: 3 }), event(1), event(2)]));
      const { c, w } = client(h, url);
      await c.connect();
      await until(() => w.got.length === 2, 'two events');
      assert.deepStrictEqual(w.got.map((m) => m.payload.chunk), ['1', '2']);
      assert.strictEqual(c.sessionId, SID);
      assert.strictEqual(c.credential, CRED);
    });

    it('a challenge followed by a line that is not JSON: ERR_STREAM_NOT_A_STREAM (a failed attempt)', async () => {
      const { url } = await fakeServer(h, (conn) => conn.send(`${ctl('challenge', { n: token() })}\n<html>\n`));
      const { c, w } = client(h, url, { reconnect: { ...FAST, maxAttempts: 0 } });
      await assert.rejects(c.connect(), { code: 'ERR_STREAM_RETRIES_EXHAUSTED', lastCode: 'ERR_STREAM_NOT_A_STREAM' });
      assert.deepStrictEqual(w.disconnects, [{ reason: 'expected a welcome from the server: not a StreamServer', code: 'ERR_STREAM_NOT_A_STREAM' }]);
    });

    it('a JSON object that is not a control frame: ERR_STREAM_NOT_A_STREAM, not a version mismatch', async () => {
      const { url } = await fakeServer(h, (conn) => conn.send('{"hello":"world"}\n'));
      const { c } = client(h, url, { reconnect: { ...FAST, maxAttempts: 0 } });
      await assert.rejects(c.connect(), { code: 'ERR_STREAM_RETRIES_EXHAUSTED', lastCode: 'ERR_STREAM_NOT_A_STREAM' });
    });

    it('a control frame of another version: final UNSUPPORTED_VERSION naming both versions', async () => {
      const { url } = await fakeServer(h, (conn) => conn.send(ctl('welcome', { sid: SID }, 1)));
      const { c, w } = client(h, url);
      await assert.rejects(c.connect(), { code: 'UNSUPPORTED_VERSION', message: 'the server speaks control version 1, this client 2' });
      assert.strictEqual((await w.failed).code, 'UNSUPPORTED_VERSION');
      assert.strictEqual(w.disconnects.length, 0, 'no retry');
    });

    it('a well-formed control frame that is not a welcome: the attempt is dropped with its reason, no error event', async () => {
      const { url } = await fakeServer(h, (conn, i) => conn.send(i === 0 ? ctl('ack', { s: 0 }) : welcome()));
      const { c, w } = client(h, url);
      await c.connect();
      assert.deepStrictEqual(w.disconnects, [{ reason: 'expected a welcome, got ack', code: undefined }]);
      assert.deepStrictEqual(w.errors, []);
    });

    it('a resume answered by a new session: final SESSION_UNKNOWN', async () => {
      const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome()));
      const { c, w } = client(h, url, { sessionId: SID, credential: CRED });
      await assert.rejects(c.connect(), { code: 'SESSION_UNKNOWN', message: 'the server started a new session instead of resuming' });
      assert.strictEqual(w.disconnects.length, 0);
    });

    it('a resumed welcome whose rx is beyond what was sent: ERR_STREAM_RANGE, the connection is dropped', async () => {
      const { url, conns } = await fakeServer(h, (conn, i) => answer(conn, () => welcome({ resumed: true, rx: i === 0 ? 1 : 0 })));
      const { c, w } = client(h, url, { sessionId: SID, credential: CRED });
      await c.connect();
      const why = 'welcome.rx 1 is beyond the last message sent (0)';
      assert.deepStrictEqual(w.disconnects, [{ reason: why, code: 'ERR_STREAM_RANGE' }]);
      assert.deepStrictEqual(
        w.errors.map((e) => [e.code, e.message, e instanceof StreamError]),
        [['ERR_STREAM_RANGE', why, true]],
      );
      assert.strictEqual(conns.length, 2);
    });

    // Found by the mutation run: the range check used to apply to resumed
    // welcomes only, so a NEW session's welcome whose rx is beyond what was
    // sent made the client count its queued messages as acknowledged, never
    // to be sent (a relay can forge it: a new session's welcome has no MAC).
    it('a new session whose welcome acknowledges messages never sent: ERR_STREAM_RANGE, nothing is lost', async () => {
      // the first welcome claims both messages; the next connection is a new session that gets them
      const { url, conns } = await fakeServer(h, (conn, i) => answer(conn, () => welcome({ rx: i === 0 ? 2 : 0 })));
      const { c, w } = client(h, url);
      c.send({ n: 1 });
      c.send({ n: 2 });
      await c.connect();
      await until(() => conns.some((conn) => conn.lines.some((l) => l.n === 2)), 'the messages', 3000);
      assert.deepStrictEqual(w.disconnects.map((d) => d.code), ['ERR_STREAM_RANGE']);
      assert.deepStrictEqual(conns[1].lines.filter((l) => l.n !== undefined).map((l) => l.n), [1, 2]);
    });

    it('a resumed plaintext session when encryption is required: final ENCRYPTION_REQUIRED', async () => {
      const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome({ resumed: true })));
      const { c } = client(h, url, { sessionId: SID, credential: CRED, encryption: 'required' });
      await assert.rejects(c.connect(), { code: 'ENCRYPTION_REQUIRED', message: 'the server resumed a plaintext session but encryption is required' });
    });

    it('a new plaintext session when encryption is required: final ENCRYPTION_REQUIRED', async () => {
      const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome()));
      const { c } = client(h, url, { encryption: 'required' });
      await assert.rejects(c.connect(), { code: 'ENCRYPTION_REQUIRED', message: 'the server does not encrypt this session but encryption is required' });
    });

    it('a ServerHello the client did not ask for: ERR_STREAM_CONTROL, the connection is dropped', async () => {
      const enc = { serverEphemeralPubKeyB64: 'x', curve: 'P-256', selectedAlgorithm: 'AES-GCM-256', keyId: 'k' };
      const { url } = await fakeServer(h, (conn, i) => answer(conn, () => (i === 0 ? welcome({ enc }) : welcome())));
      const { c, w } = client(h, url, { encryption: 'disabled' });
      await c.connect();
      const why = 'a ServerHello this client did not ask for';
      assert.deepStrictEqual(w.disconnects, [{ reason: why, code: 'ERR_STREAM_CONTROL' }]);
      assert.deepStrictEqual(w.errors.map((e) => [e.code, e.message]), [['ERR_STREAM_CONTROL', why]]);
      assert.strictEqual(c.encrypted, false);
    });

    it('a new plaintext session without a resume credential: ERR_STREAM_CONTROL, the connection is dropped', async () => {
      const { url } = await fakeServer(h, (conn, i) => answer(conn, () => (i === 0 ? welcome({ cred: undefined }) : welcome())));
      const { c, w } = client(h, url);
      await c.connect();
      assert.deepStrictEqual(w.disconnects, [{ reason: 'the welcome of a plaintext session carries no resume credential', code: 'ERR_STREAM_CONTROL' }]);
      assert.deepStrictEqual(w.errors.map((e) => [e.code, e.message]), [['ERR_STREAM_CONTROL', 'welcome without a resume credential']]);
      assert.strictEqual(c.credential, CRED);
    });

    it('an unusable ServerHello: final ENCRYPTION_HANDSHAKE_FAILED saying why', async () => {
      const enc = { serverEphemeralPubKeyB64: 'x', curve: 'P-384', selectedAlgorithm: 'AES-GCM-256', keyId: 'k' };
      const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome({ enc, cred: undefined })));
      const { c } = client(h, url, { encryption: 'required' });
      await assert.rejects(c.connect(), { code: 'ENCRYPTION_HANDSHAKE_FAILED', message: 'encryption handshake failed: unsupported server hello' });
    });
  });

  describe('rejects', () => {
    it('a reject with a message: final, with that code and message', async () => {
      const { url } = await fakeServer(h, (conn) => conn.send(ctl('reject', { code: 'SESSION_EXISTS', message: 'taken' })));
      const { c } = client(h, url);
      await assert.rejects(c.connect(), { code: 'SESSION_EXISTS', message: 'taken' });
    });

    it('a reject without a message: final, "the server refused the connection (CODE)"', async () => {
      const { url } = await fakeServer(h, (conn) => conn.send(ctl('reject', { code: 'SESSION_EXISTS' })));
      const { c } = client(h, url);
      await assert.rejects(c.connect(), { code: 'SESSION_EXISTS', message: 'the server refused the connection (SESSION_EXISTS)' });
    });

    it('http://: a refusal without a control frame (an NDJSON error answer): final HTTP_<status>', async () => {
      const srv = http.createServer((req, res) => {
        req.resume();
        res.writeHead(409, { 'content-type': 'application/x-ndjson' });
        res.end();
      });
      await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
      h.add({ close: () => new Promise((resolve) => srv.close(() => resolve())) });
      const { c } = client(h, `http://127.0.0.1:${srv.address().port}`, { sessionId: SID, credential: CRED });
      await assert.rejects(c.connect(), { code: 'HTTP_409', message: 'the server refused the connection (HTTP_409)' });
    });

    it('SERVER_CLOSING: a failed attempt, retried (the next attempt connects)', async () => {
      const { url } = await fakeServer(h, (conn, i) => (i === 0 ? conn.send(ctl('reject', { code: 'SERVER_CLOSING', message: 'bye' })) : answer(conn, () => welcome())));
      const { c, w } = client(h, url);
      await c.connect();
      assert.deepStrictEqual(w.disconnects, [{ reason: 'SERVER_CLOSING: bye', code: 'SERVER_CLOSING' }]);
    });
  });

  describe('the welcome', () => {
    it('welcome.max: a message too long for the server is refused by send(); frames stay under max less the slack', async () => {
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome({ max: 1024 + 300 })));
      const { c } = client(h, url);
      await c.connect();
      await assert.rejects(c.send({ pad: 'x'.repeat(400) }), {
        code: 'ERR_STREAM_MESSAGE_TOO_LARGE',
        message: "message of 410 bytes exceeds the server's maximum message size (1324 bytes)",
      });
      const conn = conns[0];
      await c.send({ n: 0 });
      await conn.next((l) => l.n === 0, 'message 0');
      conn.send(ctl('ack', { s: 1 })); // the frames may grow now, up to the limit
      await until(() => c.pending === 0, 'ack');
      const before = conn.frames.length;
      for (let i = 1; i <= 6; i++) c.send({ n: i, pad: 'y'.repeat(80) });
      await conn.next((l) => l.n === 6, 'message 6');
      const frames = conn.frames.slice(before);
      for (const f of frames) assert.ok(Buffer.byteLength(f) <= 300 + 40, `frame of ${Buffer.byteLength(f)} bytes`);
      assert.ok(frames.some((f) => f.split('\n').filter(Boolean).length >= 3), 'several messages per frame');
    });

    for (const max of [0, -5, 1.5]) {
      it(`welcome.max ${max}: ignored (send() takes any message)`, async () => {
        const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome({ max })));
        const { c } = client(h, url);
        await c.connect();
        await c.send({ pad: 'x'.repeat(2000) });
        await conns[0].next((l) => l.pad !== undefined, 'the message');
      });
    }

    it('welcome.hb sets the heartbeat (timeout 2.5 x) unless the options set it', async () => {
      const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome({ hb: 4000 })));
      const a = client(h, url).c;
      await a.connect();
      assert.strictEqual(a._link.heartbeatIntervalMs, 4000);
      assert.strictEqual(a._link.heartbeatTimeoutMs, 10000);
      const b = client(h, url, { heartbeatIntervalMs: 0 }).c;
      await b.connect();
      assert.strictEqual(b._link.heartbeatIntervalMs, 0);
      const d = client(h, url, { heartbeatTimeoutMs: 60000 }).c;
      await d.connect();
      assert.strictEqual(d._link.heartbeatIntervalMs, 4000);
      assert.strictEqual(d._link.heartbeatTimeoutMs, 60000);
    });

    it('events in later frames are read as events (the connection is welcomed once)', async () => {
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome({ next: 3 })));
      const { c, w } = client(h, url);
      await c.connect();
      assert.strictEqual(c.stats.framesIn, 0, 'the welcome is not a frame of the link');
      conns[0].send(event(1));
      conns[0].send(event(2));
      await until(() => w.got.length === 2, 'two events');
      assert.deepStrictEqual(w.disconnects, []);
      assert.strictEqual(c.stats.framesIn, 2);
      await c.send({ n: 1 });
      await conns[0].next((l) => l.n === 1, 'the message');
      for (const f of conns[0].frames) assert.ok(!f.split('\n').slice(0, -1).includes(''), `no empty line in ${JSON.stringify(f)}`);
    });

    it("encryption 'optional', answered with a plaintext session: messages sent after the welcome go out at once", async () => {
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome()));
      const { c } = client(h, url, { encryption: 'optional' });
      await c.connect();
      assert.strictEqual(c.encrypted, false);
      c.send({ n: 1 });
      await conns[0].next((l) => l.n === 1, 'the message');
    });

    it('a plaintext message with multi-byte characters counts its bytes in bufferedBytes', async () => {
      const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome()));
      const { c } = client(h, url);
      await c.connect();
      c.send({ s: 'ééééé' });
      assert.strictEqual(c.bufferedBytes, Buffer.byteLength(JSON.stringify({ s: 'ééééé' })));
    });
  });

  describe('control frames after the welcome', () => {
    it('a late challenge is harmless, and the rest of its frame is read', async () => {
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome({ next: 2 })));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].send([ctl('challenge', { n: token() }), event(1)]);
      await until(() => w.got.length === 1, 'the event');
      assert.deepStrictEqual(w.disconnects, []);
      assert.deepStrictEqual(w.errors, []);
    });

    it('an unexpected control frame (a reject other than SESSION_CLOSED, even MACed): ERR_STREAM_CONTROL, dropped and resumed', async () => {
      const m = mac(credKey(), 'closed', SID);
      const { url, conns } = await fakeServer(h, (conn, i) => answer(conn, () => welcome({ resumed: i > 0 })));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].send([ctl('reject', { code: 'SERVER_CLOSING', message: 'x', m }), event(1)]);
      await until(() => conns.length === 2 && w.connected.length === 2, 'the resume');
      const why = 'unexpected reject frame from the server';
      assert.deepStrictEqual(w.disconnects, [{ reason: why, code: 'ERR_STREAM_CONTROL' }]);
      assert.deepStrictEqual(w.errors.map((e) => [e.code, e.message]), [['ERR_STREAM_CONTROL', why]]);
      assert.deepStrictEqual(w.got, [], 'the rest of the frame is not read');
    });

    it('a welcome after the welcome, carrying a valid closed MAC: ERR_STREAM_CONTROL (only a reject closes)', async () => {
      const m = mac(credKey(), 'closed', SID);
      const { url, conns } = await fakeServer(h, (conn, i) => answer(conn, () => welcome({ resumed: i > 0 })));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].send(welcome({ code: 'SESSION_CLOSED', m }));
      await until(() => w.connected.length === 2, 'the resume');
      assert.deepStrictEqual(w.disconnects, [{ reason: 'unexpected welcome frame from the server', code: 'ERR_STREAM_CONTROL' }]);
    });

    it('SESSION_CLOSED with a valid MAC: final, with its message; nothing after it is read; no other error', async () => {
      const m = mac(credKey(), 'closed', SID);
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome({ next: 2 })));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].send([ctl('reject', { code: 'SESSION_CLOSED', message: 'done here', m }), event(1)]);
      const f = await w.failed;
      assert.deepStrictEqual([f.code, f.reason], ['SESSION_CLOSED', 'done here']);
      assert.deepStrictEqual(w.errors, []);
      assert.deepStrictEqual(w.got, []);
      await assert.rejects(c.send({ late: 1 }), { code: 'SESSION_CLOSED', message: 'done here' });
    });

    it('SESSION_CLOSED without a message: "the server closed session <sid>"', async () => {
      const m = mac(credKey(), 'closed', SID);
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome()));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].send(ctl('reject', { code: 'SESSION_CLOSED', m }));
      const f = await w.failed;
      assert.deepStrictEqual([f.code, f.reason], ['SESSION_CLOSED', `the server closed session ${SID}`]);
    });

    it('SESSION_CLOSED with a wrong MAC: only a dropped connection, resumed', async () => {
      const { url, conns } = await fakeServer(h, (conn, i) => answer(conn, () => welcome({ resumed: i > 0 })));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].send(ctl('reject', { code: 'SESSION_CLOSED', message: 'forged', m: mac(Buffer.alloc(32), 'closed', SID) }));
      await until(() => w.connected.length === 2, 'the resume');
      assert.strictEqual(c.state, 'connected');
      assert.deepStrictEqual(w.disconnects, [{ reason: 'unexpected reject frame from the server', code: 'ERR_STREAM_CONTROL' }]);
    });

    it('no error listener: a coded drop does not throw', async () => {
      const { url, conns } = await fakeServer(h, (conn, i) => answer(conn, () => welcome({ resumed: i > 0 })));
      const { c, w } = client(h, url, {}, { listen: false });
      await c.connect();
      conns[0].send(ctl('reject', { code: 'SERVER_CLOSING' }));
      await until(() => w.connected.length === 2, 'the resume');
    });
  });

  describe('closes', () => {
    it('close code 1009 (a message over the peer limit): final ERR_STREAM_MESSAGE_TOO_LARGE, no resend loop', async () => {
      const { url, conns } = await fakeServer(h, (conn) => answer(conn, () => welcome()));
      const { c, w } = client(h, url);
      await c.connect();
      conns[0].ws.close(1009, 'too big');
      const f = await w.failed;
      assert.deepStrictEqual([f.code, f.reason], ['ERR_STREAM_MESSAGE_TOO_LARGE', 'a message exceeds the maximum message size of the peer (closed (1009 too big))']);
      assert.strictEqual(conns.length, 1);
    });
  });

  describe('connections without progress (stats.stalls)', () => {
    /** A server whose connection i is resumed with welcome fields fields[i] (i = 0: a new session) then run by then[i](conn). */
    async function scripted(steps) {
      return fakeServer(h, async (conn, i) => {
        const s = steps[Math.min(i, steps.length - 1)];
        await answer(conn, () => welcome({ resumed: i > 0, ...s.welcome }));
        if (s.then) await s.then(conn);
      });
    }
    const closeIt = (conn) => conn.ws.close(1000, 'cut');

    it('an unacknowledged message counts a stall per connection; a welcome acknowledging it resets the count', async () => {
      const { url } = await scripted([
        { welcome: {}, then: async (conn) => (await conn.next((l) => l.n === 1, 'message'), closeIt(conn)) },
        { welcome: { rx: 0 }, then: closeIt },
        { welcome: { rx: 1 } },
      ]);
      const { c, w } = client(h, url);
      const reconnects = [];
      c.on('reconnect', (e) => reconnects.push(e));
      c.send({ n: 1 });
      await c.connect();
      await until(() => w.connected.length === 3, 'the third connection');
      assert.deepStrictEqual(reconnects, [
        { sessionId: SID, lastSeq: 0 },
        { sessionId: SID, lastSeq: 0 },
      ]);
      assert.deepStrictEqual(w.stalls, [1, 2]);
      assert.deepStrictEqual(w.connected.map((e) => e.stalls), [0, 1, 0]);
      assert.deepStrictEqual(w.connected.map((e) => e.resumed), [false, true, true]);
    });

    it('events the server has and does not send are a stall; nothing to do is not', async () => {
      const { url } = await scripted([{ welcome: { next: 3 }, then: closeIt }, { welcome: { next: 1 }, then: closeIt }, { welcome: {} }]);
      const { c, w } = client(h, url);
      await c.connect();
      await until(() => w.connected.length === 3, 'the third connection');
      assert.deepStrictEqual(w.stalls, [1, 0]);
    });

    it('events delivered, or a message acknowledged, are progress', async () => {
      const { url } = await scripted([
        { welcome: { next: 3 }, then: closeIt },
        { welcome: { next: 3 }, then: (conn) => (conn.send([event(1), event(2)]), until(() => conn.lines.some((l) => l.t === 'ack' && l.s === 2), 'ack').then(() => closeIt(conn))) },
        { welcome: {}, then: async (conn) => (await conn.next((l) => l.n === 1, 'message'), conn.send(ctl('ack', { s: 1 })), closeIt(conn)) },
        { welcome: { rx: 1 } },
      ]);
      const { c, w } = client(h, url);
      await c.connect();
      await until(() => w.connected.length === 3, 'the third connection');
      c.send({ n: 1 });
      await until(() => w.connected.length === 4, 'the fourth connection');
      assert.deepStrictEqual(w.stalls, [1, 0, 0]);
      assert.strictEqual(c.pending, 0);
    });

    it('maxAttempts connections in a row without progress: final ERR_STREAM_NO_PROGRESS', async () => {
      const { url } = await scripted([{ welcome: { next: 2 }, then: closeIt }]);
      const { c, w } = client(h, url, { reconnect: { ...FAST, maxAttempts: 2 } });
      await c.connect();
      const f = await w.failed;
      assert.deepStrictEqual([f.code, f.reason], ['ERR_STREAM_NO_PROGRESS', '2 connections in a row ended without delivering anything (last: closed (1000 cut))']);
      assert.deepStrictEqual(w.stalls, [1]);
    });
  });

  describe('encrypted sessions (a real StreamServer; crypto.subtle where said)', () => {
    it('an encrypted resume whose welcome fails its MAC: ERR_STREAM_AUTH, dropped, resumed again', async () => {
      const p = await startPair(h, {
        encrypted: true,
        relay: { onServerFrame: (lines, ctx) => (ctx.id === 2 ? lines.map((l) => (l.t === 'welcome' ? l.with({ m: 'A'.repeat(22) }) : l)) : lines) },
      });
      p.relay.cutAll();
      await until(() => p.relay.stats.connections === 3 && p.c.state === 'connected', 'the third connection');
      const why = 'the welcome failed authentication';
      assert.deepStrictEqual(p.disconnects.slice(1), [{ reason: why, code: 'ERR_STREAM_AUTH' }]);
      assert.deepStrictEqual(p.errors.map((e) => [e.code, e.message]), [['ERR_STREAM_AUTH', why]]);
    });

    it('crypto.subtle: an unusable ServerHello fails ENCRYPTION_HANDSHAKE_FAILED saying why', () =>
      withWebCrypto(true, async () => {
        const enc = { serverEphemeralPubKeyB64: 'x', curve: 'P-384', selectedAlgorithm: 'AES-GCM-256', keyId: 'k' };
        const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome({ enc, cred: undefined })));
        const { c } = client(h, url, { encryption: 'required' });
        await assert.rejects(c.connect(), { code: 'ENCRYPTION_HANDSHAKE_FAILED', message: 'encryption handshake failed: unsupported server hello' });
      }));

    it('crypto.subtle: close() while the keys of the welcome are derived: not connected, but the session is known', () =>
      withWebCrypto(true, async () => {
        const kp = lib.generateKeyPairSync();
        const enc = { serverEphemeralPubKeyB64: kp.publicKeyB64, curve: 'P-256', selectedAlgorithm: 'AES-GCM-256', keyId: 'k_1' };
        const { url } = await fakeServer(h, (conn) => answer(conn, () => welcome({ enc, cred: undefined })));
        const { c, w } = client(h, url, { encryption: 'required' });
        c.connect().catch(() => {});
        await until(() => c._transport && c._transport.ws, 'the socket');
        c._transport.ws.on('message', (data) => String(data).includes('"welcome"') && c.close()); // right after the client read the welcome
        await until(() => c.sessionId === SID && c._finishing === null, 'the keys');
        assert.deepStrictEqual(w.connected, []);
        assert.strictEqual(c.state, 'closed');
        assert.throws(() => c.resumeState(), { code: 'ERR_STREAM_RESUME_STATE' }); // a session exists; its crypto.subtle keys cannot be exported
      }));

    it('crypto.subtle: bufferedBytes counts a message being sealed and nothing once acknowledged; a seal that completes after close() is not queued', () =>
      withWebCrypto(true, async () => {
        const p = await startPair(h, { encrypted: true });
        assert.strictEqual(p.c.channel.async, true);
        const sent = p.c.send({ n: 1 });
        assert.strictEqual(p.c.bufferedBytes, Buffer.byteLength(JSON.stringify({ n: 1 })));
        await sent;
        await p.c.flush();
        assert.strictEqual(p.c.bufferedBytes, 0);
        assert.deepStrictEqual(p.fromClient.map((m) => m.n), [1]);
        p.c.send({ n: 2 }).catch(() => {});
        assert.strictEqual(p.c.pending, 1);
        const closed = p.c.close();
        await until(() => p.c._sealing === 0, 'the seal');
        await p.c._sealTail;
        assert.strictEqual(p.c.pending, 0);
        await closed;
      }));

    it('crypto.subtle: envelopes in the frame of a resumed welcome are opened and delivered', () =>
      withWebCrypto(true, async () => {
        const merged = [];
        const p = await startPair(h, {
          encrypted: true,
          relay: {
            // the second connection's welcome goes out with the next frame (the events the resume sends again)
            onServerFrame(lines, ctx) {
              if (ctx.id !== 2) return lines;
              if (lines.some((l) => l.t === 'welcome')) {
                ctx.state.welcome = lines;
                return [];
              }
              if (!ctx.state.welcome) return lines;
              const out = ctx.state.welcome.concat(lines);
              ctx.state.welcome = null;
              merged.push(out.map((l) => l.t || 'data'));
              return out;
            },
          },
        });
        p.relay.cutAll();
        for (let i = 1; i <= 3; i++) p.s.send(chunkEvent(i));
        await until(() => p.got.length === 3, 'events');
        assert.deepStrictEqual(p.got.map((m) => m.payload.chunk), ['1', '2', '3']);
        assert.ok(merged.length === 1 && merged[0][0] === 'welcome' && merged[0].includes('data'), JSON.stringify(merged));
        assert.strictEqual(p.disconnects.length, 1);
        assert.deepStrictEqual(p.errors, []);
      }));

    it('crypto.subtle: a frame queued behind one that is refused is not read (the resume sends both again)', () =>
      withWebCrypto(true, async () => {
        const p = await startPair(h, {
          encrypted: true,
          relay: {
            // the first event's frame is altered and held, then written just before the second one: both wait on the first's decryption
            onServerFrame(lines, ctx) {
              if (ctx.id !== 1 || !lines.some((l) => l.kind === 'data')) return lines;
              if (!ctx.state.held) {
                ctx.state.held = lines.map((l) => (l.kind === 'data' ? flipCiphertext(String(l)) : String(l)));
                return [];
              }
              ctx.sendToClient(ctx.state.held.join('\n') + '\n');
              return lines;
            },
          },
        });
        p.s.send(chunkEvent(1));
        await until(() => p.relay.connections[0].state.held, 'the first frame held');
        p.s.send(chunkEvent(2));
        await until(() => p.got.length === 2 && p.c.state === 'connected', 'both events');
        assert.deepStrictEqual(p.got.map((m) => m.payload.chunk), ['1', '2']);
        assert.strictEqual(p.errors.length, 1, `errors ${p.errors.map((e) => e.code)}`);
        assert.strictEqual(p.disconnects.length, 1);
      }));

    it('crypto.subtle: the server rekeys; the client answers once its new keys exist, and seals under them', () =>
      withWebCrypto(true, async () => {
        const p = await startPair(h, { encrypted: true, server: { rekeyAfterMessages: 3 } });
        for (let i = 1; i <= 8; i++) p.s.send(chunkEvent(i));
        await until(() => p.got.length === 8, 'events');
        await until(() => p.s.stats.rekeys >= 1 && p.c.stats.rekeys >= 1, 'a rekey');
        for (let i = 1; i <= 4; i++) await p.c.send({ n: i });
        // messages being sealed while the next rekeys arrive: the new keys start after them
        for (let i = 5; i <= 40; i++) {
          p.s.send(chunkEvent(i + 4));
          p.c.send({ n: i });
        }
        await until(() => p.got.length === 44 && p.fromClient.length === 40, 'everything');
        await p.c.flush();
        assert.deepStrictEqual(p.fromClient.map((m) => m.n), Array.from({ length: 40 }, (_, i) => i + 1));
        assert.deepStrictEqual(p.errors, []);
        assert.strictEqual(p.disconnects.length, 0);
      }));
  });
});
