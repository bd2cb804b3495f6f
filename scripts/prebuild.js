'use strict';
// prepack: builds prebuilds/<platform>-<arch>/enclave-stream-native.node with
// `prebuildify --napi --strip` (one N-API binary for every Node >= 20 on this
// platform; node-gyp-build loads it in an installed package).
//
// Like scripts/install.js, it compiles against the Node headers installed next
// to `node` (their OpenSSL headers included) when present, so no header
// download is needed; npm_config_nodedir, when set, wins. The target is the
// running Node (prebuildify's default would be the newest Node that node-abi
// knows, whose headers node-gyp would download).
//
// prebuildify runs `node-gyp rebuild` in the repository, strips the binary in
// place (build/Release and build/Release/obj.target share it: a hard link) and
// moves it to prebuilds/. Afterwards the prebuild gets its own copy, and the
// development build in build/Release is relinked unstripped (a few seconds:
// the objects are up to date).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { localNodeDir } = require('./install.js');

const root = path.resolve(__dirname, '..');
const env = { ...process.env, JOBS: process.env.JOBS || 'max' };
const nodedir = env.npm_config_nodedir || localNodeDir();
if (nodedir) env.npm_config_nodedir = nodedir;

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`prebuild: ${path.basename(args[0])} ${args.slice(1).join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}

// Only this platform's folder is replaced (prebuilds made elsewhere, e.g. by a
// CI matrix, stay). On Linux the file is tagged glibc/musl so a glibc build is
// never tried on Alpine (node-gyp-build then falls back to the JS backend).
const tuple = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(tuple, { recursive: true, force: true });
const args = [require.resolve('prebuildify/bin.js'), '--napi', '--strip', `--target=node@${process.versions.node}`];
if (process.platform === 'linux') args.push('--tag-libc');
run(args);

for (const f of fs.readdirSync(tuple).filter((n) => n.endsWith('.node'))) {
  const file = path.join(tuple, f);
  fs.copyFileSync(file, `${file}.tmp`);
  fs.renameSync(`${file}.tmp`, file);
  console.log(`prebuild: ${path.relative(root, file)} (${fs.statSync(file).size} bytes)`);
}
for (const dir of ['build/Release', 'build/Release/obj.target']) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) continue;
  for (const f of fs.readdirSync(abs).filter((n) => n.endsWith('.node'))) fs.rmSync(path.join(abs, f));
}
run([require.resolve('node-gyp/bin/node-gyp.js'), 'build', `--jobs=${env.JOBS}`]);
