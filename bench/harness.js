'use strict';
// Shared benchmark helpers: best-of-N timing, interleaved with the baseline
// in the same process (the machine is shared and noisy), median-of-N rounds
// with their spread (rounds()), and a table printer that can merge rows from
// a child process running the other backend.
const { spawnSync } = require('node:child_process');

// A full GC before each timed run, so that no side pays for another's garbage.
const gc = (() => {
  try {
    require('node:v8').setFlagsFromString('--expose-gc');
    return require('node:vm').runInNewContext('gc');
  } catch {
    return () => {};
  }
})();

/** { median, min, max } of an array of numbers. */
function spread(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1] };
}

/**
 * Runs every async function of `fns` (name -> () => Promise<seconds>) once
 * per round, `rounds` times, in a rotated order each round (so no one always
 * runs first or right after the same neighbour), after one untimed warm-up
 * call each. Returns name -> array of seconds, one per round (pair them by
 * index: they ran within the same round, a few hundred ms apart).
 */
async function rounds(fns, n, warm = fns) {
  const names = Object.keys(fns);
  for (const k of Object.keys(warm)) await warm[k]();
  const out = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < names.length; i++) {
      const k = names[(i + r) % names.length];
      gc();
      out[k].push(await fns[k]());
    }
  }
  return out;
}

/** Per-round ratios base[i] / cand[i] (times: > 1 means the candidate is faster), with their spread. */
function ratios(base, cand) {
  return spread(base.map((b, i) => b / cand[i]));
}

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

/**
 * rows: { backend, name, events, bytes, seconds, baselineName, ratio, goal }
 * and optionally `unit` (rate unit, default 'ev/s'), `rateSpread` ([min, max]
 * of the rate, printed after it) and `spread` ([min, max] of the ratio over
 * the rounds, printed after it: the ratio is then their median).
 */
function printTable(title, rows) {
  console.log(`\n## ${title}`);
  console.log('| backend | benchmark | events/s | MB/s | vs baseline | goal |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const unit = r.unit || 'ev/s';
    let evs = r.events ? fmtRate(r.events / r.seconds) + unit : '';
    if (evs && r.rateSpread) evs += ` (${fmtRate(r.rateSpread[0]).trim()}–${fmtRate(r.rateSpread[1]).trim()})`;
    const mbs = r.bytes ? (r.bytes / r.seconds / 1e6).toFixed(0) : '';
    const range = r.spread ? ` (${r.spread[0].toFixed(2)}–${r.spread[1].toFixed(2)})` : '';
    console.log(
      `| ${r.backend} | ${r.name} | ${evs} | ${mbs} | ${r.ratio.toFixed(2)}x${range} ${r.baselineName} | ${r.goal || ''} |`,
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

module.exports = { time, compare, printTable, childRows, gc, spread, rounds, ratios, fmtRate };
