'use strict';
// The README's examples marked <!-- runnable --> run as written (in a child
// process, resolving 'enclave-stream-native' to this package).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- runnable -->\n```js\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('README examples', () => {
  it('has runnable examples', () => assert.ok(blocks.length >= 4));
  blocks.forEach((code, i) => {
    const first = code.split('\n').find((l) => l.trim()) || '';
    it(`example ${i + 1}: ${first.slice(0, 60)}`, function () {
      this.timeout(20000);
      const esm = /^import /m.test(code);
      const r = spawnSync(process.execPath, [esm ? '--input-type=module' : '--input-type=commonjs', '-e', code], {
        cwd: root,
        encoding: 'utf8',
        timeout: 15000,
        env: { ...process.env, ENCLAVE_STREAM_QUIET: '1' },
      });
      assert.equal(r.status, 0, r.stderr);
    });
  });
});
