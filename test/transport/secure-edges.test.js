'use strict';
// Edges of lib/transport/secure.js (the session's sealing/opening layer) pinned on the Channel
// and handshake functions directly: the checks of both hellos and their error codes (the
// crypto.subtle client handshake included), the resume verifier of a credential, what
// open()/opened() refuse (plaintext, another session, an unknown key id, a forged or malformed
// envelope, a replayed or out-of-order seq) with their codes and messages, seal() failures as
// coded errors, the crypto.subtle channel (prepare() ahead of open(), a disposed opener), the
// rekey frames' MACs and epoch rules, restore()'s validation of a resume state (its epochs,
// answer, firstSeq and peer switch), and (addon only) the FrameOpener's batch open: one
// plaintext scratch shared by every session, reused until a run needs more, wiped on release,
// a private one for a run read while another is held.
const assert = require('node:assert');
const { clientHandshake, serverHandshake, credentialKey, Channel } = require('../../lib/transport/secure');
const { generateKeyPairSync } = require('../../lib/crypto/ecdh');
const { withWebCrypto } = require('../helpers/webcrypto-env');

const SID = 's_edges';
const coded = (code, message) => (err) => {
  assert.strictEqual(err.code, code, err.message);
  if (message !== undefined) assert.strictEqual(err.message, message);
  return true;
};

async function channels() {
  const c = clientHandshake();
  const hello = await c.hello;
  const { serverHello, channel: server } = serverHandshake(hello, SID);
  const client = await c.finish(serverHello, SID);
  return { client, server, serverHello };
}

/** A client message sealed as data line `seq`, parsed, ready for server.open(). */
async function sealed(client, seq, msg = '{"n":1}') {
  return JSON.parse(await client.seal(seq, msg));
}

/** A client handshake on crypto.subtle, as browsers run it, whatever this run's backend. */
const webClientHandshake = () => withWebCrypto(true, clientHandshake);

/** A session whose client channel is async (crypto.subtle); the server's is sync. */
async function webChannels() {
  const c = webClientHandshake();
  const { serverHello, channel: server } = serverHandshake(await c.hello, SID);
  const client = await c.finish(serverHello, SID);
  assert.strictEqual(client.async, true);
  return { client, server };
}

/** Addon only: a session whose server channel opens whole runs of client lines (FrameOpener), or null. */
async function batchOpener() {
  const { client, server } = await channels();
  const fo = server.frameOpener();
  return fo && { client, server, fo };
}

/** The client lines seq from..from+n-1 (message `msg`) joined by '\n', then `pad` spaces on a blank line. */
async function run(client, from, n, msg, pad = -1) {
  const lines = await Promise.all(Array.from({ length: n }, (_, i) => client.seal(from + i, msg)));
  return Buffer.from(lines.join('\n') + (pad >= 0 ? `\n${' '.repeat(pad)}` : ''));
}

/** Buffer of `len` bytes: the lines of `run` above, then a blank line of spaces. */
async function runOf(len, client, from, n, msg) {
  const bare = (await run(client, from, n, msg)).length;
  assert.ok(bare + 1 <= len, 'the lines fit');
  return run(client, from, n, msg, len - bare - 1);
}

/** The plaintexts of the k results of the run fo opened last (null for a line it refused). */
function texts(fo, k) {
  return Array.from({ length: k }, (_, i) => (fo.res[5 * i + 3] === 0 ? fo.out.utf8Slice(fo.res[5 * i + 1], fo.res[5 * i + 1] + fo.res[5 * i + 2]) : null));
}

const inner = (from, n, msg) => Array.from({ length: n }, (_, i) => `{"s":${from + i},"m":${msg}}`);

