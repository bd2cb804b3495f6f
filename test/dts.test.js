'use strict';
// index.d.ts declares every run-time export, and the declarations themselves
// type-check (no skipLibCheck: it would skip them) under --strict plus the
// stricter flags `tsc --init` turns on.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');

describe('index.d.ts', () => {
  it('declares every export of the package', () => {
    const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8');
    const declared = new Set();
    for (const m of dts.matchAll(/^export declare (?:const|function|class|abstract class) (\w+)/gm)) declared.add(m[1]);
    for (const m of dts.matchAll(/^export \{([^}]+)\}/gm)) for (const n of m[1].split(',')) declared.add(n.trim().split(/\s+as\s+/).pop());
    const missing = Object.keys(require('..')).filter((n) => !declared.has(n));
    assert.deepEqual(missing, []);
  });

  it('type-checks under --strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess', function () {
    this.timeout(180000);
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc, '--noEmit', '--strict', '--exactOptionalPropertyTypes', '--noUncheckedIndexedAccess', '--verbatimModuleSyntax',
        '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'index.d.ts', 'testing.d.ts',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
