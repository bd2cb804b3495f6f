'use strict';
// npm run test:pack — what a consumer gets from the published tarball.
//
//  1. `npm pack` into a temporary folder (runs "prepack": scripts/prebuild.js,
//     prebuildify --napi --strip; about 1-2 minutes because of simdjson).
//  2. The tarball's file list: only the allowed files, every required one, and
//     every file named by "main"/"types"/"exports"/"browser" present.
//  3. A fresh consumer project (npm init -y; npm install ./the.tgz) with npm's
//     default settings: a clean HOME and user config (the machine's ~/.npmrc
//     does not leak in; the npm cache and registry/proxy settings are kept), no
//     flag that changes whether dependency scripts run.
//  4. In that project, with require and with import: backend === 'native' and
//     an encrypted round trip (fast cipher + createEncryptedChannel); then with
//     ENCLAVE_STREAM_NATIVE=0 and with the prebuilds folder removed: backend
//     === 'js', the same round trip, and (prebuild removed) exactly one notice
//     line on stderr. scripts/install.js (run where dependency scripts are
//     allowed) is silent with the prebuild and prints one line without it.
//  5. Every ```js block of README.md, saved as readme-N.mjs (readme-N.cjs when
//     it uses require), runs with node in that project and exits 0 on its own
//     (a block right after <!-- skip: reason --> is not run).
//  6. TypeScript against the INSTALLED package: test/types (consumer.ts,
//     consumer-esm.mts) with tsc --noEmit --strict; and test/types/init in a
//     folder of the project where `tsc --init` wrote its tsconfig.json, as is:
//     it must fail without @types/node (which the README says a TS user needs),
//     compile once `npm install -D @types/node` is done, and what it emits runs.
//  7. A browser bundler (esbuild) consuming the installed package.
//
// Options: --reuse   pack the prebuilds/ already there (npm pack --ignore-scripts)
//          --keep    keep the temporary folder (its path is printed)
// Exit code 0 only when every check passes.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const reuse = process.argv.includes('--reuse');
const keep = process.argv.includes('--keep');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
let tmp; // the temporary folder of a run (main)