describe('transport/secure edges', () => {
  it('credentialKey: 32 bytes of base64url give a key; other lengths and alphabets give null', () => {
    const k = credentialKey(Buffer.alloc(32, 1).toString('base64url'), SID);
    assert.strictEqual(k.length, 32);
    assert.strictEqual(credentialKey(Buffer.alloc(31, 1).toString('base64url'), SID), null);
    assert.strictEqual(credentialKey('not base64!', SID), null);
    assert.strictEqual(credentialKey(42, SID), null);
  });

  it('serverHandshake refuses a missing hello or curve (HANDSHAKE_FAILED), no AES-GCM-256 (UNSUPPORTED_ALGORITHM) and a bad key (INVALID_PUBLIC_KEY)', async () => {
    const hello = await clientHandshake().hello;
    assert.throws(() => serverHandshake(null, SID), coded('ENCRYPTION_HANDSHAKE_FAILED', 'unsupported curve'));
    assert.throws(() => serverHandshake({ ...hello, curve: 'P-384' }, SID), coded('ENCRYPTION_HANDSHAKE_FAILED', 'unsupported curve'));
    assert.throws(() => serverHandshake({ ...hello, supportedAlgorithms: undefined }, SID), coded('ENCRYPTION_UNSUPPORTED_ALGORITHM', 'no supported algorithm'));
    assert.throws(() => serverHandshake({ ...hello, supportedAlgorithms: ['AES-128-GCM'] }, SID), coded('ENCRYPTION_UNSUPPORTED_ALGORITHM', 'no supported algorithm'));
    assert.throws(
      () => serverHandshake({ ...hello, clientEphemeralPubKeyB64: 'AAAA' }, SID),
      (err) => err.code === 'ENCRYPTION_INVALID_PUBLIC_KEY' && /^invalid peer public key: .+/.test(err.message),
    );
  });

  it('a client refuses a server hello without P-256, AES-GCM-256 or a keyId (HANDSHAKE_FAILED)', async () => {
    const { serverHello } = await channels();
    const bad = [null, { ...serverHello, curve: 'P-384' }, { ...serverHello, selectedAlgorithm: 'AES-128-GCM' }, { ...serverHello, keyId: 5 }, { ...serverHello, keyId: '' }];
    for (const h of bad) {
      const c = clientHandshake();
      await c.hello;
      await assert.rejects(async () => c.finish(h, SID), coded('ENCRYPTION_HANDSHAKE_FAILED', 'unsupported server hello'));
    }
  });

  it('the crypto.subtle client handshake refuses a server key that is not a P-256 point (INVALID_PUBLIC_KEY)', async () => {
    const { serverHello } = await channels();
    for (const pub of ['AAAA', Buffer.alloc(65, 4).toString('base64')]) {
      const c = webClientHandshake();
      await c.hello;
      await assert.rejects(c.finish({ ...serverHello, serverEphemeralPubKeyB64: pub }, SID), (err) => {
        assert.strictEqual(err.code, 'ENCRYPTION_INVALID_PUBLIC_KEY', err.message);
        assert.match(err.message, /^invalid peer public key: ./);
        return true;
      });
    }
  });

  it('open() refuses plaintext, malformed envelopes, another session, an unknown key id and a forged tag, with their codes', async () => {
    const { client, server } = await channels();
    const v = await sealed(client, 1);
    assert.deepStrictEqual(server.open(v, 1, 'message'), { n: 1 });
    assert.throws(() => server.open({ type: 'x' }, 1, 'message'), coded('ENCRYPTION_REQUIRED', 'plaintext message on an encrypted session'));
    assert.throws(() => server.open(null, 1, 'message'), coded('ENCRYPTION_REQUIRED'));
    assert.throws(() => server.open({ ...v, payload: 7 }, 1, 'message'), coded('ENCRYPTION_DECRYPTION_FAILED', 'malformed envelope'));
    assert.throws(() => server.open({ ...v, sessionId: 's_other' }, 1, 'message'), coded('ERR_STREAM_ENVELOPE', 'message envelope of another session ("s_other")'));
    assert.throws(() => server.open({ ...v, payload: { ...v.payload, kid: 'k_x' } }, 1, 'message'), coded('ERR_STREAM_ENVELOPE', 'message envelope under an unknown key id "k_x"'));
    const ct = Buffer.from(v.payload.ciphertextB64, 'base64');
    ct[0] ^= 1;
    assert.throws(() => server.open({ ...v, payload: { ...v.payload, ciphertextB64: ct.toString('base64') } }, 1, 'message'), coded('ENCRYPTION_DECRYPTION_FAILED', 'decryption failed'));
    assert.throws(() => server.open({ ...v, payload: { ...v.payload, nonceB64: 'AAAA' } }, 1, 'message'), coded('ENCRYPTION_DECRYPTION_FAILED', 'malformed envelope'));
  });

  it('opened(): a replayed seq is ENCRYPTION_NONCE_REUSE, a later one ERR_STREAM_ORDER, non-objects ERR_STREAM_ORDER', async () => {
    const { client, server } = await channels();
    const kid = server.peerKid;
    assert.deepStrictEqual(server.opened('{"s":3,"m":{"a":1}}', 3, 'message', kid), { a: 1 });
    assert.throws(
      () => server.opened('{"s":3,"m":1}', 4, 'message', kid),
      (err) => coded('ENCRYPTION_NONCE_REUSE', 'replayed message: seq 3 presented as 4')(err) && err.replay === true,
    );
    assert.throws(() => server.opened('{"s":5,"m":1}', 4, 'message', kid), coded('ERR_STREAM_ORDER', 'message out of order: seq 5 presented as 4'));
    for (const t of ['null', '"m"', '5', '[1]', '{"s":1}']) {
      assert.throws(() => server.opened(t, 1, 'message', kid), coded('ERR_STREAM_ORDER', 'message out of order: seq undefined presented as 1'), t);
    }
    assert.throws(() => server.opened('not json', 1, 'message', kid), coded('ENCRYPTION_DECRYPTION_FAILED', 'decrypted message is not JSON'));
    // client side: a server event carries its own seq and sessionId
    assert.deepStrictEqual(client.opened(`{"seq":1,"sessionId":"${SID}"}`, 1, 'event', kid), { seq: 1, sessionId: SID });
    assert.throws(() => client.opened('{"seq":1,"sessionId":"s_x"}', 1, 'event', kid), coded('ERR_STREAM_ORDER', 'event 1 was sealed for another session'));
    assert.throws(() => client.opened('{"seq":2,"sessionId":"s_x"}', 1, 'event', kid), coded('ERR_STREAM_ORDER', 'event out of order: seq 2 presented as 1'));
    for (const t of ['null', '5']) assert.throws(() => client.opened(t, 1, 'event', kid), coded('ERR_STREAM_ORDER', 'event out of order: seq undefined presented as 1'), t);
  });

  it('seal(): a sealer failure is a coded SecureError (its own code kept, else ENCRYPTION_HANDSHAKE_FAILED)', async () => {
    const { server } = await channels(); // server channels are synchronous on every backend
    const sealer = server.sealer;
    server.sealer = {
      sealText() {
        throw Object.assign(new Error('Key needs rotation: nonce limit reached'), { code: 'ENCRYPTION_KEY_EXPIRED' });
      },
    };
    assert.throws(() => server.seal(1, '{}'), (err) => err.name === 'SecureError' && coded('ENCRYPTION_KEY_EXPIRED', 'Key needs rotation: nonce limit reached')(err));
    server.sealer = sealer;
    sealer.dispose(); // the real sealer, once its key is wiped
    assert.throws(() => server.seal(2, '{}'), (err) => err.name === 'SecureError' && coded('ENCRYPTION_HANDSHAKE_FAILED', 'EnvelopeCipher was disposed')(err));
  });

  describe('a crypto.subtle channel (async, as in browsers)', () => {
    it('seal() of a disposed sealer rejects with a coded SecureError', async () => {
      const { client } = await webChannels();
      client.sealer.dispose();
      await assert.rejects(client.seal(1, '{}'), (err) => err.name === 'SecureError' && coded('ENCRYPTION_HANDSHAKE_FAILED', 'the cipher was disposed')(err));
    });

    it('open() answers from prepare(): a forged or unprepared envelope is ENCRYPTION_DECRYPTION_FAILED "decryption failed"', async () => {
      const { client, server } = await webChannels();
      const good = await server.seal(1, `{"seq":1,"sessionId":"${SID}"}`);
      const v = JSON.parse(await server.seal(2, `{"seq":2,"sessionId":"${SID}"}`));
      const ct = Buffer.from(v.payload.ciphertextB64, 'base64');
      ct[ct.length - 1] ^= 1; // the tag
      const forged = { ...v, payload: { ...v.payload, ciphertextB64: ct.toString('base64') } };
      const later = JSON.parse(await server.seal(3, `{"seq":3,"sessionId":"${SID}"}`));
      await client.prepare([good, JSON.stringify(forged), 'not json', '{"type":"ack"}']); // lines it cannot open are left to open()
      assert.deepStrictEqual(client.open(JSON.parse(good), 1, 'event'), { seq: 1, sessionId: SID });
      assert.throws(() => client.open(forged, 2, 'event'), coded('ENCRYPTION_DECRYPTION_FAILED', 'decryption failed'));
      assert.throws(() => client.open(later, 3, 'event'), coded('ENCRYPTION_DECRYPTION_FAILED', 'decryption failed'));
      client.done();
      assert.throws(() => client.open(JSON.parse(good), 1, 'event'), coded('ENCRYPTION_DECRYPTION_FAILED', 'decryption failed'));
    });

    it('dispose() disposes its openers: one kept aside no longer opens', async () => {
      const { client, server } = await webChannels();
      const v = JSON.parse(await server.seal(1, `{"seq":1,"sessionId":"${SID}"}`));
      const opener = client.openers.get(client.peerKid);
      assert.strictEqual(await opener.open(v), `{"seq":1,"sessionId":"${SID}"}`);
      client.dispose();
      assert.strictEqual(client.openers.size, 0);
      await assert.rejects(opener.open(v), /the cipher was disposed/);
    });
  });

  describe('rekey', () => {
    it('a full rekey; resent, stale, skipping and forged frames get their answers', async () => {
      const { client, server } = await channels();
      const rekey = server.startRekey();
      assert.strictEqual(server.resendFrame(), rekey);
      const f = JSON.parse(rekey);
      assert.throws(() => client.onRekey({ ...f, ep: 2 }, () => 1), coded('ERR_STREAM_CONTROL', 'rekey to epoch 2 from epoch 0'));
      assert.throws(() => client.onRekey({ ...f, m: server.mac('rekey', 1, 'x') }, () => 1), coded('ERR_STREAM_AUTH', 'rekey frame failed authentication'));
      const rekeyed = await client.onRekey(f, () => 7);
      assert.strictEqual(client.epoch, 1);
      assert.strictEqual(client.resendFrame(), rekeyed);
      // the same rekey again (resent after a resume): the same answer; another key for that epoch: stale
      assert.strictEqual(await client.onRekey(f, () => 8), rekeyed);
      assert.strictEqual(await client.onRekey({ ...f, pub: generateKeyPairSync().publicKeyB64 }, () => 8), null);
      assert.strictEqual(await client.onRekey({ ...f, ep: 0 }, () => 8), null);
      const g = JSON.parse(rekeyed);
      assert.throws(() => server.onRekeyed({ ...g, ep: 3 }, 1, 0), coded('ERR_STREAM_CONTROL', 'rekeyed for epoch 3 that was not offered'));
      assert.throws(() => server.onRekeyed({ ...g, s: 8 }, 1, 0), coded('ERR_STREAM_AUTH', 'rekeyed frame failed authentication'));
      const kp = server._pending.kp;
      let kpDisposed = 0;
      const kd = kp.dispose;
      kp.dispose = () => {
        kpDisposed++;
        kd.call(kp);
      };
      server.onRekeyed(g, 5, 0);
      assert.strictEqual(kpDisposed, 1); // the ephemeral key is used once
      assert.strictEqual(server.epoch, 1);
      assert.strictEqual(server.rekeys, 1);
      assert.strictEqual(server.resendFrame(), null);
      assert.strictEqual(server.onRekeyed(g, 5, 0), undefined); // a resent answer
      // the peer switch: client messages from seq 7 under epoch 1; after message 6 the old key goes
      assert.deepStrictEqual(server.export().peerSwitch, { ep: 1, s: 7 });
      assert.strictEqual(server.openers.size, 2);
      const v = await sealed(client, 7);
      assert.deepStrictEqual(server.open(v, 7, 'message'), { n: 1 });
      server.accept(6);
      assert.strictEqual(server.openers.size, 1);
      assert.strictEqual(server.export().peerSwitch, null);
      assert.deepStrictEqual(server.export().epochs.map((x) => x.ep), [1]); // epoch 0's raw keys forgotten
      // the server's events under epoch 1 open at the client, whose answer is then done
      const e = JSON.parse(await server.seal(5, `{"seq":5,"sessionId":"${SID}"}`));
      assert.strictEqual(e.payload.kid, `${server.kid}.1`);
      if (client.async) await client.prepare([JSON.stringify(e)]); // crypto.subtle opens ahead
      assert.deepStrictEqual(client.open(e, 5, 'event'), { seq: 5, sessionId: SID });
      client.accept(5);
      assert.strictEqual(client.resendFrame(), null);
    });

    it('due(): after maxMessages, or not while an older epoch still holds events', async () => {
      const { server } = await channels();
      assert.strictEqual(server.due(1, 1e9, 0), false);
      await server.seal(1, '{}');
      assert.strictEqual(server.due(1, 1e9, 0), true);
      assert.strictEqual(server.due(2, 1e9, 0), false);
      server.startRekey();
      assert.strictEqual(server.due(1, 1e9, 0), false);
    });

    it('due(): once the epoch is exactly maxMs old', async () => {
      const { server } = await channels();
      const now = Date.now;
      try {
        Date.now = () => server.epochStart + 99;
        assert.strictEqual(server.due(Infinity, 100, 0), false);
        Date.now = () => server.epochStart + 100;
        assert.strictEqual(server.due(Infinity, 100, 0), true);
      } finally {
        Date.now = now;
      }
    });
  });

  it('dispose() wipes the sealer, the openers, the raw keys and an offered rekey', async () => {
    const { server } = await channels();
    server.startRekey();
    const raw = [...server._raw.values()].flatMap((r) => [r.c2s, r.s2c]);
    const fks = [...server.openers.values()].map((o) => o._fk).filter((k) => k instanceof Uint8Array);
    let sealerDisposed = 0;
    const sealer = server.sealer;
    const sd = sealer.dispose;
    sealer.dispose = () => {
      sealerDisposed++;
      sd.call(sealer);
    };
    let kpDisposed = 0;
    const kp = server._pending.kp;
    const kd = kp.dispose;
    kp.dispose = () => {
      kpDisposed++;
      kd.call(kp);
    };
    server.dispose();
    assert.strictEqual(sealerDisposed, 1);
    assert.strictEqual(kpDisposed, 1);
    assert.strictEqual(server.sealer, null);
    assert.strictEqual(server.openers.size, 0);
    assert.ok(raw.length > 0);
    for (const b of [...raw, ...fks]) assert.ok(Buffer.from(b).equals(Buffer.alloc(32)));
  });

  describe('restore()', () => {
    it('round-trips export() (epochs in order, answer, firstSeq, peer switch)', async () => {
      const { client, server } = await channels();
      if (server.export() === null) return;
      const g = JSON.parse(await client.onRekey(JSON.parse(server.startRekey()), () => 4));
      server.onRekeyed(g, 9, 0);
      const sx = server.export();
      assert.deepStrictEqual(sx.epochs.map((e) => e.ep), [0, 1]);
      assert.deepStrictEqual(sx.peerSwitch, { ep: 1, s: 4 });
      assert.strictEqual(sx.firstSeq, 9);
      const s2 = Channel.restore(SID, { ...sx, epochs: [...sx.epochs].reverse() }, 'server');
      assert.strictEqual(s2.epoch, 1);
      assert.deepStrictEqual(s2.export().peerSwitch, { ep: 1, s: 4 });
      assert.strictEqual(s2.due(0, 0, 8), false); // events before firstSeq 9 still held
      assert.strictEqual(s2.due(0, 0, 9), true);
      assert.strictEqual(Channel.restore(SID, { ...sx, firstSeq: undefined }, 'server').due(0, 0, 0), true);
      const cx = client.export();
      if (cx === null) return; // crypto.subtle keys are not extractable
      assert.deepStrictEqual(cx.answer && cx.answer.ep, 1);
      const c2 = Channel.restore(SID, { ...cx, epochs: [...cx.epochs].reverse() });
      assert.strictEqual(c2.resendFrame(), cx.answer.frame);
      assert.deepStrictEqual(c2.export().answer, cx.answer);
      assert.deepStrictEqual(c2.export().epochs, cx.epochs);
      const v = await sealed(c2, 4);
      assert.deepStrictEqual(s2.open(v, 4, 'message'), { n: 1 });
    });

    it('refuses malformed states with ERR_STREAM_RESUME_STATE', async () => {
      const { server } = await channels();
      const x = server.export();
      if (x === null) return;
      const malformed = 'resume state: malformed encryption keys';
      for (const bad of [null, { ...x, kid: 1 }, { ...x, auth: null }, { ...x, epochs: {} }, { ...x, epochs: [] }]) {
        assert.throws(() => Channel.restore(SID, bad), coded('ERR_STREAM_RESUME_STATE', malformed));
      }
      assert.throws(() => Channel.restore(SID, { ...x, auth: { ...x.auth, c2s: 'AAAA' } }), coded('ERR_STREAM_RESUME_STATE', 'resume state: a key is not 32 bytes'));
      for (const ep of [-1, 1.5, '0']) {
        assert.throws(() => Channel.restore(SID, { ...x, epochs: [{ ...x.epochs[0], ep }] }), coded('ERR_STREAM_RESUME_STATE', 'resume state: bad epoch'));
      }
    });
  });
  describe('FrameOpener (addon only: whole runs of lines in one call)', () => {
    it('opens a run into a plaintext scratch every session shares, reused while it is large enough, wiped by release()', async function () {
      const a = await batchOpener();
      if (!a) return this.skip(); // the JavaScript backends open line by line
      const b = await batchOpener();
      const first = await run(a.client, 1, 3, '{"n":1}');
      assert.strictEqual(a.fo.open(first, 0, first.length, 3), 3);
      assert.deepStrictEqual(texts(a.fo, 3), inner(1, 3, '{"n":1}'));
      const { res, out } = a.fo;
      a.fo.release();
      assert.strictEqual(a.fo.out, null);
      assert.ok(out.every((x) => x === 0), 'no plaintext left behind');
      a.fo.release(); // twice: harmless
      // another session: exactly as many lines as the results hold, then exactly as many bytes as the plaintext scratch
      const n = res.length / 5;
      const many = await run(b.client, 1, n, '1');
      assert.strictEqual(b.fo.open(many, 0, many.length, n), n);
      assert.deepStrictEqual(texts(b.fo, n), inner(1, n, '1'));
      assert.strictEqual(b.fo.res, res);
      assert.strictEqual(b.fo.out === out, many.length <= out.length);
      b.fo.release();
      const L = out.length;
      const exact = await runOf(L, b.client, n + 1, 2, '2');
      assert.strictEqual(b.fo.open(exact, 0, L, 2), 2);
      assert.deepStrictEqual(texts(b.fo, 2), inner(n + 1, 2, '2'));
      assert.strictEqual(b.fo.out, out);
      assert.strictEqual(b.fo.res, res);
      b.fo.release();
      // a run at an offset into a larger buffer: its own length is what counts
      const tail = await runOf(L, b.client, n + 3, 1, '3');
      const inside = Buffer.concat([Buffer.alloc(1000, 0x20), tail]);
      assert.strictEqual(b.fo.open(inside, 1000, inside.length, 1), 1);
      assert.deepStrictEqual(texts(b.fo, 1), inner(n + 3, 1, '3'));
      assert.strictEqual(b.fo.out, out);
      b.fo.release();
    });

    it('grows the scratch for a run of more lines or more bytes than it holds', async function () {
      const a = await batchOpener();
      if (!a) return this.skip();
      const probe = await run(a.client, 1, 1, '0');
      a.fo.open(probe, 0, probe.length, 1);
      const { res, out } = a.fo;
      a.fo.release();
      // one line more than the results hold (and than the 64 they hold at least)
      const n = Math.max(res.length / 5, 64) + 1;
      const lines = await run(a.client, 2, n, '0');
      assert.strictEqual(a.fo.open(lines, 0, lines.length, n), n);
      assert.deepStrictEqual(texts(a.fo, n), inner(2, n, '0'));
      assert.ok(a.fo.res.length >= 5 * n);
      a.fo.release();
      // more plaintext than the scratch holds, and more than its 64 KiB minimum
      const msg = JSON.stringify('x'.repeat(3000));
      const line = (await run(a.client, 0, 1, msg)).length;
      const count = Math.ceil(Math.max(out.length, 128 * 1024) / line) + 1;
      const big = await run(a.client, n + 2, count, msg);
      assert.strictEqual(a.fo.open(big, 0, big.length, count), count);
      assert.deepStrictEqual(texts(a.fo, count), inner(n + 2, count, msg));
      assert.ok(a.fo.out.length >= big.length);
      a.fo.release();
    });

    it('a run read while another is held (a handler reading a frame) gets its own scratch; the shared one comes back', async function () {
      const a = await batchOpener();
      if (!a) return this.skip();
      const b = await batchOpener();
      const ra = await run(a.client, 1, 2, '{"a":1}');
      assert.strictEqual(a.fo.open(ra, 0, ra.length, 2), 2);
      const shared = a.fo.out;
      const rb = await run(b.client, 1, 3, '{"b":2}');
      assert.strictEqual(b.fo.open(rb, 0, rb.length, 3), 3);
      assert.notStrictEqual(b.fo.out, shared);
      assert.notStrictEqual(b.fo.res, a.fo.res);
      assert.ok(b.fo.out.length >= 64 * 1024, 'sized as the shared one: at least 64 KiB');
      assert.deepStrictEqual(texts(b.fo, 3), inner(1, 3, '{"b":2}'));
      assert.deepStrictEqual(texts(a.fo, 2), inner(1, 2, '{"a":1}')); // not overwritten
      const own = b.fo.out;
      b.fo.release();
      assert.ok(own.every((x) => x === 0));
      a.fo.release();
      const again = await run(b.client, 4, 1, '{"b":3}');
      assert.strictEqual(b.fo.open(again, 0, again.length, 1), 1);
      assert.strictEqual(b.fo.out, shared);
      b.fo.release();
    });

    it('refuses to open once its channel is disposed, and leaves the shared scratch free', async function () {
      const a = await batchOpener();
      if (!a) return this.skip();
      const b = await batchOpener();
      const probe = await run(b.client, 1, 1, '{}');
      b.fo.open(probe, 0, probe.length, 1);
      const shared = b.fo.out;
      b.fo.release();
      const lines = await run(a.client, 1, 1, '{}');
      a.server.dispose();
      assert.throws(() => a.fo.open(lines, 0, lines.length, 1), /EnvelopeCipher was disposed/);
      assert.strictEqual(a.fo.out, null, 'released on the failure');
      const again = await run(b.client, 2, 1, '{}');
      assert.strictEqual(b.fo.open(again, 0, again.length, 1), 1);
      assert.strictEqual(b.fo.out, shared, 'the shared scratch, not a private one');
      b.fo.release();
    });
  });
});
