'use strict';
// Synchronous HMAC-SHA256 and HKDF for the stream protocol's authentication
// (docs/PROTOCOL.md §6): resume proofs, MACed control frames, credential
// verifiers. node:crypto where it exists; elsewhere (browsers, where
// crypto.subtle is asynchronous only) a small SHA-256 written from FIPS 180-4,
// so control frames are built and checked synchronously on every backend.
// ENCLAVE_STREAM_WEBCRYPTO=1 takes the JavaScript path in Node, so the tests
// run the browser's code.
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { webOnly } = require('./keys');

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of bytes (FIPS 180-4), pure JavaScript. */
function sha256js(data) {
  const len = data.length;
  const blocks = Math.ceil((len + 9) / 64);
  const m = new Uint8Array(blocks * 64);
  m.set(data);
  m[len] = 0x80;
  const bits = len * 8;
  const dv = new DataView(m.buffer);
  dv.setUint32(m.length - 8, Math.floor(bits / 0x100000000));
  dv.setUint32(m.length - 4, bits >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(b * 64 + i * 4);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15];
      const y = w[i - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, bb, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
  return out;
}

function bytes(v) {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return v instanceof Uint8Array ? v : new Uint8Array(v);
}

function hmacJs(key, msg) {
  let k = bytes(key);
  if (k.length > 64) k = sha256js(k);
  const ipad = new Uint8Array(64 + msg.length);
  const opad = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    const b = i < k.length ? k[i] : 0;
    ipad[i] = b ^ 0x36;
    opad[i] = b ^ 0x5c;
  }
  ipad.set(msg, 64);
  opad.set(sha256js(ipad), 64);
  return sha256js(opad);
}

const useNode = () => typeof nodeCrypto.createHmac === 'function' && !webOnly();

/** HMAC-SHA256(key, msg): 32 bytes. */
function hmacSha256(key, msg) {
  const m = bytes(msg);
  if (useNode()) return new Uint8Array(nodeCrypto.createHmac('sha256', bytes(key)).update(m).digest());
  return hmacJs(key, m);
}

/** HKDF-SHA256 (RFC 5869) of up to 32 bytes; salt a string or bytes. */
function hkdf32(ikm, salt, info, length = 32) {
  const prk = hmacSha256(bytes(salt), bytes(ikm));
  const inf = bytes(info);
  const t = new Uint8Array(inf.length + 1);
  t.set(inf);
  t[inf.length] = 1;
  const okm = hmacSha256(prk, t);
  prk.fill(0);
  return okm.subarray(0, length);
}

function b64url(b) {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) return null;
  return new Uint8Array(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

/** The protocol's MAC: 16 bytes of HMAC over JSON ["esn2", label, ...fields], base64url (22 characters). */
function mac(key, label, ...fields) {
  return b64url(hmacSha256(key, JSON.stringify(['esn2', label, ...fields])).subarray(0, 16));
}

/** Constant-time equality of two strings (time depends only on the length of `b`). */
function safeEqual(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  let d = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) d |= (i < a.length ? a.charCodeAt(i) : 0) ^ b.charCodeAt(i);
  return d === 0;
}

/** mac() checked in constant time. */
function checkMac(tag, key, label, ...fields) {
  return safeEqual(tag, mac(key, label, ...fields));
}

/** `n` random bytes, base64url. */
function randomToken(n = 16) {
  const b = new Uint8Array(n);
  if (typeof nodeCrypto.randomFillSync === 'function') nodeCrypto.randomFillSync(b);
  else nodeCrypto.getRandomValues(b);
  return b64url(b);
}

module.exports = { sha256js, hmacSha256, hkdf32, mac, checkMac, safeEqual, randomToken, b64url, fromB64url };
