'use strict';
// Loaded by scripts/asan-mocha.js with `mocha --require`: refuses to run the
// suite unless the native backend is active and comes from the ASan build
// named by ENCLAVE_STREAM_ADDON_PATH (and not from build/ or a prebuild).
const fs = require('node:fs');
const path = require('node:path');

const want = process.env.ENCLAVE_STREAM_ADDON_PATH;
if (!want) throw new Error('asan-check: ENCLAVE_STREAM_ADDON_PATH is not set');
const binding = require('../../lib/binding');
if (binding.backend !== 'native') throw new Error(`asan-check: backend is ${binding.backend}, not native`);
const file = path.resolve(want);
if (!require.cache[file]) throw new Error(`asan-check: ${file} is not the loaded addon`);

const maps = fs.readFileSync('/proc/self/maps', 'utf8');
const addons = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5]).filter((p) => p && p.endsWith('.node')))];
if (addons.length !== 1 || addons[0] !== fs.realpathSync(file)) {
  throw new Error(`asan-check: mapped addons are ${JSON.stringify(addons)}, expected only ${file}`);
}
if (!/\/libasan\.so/.test(maps)) throw new Error('asan-check: libasan is not loaded (LD_PRELOAD missing?)');
process.stdout.write(`asan-check: backend native, addon ${file}, pid ${process.pid}\n`);
