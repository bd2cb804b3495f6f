'use strict';
// The browser build in real headless Chromium (Debian's chromium, driven by
// playwright-core; never a downloaded browser). A page served from loopback
// loads dist/browser.mjs, opens an encrypted ReconnectingStream to a Node
// StreamServer through a proxy that the test cuts at least three times, and
// must receive every event exactly once, in order, while its own messages
// reach the server once each, in order. The page also runs the WHATWG-stream
// codec, an encrypted channel round trip, the README crypto example and checks
// the reference exports. A second page does the same over the HTTP transport
// (fetch), same origin, with every HTTP connection cut.
//
// Run: npm run test:browser (needs /usr/bin/chromium: apt-get install chromium;
// CHROMIUM_PATH points elsewhere). Without a browser the test fails under CI
// and is skipped, with a notice, otherwise.

const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Harness, until, StreamServer } = require('../helpers/stream-harness');

const root = path.resolve(__dirname, '..', '..');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const N = 600; // server -> page events
const M = 300; // page -> server messages

// Both pages: one ReconnectingStream (options given), events into report.got,
// M messages sent, then flush().
const runStream = (options) => `
const stream = new esn.ReconnectingStream({
  ${options},
  reconnect: { maxAttempts: 1000, initialDelay: 20, maxDelay: 200 },
  onMessage: (m) => report.got.push(m.payload.i),
});
stream.on('error', (e) => report.errors.push(e.code + ': ' + e.message));
stream.on('stateChange', (s) => report.states.push(s));
window.stream = stream;
await stream.connect();
report.encrypted = stream.encrypted;
report.async = !!(stream.channel && stream.channel.async);
for (let i = 0; i < ${M}; i++) await stream.send({ type: 'tool_result_submit', i });
await stream.flush();
report.sent = true;
`;

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>enclave-stream-native browser test</title>
<script type="module">
import * as esn from '/browser.mjs';
const q = new URLSearchParams(location.search);
const report = (window.report = { backend: esn.backend, got: [], errors: [], states: [], done: false, checks: {} });
try {
  // NDJSON codec as WHATWG streams, in this browser
  const src = new ReadableStream({ start(c) { c.enqueue({ a: 1 }); c.enqueue({ b: 'é😀' }); c.close(); } });
  const out = [];
  for await (const v of src.pipeThrough(new esn.StreamEncoder()).pipeThrough(new TextEncoderStream()).pipeThrough(new esn.StreamDecoder())) out.push(v);
  report.checks.codec = JSON.stringify(out);
  // the README's encrypted channel, both ends in the page (crypto.subtle)
  let client;
  const received = [];
  const server = await esn.createEncryptedChannel({ role: 'server', onMessage: (m) => received.push(m), send: (f) => client.receive(f) });
  client = await esn.createEncryptedChannel({ role: 'client', remotePublicKey: server.getPublicKey(), onMessage: (m) => received.push(m), send: (f) => server.receive(f) });
  await client.send({ type: 'tool_call', name: 'secretOp', args: {} });
  await server.settled();
  await server.send({ reply: true });
  await client.settled();
  report.checks.channel = JSON.stringify(received);
  let syncError = null;
  try { esn.generateKeyPairSync(); } catch (e) { syncError = e.code; }
  report.checks.syncError = syncError;
  // the reference's run-time exports, with their kinds
  const kinds = {};
  for (const [name, kind] of JSON.parse(q.get('exports'))) {
    const v = esn[name];
    const k = v === undefined ? 'missing'
      : typeof v === 'function' ? (/^class\b/.test(Function.prototype.toString.call(v)) ? 'class' : 'function')
      : v && typeof v === 'object' && typeof v.safeParse === 'function' ? 'zod schema'
      : typeof v;
    if (k !== kind && !(kind === 'class' && k === 'function')) kinds[name] = k + ' (want ' + kind + ')';
  }
  report.checks.exports = kinds;
  // the seed README's key exchange and two-argument encrypt/decrypt
  const serverKeys = await esn.generateKeyPair();
  const clientKeys = await esn.generateKeyPair();
  const s1 = await esn.deriveSharedSecret(serverKeys.privateKey, clientKeys.publicKey);
  const s2 = await esn.deriveSharedSecret(clientKeys.privateKey, serverKeys.publicKey);
  const sealed = await esn.encrypt(s1, JSON.stringify({ hi: 'é' }));
  report.checks.readmeCrypto = await esn.decrypt(s2, sealed);
  // NDJSON helpers and the zod schemas
  const lines = esn.stringifyNDJSON([{ type: 'start', sessionId: '123' }, { type: 'end' }]);
  report.checks.ndjson = JSON.stringify(esn.parseNDJSON(lines));
  report.checks.schema = esn.ClientHelloSchema.safeParse({}).success;
} catch (e) {
  report.errors.push('setup: ' + e.message);
}
${runStream("url: q.get('ws'), encryption: 'required'")}
</script>`;

// The HTTP transport (fetch: a streamed GET of events, POSTs of messages),
// same origin. The app hands the page its session's resume credential
// (server.createSession().credential) the way an app would after a login:
// from its own route, never in a URL; the transport sends it in a header.
const PAGE_HTTP = `<!doctype html>
<meta charset="utf-8">
<title>enclave-stream-native over HTTP</title>
<script type="module">
import * as esn from '/browser.mjs';
const q = new URLSearchParams(location.search);
const report = (window.report = { got: [], errors: [], states: [] });
const credential = await (await fetch('/app/credential')).text();
${runStream("url: location.origin, sessionId: q.get('sid'), credential")}
</script>`;

function launchable() {
  try {
    fs.accessSync(chromiumPath, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

describe('browser build in headless Chromium', function () {
  this.timeout(120000);
  let h;
  let web;
  let web2;
  let browser;
  let dir;

  before(async function () {
    if (!launchable()) {
      if (process.env.CI) throw new Error(`no Chromium at ${chromiumPath}: .ci/run installs it (apt-get install chromium)`);
      console.log(`    (skipped: no Chromium at ${chromiumPath}; apt-get install chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esn-browser-'));
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-browser.js'), '--out', path.join(dir, 'browser.mjs')], { stdio: 'inherit' });
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (web) await new Promise((r) => web.close(r));
    if (web2) {
      web2.closeAllConnections();
      await new Promise((r) => web2.close(r));
    }
    if (h) await h.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Serves a page and the bundle; other paths get a 404, or, with `routes`, are
  // left to the StreamServer sharing the HTTP server.
  function servePage(page, routes = false, credential = () => '') {
    const bundle = fs.readFileSync(path.join(dir, 'browser.mjs'));
    return (req, res) => {
      if (req.url === '/app/credential') {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
        res.end(credential());
      } else if (req.url.startsWith('/browser.mjs')) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(bundle);
      } else if (req.url === '/' || req.url.startsWith('/?')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(page);
      } else if (!routes) {
        res.writeHead(404);
        res.end();
      }
    };
  }

  // N events from the server, at most 50 of them unacknowledged by the page
  // at a time, so the drops land mid-stream.
  async function sendEvents(session) {
    for (let i = 0; i < N; i++) {
      await session.send({ type: 'stdout', payload: { i, chunk: `event ${i} ${'x'.repeat(i % 50)}` } });
      if (i % 50 === 49) await until(() => session.stats.held <= 50 || session.closed, 'the page acknowledges', 60000);
    }
  }

  async function openPage(url) {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return { page, errors };
  }

  // cut() at 1/5 .. 4/5 of the events, each time waiting for the page to reconnect.
  async function cutFourTimes(page, cut) {
    for (let k = 1; k <= 4; k++) {
      await page.waitForFunction((n) => window.report && window.report.got.length >= n, Math.floor((N * k) / 5), { timeout: 60000 });
      const before = await page.evaluate(() => window.report.states.filter((x) => x === 'reconnecting').length);
      cut();
      await page.waitForFunction(
        (n) => window.report.states.filter((x) => x === 'reconnecting').length > n && window.stream.state === 'connected',
        before,
        { timeout: 30000 },
      );
    }
  }

  // Every event once, in order, in the page; every message once, in order, on the server.
  async function finish(page, errors, serverGot) {
    await page.waitForFunction((n) => window.report.got.length >= n && window.report.sent, N, { timeout: 60000 });
    await until(() => serverGot.length >= M, 'server got every message', 20000);
    const r = await page.evaluate(() => window.report);
    assert.deepStrictEqual(errors, []);
    assert.deepStrictEqual(r.errors, []);
    assert.ok(r.states.filter((x) => x === 'reconnecting').length >= 4, `states: ${r.states.join(',')}`);
    assert.deepStrictEqual(r.got, Array.from({ length: N }, (_, i) => i), 'events exactly once, in order');
    assert.deepStrictEqual(serverGot, Array.from({ length: M }, (_, i) => i), 'messages exactly once, in order');
    return r;
  }

  it('an encrypted ReconnectingStream resumes with proofs of its keys through forced drops and rekeys on crypto.subtle: every event once, in order, both ways', async () => {
    h = h || new Harness();
    const { server, addr } = await h.server({ encryption: 'required', heartbeatIntervalMs: 1000, maxFrameBytes: 4096, rekeyAfterMessages: 60 });
    const { proxy, addr: paddr } = await h.proxy({ target: { port: addr.port } });
    const serverGot = [];
    let sessions = 0;
    let session = null;
    server.on('session', (s) => {
      sessions++;
      session = s;
      s.on('message', (m) => serverGot.push(m.i));
      sendEvents(s);
    });
    web = http.createServer(servePage(PAGE));
    await new Promise((r) => web.listen(0, '127.0.0.1', r));
    const exportsTsv = fs.readFileSync(path.join(root, 'test', 'vectors', 'reference-exports.tsv'), 'utf8');
    const refExports = exportsTsv.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
    assert.strictEqual(refExports.length, 145);
    const query = `ws=${encodeURIComponent(paddr.url)}&exports=${encodeURIComponent(JSON.stringify(refExports))}`;
    const { page, errors } = await openPage(`http://127.0.0.1:${web.address().port}/?${query}`);

    await cutFourTimes(page, () => proxy.cutAll());
    const r = await finish(page, errors, serverGot);

    assert.strictEqual(proxy.stats.cuts, 4);
    assert.strictEqual(sessions, 1, 'the page resumed one session');
    assert.ok(session.stats.rekeys >= 1, `rekeys: ${session.stats.rekeys}`);
    assert.strictEqual(r.backend, 'js');
    assert.strictEqual(r.encrypted, true);
    assert.strictEqual(r.async, true, 'the page runs on crypto.subtle');
    assert.strictEqual(r.checks.codec, JSON.stringify([{ a: 1 }, { b: 'é😀' }]));
    assert.strictEqual(r.checks.channel, JSON.stringify([{ type: 'tool_call', name: 'secretOp', args: {} }, { reply: true }]));
    assert.strictEqual(r.checks.syncError, 'ERR_SYNC_CRYPTO_UNAVAILABLE');
    assert.deepStrictEqual(r.checks.exports, {}, 'every reference export, with its kind');
    assert.strictEqual(r.checks.readmeCrypto, JSON.stringify({ hi: 'é' }));
    assert.strictEqual(r.checks.ndjson, JSON.stringify([{ type: 'start', sessionId: '123' }, { type: 'end' }]));
    assert.strictEqual(r.checks.schema, false);
  });

  it('over HTTP (fetch, same origin), a ReconnectingStream resumes with its credential through forced drops: every event once, in order, both ways', async () => {
    h = h || new Harness();
    let session = null;
    web2 = http.createServer(servePage(PAGE_HTTP, true, () => session.credential)); // /sessions/...: the StreamServer's routes
    const server = h.add(new StreamServer({ server: web2, httpRoutes: true, heartbeatIntervalMs: 1000 }));
    await new Promise((r) => web2.listen(0, '127.0.0.1', r));
    session = server.createSession('s_http');
    const serverGot = [];
    session.on('message', (m) => serverGot.push(m.i));
    sendEvents(session);
    const { page, errors } = await openPage(`http://127.0.0.1:${web2.address().port}/?sid=s_http`);

    // every fetch (the event stream, a POST in flight) is cut
    await cutFourTimes(page, () => web2.closeAllConnections());
    const r = await finish(page, errors, serverGot);
    assert.strictEqual(r.encrypted, false);
  });
});
