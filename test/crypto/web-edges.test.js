'use strict';
// lib/crypto/web.js (the crypto.subtle twin browsers run) pinned beside
// test/crypto/web.test.js (docs/MUTATION.md): non-extractable keys, key pairs
// given as CryptoKeys or raw bytes, the zero salt without a session id, the
// sealer's nonce limit and dispose, and the opener's refusals: not an
// envelope (with its seq when valid), a nonce that is not 12 bytes even when it
// authenticates, an empty plaintext (a 16-byte ciphertext), a disposed opener;
// the coded refusals (crypto.subtle refusing a key pair, stubbed; invalid raw
// private keys; a private key or secret that is not one) and nonceCounter.
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const web = require('../../lib/crypto/web');
const { deriveSessionKeysSync } = require('../../lib/crypto/hkdf');
const ecdh = require('../../lib/crypto/ecdh');
const C = require('../../lib/constants');

const { AesGcmError, EcdhError, HkdfError } = require('../../lib/crypto/errors');
const subtle = globalThis.crypto.subtle;
const key32 = Buffer.from(Array.from({ length: 32 }, (_, i) => 3 * i + 7));
const prefix = Buffer.from([9, 8, 7, 6, 5, 4, 3, 2]);
const AUTH = 'decryption failed: authentication failed or bad nonce/ciphertext';

function envelope(iv, ct, seq = 4) {
  return {
    protocolVersion: 2,
    sessionId: 's_web',
    seq,
    type: 'enc',
    payload: { kid: 'k1', nonceB64: Buffer.from(iv).toString('base64'), ciphertextB64: Buffer.from(ct).toString('base64') },
  };
}

const rejectsCoded = (p, code, message) =>
  assert.rejects(p, (err) => {
    assert.ok(err instanceof AesGcmError, `an AesGcmError, got ${err && err.message}`);
    assert.strictEqual(err.code, code);
    assert.strictEqual(err.message, message);
    return true;
  });

const isEcdh = (code, message) => (err) => {
  assert.ok(err instanceof EcdhError, `an EcdhError, got ${err && err.message}`);
  assert.strictEqual(err.code, code);
  if (typeof message === 'string') assert.strictEqual(err.message, message);
  else assert.match(err.message, message);
  return true;
};

/** Runs fn while crypto.subtle's `method` refuses (an own property on the SubtleCrypto object, removed after). */
async function withStub(method, fn) {
  subtle[method] = () => Promise.reject(new Error('refused (stub)'));
  try {
    await fn();
  } finally {
    delete subtle[method];
  }
}

