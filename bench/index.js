'use strict';
// npm run bench: every benchmark, each figure a ratio to a baseline measured
// in the same process, in the same rounds (medians, with the min–max over the
// rounds). Pass --quick for a shorter run, `--json <file>` to also write
// every row of every table to <file> (scripts/bench-chart.js draws it), and
// `--compare <dir>` to add another checkout's end-to-end rows, run in the
// same rounds (e.g. the code before control protocol v2: see the header of
// bench/e2e.js for the worktree to make):
//   npm run bench -- --quick --json bench.json
//   npm run bench:chart -- bench.json docs/bench.svg
//   npm run bench -- --compare /tmp/esn-before
// `--only <file,...>` runs some suites only (e.g. --only fanout.js,e2e.js).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { printTable, childRows, collected } = require('./harness');
const lib = require('..');
const { compareArg } = require('./e2e');

function argValue(name) {
  const i = process.argv.indexOf(name);
  if (i < 0) return null;
  const v = process.argv[i + 1];
  if (!v || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

const quick = process.argv.includes('--quick');
const compare = compareArg();
const jsonOut = argValue('--json');
const only = argValue('--only');
const suites = [
  ['NDJSON', 'ndjson.js'],
  ['Encryption', 'crypto.js'],
  ['End to end over loopback', 'e2e.js'],
  ['Sessions over loopback: resumes, handshakes, rekey', 'session.js'],
  ['Fan-out: one server, 1,000 sessions, 50 x 1 KiB events each', 'fanout.js'],
  ['Session stores: RedisSessionStore vs MemorySessionStore', 'store.js'],
].filter(([, file]) => !only || only.split(',').includes(file));

function commit() {
  const r = spawnSync('git', ['-C', path.join(__dirname, '..'), 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

(async () => {
  const cpu = os.cpus()[0] ? os.cpus()[0].model : 'unknown CPU';
  console.log(`node ${process.version}, ${cpu}, ${os.cpus().length} cores; backend ${lib.backend}`);
  const t0 = Date.now();
  for (const [title, file] of suites) {
    let mod;
    try {
      mod = require(path.join(__dirname, file));
    } catch (err) {
      if (err.code === 'MODULE_NOT_FOUND') continue;
      throw err;
    }
    const rows = await mod.run({ quick, compare });
    if (!rows.length) continue; // skipped (bench/store.js without a redis-server, bench/fanout.js without file descriptors)
    const args = [...(quick ? ['--quick'] : []), ...(compare ? ['--compare', compare] : [])];
    if (lib.backend === 'native') rows.push(...childRows(path.join(__dirname, file), args));
    printTable(title, rows);
  }
  if (jsonOut) {
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cpu,
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      backend: lib.backend,
      commit: commit(),
      quick,
      seconds: Math.round((Date.now() - t0) / 1000),
      rows: collected,
    };
    fs.writeFileSync(jsonOut, JSON.stringify(out, null, 2) + '\n');
    console.log(`\n${collected.length} rows written to ${jsonOut}`);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
