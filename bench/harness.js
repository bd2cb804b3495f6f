'use strict';
// Shared benchmark helpers. Every figure is a ratio to a baseline measured in
// the same process, in the same rounds (the machine is shared and noisy):
//   rounds()   async functions run once per round, N rounds, in a rotated
//              order, a GC before each run (name -> seconds per round)
//   ratios()   per-round ratios of two such series, their median and min–max
//   compare()  the same for two synchronous functions: >= 7 interleaved
//              rounds (--quick: >= 5), medians and the spread of the ratios
//   printTable prints a suite's rows (with the spreads) and remembers them
//              for `--json <file>` (bench/index.js writes them at the end)
//
// Why not tinybench or mitata: both time one function at a time over a time
// budget and report its own mean/percentiles; what this suite needs is a
// baseline and candidates run alternately in the same rounds (paired, so a
// noisy neighbour hits both sides of a ratio), with the ratio's median and
// range, and async end-to-end runs over sockets of several seconds that are
// not micro-benchmarks. That is the ~40 lines below; neither library would
// remove them.
const { spawnSync } = require('node:child_process');

const QUICK = process.argv.includes('--quick');

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

/** The number of rounds compare() runs when asked for `n`: at least 7 (--quick: 5). */
function roundsFor(n) {
  const floor = QUICK ? 5 : 7;
  return Math.max(floor, Number.isFinite(n) ? n | 0 : floor);
}

/**
 * Runs baseline and candidate (synchronous) once each untimed, then in
 * `n` >= 7 interleaved rounds (--quick: >= 5; the order alternates every
 * round, a GC before each run). Returns
 *   { baseline, candidate }  median seconds of each
 *   ratio                    median of the per-round ratios baseline / candidate
 *   spread                   [min, max] of the per-round ratios
 *   candidateRange           [min, max] of the candidate's seconds
 *   rateSpread               [min, max] events/s of the candidate, when
 *                            `opts.events` is given
 *   rounds                   the number of rounds
 * (the keys of the former best-of-N result are kept: `seconds: r.candidate,
 * ratio: r.ratio` still make a row; add `spread: r.spread` to print the range).
 */
function compare(baseline, candidate, n = 7, opts = {}) {
  const R = roundsFor(n);
  baseline();
  candidate();
  const b = [];
  const c = [];
  for (let i = 0; i < R; i++) {
    const pair = i % 2 ? [[candidate, c], [baseline, b]] : [[baseline, b], [candidate, c]];
    for (const [fn, out] of pair) {
      gc();
      out.push(time(fn));
    }
  }
  return summarize(b, c, opts);
}

/** compare() for async functions (each resolves when its work is done). */
async function compareAsync(baseline, candidate, n = 7, opts = {}) {
  const R = roundsFor(n);
  const t = await rounds(
    {
      baseline: async () => {
        const t0 = process.hrtime.bigint();
        await baseline();
        return Number(process.hrtime.bigint() - t0) / 1e9;
      },
      candidate: async () => {
        const t0 = process.hrtime.bigint();
        await candidate();
        return Number(process.hrtime.bigint() - t0) / 1e9;
      },
    },
    R,
  );
  return summarize(t.baseline, t.candidate, opts);
}

function summarize(b, c, { events } = {}) {
  const r = ratios(b, c);
  const cs = spread(c);
  const out = {
    baseline: spread(b).median,
    candidate: cs.median,
    ratio: r.median,
    spread: [r.min, r.max],
    candidateRange: [cs.min, cs.max],
    rounds: b.length,
  };
  if (events) out.rateSpread = [events / cs.max, events / cs.min];
  return out;
}

function fmtRate(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(2) + ' M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + ' k';
  if (n >= 10) return n.toFixed(0) + ' ';
  return n.toPrecision(2) + ' ';
}

/**
 * A goal string as a number: '>= 1.2x' -> { op: '>=', value: 1.2, unit: 'x' },
 * '>= 10 k/s' -> { op: '>=', value: 10000, unit: '/s' }, '<= 20 KiB' ->
 * { op: '<=', value: 20, unit: 'KiB' }; null when there is none.
 */