const results = [];
function check(name, ok, detail) {
  results.push({ name, ok: !!ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail && !ok ? `\n     ${String(detail).split('\n').join('\n     ')}` : ''}`);
  return !!ok;
}

// npm itself: the one running this script when started by `npm run`.
function npm(args, opts) {
  const cli = process.env.npm_execpath;
  const [cmd, argv] = cli && /\.c?js$/.test(cli) ? [process.execPath, [cli, ...args]] : ['npm', args];
  return spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, shell: process.platform === 'win32' && cmd === 'npm', ...opts });
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} kB`;
}

// ---- 1. pack ---------------------------------------------------------------------------
function pack() {
  const t0 = Date.now();
  const args = ['pack', '--json', '--pack-destination', tmp];
  if (reuse) args.push('--ignore-scripts');
  console.log(`# npm ${args.join(' ')}${reuse ? '' : ' (prepack: prebuildify, 1-2 min)'}`);
  const r = npm(args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  // Script output may precede the JSON on stdout: the JSON is the last "[" line on.
  const out = r.stdout || '';
  const at = out.lastIndexOf('\n[\n') >= 0 ? out.lastIndexOf('\n[\n') + 1 : out.indexOf('[');
  let info = null;
  try {
    info = JSON.parse(out.slice(at))[0];
  } catch {}
  if (!check('npm pack', r.status === 0 && info, `exit ${r.status}\n${out.slice(-3000)}`)) return null;
  console.log(`# packed in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${info.filename}`);
  return info;
}

// ---- 2. the file list --------------------------------------------------------------------
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^docs\/[A-Z]+\.md$/,
  /^LICEN[CS]E(\.\w+)?$/,
  /^index\.(js|mjs|d\.ts)$/,
  /^testing\.(js|mjs|d\.ts)$/,
  /^browser\.[\w.]+$/,
  /^scripts\/(install|demo)\.js$/,
  /^lib\/.+\.(js|mjs|cjs|d\.ts|json)$/,
  /^dist\/.+\.(js|mjs|cjs|map|d\.ts)$/,
  /^prebuilds\/[\w-]+\/[\w.+-]+\.node$/,
];
const FORBIDDEN = /^(test|tests|build|build-c|csrc|bench|node_modules|\.ci|\.fuzz)\/|^binding\.gyp$|^package-lock\.json$|\.tgz$/;

function entryPaths() {
  const out = new Set();
  const add = (v) => {
    if (typeof v === 'string' && !v.includes('*')) out.add(path.posix.normalize(v));
    else if (v && typeof v === 'object') for (const x of Object.values(v)) add(x);
  };
  add(pkg.main);
  add(pkg.types);
  add(pkg.exports);
  add(pkg.browser); // a string, or a map whose string values are files (false: left out)
  return [...out];
}

function checkFiles(info) {
  const files = info.files.map((f) => f.path).sort();
  const stray = files.filter((f) => FORBIDDEN.test(f) || !ALLOWED.some((re) => re.test(f)));
  check(`tarball holds only allowed files (${files.length} files)`, stray.length === 0, `not allowed: ${stray.join(', ')}`);
  const tuple = `${process.platform}-${process.arch}`;
  const prebuilds = files.filter((f) => f.startsWith(`prebuilds/${tuple}/`));
  check(`tarball carries a prebuild for ${tuple}`, prebuilds.length > 0, `no prebuilds/${tuple}/*.node in the tarball`);
  const required = ['package.json', 'README.md', 'docs/PROTOCOL.md', 'docs/TESTING.md', 'docs/INTERNALS.md', 'docs/BENCHMARKS.md', 'index.js', 'index.mjs', 'index.d.ts', 'scripts/install.js', 'lib/binding.js'];
  const missing = [...required, ...entryPaths()].filter((f) => !files.includes(f));
  check('tarball holds the entries named by main/types/exports/browser', missing.length === 0, `missing: ${[...new Set(missing)].join(', ')}`);
  return { files, prebuilds };
}

// ---- 3. consumer project -------------------------------------------------------------------
let home; // tmp/home: the consumer's clean HOME and npm user config
let consumer; // tmp/consumer: the fresh project
const KEEP_NPM = /^npm_config_(registry|@[^:]+:registry|proxy|https_proxy|http_proxy|noproxy|no_proxy|cafile|ca|strict_ssl|cache)$/i;

function consumerEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !KEEP_NPM.test(k)) continue; // npm run exports the user's config
    if (/^ENCLAVE_STREAM_/.test(k) || k === 'INIT_CWD' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  env.HOME = home;
  env.USERPROFILE = home;
  env.npm_config_userconfig = path.join(home, '.npmrc');
  // The machine's package cache (not its config): avoids re-downloading ws and zod.
  env.npm_config_cache = process.env.npm_config_cache || path.join(os.homedir(), '.npm');
  return Object.assign(env, extra);
}

function setUpConsumer(tgz) {
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, '.npmrc'), '');
  fs.mkdirSync(consumer, { recursive: true });
  const env = consumerEnv();
  let r = npm(['init', '-y'], { cwd: consumer, env });
  if (!check('consumer: npm init -y', r.status === 0, r.stderr)) return false;
  const t0 = Date.now();
  r = npm(['install', tgz], { cwd: consumer, env });
  const log = `${r.stdout}${r.stderr}`.trim();
  if (!check('consumer: npm install ./the.tgz (default settings)', r.status === 0, log)) return false;
  console.log(`# installed in ${((Date.now() - t0) / 1000).toFixed(0)} s; npm said:\n${log.split('\n').map((l) => `#   ${l}`).join('\n')}`);
  const blocked = /install-scripts|allowScripts/.test(log);
  console.log(`# npm ${blocked ? 'blocked our install script (npm 11 default): the prebuild alone must work' : 'ran our install script'}`);
  const installed = path.join(consumer, 'node_modules', pkg.name);
  check('consumer: no build/ folder in the installed package (nothing compiled)', !fs.existsSync(path.join(installed, 'build')));
  const buildOnly = ['node-addon-api', '@nozbe/simdjson', 'node-gyp'].filter((d) => fs.existsSync(path.join(consumer, 'node_modules', d)));
  check('consumer: no build-only dependency installed', buildOnly.length === 0, `installed: ${buildOnly.join(', ')}`);
  return true;
}

