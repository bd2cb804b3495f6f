'use strict';
// Install step: use a prebuilt or existing binary when one loads, otherwise
// compile the addon with node-gyp. A failed compile is not fatal: the package
// then runs on its pure-JavaScript backend (see lib/binding.js).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const force = process.argv.includes('--force');

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

if (!force && loads()) process.exit(0);

const gyp = nodeGyp();
if (!gyp) {
  console.warn('enclave-stream-native: node-gyp not found; using the JavaScript backend.');
  process.exit(0);
}
const args = [gyp, 'rebuild'];
const nodedir = process.env.npm_config_nodedir || localNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
const jobs = process.env.JOBS || 'max';
args.push(`--jobs=${jobs}`);

const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.warn('enclave-stream-native: native build failed; the JavaScript backend will be used.');
  process.exit(process.env.ENCLAVE_STREAM_REQUIRE_NATIVE === '1' ? 1 : 0);
}
