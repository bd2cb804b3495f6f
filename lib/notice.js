'use strict';
// One-line notices of the package on stderr (console.warn where there is no
// process, in browsers), prefixed with the package name, silenced by
// ENCLAVE_STREAM_QUIET=1 (read at each call): the "native addon not loaded"
// line of lib/binding.js and the client's first-connect retries.

const PREFIX = 'enclave-stream-native: ';

function quiet() {
  return typeof process !== 'undefined' && !!process.env && !!process.env.ENCLAVE_STREAM_QUIET;
}

/** Writes `line` (one line, no newline) unless ENCLAVE_STREAM_QUIET is set. */
function notice(line) {
  if (quiet()) return;
  const text = PREFIX + String(line).replace(/\s*\n\s*/g, ' ');
  if (typeof process !== 'undefined' && process.stderr && typeof process.stderr.write === 'function') process.stderr.write(text + '\n');
  else if (typeof console !== 'undefined') console.warn(text);
}

module.exports = { notice, quiet };
