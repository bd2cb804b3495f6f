'use strict';
// The README lists every option of every public constructor: each table
// printed by scripts/options-table.js (from lib/options.js) appears in it,
// between its marker comments, as printed, so an option added, renamed or
// given a new default shows up here until the README is regenerated
// (`node scripts/options-table.js --write`).

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { optionsTable, owners } = require('../lib/options');
const { updateReadme, markerName } = require('../scripts/options-table');

const README = path.join(__dirname, '..', 'README.md');
const SCRIPT = require.resolve('../scripts/options-table.js');
const run = (...args) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

describe('README option tables', () => {
  const readme = fs.readFileSync(README, 'utf8');

  it('has the markers of every described constructor, and none of another', () => {
    const r = updateReadme(readme);
    assert.deepStrictEqual(r.missing, [], 'owners without <!-- options:Name --> markers');
    assert.deepStrictEqual(r.unknown, [], 'markers naming no owner of lib/options.js');
  });

  for (const [owner, platform] of owners()) {
    const name = markerName(owner, platform);
    it(`${name}: the table between its markers is the one lib/options.js prints`, () => {
      const at = readme.indexOf(`<!-- options:${name} -->\n`);
      assert.ok(at >= 0, `no <!-- options:${name} --> marker`);
      const start = readme.indexOf('\n', at) + 1;
      const body = readme.slice(start, readme.indexOf('<!-- /options -->', start));
      assert.strictEqual(body, `\n${optionsTable(owner, platform)}\n`, `stale: run \`node scripts/options-table.js --write\``);
    });
  }

  it('each table sits under its "### Options:" heading', () => {
    for (const [owner, platform] of owners()) {
      const at = readme.indexOf(`<!-- options:${markerName(owner, platform)} -->`);
      const heading = readme.slice(0, at).match(/\n### (.+)\n(?![\s\S]*\n### )/);
      assert.ok(heading && heading[1].startsWith('Options: '), `${owner}: under ${heading && heading[1]}`);
    }
  });

  it('--check passes on the README and exits 1 on a stale copy; --write brings it back, touching nothing else', function () {
    this.timeout(20000);
    const ok = run('--check');
    assert.strictEqual(ok.status, 0, ok.stderr);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esn-options-'));
    try {
      const file = path.join(dir, 'README.md');
      const stale = readme.replace(/(<!-- options:MemorySessionStore -->\n[\s\S]*?)`10000`/, '$1`5`');
      assert.notStrictEqual(stale, readme);
      fs.writeFileSync(file, stale);
      const bad = run('--check', '--readme', file);
      assert.strictEqual(bad.status, 1);
      assert.match(bad.stderr, /stale tables: MemorySessionStore/);
      const write = run('--write', '--readme', file);
      assert.strictEqual(write.status, 0, write.stderr);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), readme);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
