'use strict';
// Edges of lib/crypto/payload.js (the one-step payload helpers of the reference API) that the
// round-trip tests leave open: strict base64 of non-strings and of characters just above ASCII,
// decodeStrictRange's fall-back for ranges outside the string or longer than 512 characters,
// decodeNonce16's offset and alphabet checks, fastKey's key-size rule, and openPayload's answers
// (undefined for the general path, ENCRYPTION_DECRYPTION_FAILED for a forged tag, '' for an empty text).
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const { native } = require('../../lib/binding');
const payload = require('../../lib/crypto/payload');
const { syncCrypto, nativeGcm } = require('../../lib/crypto/keys');
const { AesGcmError } = require('../../lib/crypto/errors');

const KEY = Buffer.alloc(32, 7);
const NONCE = Buffer.from('000102030405060708090a0b', 'hex');
const NONCE_B64 = NONCE.toString('base64'); // 16 characters, no padding

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
});
