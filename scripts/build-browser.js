'use strict';
// Builds dist/browser.mjs: the browser entry (browser.js) as one ES module,
// zod included, with package.json's "browser" field swapping the Node-only
// modules. Fails if anything Node-only would end up in the bundle.
//   node scripts/build-browser.js [--out file] [--no-minify]
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--out');
const outfile = path.resolve(outIdx >= 0 ? args[outIdx + 1] : path.join(root, 'dist', 'browser.mjs'));
const minify = !args.includes('--no-minify');

// zod's CommonJS entry carries every locale (about 320 KiB minified); the
// bundle keeps English, zod's default, and `z.locales.en`.
const englishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.c?js$/ }, (a) =>
      a.importer.includes(`${path.sep}zod${path.sep}`) ? { path: path.join(a.resolveDir, a.path), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (a) => ({
      contents: `const en = require(${JSON.stringify(a.path.replace(/index\.(c?js)$/, 'en.$1'))}); exports.en = en.default || en;`,
      resolveDir: path.dirname(a.path),
      loader: 'js',
    }));
  },
};

async function main() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    throw new Error('esbuild is needed to build the browser bundle (npm install --include=dev)');
  }
  process.env.ENCLAVE_STREAM_QUIET = '1';
  const names = Object.keys(require(path.join(root, 'browser.js'))).sort();
  const entry = `import api from './browser.js';\nexport default api;\nexport const {\n${names.map((n) => `  ${n},`).join('\n')}\n} = api;\n`;
  const r = await esbuild.build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'browser-entry.mjs', loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    minify,
    legalComments: 'eof',
    outfile,
    metafile: true,
    logLevel: 'warning',
    plugins: [englishOnly],
  });
  const inputs = Object.keys(r.metafile.inputs);
  const bad = inputs.filter((f) => /(^|\/)(node:|lib\/platform\/|lib\/server\/|lib\/testing\/|node_modules\/ws\/|node-gyp-build)/.test(f) || f === 'lib/ndjson/codec.js' || f === 'lib/binding.js');
  if (bad.length) throw new Error(`Node-only modules in the browser bundle: ${bad.join(', ')}`);
  const size = fs.statSync(outfile).size;
  console.log(`${path.relative(root, outfile)}: ${names.length} exports, ${inputs.length} modules, ${(size / 1024).toFixed(1)} KiB`);
}

main().catch((err) => {
  console.error(`build-browser: ${err.message}`);
  process.exit(1);
});
