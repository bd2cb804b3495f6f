'use strict';
// Edges of lib/crypto/payload.js (the one-step payload helpers of the reference API) that the
// round-trip tests leave open: strict base64 of non-strings and of characters just above ASCII,
// decodeStrictRange's fall-back for ranges outside the string or longer than 512 characters,
// decodeNonce16's offset and alphabet checks, fastKey's key-size rule, and openPayload's answers
// (undefined for the general path, ENCRYPTION_DECRYPTION_FAILED for a forged tag, '' for an empty text);
// and the addon's buffer path for strings over 64 KiB: the reused input/output buffers growing from their
// initial sizes (fresh copies of the module), a seal or open needing just a few bytes more than the buffer
// kept by the call before, a forged tag there, and null (not a throw) for a nonce the addon refuses.
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const { native } = require('../../lib/binding');
const payload = require('../../lib/crypto/payload');
const { syncCrypto, nativeGcm } = require('../../lib/crypto/keys');
const { AesGcmError } = require('../../lib/crypto/errors');

const KEY = Buffer.alloc(32, 7);
const NONCE = Buffer.from('000102030405060708090a0b', 'hex');
const NONCE_B64 = NONCE.toString('base64'); // 16 characters, no padding

const SMALL = 1 << 16; // longer strings take the addon's buffer path (payload.js)
const PAYLOAD_PATH = require.resolve('../../lib/crypto/payload');

/** A fresh copy of lib/crypto/payload.js: its reused buffers start at their initial sizes (4 KiB in, 8 KiB out). */
function freshPayload() {
  const saved = require.cache[PAYLOAD_PATH];
  delete require.cache[PAYLOAD_PATH];
  try {
    return require(PAYLOAD_PATH);
  } finally {
    if (saved) require.cache[PAYLOAD_PATH] = saved;
    else delete require.cache[PAYLOAD_PATH];
  }
}

// The buffer sizes the native path asks for: sealing n bytes writes the nonce's base64 (16 characters) then
// the ciphertext's; opening a ciphertext of b base64 characters writes at most b / 4 * 3 bytes and asks 3
// more. A buffer asked for is kept at half again its size.
const sealedChars = (n) => 16 + Math.ceil((n + 16) / 3) * 4;
const openRequest = (b64Chars) => Math.floor(b64Chars / 4) * 3 + 3;
const keptSize = (n) => n + (n >> 1);

/** Asserts big strings are equal without a diff of their whole text. */
function assertSameText(actual, expected, what) {
  assert.strictEqual(typeof actual, 'string', `${what}: ${String(actual)}`);
  assert.ok(actual === expected, `${what} differs (${actual.length} vs ${expected.length} characters)`);
}

/** Asserts a sealed payload is exactly the reference's (node:crypto) for the same key and nonce. */
function assertSealedAs(p, text, nonce = NONCE) {
  assert.ok(p && typeof p === 'object', `sealed: ${String(p)}`);
  const want = seal(text, KEY, nonce);
  assert.strictEqual(p.kid, 'k1');
  assert.strictEqual(p.nonceB64, want.nonceB64);
  assertSameText(p.ciphertextB64, want.ciphertextB64, 'ciphertextB64');
}

function seal(text, key = KEY, nonce = NONCE) {
  const c = nodeCrypto.createCipheriv('aes-256-gcm', key, nonce);
  const ct = Buffer.concat([c.update(text, 'utf8'), c.final(), c.getAuthTag()]);
  return { nonceB64: nonce.toString('base64'), ciphertextB64: ct.toString('base64') };
}