// ---- 4. run-time checks in the consumer -----------------------------------------------------
const ROUND_TRIP = `'use strict';
// One encrypted round trip through the public API (written by scripts/pack-test.js).
module.exports = async function roundTrip(m) {
  const assert = require('node:assert/strict');
  // Fast synchronous cipher API.
  const server = m.generateKeyPairSync();
  const client = m.generateKeyPairSync();
  const sessionId = 's_pack';
  const s = m.deriveSessionKeysSync(m.deriveSharedSecretSync(server.privateKey, client.publicKey), sessionId);
  const c = m.deriveSessionKeysSync(m.deriveSharedSecretSync(client.privateKey, server.publicKeyB64), sessionId);
  const sealer = m.createEnvelopeCipher({ key: s.serverToClientKey, sessionId, kid: 'k_1' });
  const opener = m.createEnvelopeCipher({ key: c.serverToClientKey, sessionId, kid: 'k_1' });
  const event = { protocolVersion: 2, sessionId, seq: 1, type: 'stdout', payload: { chunk: 'héllo \\u{1F600}' } };
  const line = sealer.seal(event);
  assert.deepEqual(opener.open(line), event);
  assert.throws(() => opener.open(line.replace(/"ciphertextB64":"(.)/, (_, ch) => '"ciphertextB64":"' + (ch === 'A' ? 'B' : 'A'))),
    (err) => err instanceof m.AesGcmError);

  // Encrypted channel, in memory: each side's frames go to the other once it exists.
  const got = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('channel round trip timed out')), 10000);
    const ends = { server: null, client: null };
    const queued = { server: [], client: [] };
    const deliver = (to, frame) => (ends[to] ? ends[to].receive(frame) : queued[to].push(frame));
    const open = (role, ch) => { ends[role] = ch; for (const f of queued[role].splice(0)) ch.receive(f); return ch; };
    m.createEncryptedChannel({
      role: 'server',
      keyPair: server,
      onMessage: (msg) => ends.server.send({ echo: msg }).catch(reject),
      onError: reject,
      send: (frame) => deliver('client', frame),
    }).then((ch) => open('server', ch), reject);
    m.createEncryptedChannel({
      role: 'client',
      remotePublicKey: server.publicKeyB64,
      onMessage: (msg) => { clearTimeout(timer); resolve(msg); },
      onError: reject,
      send: (frame) => deliver('server', frame),
    }).then((ch) => open('client', ch).send({ type: 'tool_call', name: 'secretOp', args: { n: 1 } }), reject).catch(reject);
  });
  assert.deepEqual(got, { echo: { type: 'tool_call', name: 'secretOp', args: { n: 1 } } });
  return { roundTrip: true };
};
`;
const CHECK_CJS = `'use strict';
const m = require(${JSON.stringify(pkg.name)});
require('./round-trip.cjs')(m).then(
  (r) => console.log(JSON.stringify({ backend: m.backend, ...r })),
  (err) => { console.error(err && err.stack || err); process.exit(1); });
`;
const CHECK_MJS = `import m from ${JSON.stringify(pkg.name)};
import * as ns from ${JSON.stringify(pkg.name)};
import { createRequire } from 'node:module';
const roundTrip = createRequire(import.meta.url)('./round-trip.cjs');
const missing = Object.keys(m).filter((k) => ns[k] !== m[k]);
if (missing.length) { console.error('named ESM exports missing: ' + missing.join(', ')); process.exit(1); }
const { FakeClock } = await import(${JSON.stringify(`${pkg.name}/testing`)});
if (typeof FakeClock !== 'function') { console.error('testing entry: FakeClock missing'); process.exit(1); }
try {
  const r = await roundTrip(ns);
  console.log(JSON.stringify({ backend: ns.backend, ...r }));
} catch (err) { console.error(err && err.stack || err); process.exit(1); }
`;

