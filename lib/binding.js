'use strict';
// Loads the native addon through node-gyp-build (a prebuild in prebuilds/ or
// the local build in build/). When it cannot load, or ENCLAVE_STREAM_NATIVE=0
// is set, `native` is null and every module uses its JavaScript twin.

let native = null;
let loadError = null;

const off = typeof process !== 'undefined' && process.env && process.env.ENCLAVE_STREAM_NATIVE === '0';

if (!off) {
  try {
    native = require('node-gyp-build')(require('node:path').join(__dirname, '..'));
  } catch (err) {
    loadError = err;
    if (!process.env.ENCLAVE_STREAM_QUIET) {
      process.emitWarning(
        `enclave-stream-native: native addon not loaded (${String(err && err.message).split('\n')[0]}); using the JavaScript backend`,
        { code: 'ENCLAVE_STREAM_NATIVE_FALLBACK' },
      );
    }
  }
}

module.exports = {
  native,
  backend: native ? 'native' : 'js',
  loadError,
};
