'use strict';
// lib/crypto/ecdh.js pinned (docs/MUTATION.md): raw P-256 point validation
// (65 bytes, 0x04 prefix, on the curve) with its coded INVALID_PUBLIC_KEY error,
// 32-byte private keys (a key with a leading zero byte stays 32 bytes), the
// stored and ephemeral key objects (privateKey(), dispose()),
// deriveSharedSecret's mixes of CryptoKeys, raw bytes and base64, refusals that
// name the operation (unknown curve, not a key, invalid private key, off-curve
// point: code and message prefix on every backend), and the hellos of raw key
// pairs with processClientHello's fresh k_<uuid> key id; a private key that is
// not 32 bytes refused by publicKeyFromPrivate on every backend.
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const ecdh = require('../../lib/crypto/ecdh');
const aesGcm = require('../../lib/crypto/aes-gcm');
const C = require('../../lib/constants');

const { EcdhError } = ecdh;
const INVALID = C.EncryptionErrorCode.InvalidPublicKey;
const list = (u8) => Array.from(u8);

/** node:crypto's ECDH of a raw private key and a raw point. */
function nodeSecret(priv, pub) {
  const e = nodeCrypto.createECDH('prime256v1');
  e.setPrivateKey(Buffer.from(priv));
  return list(e.computeSecret(Buffer.from(pub)));
}

