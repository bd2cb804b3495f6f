'use strict';
// npm run demo (scripts/demo.js): its flags are parsed with node:util
// parseArgs; --help prints the usage; a bad value or an unknown flag exits 2
// with a one-line reason; a short run reports OK.
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const DEMO = path.join(__dirname, '..', 'scripts', 'demo.js');
const run = (...args) => spawnSync(process.execPath, [DEMO, ...args], { encoding: 'utf8', timeout: 60000 });

describe('npm run demo', function () {
  this.timeout(90000);

  it('--help prints the usage and exits 0', () => {
    const r = run('--help');
    assert.strictEqual(r.status, 0);
    assert.match(r.stdout, /usage: npx enclave-stream-demo \[--events N\]/);
  });

  it('refuses bad values and unknown flags with exit code 2 and a one-line reason', () => {
    for (const [args, why] of [
      [['--events', 'abc'], /--events must be an integer >= 1, got "abc"/],
      [['--events=0'], /--events must be an integer >= 1, got "0"/],
      [['--cuts', '-1'], /--cuts/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['extra'], /positional/i],
    ]) {
      const r = run(...args);
      assert.strictEqual(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /usage:/);
    }
  });

  it('a short encrypted run with --events=300 (the = form) streams every event exactly once', () => {
    const r = run('--events=300', '--cuts', '2');
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /300 events/);
    assert.match(r.stdout, /OK: every event exactly once, in order/);
  });
});