function runChecks(label, env, expect) {
  for (const file of ['check.cjs', 'check.mjs']) {
    const how = file.endsWith('.cjs') ? 'require' : 'import';
    const r = spawnSync(process.execPath, [file], { cwd: consumer, env, encoding: 'utf8', timeout: 60000 });
    let out = null;
    try {
      out = JSON.parse(r.stdout.trim().split('\n').pop());
    } catch {}
    const stderr = r.stderr.replace(/\n$/, '');
    const lines = stderr ? stderr.split('\n') : [];
    const name = `${label}: ${how}`;
    if (!check(`${name}: loads and round-trips`, r.status === 0 && out && out.roundTrip, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`)) continue;
    check(`${name}: backend === '${expect.backend}'`, out.backend === expect.backend, `backend is '${out.backend}'`);
    if (expect.noticeLines !== undefined) {
      check(
        `${name}: exactly ${expect.noticeLines} notice line(s) on stderr`,
        lines.length === expect.noticeLines && (expect.noticeLines === 0 || /enclave-stream-native/.test(lines[0])),
        `stderr (${lines.length} lines):\n${stderr}`,
      );
    }
    if (lines.length) console.log(`#   stderr: ${lines.join(' | ')}`);
  }
}

// The install script, as npm runs it where dependency scripts are allowed
// (npm 10, or approved): quiet with the prebuild; one notice line without it.
function runInstallScript(label, env, expectLines) {
  const script = path.join(consumer, 'node_modules', pkg.name, 'scripts', 'install.js');
  const r = spawnSync(process.execPath, [script], { cwd: path.dirname(path.dirname(script)), env, encoding: 'utf8', timeout: 60000 });
  const out = `${r.stdout}${r.stderr}`.replace(/\n$/, '');
  const lines = out ? out.split('\n') : [];
  check(
    `${label}: scripts/install.js exits 0 with ${expectLines} output line(s)`,
    r.status === 0 && lines.length === expectLines,
    `exit ${r.status ?? r.signal}, output:\n${out}`,
  );
  if (lines.length) console.log(`#   install.js: ${lines.join(' | ')}`);
}

// ---- 5. the README's js blocks, as pasted -------------------------------------------------------
/**
 * The fenced code blocks of a README: { lang, code, line (of the fence, 1-based), kind ('mjs', or
 * 'cjs' when the code uses require), mixed (uses both import and require), skip (the reason of a
 * <!-- skip: reason --> right before it, else null), file (the path of a <!-- file: path -->
 * right before it: the block is that file) }. test/readme.test.js runs the same blocks in the repo.
 */
function readmeBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const code = lines.slice(i + 1, end).join('\n') + '\n';
    const marks = {};
    for (let j = i - 1; j >= 0 && /^<!--.*-->\s*$/.test(lines[j]); j--) {
      const m = /^<!--\s*(skip|file):\s*(.*?)\s*-->/.exec(lines[j]);
      if (m) marks[m[1]] = m[2];
    }
    const usesRequire = /\brequire\(/.test(code);
    const usesImport = /^\s*import\s[\s\S]*?from\s|^\s*import\s*['"]/m.test(code);
    blocks.push({
      lang: open[1], code, line: i + 1, kind: usesRequire ? 'cjs' : 'mjs', mixed: usesRequire && usesImport,
      skip: marks.skip || null, file: marks.file || null,
    });
    i = end;
  }
  return blocks;
}

/** The quick start's demo, as a new user runs it: npx enclave-stream-demo in the consumer project. */
function demo() {
  const r = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--no-install', 'enclave-stream-demo', '--events', '500', '--cuts', '2'], {
    cwd: consumer,
    env: consumerEnv({ ENCLAVE_STREAM_QUIET: '1' }),
    encoding: 'utf8',
    timeout: 120000,
  });
  check('consumer: npx enclave-stream-demo --events 500 --cuts 2 reports OK', r.status === 0 && /result\s+OK/.test(r.stdout), `${r.stdout}\n${r.stderr}`.slice(-2000));
}