describe('crypto/payload edges', () => {
  describe('decodeStrict', () => {
    it('refuses a non-string even when it has a length that is a multiple of 4', () => {
      assert.strictEqual(payload.decodeStrict(['Q', 'U', 'J', 'D']), null);
    });
  });

  describe('decodeStrictRange', () => {
    it('decodes an empty range right after padding as an empty Buffer', () => {
      assert.deepStrictEqual(payload.decodeStrictRange('QQ==', 4, 4), Buffer.alloc(0));
    });

    it('reads a range past the end of the string as the part inside it', () => {
      assert.deepStrictEqual(payload.decodeStrictRange('QUJD', 0, 8), Buffer.from('ABC'));
    });

    it('reads a negative start as String.prototype.slice does', () => {
      assert.deepStrictEqual(payload.decodeStrictRange('QUJDREVG', -4, 8), Buffer.from('DEF'));
      assert.deepStrictEqual(payload.decodeStrictRange('QUJDREVG', -4, 4), Buffer.alloc(0));
    });

    it('decodes only the range of a long (over 512 characters) range inside a longer string', () => {
      const body = Buffer.alloc(600, 0x41);
      const b64 = body.toString('base64');
      assert.ok(b64.length > 512);
      const s = `xxxx${b64}!!!!`;
      assert.deepStrictEqual(payload.decodeStrictRange(s, 4, 4 + b64.length), body);
    });

    it('refuses the character just above ASCII (0x80) in a full group and in the padded group', () => {
      assert.strictEqual(payload.decodeStrictRange('QU\x80D', 0, 4), null);
      assert.strictEqual(payload.decodeStrictRange('Q\x80==', 0, 4), null);
      assert.strictEqual(payload.decodeStrictRange('QU\x80=', 0, 4), null);
      // groups of only 0x80: their bitwise OR is exactly 128
      assert.strictEqual(payload.decodeStrictRange('\x80\x80\x80\x80', 0, 4), null);
      assert.strictEqual(payload.decodeStrictRange('\x80\x80\x80=', 0, 4), null);
    });
  });

  describe('decodeNonce16', () => {
    it('decodes a nonce at offset 0 and ignores what follows the 16 characters', () => {
      const out = Buffer.alloc(12);
      assert.strictEqual(payload.decodeNonce16(`${NONCE_B64}!!!!`, 0, out), true);
      assert.deepStrictEqual(out, NONCE);
    });

    it('decodes an all-zero nonce ("AAAA…")', () => {
      const out = Buffer.alloc(12, 9);
      assert.strictEqual(payload.decodeNonce16('A'.repeat(16), 0, out), true);
      assert.deepStrictEqual(out, Buffer.alloc(12));
    });

    it('refuses a negative offset', () => {
      assert.strictEqual(payload.decodeNonce16(`${NONCE_B64}AAAA`, -1, Buffer.alloc(12)), false);
    });

    it('refuses the character 0x80', () => {
      assert.strictEqual(payload.decodeNonce16(`\x80${NONCE_B64.slice(1)}`, 0, Buffer.alloc(12)), false);
      assert.strictEqual(payload.decodeNonce16(`\x80\x80\x80\x80${NONCE_B64.slice(4)}`, 0, Buffer.alloc(12)), false);
    });
  });

  describe('fastKey', () => {
    it('gives the fast handle of a 32-byte key, and none for a 16-byte key', () => {
      const fk = payload.fastKey(KEY);
      if (native) assert.strictEqual(fk, nativeGcm(KEY));
      else if (syncCrypto) assert.deepStrictEqual(fk, KEY);
      else assert.strictEqual(fk, null);
      assert.ok(!Buffer.isBuffer(fk) || !native);
      assert.strictEqual(payload.fastKey(Buffer.alloc(16, 1)), null);
    });
  });

  describe('sealPayload / openPayload', () => {
    const fk = payload.fastKey(KEY);
    before(function () {
      if (!fk) this.skip();
    });

    it('round-trips non-ASCII text and an empty text (ciphertext of exactly 16 bytes)', () => {
      for (const text of ['', 'é€😀', '{"a":"ünï"}']) {
        const p = payload.sealPayload(fk, 'k1', text, NONCE);
        assert.deepStrictEqual(p, { kid: 'k1', ...seal(text) });
        assert.strictEqual(payload.openPayload(fk, p.nonceB64, p.ciphertextB64), text);
      }
    });

    it('throws AesGcmError ENCRYPTION_DECRYPTION_FAILED when the tag does not match', () => {
      const p = seal('{"x":1}', Buffer.alloc(32, 8));
      assert.throws(
        () => payload.openPayload(fk, p.nonceB64, p.ciphertextB64),
        (err) => err instanceof AesGcmError && err.code === 'ENCRYPTION_DECRYPTION_FAILED',
      );
    });

    it('leaves a nonce that is not 12 bytes to the general path (undefined)', () => {
      const p = seal('{"x":1}');
      assert.strictEqual(payload.openPayload(fk, Buffer.alloc(16, 1).toString('base64'), p.ciphertextB64), undefined);
    });

    it('leaves a ciphertext under 16 bytes to the general path (undefined)', () => {
      assert.strictEqual(payload.openPayload(fk, NONCE_B64, Buffer.alloc(8, 1).toString('base64')), undefined);
    });

    it('leaves a non-string nonce or ciphertext to the general path (undefined)', () => {
      const p = seal('{"x":1}');
      assert.strictEqual(payload.openPayload(fk, 123, p.ciphertextB64), undefined);
      assert.strictEqual(payload.openPayload(fk, p.nonceB64, 123), undefined);
      assert.strictEqual(payload.openPayload(fk, null, null), undefined);
    });
  });

  describe('sealPayload / openPayload over 64 KiB (the addon\'s reused buffers)', () => {
    before(function () {
      if (!payload.fastKey(KEY)) this.skip();
    });

    it('seals and opens a text of three-byte characters over 64 KiB with buffers at their initial sizes', () => {
      const text = '€'.repeat(SMALL + 1000); // 3 bytes a character: the UTF-8 fills text.length * 3 exactly
      const sealer = freshPayload();
      const p = sealer.sealPayload(sealer.fastKey(KEY), 'k1', text, NONCE);
      assertSealedAs(p, text);
      const opener = freshPayload();
      assertSameText(opener.openPayload(opener.fastKey(KEY), p.nonceB64, p.ciphertextB64), text, 'opened text');
    });

    it('seals a text whose sealed form is just over the output buffer kept by an open before it', () => {
      const fresh = freshPayload();
      const fk = fresh.fastKey(KEY);
      const firstText = 'a'.repeat(SMALL + 4464);
      const first = seal(firstText);
      assertSameText(fresh.openPayload(fk, first.nonceB64, first.ciphertextB64), firstText, 'first opened text');
      const room = keptSize(openRequest(first.ciphertextB64.length));
      let n = SMALL + 1;
      while (sealedChars(n) <= room) n++; // the shortest text that no longer fits
      const text = 'b'.repeat(n);
      assertSealedAs(fresh.sealPayload(fk, 'k1', text, NONCE), text);
    });

    it('opens a ciphertext a few bytes over the output buffer kept by a seal before it', () => {
      const fresh = freshPayload();
      const fk = fresh.fastKey(KEY);
      const first = 'a'.repeat(SMALL + 4464);
      assertSealedAs(fresh.sealPayload(fk, 'k1', first, NONCE), first);
      const room = keptSize(sealedChars(first.length));
      const ctBytes = (Math.floor(room / 3) + 1) * 3; // room < ctBytes <= room + 3, no base64 padding
      const text = 'c'.repeat(ctBytes - 16);
      const p = seal(text);
      assertSameText(fresh.openPayload(fk, p.nonceB64, p.ciphertextB64), text, 'opened text');
    });

    it('throws AesGcmError ENCRYPTION_DECRYPTION_FAILED for a forged tag over 64 KiB', () => {
      const p = seal('x'.repeat(SMALL), Buffer.alloc(32, 8));
      assert.ok(p.ciphertextB64.length > SMALL);
      assert.throws(
        () => payload.openPayload(payload.fastKey(KEY), p.nonceB64, p.ciphertextB64),
        (err) =>
          err instanceof AesGcmError &&
          err.code === 'ENCRYPTION_DECRYPTION_FAILED' &&
          err.message === 'Decryption failed: The operation failed for an operation-specific reason',
      );
    });

    it('answers null (no throw) for a nonce the addon refuses (11 bytes); node:crypto seals with it as given', () => {
      const nonce = NONCE.subarray(0, 11);
      for (const text of ['{"x":1}', 'y'.repeat(SMALL + 1)]) {
        const p = payload.sealPayload(payload.fastKey(KEY), 'k1', text, nonce);
        if (native) assert.strictEqual(p, null);
        else assertSealedAs(p, text, nonce);
      }
    });
  });
});
