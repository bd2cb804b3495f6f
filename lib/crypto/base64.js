'use strict';
// Base64 helpers. toBase64/fromBase64 keep the reference's behaviour
// (btoa/atob: standard alphabet; atob skips ASCII whitespace, accepts missing
// padding and throws an InvalidCharacterError DOMException otherwise) but
// run on Buffer, so they work at any size (the reference's spread into
// String.fromCharCode overflows the stack above ~125 KB).
// decodeStrict is the envelope decoder: canonical padded base64 only.
const { Buffer } = require('../platform/buffer');

function asBuffer(bytes) {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (ArrayBuffer.isView(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer) return Buffer.from(bytes);
  if (Array.isArray(bytes)) return Buffer.from(bytes);
  throw new TypeError('expected a Uint8Array');
}

function toBase64(bytes) {
  return asBuffer(bytes).toString('base64');
}

const LOOSE = /^[A-Za-z0-9+/]*$/;

function invalid() {
  return new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
}

function fromBase64(base64) {
  let s = String(base64);
  // canonical input (the common case) decodes the same under atob's rules
  const fast = Buffer.from(s, 'base64');
  if (fast.toString('base64') === s) return new Uint8Array(fast.buffer, fast.byteOffset, fast.length);
  if (/[\t\n\f\r ]/.test(s)) s = s.replace(/[\t\n\f\r ]+/g, '');
  if (s.length % 4 === 0) {
    if (s.endsWith('==')) s = s.slice(0, -2);
    else if (s.endsWith('=')) s = s.slice(0, -1);
  }
  if (s.length % 4 === 1 || !LOOSE.test(s)) throw invalid();
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * Canonical padded base64 -> Buffer, or null. Buffer.from skips what is not
 * base64 and accepts the URL alphabet and missing padding; re-encoding and
 * comparing leaves exactly the canonical strings.
 */
function decodeStrict(s) {
  if (typeof s !== 'string' || s.length % 4 !== 0) return null;
  const b = Buffer.from(s, 'base64');
  return b.toString('base64') === s ? b : null;
}

module.exports = { toBase64, fromBase64, decodeStrict, asBuffer };
