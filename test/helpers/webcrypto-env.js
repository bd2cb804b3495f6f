'use strict';
// ENCLAVE_STREAM_WEBCRYPTO set or unset around test code, then put back as it
// was. With it at '1' Node takes the browsers' path (crypto.subtle, the pure
// JavaScript HMAC; lib/crypto/keys.js reads it at each call, a channel when it
// is made). The previous value is restored, not deleted: the
// ENCLAVE_STREAM_WEBCRYPTO=1 pass of npm test runs every later file with it.

const NAME = 'ENCLAVE_STREAM_WEBCRYPTO';

function put(value) {
  if (value === undefined) delete process.env[NAME];
  else process.env[NAME] = value;
}

/**
 * Sets the variable: `on` true gives '1', false unsets it, a string is set as
 * given. Returns restore(), which puts back the value it had before (for
 * before/after hooks).
 */
function setWebCrypto(on) {
  const was = process.env[NAME];
  put(on === true ? '1' : on === false ? undefined : on);
  return () => put(was);
}

/**
 * Runs fn() with setWebCrypto(on) and returns what fn returns. Restored when
 * fn returns or throws, or, when it returns a promise, once that settles.
 */
function withWebCrypto(on, fn) {
  const restore = setWebCrypto(on);
  let out;
  try {
    out = fn();
  } catch (err) {
    restore();
    throw err;
  }
  if (typeof out?.then === 'function') return Promise.resolve(out).finally(restore);
  restore();
  return out;
}

module.exports = { setWebCrypto, withWebCrypto };
