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

// Alphabet values of the standard base64 characters (-1: not one).
const B64 = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/**
 * Canonical padded base64 -> Buffer, or null: the same answers as
 * base64.js's decodeStrict (decode, re-encode, compare) without re-encoding.
 * Buffer.from(s, 'base64') skips characters outside the alphabets and stops
 * at an '=', so the decoded length is short unless every character but the
 * final padding was taken; what is left to rule out is the URL alphabet
 * ('-', '_'), characters above 0x7f (Node reads the low byte of a two-byte
 * character) and non-zero bits in the last character before the padding.
 */
function decodeStrict(s) {
  if (typeof s !== 'string') return null;
  const L = s.length;
  if (L % 4 !== 0) return null;
  const b = Buffer.from(s, 'base64');
  if (L === 0) return b;
  const pad = s.charCodeAt(L - 1) !== 61 ? 0 : s.charCodeAt(L - 2) !== 61 ? 1 : 2;
  if (b.length !== (L >> 2) * 3 - pad) return null;
  if (pad !== 0) {
    const c = s.charCodeAt(L - 1 - pad);
    const v = c < 128 ? B64[c] : -1;
    if (v < 0 || (v & (pad === 1 ? 3 : 15)) !== 0) return null;
  }
  if (s.indexOf('-') !== -1 || s.indexOf('_') !== -1 || Buffer.byteLength(s, 'utf8') !== L) return null;
  return b;
}

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
 * Decodes the 16 characters of s at off, which must be canonical base64 of
 * 12 bytes (four full groups, no padding), into out[0, 12). false otherwise.
 */
function decodeNonce16(s, off, out) {
  if (!(off >= 0 && off + 16 <= s.length)) return false;
  for (let j = 0, o = 0; j < 16; j += 4, o += 3) {
    const c0 = s.charCodeAt(off + j);
    const c1 = s.charCodeAt(off + j + 1);
    const c2 = s.charCodeAt(off + j + 2);
    const c3 = s.charCodeAt(off + j + 3);
    if ((c0 | c1 | c2 | c3) >= 128) return false;
    const a = B64[c0];
    const b = B64[c1];
    const c = B64[c2];
    const d = B64[c3];
    if ((a | b | c | d) < 0) return false;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >> 16;
    out[o + 1] = (v >> 8) & 255;
    out[o + 2] = v & 255;
  }
  return true;
}

/**
 * decodeStrict(s.slice(start, end)) for short ranges, decoded here without
 * the slice (Buffer.from's fixed cost dominates below a few hundred
 * characters): canonical padded base64 only, else null.
 */
function decodeStrictRange(s, start, end) {
  const L = end - start;
  if (L > 512 || start < 0 || end > s.length) return decodeStrict(s.slice(start, end));
  if (L % 4 !== 0) return null;
  if (L === 0) return Buffer.alloc(0);
  const pad = s.charCodeAt(end - 1) !== 61 ? 0 : s.charCodeAt(end - 2) !== 61 ? 1 : 2;
  const out = Buffer.allocUnsafe((L >> 2) * 3 - pad);
  const full = end - (pad === 0 ? 0 : 4);
  let o = 0;
  let i = start;
  for (; i < full; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 128) return null;
    const a = B64[c0];
    const b = B64[c1];
    const c = B64[c2];
    const d = B64[c3];
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (pad !== 0) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = pad === 1 ? s.charCodeAt(i + 2) : 65; // 'A': no bits
    if ((c0 | c1 | c2) >= 128) return null;
    const a = B64[c0];
    const b = B64[c1];
    const c = B64[c2];
    if ((a | b | c) < 0) return null;
    if (pad === 2) {
      if ((b & 15) !== 0) return null;
      out[o] = (a << 2) | (b >> 4);
    } else {
      if ((c & 3) !== 0) return null;
      const v = (a << 18) | (b << 12) | (c << 6);
      out[o] = v >> 16;
      out[o + 1] = (v >> 8) & 255;
    }
  }
  return out;
}

/**
 * base64(u || tag) without copying u: the base64 of a multiple of 3 bytes
 * is a prefix of the whole; the last u.length % 3 bytes go with the tag.
 */
function ctBase64(u, tag) {
  const r = u.length % 3;
  if (r === 0) return u.length === 0 ? tag.toString('base64') : u.toString('base64') + tag.toString('base64');
  const t = Buffer.allocUnsafe(r + 16);
  u.copy(t, 0, u.length - r);
  tag.copy(t, r);
  return u.length === r ? t.toString('base64') : u.toString('base64', 0, u.length - r) + t.toString('base64');
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
  const u = c.update(text, 'utf8');
  c.final();
  const nb = Buffer.isBuffer(nonce) ? nonce : Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength);
  return { kid, nonceB64: nb.toString('base64'), ciphertextB64: ctBase64(u, c.getAuthTag()) };
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
    const pt = d.update(ct.subarray(0, ct.length - 16));
    d.final(); // throws unless authentic: pt is used only after it
    return pt.toString('utf8');
  } catch {
    throw new AesGcmError(AUTH_FAILED, DECRYPT);
  }
}

module.exports = { fastKey, sealPayload, openPayload, decodeStrict, decodeStrictRange, decodeNonce16, ctBase64 };
