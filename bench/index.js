'use strict';
// npm run bench: every benchmark, each figure a ratio to a baseline measured
// in the same process. Pass --quick for a shorter run, and
// `--compare <dir>` to add another checkout's end-to-end rows, run in the
// same rounds (e.g. the code before control protocol v2: see the header of
// bench/e2e.js for the worktree to make):
//   npm run bench -- --compare /tmp/esn-before
const os = require('node:os');
const path = require('node:path');
const { printTable, childRows } = require('./harness');
const lib = require('..');
const { compareArg } = require('./e2e');

const quick = process.argv.includes('--quick');
const compare = compareArg();
const suites = [
  ['NDJSON', 'ndjson.js'],
  ['Encryption', 'crypto.js'],
  ['End to end over loopback', 'e2e.js'],
  ['Sessions over loopback: resumes, handshakes, rekey', 'session.js'],
  ['Session stores: RedisSessionStore vs MemorySessionStore', 'store.js'],
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
    const rows = await mod.run({ quick, compare });
    if (!rows.length) continue; // skipped (bench/store.js without a redis-server)
    const args = [...(quick ? ['--quick'] : []), ...(compare ? ['--compare', compare] : [])];
    if (lib.backend === 'native' && !mod.noChild) rows.push(...childRows(path.join(__dirname, file), args));
    printTable(title, rows);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