describe('crypto/web edges (crypto.subtle twin)', () => {
  it('keyPair(): a non-extractable private key and its raw point', async () => {
    const kp = await web.keyPair();
    assert.strictEqual(kp.privateKey.extractable, false);
    assert.strictEqual(kp.publicKey.length, 65);
    assert.strictEqual(Buffer.from(kp.publicKey).toString('base64'), kp.publicKeyB64);
  });

  it('importKeyPair: CryptoKeys as given, raw bytes into a non-extractable key, a private key of another size refused', async () => {
    const ck = await ecdh.generateKeyPair();
    const fromKeys = await web.importKeyPair(ck);
    assert.strictEqual(fromKeys.privateKey, ck.privateKey);
    assert.strictEqual(fromKeys.publicKeyB64, (await ecdh.exportPublicKey(ck.publicKey)).publicKeyB64);
    const raw = ecdh.generateKeyPairSync();
    const imported = await web.importKeyPair({ privateKey: raw.privateKey, publicKey: raw.publicKey });
    assert.strictEqual(imported.privateKey.extractable, false);
    assert.strictEqual(imported.publicKeyB64, raw.publicKeyB64);
    const peer = ecdh.generateKeyPairSync();
    assert.deepStrictEqual(Array.from(await web.sharedSecret(imported.privateKey, peer.publicKeyB64)), Array.from(ecdh.deriveSharedSecretSync(raw.privateKey, peer.publicKey)));
    await assert.rejects(
      web.importKeyPair({ privateKey: raw.privateKey.subarray(1), publicKey: raw.publicKey }),
      (err) => err instanceof EcdhError && err.code === C.EncryptionErrorCode.HandshakeFailed && err.message === 'Invalid private key: expected 32 bytes',
    );
  });

  it('sharedSecret: a 65-byte 0x04 point off the curve is INVALID_PUBLIC_KEY', async () => {
    const kp = await web.keyPair();
    const bad = Buffer.alloc(65, 7);
    bad[0] = 4;
    await assert.rejects(
      web.sharedSecret(kp.privateKey, bad),
      (err) => err instanceof EcdhError && err.code === C.EncryptionErrorCode.InvalidPublicKey && /^Failed to import public key: ./.test(err.message),
    );
  });

  it('keysFromSecret: non-extractable keys; without a session id the salt is 32 zero bytes (as the sync HKDF)', async () => {
    const secret = new Uint8Array(32).fill(5);
    const keys = await web.keysFromSecret(secret, null);
    assert.strictEqual(keys.clientToServerKey.extractable, false);
    assert.strictEqual(keys.serverToClientKey.extractable, false);
    const want = deriveSessionKeysSync(secret, null);
    const iv = Buffer.alloc(12, 1);
    for (const dir of ['clientToServerKey', 'serverToClientKey']) {
      const ct = Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv }, keys[dir], Buffer.from('x')));
      const c = nodeCrypto.createCipheriv('aes-256-gcm', want[dir], iv);
      assert.deepStrictEqual(ct, Buffer.concat([c.update('x'), c.final(), c.getAuthTag()]));
    }
  });

  it('importAesKey: a non-extractable AES-256-GCM key', async () => {
    const k = await web.importAesKey(key32);
    assert.strictEqual(k.extractable, false);
    assert.strictEqual(k.algorithm.length, 256);
  });

  it('WebSealer: maxNonces is kept (at most 2^32); the next seal is KEY_EXPIRED; a disposed sealer refuses', async () => {
    const key = await web.importAesKey(key32);
    assert.strictEqual(new web.WebSealer({ key, sessionId: 's_x', kid: 'k', maxNonces: 2 ** 40 }).maxNonces, 2 ** 32);
    const s = new web.WebSealer({ key, sessionId: 's_x', kid: 'k', maxNonces: 2, noncePrefix: prefix });
    assert.strictEqual(s.maxNonces, 2);
    await s.sealText(0, '"a"');
    await s.sealText(1, '"b"');
    await rejectsCoded(s.sealText(2, '"c"'), C.EncryptionErrorCode.KeyExpired, 'Key needs rotation: nonce limit reached');
    s.dispose();
    await assert.rejects(s.sealText(3, '"d"'), { message: 'the cipher was disposed' });
  });

  it('refusals are coded: crypto.subtle refusing a key pair, an invalid raw private key, a private key that is not a key, a secret that is not bytes', async () => {
    await withStub('generateKey', async () => {
      await assert.rejects(web.keyPair(), isEcdh(C.EncryptionErrorCode.HandshakeFailed, 'Failed to generate key pair: refused (stub)'));
    });
    const pub = ecdh.generateKeyPairSync().publicKey;
    // zero and all-ones (above the group order) are not P-256 private keys
    for (const d of [Buffer.alloc(32), Buffer.alloc(32, 0xff)]) {
      await assert.rejects(web.importKeyPair({ privateKey: d, publicKey: pub }), isEcdh(C.EncryptionErrorCode.HandshakeFailed, /^Invalid private key: ./));
    }
    await assert.rejects(web.sharedSecret({}, pub), isEcdh(C.EncryptionErrorCode.KeyDerivationFailed, /^Failed to derive shared secret: ./));
    for (const secret of ['x', null]) {
      await assert.rejects(web.keysFromSecret(secret, 's_1'), (err) => {
        assert.ok(err instanceof HkdfError, `an HkdfError, got ${err && err.message}`);
        assert.strictEqual(err.code, C.EncryptionErrorCode.KeyDerivationFailed);
        assert.match(err.message, /^Failed to derive key: ./);
        return true;
      });
    }
  });

  it('WebSealer: nonceCounter is the next nonce counter (from the given start)', async () => {
    const key = await web.importAesKey(key32);
    const s = new web.WebSealer({ key, sessionId: 's_x', kid: 'k', noncePrefix: prefix, nonceCounter: 7 });
    assert.strictEqual(s.nonceCounter, 7);
    const line = await s.sealText(1, '"a"');
    assert.strictEqual(s.nonceCounter, 8);
    assert.strictEqual(Buffer.from(JSON.parse(line).payload.nonceB64, 'base64').readUInt32BE(8), 7);
    assert.strictEqual(new web.WebSealer({ key, sessionId: 's_x', kid: 'k' }).nonceCounter, 0);
  });

  it('WebOpener: a line that is not an envelope is refused with reason "envelope" (and its seq when it has a valid one)', async () => {
    const o = new web.WebOpener({ key: await web.importAesKey(key32) });
    const seqOf = async (p) => {
      let got;
      await assert.rejects(p, (err) => {
        assert.ok(err instanceof AesGcmError);
        assert.strictEqual(err.code, C.EncryptionErrorCode.DecryptionFailed);
        assert.strictEqual(err.message, 'not a valid encrypted envelope');
        assert.strictEqual(err.reason, 'envelope');
        got = err.seq;
        return true;
      });
      return got;
    };
    assert.strictEqual(await seqOf(o.openLine('not json')), undefined);
    assert.strictEqual(await seqOf(o.openLine('null')), undefined);
    assert.strictEqual(await seqOf(o.openParsed({ seq: 5 })), 5);
    assert.strictEqual(await seqOf(o.openParsed({ seq: 0 })), 0);
    assert.strictEqual(await seqOf(o.openParsed({ seq: -1 })), undefined);
    assert.strictEqual(await seqOf(o.openParsed({ seq: 1.5 })), undefined);
    assert.strictEqual(await seqOf(o.openParsed({ seq: '7' })), undefined);
  });

  it('WebOpener: a nonce that is not 12 bytes is refused even when it authenticates; an empty plaintext opens', async () => {
    const key = await web.importAesKey(key32);
    const o = new web.WebOpener({ key });
    for (const n of [16, 13]) {
      const iv = Buffer.alloc(n, 3);
      const ct = await subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, key, Buffer.from('"x"'));
      const p = o.openParsed(envelope(iv, ct));
      await rejectsCoded(p, C.EncryptionErrorCode.DecryptionFailed, AUTH);
      await p.catch((err) => assert.strictEqual(err.seq, 4));
    }
    const s = new web.WebSealer({ key, sessionId: 's_web', kid: 'k1', noncePrefix: prefix, nonceCounter: 7 });
    const line = await s.sealText(3, '');
    assert.deepStrictEqual(await o.openLine(line), { text: '', seq: 3, counter: 7 });
    const env = JSON.parse(line);
    env.payload.nonceB64 = 'AAAA';
    await rejectsCoded(o.openParsed(env), C.EncryptionErrorCode.DecryptionFailed, AUTH);
    o.dispose();
    await assert.rejects(o.openLine(line), (err) => !(err instanceof AesGcmError) && err.message === 'the cipher was disposed');
  });
});
