'use strict';
// Browsers: what lib/platform/crypto.js gives in Node, from WebCrypto. Only
// randomness exists here; the synchronous ciphers, ECDH and HKDF of the fast
// API are Node-only (the async reference API and the channel use crypto.subtle).
const { Buffer } = require('./buffer');

function webcrypto() {
  const c = globalThis.crypto;
  if (!c || !c.subtle) throw new Error('enclave-stream-native: WebCrypto (globalThis.crypto.subtle) is not available; a secure context (https or localhost) is required');
  return c;
}

function getRandomValues(a) {
  // getRandomValues fills at most 65536 bytes per call
  const v = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i < v.length; i += 65536) webcrypto().getRandomValues(v.subarray(i, Math.min(v.length, i + 65536)));
  return a;
}

module.exports = {
  webcrypto: typeof globalThis.crypto === 'object' ? globalThis.crypto : undefined,
  getRandomValues,
  randomBytes: (n) => getRandomValues(Buffer.alloc(n)),
  randomUUID: () => webcrypto().randomUUID(),
};