function readmeExamples() {
  const blocks = readmeBlocks(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).filter((b) => b.lang === 'js');
  check(`README: ${blocks.length} js blocks, none mixing import and require`, blocks.length > 0 && !blocks.some((b) => b.mixed),
    blocks.filter((b) => b.mixed).map((b) => `line ${b.line}`).join(', '));
  const env = consumerEnv();
  blocks.forEach((b, i) => {
    const file = `readme-${i + 1}.${b.kind}`;
    const name = `consumer: README block at line ${b.line} runs as pasted (${file})`;
    if (b.skip) {
      console.log(`#   skipped ${name}: ${b.skip}`);
      return;
    }
    fs.writeFileSync(path.join(consumer, file), b.code);
    const r = spawnSync(process.execPath, [file], { cwd: consumer, env, encoding: 'utf8', timeout: 30000 });
    check(name, r.status === 0, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  });
}

// ---- 6. TypeScript consumers against the installed package ------------------------------------
const tscBin = () => require.resolve('typescript/bin/tsc');

function typeCheck() {
  const dir = path.join(consumer, 'types');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['consumer.ts', 'consumer-esm.mts']) {
    if (fs.existsSync(path.join(root, 'test', 'types', f))) fs.copyFileSync(path.join(root, 'test', 'types', f), path.join(dir, f));
  }
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
        skipLibCheck: false, types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      include: ['*.ts', '*.mts'],
    }, null, 2),
  );
  const r = spawnSync(process.execPath, [tscBin(), '-p', dir], { cwd: dir, encoding: 'utf8' });
  check('consumer: tsc --noEmit --strict on test/types against the installed package', r.status === 0, r.stdout + r.stderr);
}

// The README's TypeScript setup: a folder of the consumer project where `tsc --init` wrote its
// tsconfig.json, used as it is (it emits next to the sources).
function typeCheckInit() {
  const dir = path.join(consumer, 'ts-init');
  fs.mkdirSync(dir, { recursive: true });
  const env = consumerEnv();
  let r = spawnSync(process.execPath, [tscBin(), '--init'], { cwd: dir, env, encoding: 'utf8' });
  if (!check('consumer: tsc --init', r.status === 0, r.stdout + r.stderr)) return;
  const sources = fs.readdirSync(path.join(root, 'test', 'types', 'init')).filter((f) => /\.[cm]?ts$/.test(f));
  for (const f of sources) fs.copyFileSync(path.join(root, 'test', 'types', 'init', f), path.join(dir, f));
  // tsc emits even when it reports errors: drop what a compile wrote before the next one.
  const clean = () => {
    for (const f of fs.readdirSync(dir)) if (f !== 'tsconfig.json' && !sources.includes(f)) fs.rmSync(path.join(dir, f), { force: true });
  };
  const compile = () => spawnSync(process.execPath, [tscBin(), '-p', dir], { cwd: dir, env, encoding: 'utf8' });
  r = compile();
  clean();
  // (skipLibCheck hides the missing reference itself: the Node types of the package's classes are missing)
  if (check('consumer: with the settings of tsc --init and no @types/node, tsc fails', r.status !== 0, `exit ${r.status}\n${r.stdout}`)) {
    console.log(`#   tsc without @types/node: ${r.stdout.split('\n')[0]}`);
  }
  const want = (require(path.join(root, 'node_modules', '@types', 'node', 'package.json')).version || '20').split('.')[0];
  r = npm(['install', '--save-dev', '--no-audit', '--no-fund', `@types/node@${want}`], { cwd: consumer, env });
  if (!check(`consumer: npm install -D @types/node@${want}`, r.status === 0, r.stdout + r.stderr)) return;
  r = compile();
  if (!check(`consumer: test/types/init compiles with the settings of tsc --init (${sources.join(', ')})`, r.status === 0, r.stdout + r.stderr)) return;
  for (const f of sources) {
    const out = f.replace(/\.mts$/, '.mjs').replace(/\.cts$/, '.cjs').replace(/\.ts$/, '.js');
    r = spawnSync(process.execPath, [out], { cwd: dir, env, encoding: 'utf8', timeout: 30000 });
    check(`consumer: the compiled ${out} runs`, r.status === 0, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  }
}

// ---- 7. A browser bundler consuming the installed package ----------------------------------
// esbuild (platform browser) on `import ... from 'enclave-stream-native'` (the exports
// "browser" condition: dist/browser.mjs) and on `require('enclave-stream-native')` (the
// package.json "browser" field swapping the Node-only files): both must bundle without one
// Node built-in, the addon loader, ws or the server.
function browserBundles() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    check('consumer: browser bundles (esbuild is a devDependency)', false, 'esbuild not installed');
    return;
  }
  const entries = {
    'ESM import (exports "browser" condition)': "import { ReconnectingStream, createEncryptedChannel, StreamDecoder, backend } from 'enclave-stream-native';\nconsole.log(backend, typeof ReconnectingStream, typeof createEncryptedChannel, typeof StreamDecoder);\n",
    'CommonJS require ("browser" field)': "const esn = require('enclave-stream-native');\nconsole.log(esn.backend, typeof esn.ReconnectingStream);\n",
  };
  for (const [label, contents] of Object.entries(entries)) {
    let r;
    try {
      r = esbuild.buildSync({
        stdin: { contents, resolveDir: consumer, loader: 'js' },
        bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
        outfile: path.join(consumer, 'out.js'),
      });
    } catch (err) {
      check(`consumer: browser bundle, ${label}`, false, err.message);
      continue;
    }
    const inputs = Object.keys(r.metafile.inputs);
    const bad = inputs.filter((f) => /(^|\/)(node:|node_modules\/ws\/|node-gyp-build)|enclave-stream-native\/(lib\/(binding|codec|platform\/|server\/)|index\.js)/.test(f) && !f.startsWith('(disabled)'));
    check(`consumer: browser bundle, ${label}: no Node-only module`, bad.length === 0, `bundled: ${bad.join(', ')}`);
  }
}

