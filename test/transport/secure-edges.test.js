'use strict';
// Edges of lib/transport/secure.js (the session's sealing/opening layer) pinned on the Channel
// and handshake functions directly: the checks of both hellos and their error codes, the
// resume verifier of a credential, what open()/opened() refuse (plaintext, another session,
// an unknown key id, a forged or malformed envelope, a replayed or out-of-order seq) with their
// codes and messages, the rekey frames' MACs and epoch rules, and restore()'s validation of a
// resume state (its epochs, answer, firstSeq and peer switch).
const assert = require('node:assert');
const { clientHandshake, serverHandshake, credentialKey, Channel } = require('../../lib/transport/secure');
const { generateKeyPairSync } = require('../../lib/crypto/ecdh');

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
});
