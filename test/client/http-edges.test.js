'use strict';
// lib/client/transports.js (HttpClientTransport, the client's http:// link)
// edges pinned (docs/MUTATION.md, lib/client survivors):
//   - the GET: {base}/sessions/:id/stream?fromSeq=N (trailing slashes of the
//     base dropped, the id encoded), accept NDJSON, the credential in the
//     x-esn-credential header; its end is 'stream ended';
//   - its answer: an NDJSON stream opens; a refusal (a control frame, or an
//     NDJSON answer) goes to onReject(frame | null, status) and closes
//     'HTTP <status>'; anything else (HTML, JSON, no content-type, a bare
//     JSON value) is ERR_STREAM_NOT_A_STREAM naming the base, status and type;
//   - a fetch that fails says why: "fetch failed: <cause>" coded with the
//     cause's string code (ECONNREFUSED, UND_ERR_SOCKET), else the error's own
//     message, never an unhandled rejection;
//   - reading: frames are whole lines however the bytes are cut (UTF-8 too),
//     nothing is delivered once closed;
//   - the POSTs: {base}/sessions/:id/messages, NDJSON, the credential; one
//     POST at a time, what is sent meanwhile goes out together in the next;
//     bufferedAmount counts the unanswered bytes; callbacks run once answered;
//     the answer is a frame; a refusal closes "POST failed: HTTP <status>
//     [<code>: <message>]", a non-NDJSON answer is ERR_STREAM_NOT_A_STREAM;
//   - close/terminate/abort: onClose once, with the first reason and code;
//     nothing is posted after; the HTTP transport asks the Link for no pings;
//   - against a real StreamServer: events from fromSeq, a POSTed batch
//     delivered and acknowledged.
// Real node:http servers answer by hand (a broken or hostile server); where
// the chunking of the bytes or a race must be exact, fetch is replaced by a
// stand-in for the test.

const assert = require('node:assert');
const http = require('node:http');
const { HttpClientTransport } = require('../../lib/client/transports');
const { Link } = require('../../lib/transport/link');
const { Outbox } = require('../../lib/transport/outbox');
const { FakeClock } = require('../helpers/fake-clock');
const { until, freePort } = require('../helpers/stream-harness');
const { turn } = require('../helpers/turn');
const { guarded } = require('../attacks/support/pair');
const { ctl, chunkEvent } = require('../attacks/support/v2');

const NDJSON = 'application/x-ndjson';
const rejectLine = (code, message) => JSON.stringify({ $esn: 2, t: 'reject', code, message }) + '\n';
const ackLine = (s) => JSON.stringify({ $esn: 2, t: 'ack', s }) + '\n';
/** The message of the error `fn` throws. */
function messageOf(fn) {
  try {
    fn();
  } catch (err) {
    return err.message;
  }
  throw new Error('did not throw');
}

const notAStream = (base, status, what) => `${base} answered HTTP ${status} (${what}), not an NDJSON stream: not a StreamServer`;

/**
 * The four handlers, recording what reaches them in `events` ([name, ...args]);
 * `closed` resolves with the close reason, or rejects on an unhandled rejection
 * while it waits (a handler that throws would otherwise hang the test).
 */
function recorder() {
  const events = [];
  const handlers = {
    onOpen: () => events.push(['open']),
    onFrame: (text) => events.push(['frame', text]),
    onReject: (frame, status) => events.push(['reject', frame, status]),
  };
  let ended;
  const closed = new Promise((resolve, reject) => {
    const crash = (err) => ended(() => reject(err));
    process.on('unhandledRejection', crash);
    ended = (settle) => {
      process.off('unhandledRejection', crash);
      settle();
    };
    handlers.onClose = (reason) => {
      events.push(['close', reason]);
      ended(() => resolve(reason));
    };
  });
  return { events, handlers, closed, frames: () => events.filter((e) => e[0] === 'frame').map((e) => e[1]) };
}

