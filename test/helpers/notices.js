'use strict';
// The package's one-line notices (lib/notice.js) captured from stderr while
// a function runs, with ENCLAVE_STREAM_QUIET set or unset as asked and put
// back as it was afterwards (unset stays unset).

/** The `enclave-stream-native:` lines written to stderr while `fn` runs; `quiet` sets ENCLAVE_STREAM_QUIET=1. */
async function stderrOf(fn, quiet = false) {
  const lines = [];
  const write = process.stderr.write;
  const before = process.env.ENCLAVE_STREAM_QUIET;
  if (quiet) process.env.ENCLAVE_STREAM_QUIET = '1';
  else delete process.env.ENCLAVE_STREAM_QUIET;
  process.stderr.write = (chunk, ...rest) => {
    if (String(chunk).startsWith('enclave-stream-native:')) {
      lines.push(String(chunk));
      return true;
    }
    return write.call(process.stderr, chunk, ...rest);
  };
  try {
    await fn();
  } finally {
    process.stderr.write = write;
    if (before === undefined) delete process.env.ENCLAVE_STREAM_QUIET;
    else process.env.ENCLAVE_STREAM_QUIET = before;
  }
  return lines;
}

module.exports = { stderrOf };
