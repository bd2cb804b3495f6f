#!/usr/bin/env node
'use strict';
// Runs the libFuzzer harnesses of csrc/fuzz/ (see csrc/Makefile "Fuzzing").
//
//   node scripts/fuzz.js [--seconds N] [--only NAME] [--jobs N] [--no-build]
//
// Builds them (make -C csrc fuzz: clang, -fsanitize=fuzzer,address,undefined,
// system libcrypto), seeds build-c/fuzz/corpus/<name>/ from test/vectors/
// (csrc/fuzz/seeds.js), the committed seeds and the regression inputs, then
// runs each harness for N seconds (default 60) with its dictionary. Crash,
// leak, timeout and out-of-memory inputs go to build-c/fuzz/artifacts/.
// --jobs N runs N harnesses at a time (default 1); with --only and N > 1 the
// one harness runs in libFuzzer's fork mode with N workers.
// Exits non-zero when any harness failed; prints one summary line each.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const CSRC = path.join(ROOT, 'csrc');
const FUZZ_SRC = path.join(CSRC, 'fuzz');
const OUT = path.join(ROOT, 'build-c', 'fuzz');
const CORPUS = path.join(OUT, 'corpus');
const ARTIFACTS = path.join(OUT, 'artifacts');

// Per harness: dictionary, and the largest input worth trying.
const HARNESSES = {
  framer: { dict: 'json.dict', maxLen: 4096 },
  validate: { dict: 'json.dict', maxLen: 4096 },
  base64: { dict: null, maxLen: 1024 },
  envelope_open: { dict: 'envelope.dict', maxLen: 2048 },
  pubkey: { dict: null, maxLen: 160 },
  backoff: { dict: null, maxLen: 1024 },
};

function usage(msg) {
  if (msg) console.error('fuzz: ' + msg);
  console.error('usage: node scripts/fuzz.js [--seconds N] [--only NAME] [--jobs N] [--no-build]');
  console.error('harnesses: ' + Object.keys(HARNESSES).join(', '));
  process.exit(2);
}

function parseArgs(argv) {
  const o = { seconds: 60, only: null, jobs: 1, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(a + ' needs a value');
      return argv[++i];
    };
    if (a === '--seconds') o.seconds = Number(val());
    else if (a === '--only') o.only = val();
    else if (a === '--jobs') o.jobs = Number(val());
    else if (a === '--no-build') o.build = false;
    else if (a === '-h' || a === '--help') usage();
    else usage('unknown argument ' + a);
  }
  if (!(Number.isInteger(o.seconds) && o.seconds > 0)) usage('--seconds must be a positive integer');
  if (!(Number.isInteger(o.jobs) && o.jobs > 0)) usage('--jobs must be a positive integer');
  if (o.only) {
    for (const n of o.only.split(',')) if (!HARNESSES[n]) usage('no harness named ' + n);
  }
  return o;
}

function copyDir(from, to) {
  if (!fs.existsSync(from)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(from)) {
    const src = path.join(from, f);
    if (!fs.statSync(src).isFile()) continue;
    fs.copyFileSync(src, path.join(to, f));
    n++;
  }
  return n;
}

function seedCorpora(names) {
  const seeds = require(path.join(FUZZ_SRC, 'seeds.js'));
  seeds.write(CORPUS);
  for (const name of names) {
    const dir = path.join(CORPUS, name);
    fs.mkdirSync(dir, { recursive: true });
    copyDir(path.join(FUZZ_SRC, 'seeds', name), dir);
    copyDir(path.join(FUZZ_SRC, 'regress', name), dir);
  }
}

function countFiles(dir) {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}

