'use strict';
// The code browsers run, exercised in Node: the crypto.subtle twin of the
// channel and stream-transport crypto (lib/crypto/web.js) against the
// crypto.json vectors and against the synchronous cipher of this backend
// (native or node:crypto) both ways; ReconnectingStream on crypto.subtle
// through forced drops; and the browser twins of Buffer, EventEmitter and
// the NDJSON codec (lib/browser/).

const assert = require('node:assert');
const vectors = require('../vectors/crypto.json');
const web = require('../../lib/crypto/web');
const { createEnvelopeCipher, StreamDecoder: NodeDecoder } = require('../..');
const { backend } = require('../../lib/binding');
const { Buffer: WebBuffer } = require('../../lib/browser/buffer');
const WebEmitter = require('../../lib/browser/events');
const browserCodec = require('../../lib/browser/codec');
const { Harness, until } = require('../helpers/stream-harness');
const { prng } = require('../helpers/prng');
const { setWebCrypto } = require('../helpers/webcrypto-env');

const hex = (h) => Buffer.from(h, 'hex');

async function keysOf(hs) {
  const kp = await web.importKeyPair({ privateKey: hex(hs.clientPrivateKeyHex), publicKey: Buffer.from(hs.clientPublicKeyB64, 'base64') });
  assert.strictEqual(kp.publicKeyB64, hs.clientPublicKeyB64);
  return web.sessionKeys(kp.privateKey, hs.serverPublicKeyB64, hs.sessionId);
}

