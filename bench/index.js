'use strict';
// npm run bench: every benchmark, each figure a ratio to a baseline measured
// in the same process. Pass --quick for a shorter run.
const os = require('node:os');
const path = require('node:path');
const { printTable, childRows } = require('./harness');
const lib = require('..');

const quick = process.argv.includes('--quick');
const suites = [
  ['NDJSON', 'ndjson.js'],
  ['Encryption', 'crypto.js'],
  ['End to end over loopback', 'e2e.js'],
];

(async () => {
  console.log(`node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} cores; backend ${lib.backend}`);
  for (const [title, file] of suites) {
    let mod;
    try {
      mod = require(path.join(__dirname, file));
    } catch (err) {
      if (err.code === 'MODULE_NOT_FOUND') continue;
      throw err;
    }
    const rows = await mod.run({ quick });
    if (lib.backend === 'native' && !mod.noChild) rows.push(...childRows(path.join(__dirname, file), quick ? ['--quick'] : []));
    printTable(title, rows);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