// ---- main ---------------------------------------------------------------------------------
function main() {
  const t0 = Date.now();
  console.log(`# temporary folder: ${tmp}`);
  const info = pack();
  if (!info) return;
  const tgz = path.join(tmp, info.filename);
  const { prebuilds } = checkFiles(info);

  if (!setUpConsumer(tgz)) return;
  fs.writeFileSync(path.join(consumer, 'round-trip.cjs'), ROUND_TRIP);
  fs.writeFileSync(path.join(consumer, 'check.cjs'), CHECK_CJS);
  fs.writeFileSync(path.join(consumer, 'check.mjs'), CHECK_MJS);

  const runEnv = consumerEnv();
  runChecks('prebuild', runEnv, { backend: 'native', noticeLines: 0 });
  runInstallScript('prebuild', runEnv, 0);
  runChecks('ENCLAVE_STREAM_NATIVE=0', { ...runEnv, ENCLAVE_STREAM_NATIVE: '0' }, { backend: 'js', noticeLines: 0 });
  readmeExamples();
  demo();
  typeCheck();
  typeCheckInit();
  browserBundles();
  fs.rmSync(path.join(consumer, 'node_modules', pkg.name, 'prebuilds'), { recursive: true, force: true });
  runChecks('prebuilds removed', runEnv, { backend: 'js', noticeLines: 1 });
  runInstallScript('prebuilds removed', runEnv, 1);

  const prebuildBytes = prebuilds.reduce((n, f) => n + (info.files.find((x) => x.path === f) || { size: 0 }).size, 0);
  console.log(`\n# tarball ${info.filename}: ${kb(info.size)} packed, ${kb(info.unpackedSize)} unpacked, ${info.entryCount} files`);
  console.log(`#   prebuild ${prebuilds.join(', ')}: ${kb(prebuildBytes)}`);
  console.log(`# total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esn-pack-'));
  home = path.join(tmp, 'home');
  consumer = path.join(tmp, 'consumer');
  try {
    main();
  } catch (err) {
    check('pack test ran to completion', false, err && err.stack);
  } finally {
    const failed = results.filter((r) => !r.ok);
    console.log(`\n${failed.length ? 'FAILED' : 'PASSED'}: ${results.length - failed.length}/${results.length} checks passed`);
    for (const f of failed) console.log(`  FAIL ${f.name}`);
    if (keep || failed.length) console.log(`# kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
    process.exitCode = failed.length ? 1 : 0;
  }
}

module.exports = { readmeBlocks };
