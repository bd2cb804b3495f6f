'use strict';
// Shared benchmark helpers: best-of-N timing, interleaved with the baseline
// in the same process (the machine is shared and noisy), and a table printer
// that can merge rows from a child process running the other backend.
const { spawnSync } = require('node:child_process');

function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs baseline and candidate alternately `rounds` times; best time of each. */
function compare(baseline, candidate, rounds = 5) {
  let b = Infinity;
  let c = Infinity;
  baseline();
  candidate();
  for (let i = 0; i < rounds; i++) {
    b = Math.min(b, time(baseline));
    c = Math.min(c, time(candidate));
  }
  return { baseline: b, candidate: c, ratio: b / c };
}

function fmtRate(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(2) + ' M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + ' k';
  return n.toFixed(0) + ' ';
}

/** rows: { backend, name, events, bytes, seconds, baselineName, ratio, goal } */
function printTable(title, rows) {
  console.log(`\n## ${title}`);
  console.log('| backend | benchmark | events/s | MB/s | vs baseline | goal |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const evs = r.events ? fmtRate(r.events / r.seconds) + 'ev/s' : '';
    const mbs = r.bytes ? (r.bytes / r.seconds / 1e6).toFixed(0) : '';
    console.log(
      `| ${r.backend} | ${r.name} | ${evs} | ${mbs} | ${r.ratio.toFixed(2)}x ${r.baselineName} | ${r.goal || ''} |`,
    );
  }
}

/** Runs `file --rows` with the JS backend forced and returns its rows. */
function childRows(file, args = []) {
  const r = spawnSync(process.execPath, [file, '--rows', ...args], {
    env: { ...process.env, ENCLAVE_STREAM_NATIVE: '0', ENCLAVE_STREAM_QUIET: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    console.error(r.stderr);
    return [];
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

module.exports = { time, compare, printTable, childRows };
