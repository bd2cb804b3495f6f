#!/usr/bin/env node
'use strict';
// Runs the whole mocha suite against an AddressSanitizer + UndefinedBehavior-
// Sanitizer build of the addon, and fails on any sanitizer error or on any
// leak whose allocation stack passes through our code.
//
//   node scripts/asan-mocha.js [--build-only] [--keep-logs] [-- <mocha args>]
//
// Why ASan and not valgrind: Node itself is not instrumented; libasan is
// LD_PRELOADed so it owns malloc/free for the whole process, and only the
// addon (csrc/ + the simdjson compiled into it) carries the checks, so the
// suite runs at a few times its normal time. Under valgrind, V8's JIT needs
// --smc-check and every instruction of Node is emulated (far slower; see
// the README). The addon is built by node-gyp with gcc into
// build-c/addon-asan/ from a binding.gyp generated from the real one (same
// sources, + scripts/asan-leak-check.c), so build/ is never touched.
//
// Leaks: ASAN_OPTIONS=leak_check_at_exit=0, and the ASan addon runs the
// LeakSanitizer check itself at exit (scripts/asan-leak-check.c), so only
// processes that load it are checked (mocha and the README examples, not
// tsc). Node/V8/OpenSSL may leak at exit; a leak fails the run only when its
// allocation stack has a frame of our addon.
//
// Environment:
//   ASAN_MOCHA_CC / ASAN_MOCHA_CXX  compilers (default gcc / g++)
//   ASAN_MOCHA_LOCK                 build lock file (default /tmp/esn-build.lock, '' = none)
//   ASAN_MOCHA_INJECT=leak|ossl-leak|overflow|ub
//                                   build a scratch copy of csrc/ (in
//                                   build-c/addon-asan-inject) with a deliberate
//                                   bug in esn_b64_encode: the run must FAIL
//                                   (self-test of this script)
//   ASAN_OPTIONS / LSAN_OPTIONS / UBSAN_OPTIONS  appended to the script's own

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const dd = argv.indexOf('--');
const own = dd < 0 ? argv : argv.slice(0, dd);
const mochaArgs = dd < 0 ? [] : argv.slice(dd + 1);
const buildOnly = own.includes('--build-only');
const keepLogs = own.includes('--keep-logs');
const inject = process.env.ASAN_MOCHA_INJECT || '';
const CC = process.env.ASAN_MOCHA_CC || 'gcc';
const CXX = process.env.ASAN_MOCHA_CXX || 'g++';
const lock = process.env.ASAN_MOCHA_LOCK === undefined ? '/tmp/esn-build.lock' : process.env.ASAN_MOCHA_LOCK;

// Injected builds share one scratch directory: switching the kind of bug
// recompiles base64.c only.
const outDir = path.join(root, 'build-c', inject ? 'addon-asan-inject' : 'addon-asan');
const addonName = 'enclave_stream_native';

function die(msg) {
  console.error(`asan-mocha: ${msg}`);
  process.exit(2);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) die(`${cmd}: ${r.error.message}`);
  return r.status === null ? r.signal || 'killed' : r.status;
}

