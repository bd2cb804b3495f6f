'use strict';
// Install step. In order:
//  1. a binary that loads (the prebuild shipped in prebuilds/, or a local build
//     in build/) -> nothing to do;
//  2. no binding.gyp (an installed package: the tarball carries no C sources)
//     -> one notice line, the JavaScript backend will be used;
//  3. in the repository -> compile the addon with node-gyp. A failed compile is
//     not fatal: the package then runs on its JavaScript backend.
// `--force` (npm run build) skips step 1 and always compiles.
// Also required by scripts/prebuild.js for localNodeDir().
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function loads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

// Node's own headers (with its OpenSSL) ship beside the binary on most
// installs (<prefix>/include/node). Point node-gyp at them so no download is
// needed; otherwise node-gyp fetches the headers as usual.
function localNodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const hdr = path.join(prefix, 'include', 'node', 'node_api.h');
  const ssl = path.join(prefix, 'include', 'node', 'openssl', 'evp.h');
  return fs.existsSync(hdr) && fs.existsSync(ssl) ? prefix : null;
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

function main() {
  const force = process.argv.includes('--force');
  if (!force && loads()) return 0;

  if (!fs.existsSync(path.join(root, 'binding.gyp'))) {
    console.warn(
      `enclave-stream-native: no prebuilt binary for ${process.platform}-${process.arch} and no sources to build; the JavaScript backend will be used.`,
    );
    return 0;
  }

  const gyp = nodeGyp();
  if (!gyp) {
    console.warn('enclave-stream-native: node-gyp not found; using the JavaScript backend.');
    return 0;
  }
  const args = [gyp, 'rebuild'];
  const nodedir = process.env.npm_config_nodedir || localNodeDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const jobs = process.env.JOBS || 'max';
  args.push(`--jobs=${jobs}`);

  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.warn('enclave-stream-native: native build failed; the JavaScript backend will be used.');
    return process.env.ENCLAVE_STREAM_REQUIRE_NATIVE === '1' ? 1 : 0;
  }
  return 0;
}

module.exports = { localNodeDir };

if (require.main === module) process.exitCode = main();