describe(`crypto.subtle twin, as in browsers (sync side: ${backend})`, function () {
  this.timeout(20000);

  it('crypto.json: session keys, envelopes sealed byte for byte and opened', async () => {
    const keys = await Promise.all(vectors.handshakes.map(keysOf));
    for (const e of vectors.envelopes) {
      const hs = vectors.handshakes[e.handshake];
      const env = JSON.parse(e.line);
      // the derived (non-extractable) key must be the vector's: it seals the same bytes
      const key = keys[e.handshake][e.direction === 'clientToServer' ? 'clientToServerKey' : 'serverToClientKey'];
      const nonce = hex(e.nonceHex);
      const sealer = new web.WebSealer({ key, sessionId: hs.sessionId, kid: env.payload.kid, noncePrefix: nonce.subarray(0, 8), nonceCounter: e.counter, maxNonces: 2 ** 32 });
      assert.strictEqual(await sealer.sealText(e.inner.seq, JSON.stringify(e.inner)), e.line);
      const opener = new web.WebOpener({ key: await web.importAesKey(hex(e.keyHex)) });
      const r = await opener.openLine(e.line);
      assert.deepStrictEqual(JSON.parse(r.text), e.inner);
      assert.strictEqual(r.seq, env.seq);
      assert.strictEqual(r.counter, e.counter);
    }
  });

  it('crypto.json bad inputs fail with their codes', async () => {
    const hs = vectors.handshakes[0];
    const kp = await web.importKeyPair({ privateKey: hex(hs.clientPrivateKeyHex), publicKey: Buffer.from(hs.clientPublicKeyB64, 'base64') });
    for (const b of vectors.bad) {
      let err = null;
      try {
        if (b.line !== undefined) await new web.WebOpener({ key: await web.importAesKey(hex(b.keyHex)) }).openLine(b.line);
        else await web.sessionKeys(kp.privateKey, b.publicKeyB64, hs.sessionId);
      } catch (e) {
        err = e;
      }
      assert.ok(err, `${b.why}: no error`);
      assert.strictEqual(err.code, b.code, b.why);
    }
  });

  it(`interoperates with the ${backend} envelope cipher both ways (0 B .. 1 MiB, UTF-8)`, async () => {
    const rnd = prng(7);
    const raw = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) raw[i] = (rnd() * 256) | 0;
    const key = await web.importAesKey(raw);
    const sessionId = 's_interop';
    const kid = 'k_interop';
    const fast = createEnvelopeCipher({ key: raw, sessionId, kid });
    const sealer = new web.WebSealer({ key, sessionId, kid });
    const opener = new web.WebOpener({ key });
    const sizes = [0, 1, 15, 16, 17, 100, 1000, 65536, 1 << 20];
    for (let i = 0; i < sizes.length; i++) {
      const text = JSON.stringify({ i, s: 'é€😀'.repeat(Math.ceil(sizes[i] / 9)).slice(0, sizes[i]) });
      const a = fast.sealText(i + 1, text);
      assert.strictEqual((await opener.openLine(a)).text, text, `sync -> web, ${sizes[i]} B`);
      const b = await sealer.sealText(i + 1, text);
      assert.strictEqual(fast.openText(b), text, `web -> sync, ${sizes[i]} B`);
    }
    // a flipped bit fails on both sides with the same code
    const line = await sealer.sealText(99, '{"x":1}');
    const env = JSON.parse(line);
    const ct = Buffer.from(env.payload.ciphertextB64, 'base64');
    ct[3] ^= 4;
    env.payload.ciphertextB64 = ct.toString('base64');
    const bad = JSON.stringify(env);
    assert.throws(() => fast.openText(bad), { code: 'ENCRYPTION_DECRYPTION_FAILED' });
    await assert.rejects(opener.openLine(bad), { code: 'ENCRYPTION_DECRYPTION_FAILED' });
    fast.dispose();
  });

  describe('ReconnectingStream on crypto.subtle', () => {
    let h;
    let restore;
    beforeEach(() => {
      h = new Harness();
      restore = setWebCrypto(true);
    });
    afterEach(async () => {
      restore();
      await h.cleanup();
    });

    it('encrypted, 2 000 events each way through >= 5 forced drops: exactly once, in order', async () => {
      const N = 2000;
      const { addr } = await h.server({ encryption: 'required', maxFrameBytes: 4096, heartbeatIntervalMs: 2000 });
      const { proxy, addr: paddr } = await h.proxy({ target: { port: addr.port }, cutAfterBytes: [8000, 40000], seed: 5 });
      const serverGot = [];
      const clientGot = [];
      let serverDone = false;
      h.items[0].on('session', async (s) => {
        s.on('message', (m) => serverGot.push(m.i));
        for (let i = 0; i < N; i++) await s.send({ type: 'stdout', payload: { chunk: `event ${i} ${'x'.repeat(30)}` } });
        serverDone = true;
      });
      const c = h.client({ url: paddr.url, encryption: 'required', maxFrameBytes: 4096, reconnect: { maxAttempts: 10000, initialDelay: 1, maxDelay: 10 }, onMessage: (m) => clientGot.push(m.seq) });
      await c.connect();
      assert.strictEqual(c.encrypted, true);
      assert.strictEqual(c.channel.async, true, 'the client runs on crypto.subtle');
      for (let i = 0; i < N; i++) await c.send({ type: 'tool_result_submit', i });
      await c.flush();
      const t0 = setInterval(() => process.env.ESN_VERBOSE && console.log(c.state, serverGot.length, clientGot.length, c.pending, proxy.stats.cuts), 1000);
      await until(() => serverDone && clientGot.length >= N && serverGot.length >= N, 'all events', 15000).finally(() => clearInterval(t0));
      assert.ok(proxy.stats.cuts >= 5, `only ${proxy.stats.cuts} drops`);
      assert.deepStrictEqual(serverGot, Array.from({ length: N }, (_, i) => i));
      assert.deepStrictEqual(clientGot, Array.from({ length: N }, (_, i) => i + 1));
      assert.strictEqual(c.gaps.length, 0);
    });
  });

  describe('lib/browser twins', () => {
    it('Buffer: utf8, base64 (canonical and lenient), hex, latin1 agree with Node', () => {
      const rnd = prng(3);
      for (let n = 0; n < 300; n++) {
        const a = Buffer.alloc(n);
        for (let i = 0; i < n; i++) a[i] = (rnd() * 256) | 0;
        const w = WebBuffer.from(a);
        for (const enc of ['base64', 'base64url', 'hex', 'latin1']) assert.strictEqual(w.toString(enc), a.toString(enc), `${enc} ${n}`);
        const b64 = a.toString('base64');
        assert.deepStrictEqual(Buffer.from(WebBuffer.from(b64, 'base64')), a);
        assert.deepStrictEqual(Buffer.from(WebBuffer.from(b64.replace(/=+$/, ''), 'base64')), a, 'unpadded');
        assert.deepStrictEqual(Buffer.from(WebBuffer.from(a.toString('base64url'), 'base64')), a, 'url alphabet');
      }
      const s = 'héllo € 😀';
      assert.strictEqual(WebBuffer.from(s, 'utf8').toString(), s);
      assert.strictEqual(WebBuffer.byteLength(s), Buffer.byteLength(s));
      const c = WebBuffer.concat([WebBuffer.from('ab'), WebBuffer.from('cd')]);
      assert.ok(WebBuffer.isBuffer(c) && c.toString() === 'abcd');
      const x = WebBuffer.alloc(12);
      x.writeUInt32BE(0xdeadbeef, 8);
      assert.strictEqual(x.readUInt32BE(8), 0xdeadbeef);
      assert.ok(WebBuffer.from('abc').equals(WebBuffer.from([97, 98, 99])));
    });

    it('EventEmitter: on/once/off/prepend, order, unhandled error throws', () => {
      const e = new WebEmitter();
      const got = [];
      const a = (v) => got.push(`a${v}`);
      e.on('x', a);
      e.once('x', (v) => got.push(`once${v}`));
      e.prependListener('x', (v) => got.push(`first${v}`));
      e.emit('x', 1);
      e.off('x', a);
      e.emit('x', 2);
      assert.deepStrictEqual(got, ['first1', 'a1', 'once1', 'first2']);
      assert.strictEqual(e.listenerCount('x'), 1);
      assert.throws(() => e.emit('error', new Error('boom')), /boom/);
    });

    it('StreamDecoder / StreamEncoder: events, WHATWG pipeThrough and async iteration give what Node gives', async () => {
      const values = [{ a: 1 }, { type: 'x', s: 'é😀' }, [1, 2], 'str', 3, null];
      const text = values.map((v) => JSON.stringify(v)).join('\n') + '\nnot json\n' + JSON.stringify({ last: true });
      // events, fed in 3-byte chunks
      const ev = new browserCodec.StreamDecoder();
      const got = [];
      const bad = [];
      ev.on('message', (m) => got.push(m));
      ev.on('invalid', (i) => bad.push(i.code));
      const bytes = new TextEncoder().encode(text);
      for (let i = 0; i < bytes.length; i += 3) ev.write(bytes.subarray(i, i + 3));
      ev.end();
      // the same input through the Node decoder
      const node = new NodeDecoder();
      const nodeGot = [];
      const nodeBad = [];
      node.on('message', (m) => nodeGot.push(m));
      node.on('invalid', (i) => nodeBad.push(i.code));
      await new Promise((r) => node.end(Buffer.from(text), r));
      assert.deepStrictEqual(got, nodeGot);
      assert.deepStrictEqual(bad, nodeBad);
      assert.strictEqual(got.length, values.length + 1);
      // WHATWG: encoder -> decoder, and async iteration
      const enc = new browserCodec.StreamEncoder();
      const dec = new browserCodec.StreamDecoder();
      const src = new ReadableStream({
        start(ctl) {
          for (const v of values) ctl.enqueue(v);
          ctl.close();
        },
      });
      const out = [];
      for await (const v of src.pipeThrough(enc).pipeThrough(new TextEncoderStream()).pipeThrough(dec)) out.push(v);
      assert.deepStrictEqual(out, values);
      assert.strictEqual(enc.encode({ z: 1 }), '{"z":1}\n');
    });
  });
});