function parseGoal(goal) {
  if (!goal || typeof goal !== 'string') return null;
  const m = /^\s*(>=|<=|>|<|≥|≤)\s*([0-9]*\.?[0-9]+)\s*(k|M)?\s*([^\s(]*)/.exec(goal);
  if (!m) return null;
  const op = { '≥': '>=', '≤': '<=' }[m[1]] || m[1];
  let value = Number(m[2]);
  let unit = m[4] || '';
  if (m[3] && unit.startsWith('/')) value *= m[3] === 'k' ? 1e3 : 1e6;
  else if (m[3]) unit = m[3] + unit;
  return { op, value, unit };
}

/** The JSON form of a table row (`--json`). */
function jsonRow(suite, r) {
  const rate = r.events && r.seconds ? r.events / r.seconds : null;
  const g = parseGoal(r.goal);
  const out = {
    suite,
    backend: r.backend,
    name: r.name,
    rate,
    unit: r.events ? r.unit || 'ev/s' : null,
    rateSpread: r.rateSpread || (r.events && r.candidateRange ? [r.events / r.candidateRange[1], r.events / r.candidateRange[0]] : null),
    mbPerS: r.bytes && r.seconds ? r.bytes / r.seconds / 1e6 : null,
    ratio: r.ratio,
    spread: r.spread || null,
    baselineName: r.baselineName,
    goal: g ? g.value : null,
    goalOp: g ? g.op : null,
    goalUnit: g ? g.unit : null,
    goalText: r.goal || null,
  };
  if (r.value !== undefined) {
    out.value = r.value;
    out.valueUnit = r.valueUnit || null;
    if (r.valueSpread) out.valueSpread = r.valueSpread;
  }
  return out;
}

/** Every row printed so far, in JSON form (bench/index.js --json). */
const collected = [];

/**
 * rows: { backend, name, events, bytes, seconds, baselineName, ratio, goal }
 * and optionally `unit` (rate unit, default 'ev/s'), `rateSpread` ([min, max]
 * of the rate, printed after it; or `candidateRange`, [min, max] seconds),
 * `spread` ([min, max] of the ratio over the rounds, printed after it: the
 * ratio is then their median), and `value` + `valueUnit` (+ `valueSpread`):
 * a measured figure that is not a rate (e.g. KiB per session), printed in the
 * rate column.
 */
function printTable(title, rows) {
  console.log(`\n## ${title}`);
  console.log('| backend | benchmark | events/s | MB/s | vs baseline | goal |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    collected.push(jsonRow(title, r));
    const unit = r.unit || 'ev/s';
    let evs = r.events ? fmtRate(r.events / r.seconds) + unit : '';
    const rs = r.rateSpread || (r.events && r.candidateRange ? [r.events / r.candidateRange[1], r.events / r.candidateRange[0]] : null);
    if (evs && rs) evs += ` (${fmtRate(rs[0]).trim()}–${fmtRate(rs[1]).trim()})`;
    if (!evs && r.value !== undefined) {
      evs = `${fmtNum(r.value)} ${r.valueUnit || ''}`.trim();
      if (r.valueSpread) evs += ` (${fmtNum(r.valueSpread[0])}–${fmtNum(r.valueSpread[1])})`;
    }
    const mbs = r.bytes ? (r.bytes / r.seconds / 1e6).toFixed(0) : '';
    const range = r.spread ? ` (${r.spread[0].toFixed(2)}–${r.spread[1].toFixed(2)})` : '';
    console.log(
      `| ${r.backend} | ${r.name} | ${evs} | ${mbs} | ${r.ratio.toFixed(2)}x${range} ${r.baselineName} | ${r.goal || ''} |`,
    );
  }
}

function fmtNum(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
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
  const lines = r.stdout.trim().split('\n');
  // a suite may print notes (e.g. a skip note) before its rows
  for (const l of lines.slice(0, -1)) if (l.trim()) console.log(`(js child) ${l}`);
  return JSON.parse(lines.pop() || '[]');
}

/** Rejects when `promise` has not settled within `ms` (a bench run that hangs says which). */
function guard(promise, what, ms = 60000) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no end after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Event i of the socket suites: a 1 KiB stdout event (its line is about 1 KiB with the envelope fields). */
function makeEvent(i) {
  const chunk = `line ${i} `.padEnd(1024 - 80, 'x');
  return { type: 'stdout', payload: { chunk } };
}

/** A promise with its resolve and reject at hand. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Seconds since process.hrtime.bigint() `t0`. */
const hrs = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * The command line every bench file shares: `node bench/<suite>.js [--quick]
 * [--rows]`. Runs run({ quick, ...options }); with --rows prints the rows as
 * JSON (what childRows reads), else prints the table titled title(rows) after
 * adding the pure-JS backend's rows from a child process when `jsChild` is set
 * and this process runs the native backend. A failure exits 1.
 */
function main(mod, { run, title, jsChild = false, childArgs, options = {} }) {
  if (require.main !== mod) return;
  const argv = process.argv;
  const quick = argv.includes('--quick');
  Promise.resolve()
    .then(() => run({ quick, ...options }))
    .then((rows) => {
      if (argv.includes('--rows')) return console.log(JSON.stringify(rows));
      if (!rows.length) return;
      if (jsChild && require('../lib/binding').backend === 'native') rows.push(...childRows(mod.filename, childArgs || (quick ? ['--quick'] : [])));
      printTable(title(rows, quick), rows);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

/** The raw-WebSocket baseline row of the socket suites (e2e, fan-out). */
function rawBaselineRow(backend, name, events, bytes, times) {
  const s = spread(times);
  return { backend, name, events, bytes, seconds: s.median, rateSpread: [events / s.max, events / s.min], ratio: 1, baselineName: 'raw ws' };
}

module.exports = { main, rawBaselineRow, guard, makeEvent, hrs, deferred, time, compare, compareAsync, printTable, childRows, gc, spread, rounds, ratios, fmtRate, parseGoal, jsonRow, collected, QUICK };