function capture(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

// ---------------------------------------------------------------- build ----

// binding.gyp is JSON here; '#' comment lines are tolerated.
function readGyp() {
  const text = fs
    .readFileSync(path.join(root, 'binding.gyp'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  try {
    return JSON.parse(text);
  } catch (err) {
    return die(`binding.gyp is not plain JSON, cannot derive the ASan build from it (${err.message})`);
  }
}

// Scratch copy of csrc/ with a deliberate bug, to prove the filter catches it.
function injectedSourceDir() {
  const dir = path.join(outDir, 'src');
  fs.cpSync(path.join(root, 'csrc'), path.join(dir, 'csrc'), { recursive: true, preserveTimestamps: true });
  // The bug goes into esn_b64_encode, which every seal calls from JavaScript,
  // so the stacks run through V8 and the N-API layer like real ones.
  const f = path.join(dir, 'csrc', 'crypto', 'base64.c');
  const head = 'size_t esn_b64_encode(const uint8_t *src, size_t n, char *dst) {';
  const bugs = {
    leak: '{ char *volatile esn_injected = malloc(4242); if (esn_injected) esn_injected[0] = (char)n; }',
    overflow: '{ char *volatile esn_injected = malloc(16); if (esn_injected) esn_injected[16] = 1; free(esn_injected); }',
    ub: '{ volatile int esn_injected = 2147483647; esn_injected += (int)(n | 1); }',
    // allocated by Node's OpenSSL on our behalf: the stack has node frames on top
    'ossl-leak': '{ EVP_CIPHER_CTX *volatile esn_injected = EVP_CIPHER_CTX_new(); (void)esn_injected; }',
  };
  if (!bugs[inject]) die(`ASAN_MOCHA_INJECT must be one of ${Object.keys(bugs).join(', ')}, not ${inject}`);
  const text = fs.readFileSync(path.join(root, 'csrc', 'crypto', 'base64.c'), 'utf8');
  if (!text.includes(head)) die(`cannot inject: ${head} not found in csrc/crypto/base64.c`);
  fs.writeFileSync(f, `#include <stdlib.h> /* ASAN_MOCHA_INJECT=${inject} */\n#include <openssl/evp.h>\n` + text.replace(head, `${head}\n  ${bugs[inject]}`));
  return dir;
}

function asanGyp() {
  const gyp = readGyp();
  const t = gyp.targets && gyp.targets.find((x) => x.target_name === addonName);
  if (!t) die(`no target ${addonName} in binding.gyp`);
  const srcRoot = inject ? injectedSourceDir() : root;
  const rel = (p) => path.relative(outDir, path.join(srcRoot, p)).split(path.sep).join('/');
  const fix = (p) => (p.startsWith('<') || path.isAbsolute(p) ? p : rel(p));
  // + the exit-time leak check (see scripts/asan-leak-check.c)
  t.sources = [...t.sources.map(fix), path.relative(outDir, path.join(root, 'scripts', 'asan-leak-check.c')).split(path.sep).join('/')];
  t.include_dirs = (t.include_dirs || []).map(fix);
  // UB is fatal: in gcc the UBSan runtime is a separate library that ignores
  // log_path and writes to stderr, which the tests' own child processes
  // capture; a fatal error cannot go unnoticed.
  const san = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-sanitize=vptr', '-fno-omit-frame-pointer'];
  t.cflags = [...(t.cflags || []).filter((f) => !/^-O/.test(f)), ...san, '-g'];
  t.ldflags = [...(t.ldflags || []), ...san];
  // -O1 for readable stacks; in the Release configuration so it comes after
  // node-gyp's own -O3 (which would otherwise win).
  t.configurations = { Release: { cflags: ['-O1', '-g'] } };
  return JSON.stringify({ targets: [t] }, null, 2) + '\n';
}

function nodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const ok = ['node_api.h', 'openssl/evp.h'].every((f) => fs.existsSync(path.join(prefix, 'include', 'node', f)));
  return ok ? prefix : null;
}

function build() {
  fs.mkdirSync(outDir, { recursive: true });
  const gypFile = path.join(outDir, 'binding.gyp');
  const want = asanGyp();
  const have = fs.existsSync(gypFile) ? fs.readFileSync(gypFile, 'utf8') : '';
  const configured = fs.existsSync(path.join(outDir, 'build', 'Makefile'));
  if (want !== have) fs.writeFileSync(gypFile, want);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const steps = want !== have || !configured ? ['configure', 'build'] : ['build'];
  const args = [gyp, ...steps, '--loglevel=warn', `--jobs=${process.env.JOBS || 'max'}`];
  const nd = process.env.npm_config_nodedir || nodeDir();
  if (nd) args.push(`--nodedir=${nd}`);
  const env = { ...process.env, CC, CXX, CXX_host: CXX, CC_host: CC };
  // flock (util-linux) serialises builds with others sharing the tree; skipped
  // where it is not installed.
  const useLock = lock && spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
  const cmd = useLock ? 'flock' : process.execPath;
  const full = useLock ? [lock, process.execPath, ...args] : args;
  const t0 = Date.now();
  const st = run(cmd, full, { cwd: outDir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (st !== 0) die(`node-gyp ${steps.join(' ')} failed in ${outDir} (exit ${st})`);
  const file = path.join(outDir, 'build', 'Release', `${addonName}.node`);
  if (!fs.existsSync(file)) die(`build produced no ${file}`);
  console.log(`asan-mocha: addon ${path.relative(root, file)} (${((Date.now() - t0) / 1000).toFixed(1)} s build step)`);
  return file;
}

// The libasan the addon was linked against (so the runtime matches the compiler).
function libasanFor(addon) {
  const m = /^\s*(libasan\.so[.\d]*)\s*=>\s*(\S+)/m.exec(capture('ldd', [addon]));
  if (m && fs.existsSync(m[2])) return fs.realpathSync(m[2]);
  const p = capture(CC, ['-print-file-name=libasan.so']);
  if (p && p !== 'libasan.so' && fs.existsSync(p)) return fs.realpathSync(p);
  return die(`cannot find the libasan of ${CC} (is the addon linked with -fsanitize=address?)`);
}

// ------------------------------------------------------------ run mocha ----

// A stack frame is ours when it is in the addon: our sources (csrc/), the
// simdjson compiled into it, or the module itself when a frame has no source.
const OUR_FRAME = /(?:^|[\s/(])csrc\/|@nozbe\/simdjson\/|enclave_stream_native\.node/;

// Splits one sanitizer log file into findings.
function parseLog(text) {
  const out = { errors: [], ub: [], ourLeaks: [], otherLeaks: { count: 0, bytes: 0 } };
  for (const m of text.matchAll(/^==\d+==ERROR: AddressSanitizer: .*$/gm)) {
    // The report runs to the "SUMMARY:" line (or the end of the file).
    const end = text.indexOf('\nSUMMARY:', m.index);
    out.errors.push(text.slice(m.index, end < 0 ? undefined : text.indexOf('\n', end + 1)).trim());
  }
  for (const m of text.matchAll(/^.*runtime error: .*$(?:\n\s+#\d+ .*$)*/gm)) out.ub.push(m[0].trim());
  const leakRe = /^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\) allocated from:\n((?:[ \t]+#\d+ .*\n?)*)/gm;
  for (const m of text.matchAll(leakRe)) {
    const frames = m[4].split('\n').filter(Boolean);
    if (frames.some((f) => OUR_FRAME.test(f))) out.ourLeaks.push(m[0].trim());
    else {
      out.otherLeaks.count += 1;
      out.otherLeaks.bytes += Number(m[2]);
    }
  }
  return out;
}

function runMocha(addon, libasan, logDir, markDir) {
  const env = { ...process.env };
  delete env.ENCLAVE_STREAM_NATIVE;
  const preload = [libasan, env.LD_PRELOAD].filter(Boolean).join(' ');
  Object.assign(env, {
    LD_PRELOAD: preload,
    ENCLAVE_STREAM_ADDON_PATH: addon,
    ASAN_MOCHA_MARK_DIR: markDir,
    // exitcode=0: a leak report does not change a process's exit status (test
    // children such as tsc would otherwise fail); leaks are judged from the logs.
    // abort_on_error=1: a memory error still kills the process (SIGABRT).
    ASAN_OPTIONS: [
      'detect_leaks=1',
      // Only processes with our addon check for leaks (scripts/asan-leak-check.c).
      'leak_check_at_exit=0',
      'exitcode=0',
      'abort_on_error=1',
      'disable_coredump=1',
      'allow_user_segv_handler=1',
      'detect_odr_violation=0',
      `log_path=${path.join(logDir, 'asan')}`,
      env.ASAN_OPTIONS,
    ]
      .filter(Boolean)
      .join(':'),
    LSAN_OPTIONS: ['report_objects=0', env.LSAN_OPTIONS].filter(Boolean).join(':'),
    UBSAN_OPTIONS: ['print_stacktrace=1', `log_path=${path.join(logDir, 'ubsan')}`, env.UBSAN_OPTIONS]
      .filter(Boolean)
      .join(':'),
  });
  const mocha = require.resolve('mocha/bin/mocha.js');
  // Sanitized code is slower: a generous per-test timeout (tests assert
  // behaviour, not timing). Extra args after `--` go to mocha.
  // Without a spec of its own, mocha runs what .mocharc.json names (every
  // test/**/*.test.js but test/browser/), the suite npm test runs.
  const args = [mocha, '--require', path.join(root, 'test', 'helpers', 'asan-check.js'), '--timeout', '120000', ...mochaArgs];
  // stderr is passed through and kept: UBSan reports land there.
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['inherit', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      if (stderr.length < 64 << 20) stderr += d;
    });
    child.on('error', (err) => die(`mocha: ${err.message}`));
    child.on('close', (code, signal) => resolve({ status: code === null ? signal || 'killed' : code, stderr }));
  });
}

async function main() {
  const t0 = Date.now();
  const addon = build();
  if (buildOnly) return 0;
  const libasan = libasanFor(addon);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'asan-mocha-'));
  const markDir = path.join(logDir, 'checked');
  fs.mkdirSync(markDir);
  const t1 = Date.now();
  const { status, stderr } = await runMocha(addon, libasan, logDir, markDir);
  const t2 = Date.now();

  const checked = fs.readdirSync(markDir).length;
  const files = fs.readdirSync(logDir).filter((f) => f !== 'checked').sort();
  let errors = [];
  let ub = [];
  let ourLeaks = [];
  const other = { count: 0, bytes: 0, processes: 0 };
  const sources = files.map((f) => [f, fs.readFileSync(path.join(logDir, f), 'utf8')]);
  sources.push(['stderr', stderr]);
  for (const [f, text] of sources) {
    const r = parseLog(text);
    const tag = (x) => `[${f}] ${x}`;
    errors = errors.concat(r.errors.map(tag));
    ub = ub.concat(r.ub.map(tag));
    ourLeaks = ourLeaks.concat(r.ourLeaks.map(tag));
    other.count += r.otherLeaks.count;
    other.bytes += r.otherLeaks.bytes;
    if (r.otherLeaks.count && f !== 'stderr') other.processes += 1;
  }
  // Every error in full; leaks (often many stacks of one bug) the first few.
  const shown = [...errors, ...ub, ...ourLeaks.slice(0, 5)];
  for (const e of shown) console.error(`\n${e}`);
  if (ourLeaks.length > 5) console.error(`\n... and ${ourLeaks.length - 5} more leak report(s) of ours in the logs`);

  // At least the mocha process itself must have run its leak check.
  const ok = status === 0 && !errors.length && !ub.length && !ourLeaks.length && checked > 0;
  console.log('\nasan-mocha summary');
  console.log(`  addon        ${path.relative(root, addon)} (gcc ASan+UBSan, libasan ${libasan})`);
  const how = status === 0 ? 'exit 0' : typeof status === 'string' ? `killed by ${status} (a sanitizer abort?)` : `exit ${status} (test failures)`;
  console.log(`  mocha        ${how}`);
  console.log(`  ASan errors  ${errors.length}`);
  console.log(`  UBSan        ${ub.length}`);
  console.log(`  our leaks    ${ourLeaks.length} (leak check ran in ${checked} process(es) with the addon)`);
  console.log(`  other leaks  ${other.count} reports, ${other.bytes} bytes in ${other.processes} process(es) (Node/V8/OpenSSL at exit, ignored)`);
  console.log(`  logs         ${files.length} file(s) in ${logDir}${keepLogs || !ok ? '' : ' (removed)'}`);
  console.log(`  time         build ${((t1 - t0) / 1000).toFixed(1)} s, mocha ${((t2 - t1) / 1000).toFixed(1)} s`);
  console.log(ok ? 'asan-mocha: OK' : 'asan-mocha: FAILED');
  if (ok && !keepLogs) fs.rmSync(logDir, { recursive: true, force: true });
  return ok ? 0 : 1;
}

module.exports = { build, libasanFor, parseLog, OUR_FRAME };
if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
