'use strict';
// Every ```js block of the README runs as written: as an ES module, or as
// CommonJS when it uses require() (then without top-level await), in a child
// process where 'enclave-stream-native' resolves to this package (its own
// "exports"), and must exit 0 on its own. A block right after
// <!-- skip: reason --> is not run. This is the fast in-repo variant:
// scripts/pack-test.js runs the same blocks, saved as .mjs/.cjs files, in a
// fresh project with the packed tarball installed. docs/TESTING.md has the rules.
// The README's Errors section names every error class and every code.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { readmeBlocks } = require('../scripts/pack-test');

const root = path.join(__dirname, '..');
const libFiles = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? libFiles(path.join(dir, e.name)) : /\.js$/.test(e.name) ? [path.join(dir, e.name)] : []));
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = readmeBlocks(readme);

describe('README examples', () => {
  it('has runnable examples, each either an ES module or CommonJS', () => {
    const js = blocks.filter((b) => b.lang === 'js');
    assert.ok(js.length >= 10, `${js.length} js blocks`);
    for (const b of js) assert.ok(!b.mixed, `README line ${b.line}: a block uses both import and require`);
  });

  it('a block tied to a file (<!-- file: … -->) is that file, as it is', () => {
    const tied = blocks.filter((b) => b.file);
    assert.ok(tied.length >= 1);
    for (const b of tied) assert.equal(b.code, fs.readFileSync(path.join(root, b.file), 'utf8'), `README line ${b.line} differs from ${b.file}`);
  });

  it('the Errors section lists every error class and every code the package can produce', () => {
    const at = readme.indexOf('\n## Errors\n');
    assert.ok(at >= 0, 'no "## Errors" section');
    const section = readme.slice(at, readme.indexOf('\n## ', at + 1));
    const listed = (name) => section.includes('`' + name + '`');
    const classes = Object.keys(require('../lib/errors'));
    // codes: the quoted ones in lib/ (ESN_* are the Redis scripts' internal replies) and the exported tables
    const codes = new Set();
    for (const file of libFiles(path.join(root, 'lib'))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g)) if (!m[1].startsWith('ESN_')) codes.add(m[1]);
    }
    const { RejectCode, NdjsonErrorCode, EncryptionErrorCode } = require('..');
    for (const table of [RejectCode, NdjsonErrorCode, EncryptionErrorCode]) for (const c of Object.values(table)) codes.add(c);
    assert.deepEqual(classes.filter((c) => !listed(c)), [], 'error classes missing from the README');
    assert.deepEqual([...codes].filter((c) => !listed(c)).sort(), [], 'error codes missing from the README');
  });

  it('the contents list every ## and ### heading, and every #anchor link of the README and docs/*.md resolves', () => {
    // GitHub's anchors: lower case, punctuation dropped, spaces to '-', duplicates numbered
    const headings = (text) => {
      const out = [];
      const seen = new Map();
      let fence = false;
      for (const line of text.split('\n')) {
        if (/^```/.test(line)) fence = !fence;
        const m = !fence && /^(#{1,6}) (.*)$/.exec(line);
        if (!m) continue;
        let slug = m[2].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
        const n = seen.get(slug) || 0;
        seen.set(slug, n + 1);
        if (n) slug += `-${n}`;
        out.push({ level: m[1].length, text: m[2], slug });
      }
      return out;
    };
    const docs = { 'README.md': readme };
    for (const f of fs.readdirSync(path.join(root, 'docs'))) if (f.endsWith('.md')) docs[`docs/${f}`] = fs.readFileSync(path.join(root, 'docs', f), 'utf8');
    const slugs = Object.fromEntries(Object.entries(docs).map(([f, t]) => [f, new Set(headings(t).map((h) => h.slug))]));
    const toc = readme.slice(readme.indexOf('\n## Contents\n'), readme.indexOf('\n## ', readme.indexOf('\n## Contents\n') + 1));
    const missing = headings(readme).filter((h) => (h.level === 2 || h.level === 3) && h.text !== 'Contents' && !toc.includes(`](#${h.slug})`));
    assert.deepEqual(missing.map((h) => h.text), [], 'headings missing from the contents');
    const broken = [];
    for (const [file, text] of Object.entries(docs)) {
      for (const m of text.matchAll(/\]\(([^)#\s]*)#([^)\s]+)\)/g)) {
        const target = m[1] ? path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1])) : file;
        if (!(target in slugs)) continue; // a link outside the README and docs/
        if (!slugs[target].has(m[2])) broken.push(`${file}: ${m[0]}`);
      }
    }
    assert.deepEqual(broken, [], 'links to anchors that do not exist');
  });

  for (const b of blocks.filter((x) => x.lang === 'js')) {
    const first = b.code.split('\n').find((l) => l.trim() && !l.startsWith('//') && !/^import |require\(/.test(l)) || '';
    const title = `line ${b.line} (${b.kind}): ${first.trim().slice(0, 60)}`;
    if (b.skip) {
      it.skip(`${title} — skipped: ${b.skip}`);
      continue;
    }
    it(title, function () {
      this.timeout(30000);
      const r = spawnSync(process.execPath, [`--input-type=${b.kind === 'mjs' ? 'module' : 'commonjs'}`, '-e', b.code], {
        cwd: root,
        encoding: 'utf8',
        timeout: 20000,
        env: { ...process.env, ENCLAVE_STREAM_QUIET: '1' },
      });
      assert.equal(r.status, 0, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
    });
  }
});
