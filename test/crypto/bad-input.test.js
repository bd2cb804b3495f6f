'use strict';
// The bad-input matrix (README), crypto layer: tampered, truncated, replayed
// and wrongly keyed envelopes and invalid public keys met through
// createEnvelopeCipher, createEncryptedChannel and the key-exchange API: the
// exact error class and code, and the cipher / channel goes on afterwards.
// The same inputs on the wire are in test/server/bad-input.test.js.

const assert = require('node:assert');
const { backend } = require('../../lib/binding');
const lib = require('../../index.js');
const { event, range, offCurvePublicKey, matrixHooks, flipCiphertext, truncateCiphertext } = require('../helpers/bad-input');

const { createEnvelopeCipher, generateKeyPairSync, deriveSharedSecretSync } = lib;

describe(`bad-input matrix, crypto API (${backend} backend)`, function () {
  this.timeout(10000);
  matrixHooks();

  const KEY = Buffer.alloc(32, 0x2a);
  const SID = 's_bad';
  const cipher = (key = KEY) => createEnvelopeCipher({ key, sessionId: SID, kid: 'k_1' });
  const sealed = (n) => {
    const c = cipher();
    return range(1, n).map((seq) => c.seal(event(seq, `c${seq}`)));
  };

  /** Two connected EncryptedChannels; frames are handed over by hand. */
  async function channels() {
    const serverKeys = generateKeyPairSync();
    const toServer = [];
    const toClient = [];
    const got = { server: [], client: [] };
    const errors = { server: [], client: [] };
    const server = await lib.createEncryptedChannel({
      role: 'server',
      keyPair: serverKeys,
      onMessage: (m) => got.server.push(m),
      onError: (e) => errors.server.push(e),
      send: (f) => toClient.push(f),
    });
    const client = await lib.createEncryptedChannel({
      role: 'client',
      remotePublicKey: serverKeys.publicKeyB64,
      onMessage: (m) => got.client.push(m),
      onError: (e) => errors.client.push(e),
      send: (f) => toServer.push(f),
    });
    return { server, client, toServer, toClient, got, errors };
  }


  describe('a tampered envelope', () => {
    it('EnvelopeCipher.open: AesGcmError ENCRYPTION_DECRYPTION_FAILED; the cipher opens the next line', () => {
      const [l1, l2, l3] = sealed(3);
      const opener = cipher();
      assert.strictEqual(opener.open(l1).seq, 1);
      assert.throws(() => opener.open(flipCiphertext(l2)), (e) => e.name === 'AesGcmError' && e.code === 'ENCRYPTION_DECRYPTION_FAILED');
      assert.strictEqual(opener.open(l3).seq, 3);
      assert.throws(
        () => opener.openBatch([l1, flipCiphertext(l2), l3].join('\n')),
        (e) => e.code === 'ENCRYPTION_DECRYPTION_FAILED' && e.index === 1 && e.events.length === 1 && e.events[0].seq === 1,
      );
    });

    it("createEncryptedChannel: onError ENCRYPTION_DECRYPTION_FAILED with err.seq; the channel goes on", async () => {
      const ch = await channels();
      for (let i = 1; i <= 3; i++) await ch.client.send({ i });
      const frames = ch.toServer.join('').split('\n').filter(Boolean); // hello, envelope 1..3
      ch.server.receive(frames[0] + '\n' + frames[1] + '\n');
      ch.server.receive(flipCiphertext(frames[2]) + '\n');
      ch.server.receive(frames[3] + '\n');
      await ch.server.settled(); // (at once in Node; after crypto.subtle in browsers)
      assert.deepStrictEqual(ch.got.server, [{ i: 1 }, { i: 3 }]);
      assert.deepStrictEqual(ch.errors.server.map((e) => [e.code, e.seq]), [['ENCRYPTION_DECRYPTION_FAILED', 2]]);
      await ch.server.send({ back: 1 });
      ch.client.receive(ch.toClient.join(''));
      await ch.client.settled();
      assert.deepStrictEqual(ch.got.client, [{ back: 1 }]);
    });
  });

  describe('a truncated envelope', () => {
    it('EnvelopeCipher.open: a cut line or a short ciphertext is ENCRYPTION_DECRYPTION_FAILED; the next line opens', () => {
      const [l1, l2] = sealed(2);
      const opener = cipher();
      assert.throws(() => opener.open(l1.slice(0, l1.length - 20)), { name: 'AesGcmError', code: 'ENCRYPTION_DECRYPTION_FAILED' });
      assert.throws(() => opener.open(truncateCiphertext(l1)), { name: 'AesGcmError', code: 'ENCRYPTION_DECRYPTION_FAILED' });
      assert.throws(() => opener.open(truncateCiphertext(l1, 40)), { code: 'ENCRYPTION_DECRYPTION_FAILED' }); // shorter than the tag
      assert.strictEqual(opener.open(l2).seq, 2);
    });
  });

  describe('a replayed envelope', () => {
    it('createEncryptedChannel: onError ENCRYPTION_NONCE_REUSE (err.replay), delivered once; the channel goes on', async () => {
      const ch = await channels();
      for (let i = 1; i <= 3; i++) await ch.client.send({ i });
      const frames = ch.toServer.join('').split('\n').filter(Boolean);
      ch.server.receive(frames.slice(0, 3).join('\n') + '\n'); // hello, 1, 2
      ch.server.receive(frames[1] + '\n'); // 1 again
      ch.server.receive(frames[3] + '\n');
      ch.server.receive(frames[3] + '\n'); // 3 again
      await ch.server.settled();
      assert.deepStrictEqual(ch.got.server, [{ i: 1 }, { i: 2 }, { i: 3 }]);
      assert.deepStrictEqual(ch.errors.server.map((e) => [e.code, e.replay, e.seq]), [
        ['ENCRYPTION_NONCE_REUSE', true, 1],
        ['ENCRYPTION_NONCE_REUSE', true, 3],
      ]);
    });

    it('EnvelopeCipher.open is stateless by design: it opens a replay; replay protection is the channel or the stream', () => {
      const [l1] = sealed(1);
      const opener = cipher();
      assert.deepStrictEqual(opener.open(l1), opener.open(l1));
    });
  });

  describe('a wrong key', () => {
    it('EnvelopeCipher.open / decrypt(secret): ENCRYPTION_DECRYPTION_FAILED; the right key still opens', async () => {
      const [l1] = sealed(1);
      assert.throws(() => cipher(Buffer.alloc(32, 0x2b)).open(l1), { name: 'AesGcmError', code: 'ENCRYPTION_DECRYPTION_FAILED' });
      assert.strictEqual(cipher().open(l1).seq, 1);
      const a = await lib.generateKeyPair();
      const b = await lib.generateKeyPair();
      const c = await lib.generateKeyPair();
      const secret = await lib.deriveSharedSecret(a.privateKey, b.publicKey);
      const wrong = await lib.deriveSharedSecret(a.privateKey, c.publicKey);
      const enc = await lib.encrypt(secret, 'hello');
      await assert.rejects(lib.decrypt(wrong, enc), { name: 'AesGcmError', code: 'ENCRYPTION_DECRYPTION_FAILED' });
      assert.strictEqual(await lib.decrypt(await lib.deriveSharedSecret(b.privateKey, a.publicKey), enc), 'hello');
    });

    it('createEncryptedChannel: a frame of another session is ENCRYPTION_DECRYPTION_FAILED; the channel goes on', async () => {
      const ch = await channels();
      const other = await channels();
      await ch.client.send({ i: 1 });
      await other.client.send({ i: 'other' });
      const foreign = other.toServer.join('').split('\n').filter(Boolean)[1];
      ch.server.receive(ch.toServer.join(''));
      ch.server.receive(foreign + '\n');
      await ch.client.send({ i: 2 });
      ch.server.receive(ch.toServer.slice(1).join(''));
      await ch.server.settled();
      assert.deepStrictEqual(ch.got.server, [{ i: 1 }, { i: 2 }]);
      assert.deepStrictEqual(ch.errors.server.map((e) => e.code), ['ENCRYPTION_DECRYPTION_FAILED']);
    });
  });

  describe('an invalid public key (handshake)', () => {
    it('crypto API: EcdhError ENCRYPTION_INVALID_PUBLIC_KEY (sync, async, hello processing); good keys still work after', async () => {
      const kp = generateKeyPairSync();
      for (const k of [offCurvePublicKey(), 'AAAA', '', '!!!']) {
        assert.throws(() => deriveSharedSecretSync(kp.privateKey, k), { name: 'EcdhError', code: 'ENCRYPTION_INVALID_PUBLIC_KEY' });
        await assert.rejects(lib.importPublicKey(k), { name: 'EcdhError', code: 'ENCRYPTION_INVALID_PUBLIC_KEY' });
      }
      const hello = await lib.createClientHello(await lib.generateKeyPair());
      await assert.rejects(lib.processClientHello({ ...hello, clientEphemeralPubKeyB64: offCurvePublicKey() }, 's_1'), { code: 'ENCRYPTION_INVALID_PUBLIC_KEY' });
      const other = generateKeyPairSync();
      assert.strictEqual(deriveSharedSecretSync(kp.privateKey, other.publicKeyB64).length, 32);
    });

    it('createEncryptedChannel: a hello with a bad key is onError ENCRYPTION_INVALID_PUBLIC_KEY; a good hello after it works', async () => {
      const ch = await channels();
      await ch.client.send({ i: 1 });
      const [hello, env] = ch.toServer.join('').split('\n').filter(Boolean);
      const h0 = JSON.parse(hello);
      h0.clientHello.clientEphemeralPubKeyB64 = offCurvePublicKey();
      ch.server.receive(JSON.stringify(h0) + '\n');
      await ch.server.settled();
      assert.deepStrictEqual(ch.errors.server.map((e) => e.code), ['ENCRYPTION_INVALID_PUBLIC_KEY']);
      ch.server.receive(hello + '\n' + env + '\n');
      await ch.server.settled();
      assert.deepStrictEqual(ch.got.server, [{ i: 1 }]);
    });
  });
});