function runOne(name, opts, forkWorkers) {
  const h = HARNESSES[name];
  const bin = path.join(OUT, 'fuzz_' + name);
  const corpus = path.join(CORPUS, name);
  const logFile = path.join(OUT, 'logs', name + '.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const before = countFiles(corpus);
  const artifactsBefore = new Set(fs.readdirSync(ARTIFACTS));
  const args = [
    corpus,
    `-max_total_time=${opts.seconds}`,
    '-timeout=10',
    '-rss_limit_mb=2048',
    `-max_len=${h.maxLen}`,
    `-artifact_prefix=${ARTIFACTS}${path.sep}${name}-`,
    '-print_final_stats=1',
  ];
  if (h.dict) args.push(`-dict=${path.join(FUZZ_SRC, h.dict)}`);
  if (forkWorkers > 1) args.push(`-fork=${forkWorkers}`, '-ignore_crashes=0');
  const env = {
    ...process.env,
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=1:symbolize=1',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
  };
  return new Promise((resolve) => {
    const started = Date.now();
    const log = fs.createWriteStream(logFile);
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (d) => {
      log.write(d);
      tail = (tail + d.toString('latin1')).slice(-65536);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // A hard stop well past -max_total_time (a hung harness is a failure too).
    const killer = setTimeout(() => child.kill('SIGKILL'), (opts.seconds + 120) * 1000);
    child.on('error', (err) => {
      clearTimeout(killer);
      log.end();
      resolve({ name, ok: false, line: `fuzz_${name}: FAILED to start (${err.message}); run without --no-build?` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      log.end();
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      const stat = (k) => {
        const m = new RegExp('stat::' + k + ':\\s*(\\d+)').exec(tail);
        return m ? Number(m[1]) : null;
      };
      let execs = stat('number_of_executed_units');
      let rate = stat('average_exec_per_sec');
      const covs = [...tail.matchAll(/cov: (\d+) ft: (\d+)/g)];
      const cov = covs.length ? covs[covs.length - 1] : null;
      if (execs === null) {
        // fork mode: "#N: cov: ... exec/s: R ..." lines
        const m = [...tail.matchAll(/#(\d+): cov: \d+ ft: \d+ corp: \d+ exec\/s:? (\d+)/g)];
        if (m.length) {
          execs = Number(m[m.length - 1][1]);
          rate = Number(m[m.length - 1][2]);
        }
      }
      const newArtifacts = fs.readdirSync(ARTIFACTS).filter((f) => !artifactsBefore.has(f));
      const after = countFiles(corpus);
      const ok = code === 0 && newArtifacts.length === 0;
      let line =
        `fuzz_${name}: ${ok ? 'ok' : 'FAILED'}, ${execs ?? '?'} execs (${rate ?? '?'}/s)` +
        (cov ? `, cov ${cov[1]} ft ${cov[2]}` : '') +
        `, corpus ${after} (+${after - before}), ${secs} s`;
      if (!ok) {
        line += `; exit ${code ?? signal}; log ${path.relative(ROOT, logFile)}`;
        for (const f of newArtifacts) line += `\n  artifact: ${path.relative(ROOT, path.join(ARTIFACTS, f))}`;
        const why = /(property failed: .*|ERROR: \w+Sanitizer: .*|runtime error: .*|ERROR: libFuzzer: .*)/.exec(tail);
        if (why) line += `\n  ${why[1]}`;
      }
      resolve({ name, ok, line });
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const names = opts.only ? opts.only.split(',') : Object.keys(HARNESSES);
  if (opts.build) {
    const r = spawnSync('make', ['-C', CSRC, 'fuzz', `-j${Math.max(2, opts.jobs)}`], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error('fuzz: build failed (needs clang with libFuzzer and libssl-dev)');
      process.exit(1);
    }
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  seedCorpora(names);
  const fork = names.length === 1 && opts.jobs > 1 ? opts.jobs : 1;
  const queue = names.slice();
  const results = [];
  const worker = async () => {
    while (queue.length) {
      const name = queue.shift();
      const r = await runOne(name, opts, fork);
      console.log(r.line);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, names.length) }, worker));
  const failed = results.filter((r) => !r.ok);
  console.log(
    failed.length
      ? `fuzz: ${failed.length} of ${results.length} harnesses FAILED (artifacts in ${path.relative(ROOT, ARTIFACTS)}/)`
      : `fuzz: all ${results.length} harnesses ok (${opts.seconds} s each)`
  );
  process.exit(failed.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
