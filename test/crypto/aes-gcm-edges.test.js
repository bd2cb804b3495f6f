'use strict';
// lib/crypto/aes-gcm.js pinned (docs/MUTATION.md): nonce checks and their
// coded messages, the tag check (a truncated tag never opens), AES-128 keys and
// foreign CryptoKeys (crypto.subtle path) next to raw 32-byte keys, which never
// touch crypto.subtle (the synchronous path), failures inside node:crypto or
// crypto.subtle as coded "Encryption failed: <why>" errors, data that is not a
// BufferSource (or is detached) refused alike on every backend, the README's
// two-argument encrypt/decrypt and its input checks (bad base64 too),
// encryptJson's general path (keys with no fast path), and
// SessionEncryptionContext (encrypt's nonce || ciphertext, nonce limit, key
// info, non-extractable key, foreign CryptoKeys).
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const aes = require('../../lib/crypto/aes-gcm');
const C = require('../../lib/constants');
const { native } = require('../../lib/binding');

const { encrypt, decrypt, encryptJson, decryptJson, generateCounterNonce, SessionEncryptionContext, AesGcmError } = aes;
const DECRYPT = C.EncryptionErrorCode.DecryptionFailed;
const AUTH = 'Decryption failed: The operation failed for an operation-specific reason';
const key32 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const nonce12 = Uint8Array.from({ length: 12 }, (_, i) => 100 + i);
const list = (u8) => Array.from(u8);

