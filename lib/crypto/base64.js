'use strict';
// Base64 helpers. toBase64/fromBase64 keep the reference's behaviour
// (btoa/atob: standard alphabet; atob skips ASCII whitespace, accepts missing
// padding and throws an InvalidCharacterError DOMException otherwise) but
// run on Buffer, so they work at any size (the reference's spread into
// String.fromCharCode overflows the stack above ~125 KB).
// decodeStrict is the envelope decoder: canonical padded base64 only.

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
  if (/[\t\n\f\r ]/.test(s)) s = s.replace(/[\t\n\f\r ]+/g, '');
  if (s.length % 4 === 0) {
    if (s.endsWith('==')) s = s.slice(0, -2);
    else if (s.endsWith('=')) s = s.slice(0, -1);
  }
  if (s.length % 4 === 1 || !LOOSE.test(s)) throw invalid();
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const ALPHABET = /^[A-Za-z0-9+/]*$/;
const LAST_OF_2 = 'AQgw'; // a char followed by '==' must have its low 4 bits zero
const LAST_OF_1 = 'AEIMQUYcgkosw048'; // before '=' the low 2 bits must be zero

/** Canonical padded base64 -> Buffer, or null. */
function decodeStrict(s) {
  if (typeof s !== 'string' || s.length % 4 !== 0) return null;
  let body = s;
  if (s.endsWith('==')) {
    if (!LAST_OF_2.includes(s[s.length - 3])) return null;
    body = s.slice(0, -2);
  } else if (s.endsWith('=')) {
    if (!LAST_OF_1.includes(s[s.length - 2])) return null;
    body = s.slice(0, -1);
  }
  if (!ALPHABET.test(body)) return null;
  return Buffer.from(s, 'base64');
}

module.exports = { toBase64, fromBase64, decodeStrict, asBuffer };
