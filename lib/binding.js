'use strict';
// Loads the native addon through node-gyp-build (a prebuild in prebuilds/ or
// the local build in build/). When it cannot load, or ENCLAVE_STREAM_NATIVE=0
// is set, `native` is null and every module uses its JavaScript twin.

// ENCLAVE_STREAM_ADDON_PATH=<file.node> loads exactly that file instead (used
// by scripts/asan-mocha.js for the AddressSanitizer build). It never falls
// back: if that file does not load, requiring this module throws.
// ENCLAVE_STREAM_NATIVE=0 still wins (JavaScript backend).

let native = null;
let loadError = null;

const env = typeof process !== 'undefined' && process.env ? process.env : {};
const off = env.ENCLAVE_STREAM_NATIVE === '0';
const addonPath = env.ENCLAVE_STREAM_ADDON_PATH;

if (!off && addonPath) {
  const file = require('node:path').resolve(addonPath);
  try {
    native = require(file);
  } catch (err) {
    throw new Error(
      `enclave-stream-native: ENCLAVE_STREAM_ADDON_PATH=${addonPath} did not load: ${String(err && err.message)}`,
      { cause: err },
    );
  }
} else if (!off) {
  try {
    native = require('node-gyp-build')(require('node:path').join(__dirname, '..'));
  } catch (err) {
    loadError = err;
    // One line on stderr (process.emitWarning would add a second, --trace-warnings, line).
    require('./notice').notice(`native addon not loaded (${String(err && err.message).split('\n')[0]}); using the JavaScript backend`);
  }
}

module.exports = {
  native,
  backend: native ? 'native' : 'js',
  loadError,
};
