'use strict';
// Envelope payloads ({ kid, nonceB64, ciphertextB64 }) in one step, for the
// reference-compatible per-call API (encryptJson, decryptJson,
// SessionEncryptionContext) whenever the raw AES key is known:
//   native: one call seals and writes both base64 strings into a reused
//           buffer; one call decodes (strictly) and opens.
//   js:     node:crypto createCipheriv/createDecipheriv.
// Opening returns undefined for input it leaves to the general path (not
// canonical base64, nonce not 12 bytes, ciphertext under 16 bytes), so the
// errors there stay exactly the reference's.
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { native } = require('../binding');
const { AesGcmError, Status } = require('./errors');
const { rawAesKey, nativeGcm, syncCrypto } = require('./keys');
const { decodeStrict } = require('./base64');

const DECRYPT = 'ENCRYPTION_DECRYPTION_FAILED';
const AUTH_FAILED = 'Decryption failed: The operation failed for an operation-specific reason';
const KEEP = 1 << 20; // reused buffers above this size are not kept
const SMALL = 1 << 16; // strings up to this length are handed to the addon directly

let inb = Buffer.allocUnsafe(4096);
let outb = Buffer.allocUnsafe(8192);

function inCap(n) {
  if (inb.length >= n) return inb;
  const b = Buffer.allocUnsafe(n + (n >> 1));
  if (n <= KEEP) inb = b;
  return b;
}

function outCap(n) {
  if (outb.length >= n) return outb;
  const b = Buffer.allocUnsafe(n + (n >> 1));
  if (n <= KEEP) outb = b;
  return b;
}

/**
 * The fast handle of a key: a native Gcm (addon), the raw key Buffer (js
 * backend), or null when only crypto.subtle can use the key.
 */
function fastKey(key) {
  if (native) return nativeGcm(key);
  if (!syncCrypto) return null;
  const raw = rawAesKey(key);
  return raw && raw.length === 32 ? raw : null;
}

/** { kid, nonceB64, ciphertextB64 } of text (the inner JSON), or null if sealing failed. */
function sealPayload(fk, kid, text, nonce) {
  if (native) {
    if (text.length <= SMALL) {
      // strings in and out of the addon directly: nonce (16 characters) then ciphertext
      const both = fk.sealB64(text, nonce);
      if (typeof both !== 'string') return null;
      return { kid, nonceB64: both.slice(0, 16), ciphertextB64: both.slice(16) };
    }
    const src = inCap(text.length * 3);
    const n = src.utf8Write(text, 0);
    const out = outCap(16 + Math.ceil((n + 16) / 3) * 4);
    const r = fk.sealB64(src, n, nonce, out);
    if (r < 0) return null;
    return { kid, nonceB64: out.latin1Slice(0, 16), ciphertextB64: out.latin1Slice(16, r) };
  }
  const c = nodeCrypto.createCipheriv('aes-256-gcm', fk, nonce);
  const ct = Buffer.concat([c.update(text, 'utf8'), c.final(), c.getAuthTag()]);
  const nb = Buffer.isBuffer(nonce) ? nonce : Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength);
  return { kid, nonceB64: nb.toString('base64'), ciphertextB64: ct.toString('base64') };
}

/**
 * The inner JSON text of a payload; undefined when the general path must
 * decide (see above). Throws AesGcmError (ENCRYPTION_DECRYPTION_FAILED) when
 * authentication fails.
 */
function openPayload(fk, nonceB64, ciphertextB64) {
  if (typeof nonceB64 !== 'string' || typeof ciphertextB64 !== 'string') return undefined;
  if (native) {
    if (ciphertextB64.length <= SMALL && nonceB64.length <= 64) {
      const r = fk.openB64(nonceB64, ciphertextB64); // the plaintext string, or a status
      if (typeof r === 'string') return r;
      if (r === Status.DECRYPT) throw new AesGcmError(AUTH_FAILED, DECRYPT);
      return undefined;
    }
    const src = inCap((nonceB64.length + ciphertextB64.length) * 3);
    const n1 = src.utf8Write(nonceB64, 0);
    const n2 = src.utf8Write(ciphertextB64, n1);
    const out = outCap(Math.floor(n2 / 4) * 3 + 3);
    const r = fk.openB64(src, n1, n2, out);
    if (r >= 0) return out.utf8Slice(0, r);
    if (r === Status.DECRYPT) throw new AesGcmError(AUTH_FAILED, DECRYPT);
    return undefined;
  }
  const iv = decodeStrict(nonceB64);
  const ct = decodeStrict(ciphertextB64);
  if (!iv || iv.length !== 12 || !ct || ct.length < 16) return undefined;
  try {
    const d = nodeCrypto.createDecipheriv('aes-256-gcm', fk, iv);
    d.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('utf8');
  } catch {
    throw new AesGcmError(AUTH_FAILED, DECRYPT);
  }
}

module.exports = { fastKey, sealPayload, openPayload };