function isCoded(code, message) {
  return (err) => {
    assert.ok(err instanceof EcdhError, `an EcdhError, got ${err && err.name}: ${err && err.message}`);
    assert.strictEqual(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

const offCurve = () => {
  const b = Buffer.alloc(65, 7);
  b[0] = 4;
  return b;
};

describe('crypto/ecdh edges', () => {
  it('rawPublicKey: only a 65-byte uncompressed point (bytes or base64) passes', () => {
    const { publicKey, publicKeyB64 } = ecdh.generateKeyPairSync();
    assert.deepStrictEqual(list(ecdh.rawPublicKey(publicKey)), list(publicKey));
    assert.deepStrictEqual(list(ecdh.rawPublicKey(publicKeyB64)), list(publicKey));
    const compressed = Uint8Array.from(publicKey);
    compressed[0] = 2;
    const notAPoint = 'Failed to import public key: not a raw uncompressed P-256 point';
    for (const bad of [publicKey.subarray(0, 64), Buffer.concat([publicKey, Buffer.alloc(1)]), compressed, '!!not base64!!', 42]) {
      assert.throws(() => ecdh.rawPublicKey(bad), (err) => err instanceof EcdhError && err.code === INVALID && err.message === notAPoint);
    }
  });

  it('deriveSharedSecretSync: node:crypto ECDH; a point off the curve and a short private key are coded errors', () => {
    const a = ecdh.generateKeyPairSync();
    const b = ecdh.generateKeyPairSync();
    assert.deepStrictEqual(list(ecdh.deriveSharedSecretSync(a.privateKey, b.publicKeyB64)), nodeSecret(a.privateKey, b.publicKey));
    assert.throws(() => ecdh.deriveSharedSecretSync(a.privateKey, offCurve()), isCoded(INVALID, /public key/i));
    assert.throws(
      () => ecdh.deriveSharedSecretSync(a.privateKey.subarray(1), b.publicKey),
      isCoded(C.EncryptionErrorCode.KeyDerivationFailed, /^Failed to derive shared secret: private key must be 32 bytes$/),
    );
  });

  it('generateKeyPairSync and ephemeralKeySync: a private key with a leading zero byte is still 32 bytes', () => {
    let pair;
    for (let i = 0; i < 20000 && !pair; i++) {
      const kp = ecdh.generateKeyPairSync();
      assert.strictEqual(kp.privateKey.length, 32);
      if (kp.privateKey[0] === 0) pair = kp;
    }
    assert.ok(pair, 'a key with a leading zero byte');
    assert.deepStrictEqual(list(ecdh.publicKeyFromPrivate(pair.privateKey)), list(pair.publicKey));
    let eph;
    for (let i = 0; i < 20000 && !eph; i++) {
      const e = ecdh.ephemeralKeySync();
      const d = e.privateKey();
      assert.strictEqual(d.length, 32);
      if (d[0] === 0) eph = e;
      else e.dispose();
    }
    assert.ok(eph, 'an ephemeral key with a leading zero byte');
    assert.strictEqual(Buffer.from(ecdh.publicKeyFromPrivate(eph.privateKey())).toString('base64'), eph.publicKeyB64);
    eph.dispose();
  });

  it('ephemeralKeySync: derive() validates the point; after dispose() it no longer derives', () => {
    const e = ecdh.ephemeralKeySync();
    const peer = ecdh.generateKeyPairSync();
    assert.deepStrictEqual(list(e.derive(peer.publicKeyB64)), nodeSecret(peer.privateKey, Buffer.from(e.publicKeyB64, 'base64')));
    assert.throws(() => e.derive(offCurve()), isCoded(INVALID, /public key/i));
    e.dispose();
    assert.throws(() => e.derive(peer.publicKey));
  });

  // A refusal by the addon leaves OpenSSL's error queue empty (csrc/crypto
  // esn_fail): Node's own crypto runs on the same thread and aborted the
  // process ("Assertion failed: errors->Empty()") on the next crypto.subtle
  // AES-GCM job after a peer's off-curve key or a forged envelope.
  it('a refused off-curve point or forged envelope does not break crypto.subtle afterwards', async () => {
    const a = ecdh.generateKeyPairSync();
    assert.throws(() => ecdh.deriveSharedSecretSync(a.privateKey, offCurve()), isCoded(INVALID, /public key/i));
    assert.throws(() => ecdh.ephemeralKeySync().derive(offCurve()), isCoded(INVALID, /public key/i));
    // a forged tag, opened by the addon's AES-GCM when it is loaded
    const key = new Uint8Array(32).fill(3);
    const sealed = await aesGcm.encrypt(key, 'x');
    const forged = { ...sealed, ciphertextB64: Buffer.from(Buffer.from(sealed.ciphertextB64, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
    await assert.rejects(aesGcm.decrypt(key, forged), { code: C.EncryptionErrorCode.DecryptionFailed });
    const k = await globalThis.crypto.subtle.importKey('raw', Buffer.alloc(32, 1), 'AES-GCM', false, ['encrypt']);
    const ct = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: Buffer.alloc(12) }, k, Buffer.from('x'));
    assert.strictEqual(ct.byteLength, 17);
  });

  it('storedKeySync: the stored key derives, privateKey() is a copy, dispose() wipes it', () => {
    const a = ecdh.generateKeyPairSync();
    const b = ecdh.generateKeyPairSync();
    const k = ecdh.storedKeySync(a.privateKey, a.publicKeyB64);
    assert.strictEqual(k.publicKeyB64, a.publicKeyB64);
    assert.deepStrictEqual(list(k.privateKey()), list(a.privateKey));
    assert.deepStrictEqual(list(k.derive(b.publicKey)), nodeSecret(a.privateKey, b.publicKey));
    k.dispose();
    assert.deepStrictEqual(list(k.privateKey()), new Array(32).fill(0));
    assert.deepStrictEqual(list(a.privateKey), list(ecdh.storedKeySync(a.privateKey, '').privateKey()));
  });

  it('generateKeyPair: extractable CryptoKeys (as the reference); exportPublicKey of raw bytes and of a CryptoKey', async () => {
    const kp = await ecdh.generateKeyPair();
    assert.strictEqual(kp.privateKey.extractable, true);
    const exported = await ecdh.exportPublicKey(kp.publicKey);
    assert.strictEqual(exported.curve, 'P-256');
    const raw = Buffer.from(exported.publicKeyB64, 'base64');
    assert.deepStrictEqual(await ecdh.exportPublicKey(new Uint8Array(raw)), exported);
    await assert.rejects(ecdh.importPublicKey('!!'), isCoded(INVALID, /^Failed to import public key: ./));
    await assert.rejects(ecdh.importPublicKey(offCurve().toString('base64')), isCoded(INVALID, /^Failed to import public key: ./));
  });

  it('deriveSharedSecret: every mix of CryptoKeys, raw keys and base64 gives the same secret', async () => {
    const a = ecdh.generateKeyPairSync();
    const kp = await ecdh.generateKeyPair();
    const pubRaw = Buffer.from((await ecdh.exportPublicKey(kp.publicKey)).publicKeyB64, 'base64');
    const want = nodeSecret(a.privateKey, pubRaw);
    assert.deepStrictEqual(list(await ecdh.deriveSharedSecret(a.privateKey, kp.publicKey)), want); // raw priv, CryptoKey peer
    assert.deepStrictEqual(list(await ecdh.deriveSharedSecret(a.privateKey, pubRaw)), want);
    assert.deepStrictEqual(list(await ecdh.deriveSharedSecret(kp.privateKey, a.publicKeyB64)), want); // CryptoKey priv, base64 peer
    assert.deepStrictEqual(list(await ecdh.deriveSharedSecret(kp.privateKey, a.publicKey)), want); // CryptoKey priv, raw peer
    const peer = await ecdh.importPublicKey(a.publicKeyB64);
    assert.deepStrictEqual(list(await ecdh.deriveSharedSecret(kp.privateKey, peer)), want);
    // neither a CryptoKey nor bytes: crypto.subtle refuses it, coded
    await assert.rejects(
      ecdh.deriveSharedSecret({}, peer),
      (err) => isCoded(C.EncryptionErrorCode.KeyDerivationFailed, /^Failed to derive shared secret: /)(err) && !/32 bytes/.test(err.message),
    );
  });

  it('refusals name the operation: an unknown curve, a public key that is not a key, an invalid private key, an off-curve point', async () => {
    await assert.rejects(ecdh.generateKeyPair('P-999'), isCoded(C.EncryptionErrorCode.HandshakeFailed, /^Failed to generate key pair: ./));
    for (const notAKey of [{}, null]) {
      await assert.rejects(ecdh.exportPublicKey(notAKey), isCoded(INVALID, /^Failed to export public key: ./));
    }
    const peer = ecdh.generateKeyPairSync();
    // zero and all-ones (above the group order) are not P-256 private keys
    for (const bad of [Buffer.alloc(32), Buffer.alloc(32, 0xff)]) {
      assert.throws(() => ecdh.publicKeyFromPrivate(bad), isCoded(C.EncryptionErrorCode.HandshakeFailed, /^Invalid private key: ./));
      assert.throws(() => ecdh.deriveSharedSecretSync(bad, peer.publicKey), isCoded(C.EncryptionErrorCode.KeyDerivationFailed, /^Failed to derive shared secret: ./));
    }
    // each backend words an off-curve point its own way, but always after the operation's name
    const named = /^Failed to (derive shared secret|import public key): .*public key/i;
    assert.throws(() => ecdh.deriveSharedSecretSync(peer.privateKey, offCurve()), isCoded(INVALID, named));
    const e = ecdh.ephemeralKeySync();
    assert.throws(() => e.derive(offCurve()), isCoded(INVALID, named));
    e.dispose();
  });

  // node:crypto alone would take a shorter key (padded on the left)
  it('publicKeyFromPrivate: a private key that is not 32 bytes is refused on every backend', () => {
    for (const n of [1, 16, 31, 33]) {
      assert.throws(() => ecdh.publicKeyFromPrivate(Buffer.alloc(n, 1)), isCoded(C.EncryptionErrorCode.HandshakeFailed, /^Invalid private key: ./));
    }
  });

  it('hellos: createClientHello/createServerHello of raw key pairs; processClientHello answers with a fresh k_<uuid> key id', async () => {
    const raw = ecdh.generateKeyPairSync();
    assert.deepStrictEqual(await ecdh.createClientHello(raw), {
      protocolVersion: C.PROTOCOL_VERSION,
      clientEphemeralPubKeyB64: raw.publicKeyB64,
      curve: 'P-256',
      supportedAlgorithms: [C.EncryptionAlgorithm.AES_GCM_256],
    });
    assert.deepStrictEqual(await ecdh.createServerHello(raw, 'k_7'), {
      protocolVersion: C.PROTOCOL_VERSION,
      serverEphemeralPubKeyB64: raw.publicKeyB64,
      curve: 'P-256',
      selectedAlgorithm: C.EncryptionAlgorithm.AES_GCM_256,
      kdf: C.KeyDerivation.HKDF_SHA256,
      keyId: 'k_7',
    });
    const got = await ecdh.processClientHello(await ecdh.createClientHello(raw));
    assert.match(got.keyId, /^k_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notStrictEqual((await ecdh.processClientHello(await ecdh.createClientHello(raw))).keyId, got.keyId);
    assert.strictEqual(got.serverHello.keyId, got.keyId);
    const serverPub = Buffer.from(got.serverHello.serverEphemeralPubKeyB64, 'base64');
    assert.deepStrictEqual(list(Buffer.from(await globalThis.crypto.subtle.exportKey('raw', got.serverKeyPair.publicKey))), list(serverPub));
    assert.deepStrictEqual(list(Buffer.from(await globalThis.crypto.subtle.exportKey('raw', got.peerPublicKey))), list(raw.publicKey));
    // both ends agree on the secret
    const theirs = await ecdh.deriveSharedSecret(got.serverKeyPair.privateKey, got.peerPublicKey);
    assert.deepStrictEqual(list(theirs), nodeSecret(raw.privateKey, serverPub));
    assert.deepStrictEqual(await ecdh.processServerHello(got.serverHello).then((r) => r.keyId), got.keyId);
  });
});
