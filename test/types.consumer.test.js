'use strict';
// The TypeScript consumers import the package by its name (self-reference
// through package.json "exports"):
//  - test/types/ (consumer.ts, consumer-esm.mts) must compile with
//    tsc --noEmit --strict, declaration files included (no skipLibCheck); its
//    @ts-expect-error lines must each be an error;
//  - test/types/init/ must compile under exactly the tsconfig.json that
//    `tsc --init` writes (committed there; this test checks it is still what
//    tsc --init writes), the setup the README's TypeScript section describes.
// scripts/pack-test.js compiles the same files against the installed tarball
// (and runs what test/types/init compiles to).
// Types do not depend on the backend: the ENCLAVE_STREAM_NATIVE=0 pass skips it.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const tsc = require.resolve('typescript/bin/tsc');
const initDir = path.join(__dirname, 'types', 'init');

function run(args, cwd) {
  return spawnSync(process.execPath, [tsc, ...args], { cwd, encoding: 'utf8' });
}

describe('TypeScript consumers (test/types)', () => {
  beforeEach(function () {
    if (process.env.ENCLAVE_STREAM_NATIVE === '0') this.skip();
  });

  it('compiles with tsc --noEmit --strict; wrong usage is rejected', function () {
    this.timeout(120000);
    const r = run(['-p', path.join(__dirname, 'types')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  it('test/types/init/tsconfig.json is exactly what `tsc --init` writes', function () {
    this.timeout(60000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esn-tsinit-'));
    try {
      const r = run(['--init'], tmp);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const fresh = fs.readFileSync(path.join(tmp, 'tsconfig.json'), 'utf8');
      const committed = fs.readFileSync(path.join(initDir, 'tsconfig.json'), 'utf8');
      assert.equal(committed, fresh, 'TypeScript changed what tsc --init writes: copy it to test/types/init/tsconfig.json (and check the README)');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('test/types/init compiles under the settings of `tsc --init`', function () {
    this.timeout(120000);
    // --noEmit only keeps the repository clean; the pack test compiles and runs it as it is.
    const r = run(['-p', initDir, '--noEmit']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
