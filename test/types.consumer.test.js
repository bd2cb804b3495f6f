'use strict';
// The TypeScript consumer (test/types/consumer.ts, consumer-esm.mts) imports the
// package by its name (self-reference through package.json "exports") and must
// compile with tsc --noEmit --strict, declaration files included (no
// skipLibCheck); its @ts-expect-error lines must each be an error.
// scripts/pack-test.js compiles the same files against the installed tarball.
// Types do not depend on the backend: the ENCLAVE_STREAM_NATIVE=0 pass skips it.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

describe('TypeScript consumer (test/types)', () => {
  it('compiles with tsc --noEmit --strict; wrong usage is rejected', function () {
    if (process.env.ENCLAVE_STREAM_NATIVE === '0') this.skip();
    this.timeout(120000);
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
