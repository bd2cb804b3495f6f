'use strict';
// The ESM entry exports exactly what the CommonJS entry does.
const assert = require('node:assert/strict');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

describe('ESM entry', () => {
  it('re-exports every CommonJS export', async () => {
    const cjs = require('..');
    const esm = await import(pathToFileURL(path.join(__dirname, '..', 'index.mjs')).href);
    const names = Object.keys(esm).filter((n) => n !== 'default').sort();
    assert.deepEqual(names, Object.keys(cjs).sort(), 'run node scripts/gen-esm.js');
    for (const n of names) assert.equal(esm[n], cjs[n], n);
    assert.equal(esm.default, cjs);
  });

  it("resolves through the package's exports map", async () => {
    const { StreamEncoder } = await import('enclave-stream-native');
    assert.equal(typeof StreamEncoder, 'function');
  });
});