describe('client HTTP transport edges (HttpClientTransport)', function () {
  this.timeout(10000);
  let h;
  guarded((harness) => {
    h = harness;
  });

  /** An HttpClientTransport (session `sid`, from `fromSeq`) recording its handlers; closed after the test. */
  function open(base, { sid = 's_http', fromSeq = 1, cred = 'CRED' } = {}) {
    const rec = recorder();
    const t = new HttpClientTransport(base, sid, fromSeq, rec.handlers, cred);
    h.add({ close: () => t.terminate() });
    return { t, rec };
  }

  /**
   * A node:http server on loopback: `answer(req, res, call)` answers each
   * request once its body is read; `calls` records { method, url, headers, body }.
   */
  async function handServer(answer) {
    const calls = [];
    const sockets = new Set();
    const srv = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const call = { method: req.method, url: req.url, headers: req.headers, body };
        calls.push(call);
        answer(req, res, call);
      });
    });
    srv.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    h.add({
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise((resolve) => srv.close(() => resolve()));
      },
    });
    return { base: `http://127.0.0.1:${srv.address().port}`, calls };
  }

  /** A hand server whose GET is an NDJSON stream held open and whose POSTs wait in `posts` until answered. */
  async function heldServer() {
    const posts = [];
    const srv = await handServer((req, res, call) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': NDJSON });
        res.flushHeaders();
      } else posts.push({ call, res });
    });
    return { ...srv, posts };
  }

  /** Replaces fetch for this test with `route(url, init)`; `calls` records what was asked. */
  function stubFetch(route) {
    const saved = globalThis.fetch;
    const calls = [];
    globalThis.fetch = async (url, init) => {
      calls.push({ url, ...init });
      return route(url, init);
    };
    h.add({ close: () => void (globalThis.fetch = saved) });
    return calls;
  }

  /** An NDJSON body the test writes chunk by chunk (each chunk is one read); errored when `signal` aborts, as fetch does. */
  function chunkedBody(signal) {
    let ctl;
    const stream = new ReadableStream({ start: (c) => void (ctl = c) });
    signal.addEventListener('abort', () => ctl.error(new DOMException('This operation was aborted', 'AbortError')));
    return {
      res: new Response(stream, { status: 200, headers: { 'content-type': NDJSON } }),
      push: (...chunks) => chunks.forEach((c) => ctl.enqueue(typeof c === 'string' ? new TextEncoder().encode(c) : c)),
      end: () => ctl.close(),
    };
  }

  describe('the GET stream', () => {
    it('GET {base}/sessions/:id/stream?fromSeq=N: trailing slashes dropped, the id encoded, NDJSON accepted, the credential in its header; its end is "stream ended"', async () => {
      const { base, calls } = await handServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
        res.end('L1\n');
      });
      const { t, rec } = open(`${base}//`, { sid: 'a b/c', fromSeq: 7, cred: 'the-credential' });
      assert.strictEqual(await rec.closed, 'stream ended');
      assert.deepStrictEqual(rec.events, [['open'], ['frame', 'L1\n'], ['close', 'stream ended']]);
      assert.deepStrictEqual([t.reason, t.code], ['stream ended', undefined]);
      assert.strictEqual(calls.length, 1);
      const [c] = calls;
      assert.deepStrictEqual([c.method, c.url], ['GET', '/sessions/a%20b%2Fc/stream?fromSeq=7']);
      assert.strictEqual(c.headers.accept, NDJSON);
      assert.strictEqual(c.headers['x-esn-credential'], 'the-credential');
    });

    describe('an answer that is not a StreamServer\'s: ERR_STREAM_NOT_A_STREAM naming the base, status and type, nothing opened', () => {
      const cases = [
        ['200 text/html', 200, { 'content-type': 'text/html; charset=utf-8' }, '<html></html>', 'text/html'],
        ['200 without a content-type', 200, {}, 'L1\n', 'no content-type'],
        ['403 text/plain with a bare JSON value', 403, { 'content-type': 'text/plain' }, '42\n', 'text/plain'],
        ['403 application/json with an object that is no control frame', 403, { 'content-type': 'application/json' }, '{"error":"forbidden"}\n', 'application/json'],
        ['404 without a content-type', 404, {}, '', 'no content-type'],
      ];
      for (const [name, status, headers, body, what] of cases) {
        it(name, async () => {
          const { base } = await handServer((req, res) => {
            res.writeHead(status, headers);
            res.end(body);
          });
          const { t, rec } = open(`${base}/`);
          const reason = notAStream(base, status, what);
          assert.strictEqual(await rec.closed, reason);
          assert.deepStrictEqual(rec.events, [['close', reason]]);
          assert.deepStrictEqual([t.reason, t.code], [reason, 'ERR_STREAM_NOT_A_STREAM']);
        });
      }
    });

    describe("a refusal goes to onReject(frame | null, status) and closes 'HTTP <status>'", () => {
      it('a control frame, whatever the content-type says', async () => {
        const { base } = await handServer((req, res) => {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(rejectLine('SESSION_AUTH_FAILED', 'no') + 'trailing junk\n');
        });
        const { t, rec } = open(base);
        assert.strictEqual(await rec.closed, 'HTTP 401');
        assert.deepStrictEqual(rec.events, [['reject', { $esn: 2, t: 'reject', code: 'SESSION_AUTH_FAILED', message: 'no' }, 401], ['close', 'HTTP 401']]);
        assert.deepStrictEqual([t.reason, t.code], ['HTTP 401', undefined]);
      });

      it('an NDJSON answer that is no JSON: the frame is null', async () => {
        const { base } = await handServer((req, res) => {
          res.writeHead(503, { 'content-type': NDJSON });
          res.end('busy\n');
        });
        const { rec } = open(base);
        assert.strictEqual(await rec.closed, 'HTTP 503');
        assert.deepStrictEqual(rec.events, [['reject', null, 503], ['close', 'HTTP 503']]);
        assert.strictEqual(rec.events[0][1], null);
      });
    });

    describe('a fetch that fails says why', () => {
      it('a closed port: "fetch failed: connect ECONNREFUSED …", coded ECONNREFUSED', async () => {
        const port = await freePort();
        const { t, rec } = open(`http://127.0.0.1:${port}`);
        const reason = await rec.closed;
        assert.match(reason, new RegExp(`^fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`));
        assert.deepStrictEqual(rec.events, [['close', reason]]);
        assert.deepStrictEqual([t.reason, t.code], [reason, 'ECONNREFUSED']);
      });

      it('a stream the server cuts: the lines before it, then "terminated: other side closed" (UND_ERR_SOCKET)', async () => {
        const { base } = await handServer((req, res) => {
          res.writeHead(200, { 'content-type': NDJSON });
          res.write('L1\n', () => res.socket.destroy());
        });
        const { t, rec } = open(base);
        assert.strictEqual(await rec.closed, 'terminated: other side closed');
        assert.deepStrictEqual(rec.events, [['open'], ['frame', 'L1\n'], ['close', 'terminated: other side closed']]);
        assert.strictEqual(t.code, 'UND_ERR_SOCKET');
      });

      it('an error without a cause (a credential that is no header value): its own message, uncoded', async () => {
        const { base, calls } = await handServer(() => assert.fail('nothing reaches the server'));
        const { t, rec } = open(base, { cred: 'a\nb' });
        const reason = messageOf(() => new Headers({ 'x-esn-credential': 'a\nb' })); // fetch's own words
        assert.strictEqual(await rec.closed, reason);
        assert.deepStrictEqual([rec.events, t.code, calls.length], [[['close', reason]], undefined, 0]);
      });

      it("a cause whose code is not a string (a DOMException's number): uncoded", async () => {
        stubFetch(() => Promise.reject(new TypeError('fetch failed', { cause: new DOMException('The operation timed out.', 'TimeoutError') })));
        const { t, rec } = open('http://stub');
        assert.strictEqual(await rec.closed, 'fetch failed: The operation timed out.');
        assert.strictEqual(t.code, undefined);
      });

      it("a fetch that rejects with nothing: 'closed'", async () => {
        stubFetch(() => Promise.reject(undefined));
        const { t, rec } = open('http://stub');
        assert.strictEqual(await rec.closed, 'closed');
        assert.deepStrictEqual([t.reason, t.code], ['closed', undefined]);
      });
    });

    describe('reading', () => {
      it('frames are whole lines however the bytes are cut, a UTF-8 character too', async () => {
        let body;
        stubFetch((url, init) => (body = chunkedBody(init.signal)).res);
        const { rec } = open('http://stub');
        await until(() => body, 'the GET');
        const e = Buffer.from('é');
        // one read per chunk: a cut line, a chunk without a newline, a character cut in two
        body.push('L1\n{"a"', ':1}\nL3', 'x', '\n', Buffer.concat([Buffer.from('L4\n"'), e.subarray(0, 1)]), e.subarray(1), '"\n');
        body.end();
        assert.strictEqual(await rec.closed, 'stream ended');
        assert.deepStrictEqual(rec.frames(), ['L1\n', '{"a":1}\n', 'L3x\n', 'L4\n', '"é"\n']);
      });

      it('a chunk read as the transport closes is not delivered', async () => {
        // a reader whose reads the test resolves: the read is answered, then the transport closes before its turn
        const reads = [];
        const reader = { read: () => new Promise((resolve) => reads.push(resolve)) };
        stubFetch(() => ({ ok: true, status: 200, headers: new Headers({ 'content-type': NDJSON }), body: { getReader: () => reader } }));
        const { t, rec } = open('http://stub');
        await until(() => reads.length === 1, 'the first read');
        reads[0]({ value: new TextEncoder().encode('L1\n'), done: false });
        await until(() => reads.length === 2, 'the second read');
        reads[1]({ value: new TextEncoder().encode('L2\n'), done: false });
        t.close();
        assert.strictEqual(await rec.closed, 'closed');
        await turn(); // the reading loop has had its turn
        assert.deepStrictEqual(rec.events, [['open'], ['frame', 'L1\n'], ['close', 'closed']]);
        assert.strictEqual(reads.length, 2, 'no read after closing');
      });
    });
  });

  describe('close, terminate, abort', () => {
    /** A transport whose GET is held open by a fetch stand-in; `calls` are the fetches. */
    async function held() {
      let body;
      const calls = stubFetch((url, init) => (body = chunkedBody(init.signal)).res);
      const o = open('http://stub');
      await until(() => o.rec.events.length === 1, 'onOpen');
      return { ...o, calls, body };
    }

    it("close(): onClose('closed') once, the GET aborted; later closes, terminates and sends do nothing", async () => {
      const { t, rec, calls } = await held();
      t.close();
      assert.deepStrictEqual(rec.events, [['open'], ['close', 'closed']]);
      assert.strictEqual(calls[0].signal.aborted, true);
      t.close();
      t.terminate();
      t.abort('late', 'LATE');
      let called = false;
      t.send('L1\n', () => (called = true));
      assert.deepStrictEqual(rec.events, [['open'], ['close', 'closed']]);
      assert.deepStrictEqual([t.reason, t.code, t.bufferedAmount, called, calls.length], ['closed', undefined, 0, false, 1]);
    });

    it("terminate(): onClose('terminated')", async () => {
      const { t, rec } = await held();
      t.terminate();
      assert.deepStrictEqual(rec.events, [['open'], ['close', 'terminated']]);
      assert.strictEqual(t.reason, 'terminated');
    });

    it('abort(reason, code): onClose(reason), the first reason and code are kept', async () => {
      const { t, rec } = await held();
      t.abort('connect timed out after 5 ms', 'ERR_STREAM_CONNECT_TIMEOUT');
      t.abort('expected a welcome', 'ERR_STREAM_NOT_A_STREAM');
      t.close();
      assert.deepStrictEqual(rec.events, [['open'], ['close', 'connect timed out after 5 ms']]);
      assert.deepStrictEqual([t.reason, t.code], ['connect timed out after 5 ms', 'ERR_STREAM_CONNECT_TIMEOUT']);
    });

    it('the HTTP transport asks its Link for no heartbeat pings (each would be a POST)', async () => {
      const posts = [];
      stubFetch((url, init) => {
        if (init.method !== 'POST') return new Promise(() => {}); // the GET never answers
        posts.push(init.body);
        return turn().then(() => new Response('', { status: 200, headers: { 'content-type': NDJSON } }));
      });
      const clock = new FakeClock().install();
      h.add({ close: () => clock.uninstall() });
      const link = new Link(
        { role: 'client', outbox: new Outbox(), maxOutboxBytes: 1 << 20, highWaterMark: 1 << 20, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 60000 },
        { onData: () => undefined },
      );
      h.add({ close: () => link.detach() });
      const { t } = open('http://stub');
      link.attach(t, 0);
      clock.tick(3000); // three heartbeats
      clock.uninstall(); // (the waits below poll on real timers)
      link.enqueue('{"n":1}');
      await until(() => posts.join('').includes('{"n":1}'), 'the message posted');
      assert.ok(!posts.join('').includes('"ping"'), posts.join(''));
    });
  });

  it('speaks the StreamServer dialect: the events stream from fromSeq; a POSTed batch is delivered and answered with its ack', async () => {
    const { server, addr } = await h.server({ encryption: 'disabled' });
    const s = server.createSession('s_real');
    const got = [];
    s.on('message', (m) => got.push(m));
    for (let i = 1; i <= 3; i++) await s.send(chunkEvent(i));
    const { t, rec } = open(`${addr.httpUrl}/`, { sid: 's_real', fromSeq: 2, cred: s.credential });
    const lines = () => rec.frames().join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    await until(() => lines().length === 2, 'events 2 and 3');
    assert.deepStrictEqual(lines().map((e) => [e.seq, e.payload.chunk]), [[2, '2'], [3, '3']]);
    let written = false;
    t.send(`${ctl('b', { s: 1 })}\n{"n":1}\n`, () => (written = true));
    await until(() => written, 'the POST answered');
    assert.deepStrictEqual(got, [{ n: 1 }]);
    assert.strictEqual(rec.frames().at(-1), ackLine(1));
    assert.deepStrictEqual(rec.events.filter((e) => e[0] !== 'frame'), [['open']]);
  });

  describe('the POSTs', () => {
    it('POST {base}/sessions/:id/messages (NDJSON, the credential): one at a time, what waits goes out together next; bufferedAmount and callbacks follow the answers; the answer is a frame', async () => {
      const { base, calls, posts } = await heldServer();
      const { t, rec } = open(`${base}/`, { sid: 'a/b', cred: 'the-credential' });
      await until(() => rec.events.length === 1, 'onOpen');
      const done = [];
      t.send('A\n', () => done.push('A'));
      assert.strictEqual(t.bufferedAmount, 2);
      await until(() => posts.length === 1, 'POST 1');
      t.send('B\n', () => done.push('B'));
      t.send('C\n'); // no callback
      assert.strictEqual(t.bufferedAmount, 6);
      const p = posts[0].call;
      assert.deepStrictEqual([p.method, p.url, p.body], ['POST', '/sessions/a%2Fb/messages', 'A\n']);
      assert.strictEqual(p.headers['content-type'], NDJSON);
      assert.strictEqual(p.headers['x-esn-credential'], 'the-credential');

      posts[0].res.writeHead(200, { 'content-type': NDJSON });
      posts[0].res.end(ackLine(1));
      await until(() => posts.length === 2, 'POST 2');
      // the answer of POST 1 was read before POST 2 went out
      assert.deepStrictEqual([done, t.bufferedAmount, rec.frames()], [['A'], 4, [ackLine(1)]]);
      assert.strictEqual(posts[1].call.body, 'B\nC\n');

      posts[1].res.writeHead(200, { 'content-type': NDJSON });
      posts[1].res.end(ackLine(3));
      await until(() => done.length === 2, 'the callback of B');
      assert.deepStrictEqual([done, t.bufferedAmount, rec.frames()], [['A', 'B'], 0, [ackLine(1), ackLine(3)]]);

      t.send('D\n');
      await until(() => posts.length === 3, 'POST 3');
      assert.strictEqual(posts[2].call.body, 'D\n');
      assert.deepStrictEqual(calls.map((c) => c.method), ['GET', 'POST', 'POST', 'POST']);
      assert.deepStrictEqual(rec.events.filter((e) => e[0] === 'close'), []);
    });

    describe('a POST refused or not answered by a StreamServer closes the transport; its callbacks are not called', () => {
      const cases = [
        ['409 with a reject frame', 409, NDJSON, rejectLine('SESSION_UNKNOWN', 'no such session'), () => 'POST failed: HTTP 409 SESSION_UNKNOWN: no such session', undefined],
        ['500 text/plain', 500, 'text/plain', 'oops', () => 'POST failed: HTTP 500', undefined],
        ['400 with a control frame without a code', 400, NDJSON, ackLine(0), () => 'POST failed: HTTP 400', undefined],
        ['200 text/html', 200, 'text/html', '<html></html>', (base) => notAStream(base, 200, 'text/html'), 'ERR_STREAM_NOT_A_STREAM'],
      ];
      for (const [name, status, type, body, reasonOf, code] of cases) {
        it(name, async () => {
          const { base, posts } = await heldServer();
          const { t, rec } = open(base);
          await until(() => rec.events.length === 1, 'onOpen');
          let called = false;
          t.send('A\n', () => (called = true));
          await until(() => posts.length === 1, 'the POST');
          posts[0].res.writeHead(status, { 'content-type': type });
          posts[0].res.end(body);
          const reason = reasonOf(base);
          assert.strictEqual(await rec.closed, reason);
          assert.deepStrictEqual(rec.events, [['open'], ['close', reason]]);
          assert.deepStrictEqual([t.reason, t.code, called], [reason, code, false]);
        });
      }
    });

    it('an answer read as the transport closes is not delivered', async () => {
      let answer = null;
      stubFetch((url, init) => {
        if (init.method !== 'POST') return new Promise(() => {}); // the GET never answers
        const text = new Promise((resolve) => (answer = resolve));
        return { ok: true, status: 200, headers: new Headers({ 'content-type': NDJSON }), text: () => text };
      });
      const { t, rec } = open('http://stub');
      let called = false;
      t.send('A\n', () => (called = true));
      await until(() => answer, 'the POST');
      answer(ackLine(1));
      t.close();
      await until(() => called, 'the callback');
      assert.deepStrictEqual(rec.events, [['close', 'closed']]);
    });
  });
});