/** node:crypto's AES-GCM of pt (ciphertext || 16-byte tag). */
function nodeSeal(key, nonce, pt, aad) {
  const c = nodeCrypto.createCipheriv(`aes-${key.length * 8}-gcm`, key, nonce);
  if (aad) c.setAAD(aad);
  return list(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

/** Counts crypto.subtle's encrypt/decrypt/importKey calls while fn runs. */
async function subtleCalls(fn) {
  const s = globalThis.crypto.subtle;
  const names = ['encrypt', 'decrypt', 'importKey'];
  let calls = 0;
  for (const n of names) {
    const orig = s[n];
    s[n] = function (...args) {
      calls++;
      return orig.apply(this, args);
    };
  }
  try {
    await fn();
  } finally {
    for (const n of names) delete s[n];
  }
  return calls;
}

async function rejectsWith(p, code, message) {
  await assert.rejects(p, (err) => {
    assert.ok(err instanceof AesGcmError, `an AesGcmError, got ${err && err.name}: ${err && err.message}`);
    assert.strictEqual(err.code, code);
    if (message instanceof RegExp) assert.match(err.message, message);
    else assert.strictEqual(err.message, message);
    return true;
  });
}

const foreignKey = () => globalThis.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);

describe('crypto/aes-gcm edges', () => {
  it('generateCounterNonce: prefix || counter (big-endian, mod 2^32); a prefix of another size is a coded error', () => {
    const prefix = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepStrictEqual(list(generateCounterNonce(prefix, 2 ** 32 + 0x01020304)), [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4]);
    assert.throws(
      () => generateCounterNonce(prefix.subarray(1), 0),
      (err) => err instanceof AesGcmError && err.code === C.EncryptionErrorCode.NonceReuse && err.message === 'Nonce prefix must be 8 bytes',
    );
  });

  it('a nonce that is not 12 bytes (or missing) is refused with its length in the message', async () => {
    await rejectsWith(encrypt(key32, new Uint8Array(4), new Uint8Array(11)), DECRYPT, 'Invalid nonce length: expected 12, got 11');
    await rejectsWith(decrypt(key32, new Uint8Array(20), new Uint8Array(16)), DECRYPT, 'Invalid nonce length: expected 12, got 16');
    await rejectsWith(encrypt(key32, new Uint8Array(4), null), DECRYPT, 'Invalid nonce: expected an ArrayBuffer or a view of one, got null');
    await rejectsWith(encrypt(key32, new Uint8Array(4), new Array(12).fill(0)), DECRYPT, 'Invalid nonce: expected an ArrayBuffer or a view of one, got object');
  });

  it('a raw 32-byte key seals and opens as AES-256-GCM (with AAD) without touching crypto.subtle', async () => {
    const pt = Buffer.from('hello gcm');
    const aad = Buffer.from('aad');
    let ct;
    const calls = await subtleCalls(async () => {
      ct = await encrypt(key32, pt, nonce12, aad);
      assert.deepStrictEqual(list(ct), nodeSeal(key32, nonce12, pt, aad));
      assert.deepStrictEqual(list(await decrypt(key32, ct, nonce12, aad)), list(pt));
      const bad = Uint8Array.from(ct);
      bad[0] ^= 1;
      await rejectsWith(decrypt(key32, bad, nonce12, aad), DECRYPT, AUTH);
      await rejectsWith(decrypt(key32, ct, nonce12), DECRYPT, AUTH); // AAD missing
    });
    assert.strictEqual(calls, 0);
  });

  it('the tag is checked in full: an empty plaintext opens, a truncated tag never does', async () => {
    const ct = await encrypt(key32, new Uint8Array(0), nonce12);
    assert.strictEqual(ct.length, 16);
    assert.strictEqual((await decrypt(key32, ct, nonce12)).length, 0);
    for (const n of [15, 12, 8, 4, 0]) await rejectsWith(decrypt(key32, ct.subarray(0, n), nonce12), DECRYPT, AUTH);
  });

  it('a 16-byte key is AES-128-GCM (through crypto.subtle), both ways', async () => {
    const k16 = key32.subarray(0, 16);
    const pt = Buffer.from('short key');
    const ct = await encrypt(k16, pt, nonce12);
    assert.deepStrictEqual(list(ct), nodeSeal(k16, nonce12, pt));
    assert.deepStrictEqual(list(await decrypt(k16, ct, nonce12)), list(pt));
  });

  it('a CryptoKey made elsewhere works through crypto.subtle; its failures keep the coded message', async () => {
    const k = await foreignKey();
    const raw = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', k));
    const pt = Buffer.from('foreign');
    const ct = await encrypt(k, pt, nonce12, Buffer.from('x'));
    assert.deepStrictEqual(list(ct), nodeSeal(raw, nonce12, pt, Buffer.from('x')));
    assert.deepStrictEqual(list(await decrypt(k, ct, nonce12, Buffer.from('x'))), list(pt));
    await rejectsWith(decrypt(k, ct, nonce12), DECRYPT, /^Decryption failed: ./);
  });

  it('a failure inside crypto.subtle is a coded "Encryption failed: <why>" (a plaintext that is not bytes, a decrypt-only key)', async () => {
    const k16 = key32.subarray(0, 16);
    for (const bad of [42, {}, [1, 2, 3]]) {
      await rejectsWith(encrypt(k16, bad, nonce12), DECRYPT, /^Encryption failed: ./);
    }
    const decryptOnly = await globalThis.crypto.subtle.importKey('raw', key32, { name: 'AES-GCM' }, false, ['decrypt']);
    await rejectsWith(encrypt(decryptOnly, Buffer.from('x'), nonce12), DECRYPT, /^Encryption failed: ./);
  });

  it('every backend: a detached ArrayBuffer (plaintext, ciphertext or additional data) is a coded "<verb> failed: <why>"', async () => {
    const detached = () => {
      const ab = new ArrayBuffer(16);
      structuredClone(ab, { transfer: [ab] });
      return ab;
    };
    const why = /^Encryption failed: .*detached/i;
    await rejectsWith(encrypt(key32, detached(), nonce12), DECRYPT, why);
    await rejectsWith(encrypt(key32, Buffer.from('x'), nonce12, detached()), DECRYPT, why);
    await rejectsWith(decrypt(key32, detached(), nonce12), DECRYPT, /^Decryption failed: .*detached/i);
    await rejectsWith(encrypt(key32, Buffer.from('x'), nonce12, 'aad'), DECRYPT, 'Encryption failed: expected an ArrayBuffer or a view of one, got string');
    await rejectsWith(decrypt(key32, Buffer.alloc(16), nonce12, 'aad'), DECRYPT, 'Decryption failed: expected an ArrayBuffer or a view of one, got string');
  });

  it('node:crypto backend: a failure inside node:crypto is a coded "Encryption failed: <why>"', async function () {
    if (native) this.skip(); // the addon never reaches node:crypto
    const sealer = nodeCrypto.createCipheriv;
    nodeCrypto.createCipheriv = () => {
      throw new Error('no cipher today');
    };
    try {
      await rejectsWith(encrypt(key32, Buffer.from('x'), nonce12), DECRYPT, 'Encryption failed: no cipher today');
    } finally {
      nodeCrypto.createCipheriv = sealer;
    }
  });

  it('every backend: an ArrayBuffer plaintext or ciphertext works like its bytes; data that is not a BufferSource is a coded AesGcmError', async () => {
    const pt = Uint8Array.from([1, 2, 3]);
    const sealed = nodeSeal(key32, nonce12, pt);
    assert.deepStrictEqual(list(await encrypt(key32, pt.buffer, nonce12)), sealed);
    assert.deepStrictEqual(list(await decrypt(key32, Uint8Array.from(sealed).buffer, nonce12)), [1, 2, 3]);
    await rejectsWith(encrypt(key32, 42, nonce12), DECRYPT, 'Encryption failed: expected an ArrayBuffer or a view of one, got number');
    await rejectsWith(encrypt(key32, [1, 2, 3], nonce12), DECRYPT, 'Encryption failed: expected an ArrayBuffer or a view of one, got object');
    await rejectsWith(decrypt(key32, null, nonce12), DECRYPT, 'Decryption failed: expected an ArrayBuffer or a view of one, got null');
  });

  it('README form: encrypt(secret, text) / decrypt(secret, encrypted object or its JSON text)', async () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
    const enc = await encrypt(secret, 'héllo');
    // the key is HKDF-SHA256(secret, 32 zero bytes, README_INFO)
    const k = Buffer.from(nodeCrypto.hkdfSync('sha256', secret, Buffer.alloc(32), Buffer.from(aes.README_INFO), 32));
    const nonce = Buffer.from(enc.nonceB64, 'base64');
    assert.strictEqual(nonce.length, 12);
    assert.deepStrictEqual(list(Buffer.from(enc.ciphertextB64, 'base64')), nodeSeal(k, nonce, Buffer.from('héllo', 'utf8')));
    assert.strictEqual(await decrypt(secret, enc), 'héllo');
    assert.strictEqual(await decrypt(secret, JSON.stringify(enc)), 'héllo');
  });

  it('README form: a secret that is not bytes, and an encrypted value without both fields, are refused', async () => {
    await assert.rejects(encrypt('secret', 'text'), (err) => err instanceof TypeError && /secret must be a Uint8Array/.test(err.message));
    const secret = new Uint8Array(32).fill(9);
    const shape = 'Decryption failed: expected { nonceB64, ciphertextB64 }';
    await rejectsWith(decrypt(secret, {}), DECRYPT, shape);
    await rejectsWith(decrypt(secret, { nonceB64: 'AAAAAAAAAAAAAAAA' }), DECRYPT, shape);
    await rejectsWith(decrypt(secret, { ciphertextB64: 'AAAAAAAAAAAAAAAAAAAAAA==' }), DECRYPT, shape);
    await rejectsWith(decrypt(secret, 'null'), DECRYPT, shape);
  });

  it('README form: fields that are not base64 are a coded "Decryption failed: <why>"', async () => {
    const secret = new Uint8Array(32).fill(9);
    const bad = 'Decryption failed: The string to be decoded is not correctly encoded.';
    await rejectsWith(decrypt(secret, { nonceB64: 'AAAA*AAAAAAAAAAA', ciphertextB64: 'AAAAAAAAAAAAAAAAAAAAAA==' }), DECRYPT, bad);
    await rejectsWith(decrypt(secret, { nonceB64: 'AAAAAAAAAAAAAAAA', ciphertextB64: 'A' }), DECRYPT, bad);
  });

  // bad input is a coded error: a string that is not JSON too (it used to be a plain SyntaxError)
  it('README form: an encrypted string that is not JSON is a coded AesGcmError', async () => {
    const secret = new Uint8Array(32).fill(9);
    await rejectsWith(decrypt(secret, 'garbage'), DECRYPT, /^Decryption failed: not a JSON \{ nonceB64, ciphertextB64 \}: ./);
    await rejectsWith(decrypt(secret, ''), DECRYPT, /^Decryption failed: not a JSON \{ nonceB64, ciphertextB64 \}: ./);
  });

  it('encryptJson(undefined) seals the empty text, as the reference does', async () => {
    const p = await encryptJson(key32, 'k1', undefined, nonce12);
    assert.strictEqual(p.kid, 'k1');
    assert.deepStrictEqual(list(Buffer.from(p.ciphertextB64, 'base64')), nodeSeal(key32, nonce12, Buffer.alloc(0)));
    const q = await encryptJson(key32, 'k1', { a: 1 }, nonce12);
    assert.deepStrictEqual(await decryptJson(key32, q), { a: 1 });
  });

  it('encryptJson/decryptJson with a key that has no fast path (AES-128): the same payload shape and bytes', async () => {
    const k16 = key32.subarray(0, 16);
    const p = await encryptJson(k16, 'k16', { a: [1, 'é'] }, nonce12);
    assert.deepStrictEqual(Object.keys(p), ['kid', 'nonceB64', 'ciphertextB64']);
    assert.strictEqual(p.kid, 'k16');
    assert.strictEqual(p.nonceB64, Buffer.from(nonce12).toString('base64'));
    assert.deepStrictEqual(list(Buffer.from(p.ciphertextB64, 'base64')), nodeSeal(k16, nonce12, Buffer.from('{"a":[1,"é"]}', 'utf8')));
    assert.deepStrictEqual(await decryptJson(k16, p), { a: [1, 'é'] });
  });

  it('decryptJson opens a payload once (node:crypto backend: one decipher per payload, none on the addon)', async () => {
    const ctx = await SessionEncryptionContext.fromKeyBytes(key32, 'k_once');
    const p = await encryptJson(key32, 'k_once', { once: true }, nonce12);
    const orig = nodeCrypto.createDecipheriv;
    let n = 0;
    nodeCrypto.createDecipheriv = function (...args) {
      n++;
      return orig.apply(this, args);
    };
    try {
      assert.deepStrictEqual(await decryptJson(key32, p), { once: true });
      assert.ok(n <= 1, `decipher created ${n} times`);
      n = 0;
      assert.deepStrictEqual(await ctx.decryptJson(p), { once: true });
      assert.ok(n <= 1, `decipher created ${n} times`);
    } finally {
      nodeCrypto.createDecipheriv = orig;
    }
  });

  describe('SessionEncryptionContext', () => {
    it('fromKeyBytes: key info, counter, a non-extractable AES-256 CryptoKey', async () => {
      const ctx = await SessionEncryptionContext.fromKeyBytes(key32, 'k_1');
      assert.strictEqual(ctx.keyId, 'k_1');
      assert.strictEqual(ctx.getNonceCounter(), 0n);
      const info = ctx.toKeyInfo();
      assert.strictEqual(info.algorithm, C.EncryptionAlgorithm.AES_GCM_256);
      assert.strictEqual(info.maxNonces, C.MAX_MESSAGES_PER_KEY);
      assert.strictEqual(ctx._cryptoKey.extractable, false);
      assert.strictEqual(ctx._cryptoKey.algorithm.length, 256);
      const p = await ctx.encryptJson({ hi: 1 });
      assert.strictEqual(ctx.getNonceCounter(), 1n);
      assert.deepStrictEqual(await ctx.decryptJson(p), { hi: 1 });
    });

    it('encrypt(bytes): { ciphertext, nonce }, the nonce = the context\'s 8-byte prefix || the counter (big-endian)', async () => {
      const ctx = await SessionEncryptionContext.fromKeyBytes(key32, 'k_enc');
      const pt = Buffer.from('bytes in');
      const a = await ctx.encrypt(pt);
      const b = await ctx.encrypt(pt);
      assert.deepStrictEqual(Object.keys(a), ['ciphertext', 'nonce']);
      assert.ok(a.nonce instanceof Uint8Array && a.nonce.length === 12);
      assert.deepStrictEqual(list(a.nonce.subarray(0, 8)), list(b.nonce.subarray(0, 8)));
      assert.deepStrictEqual(list(a.nonce.subarray(8)), [0, 0, 0, 0]);
      assert.deepStrictEqual(list(b.nonce.subarray(8)), [0, 0, 0, 1]);
      assert.deepStrictEqual(list(a.ciphertext), nodeSeal(key32, a.nonce, pt));
      assert.deepStrictEqual(list(b.ciphertext), nodeSeal(key32, b.nonce, pt));
      assert.strictEqual(ctx.getNonceCounter(), 2n);
    });

    it('the nonce limit: the next seal fails with KEY_EXPIRED', async () => {
      const ctx = await SessionEncryptionContext.fromKeyBytes(key32, 'k_2');
      ctx._max = 1;
      assert.strictEqual(ctx.needsRotation(), false);
      await ctx.encryptJson(1);
      assert.ok(ctx.needsRotation());
      await rejectsWith(ctx.encryptJson(2), C.EncryptionErrorCode.KeyExpired, 'Key needs rotation: nonce limit reached');
      await rejectsWith(ctx.encrypt(Buffer.from('x')), C.EncryptionErrorCode.KeyExpired, 'Key needs rotation: nonce limit reached');
    });

    it('a foreign CryptoKey with its keyBytes uses the bytes (no crypto.subtle); without them, crypto.subtle', async () => {
      const k = await foreignKey();
      const raw = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', k));
      const info = (extra) => ({ keyId: 'k_3', nonceCounter: 0n, maxNonces: 10n, ...extra });
      const withBytes = new SessionEncryptionContext(k, info({ keyBytes: raw }));
      let env;
      const calls = await subtleCalls(async () => {
        env = await withBytes.createEnvelope('s_abc', 0, { n: 1 });
      });
      assert.strictEqual(calls, 0);
      assert.strictEqual(env.payload.kid, 'k_3');
      const without = new SessionEncryptionContext(k, info({}));
      assert.deepStrictEqual(await without.decryptJson(env.payload), { n: 1 });
      const p = await without.encryptJson({ n: 2 });
      assert.strictEqual(p.kid, 'k_3');
      assert.deepStrictEqual(await withBytes.decryptJson(p), { n: 2 });
      const e2 = await without.createEnvelope('s_abc', 1, { n: 3 });
      assert.deepStrictEqual(await decryptJson(raw, e2.payload), { n: 3 });
    });
  });
});
