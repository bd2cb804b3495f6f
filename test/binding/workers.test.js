'use strict';
// The addon in worker_threads. It is a Node-API module (NODE_API_MODULE,
// context-aware) keeping its state per instance (SetInstanceData in
// csrc/binding/addon.cc), so each worker loads its own instance: four
// workers at once decode, validate, seal/open and derive ECDH secrets
// (test/helpers/addon-work.js) and must get exactly the main thread's
// results; workers terminated in the middle of their work (their instances
// torn down) must leave the main thread's addon working (checked in a child
// process, so an abort cannot take the test run down with it).

const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { backend } = require('../../lib/binding');
const { addonWork, startWorker } = require('../helpers/addon-work');

const WORK = path.join(__dirname, '..', 'helpers', 'addon-work.js');

describe(`addon in worker_threads (${backend} backend)`, function () {
  this.timeout(60000);
  let expected;
  before(() => {
    expected = addonWork();
    // the work is real, and right on this thread
    assert.strictEqual(expected.decoded.length, 412);
    assert.ok(expected.envelopes.length > 0 && expected.envelopes.every((e) => e.same));
    assert.deepStrictEqual(
      expected.secrets,
      require('../vectors/crypto.json').handshakes.map((h) => h.sharedSecretHex),
    );
  });

  it("four workers at once, two rounds each: every result equals the main thread's", async () => {
    const workers = Array.from({ length: 4 }, () => startWorker({ rounds: 2 }));
    assert.deepStrictEqual(await Promise.all(workers.map((w) => w.exited)), [0, 0, 0, 0]);
    for (const w of workers) {
      assert.deepStrictEqual(
        w.messages.map((m) => m.error || m.backend),
        [backend, backend],
      );
      for (const m of w.messages) assert.deepStrictEqual(m.result, expected);
    }
  });

  // Terminating a worker while it is inside the addon: calls into a terminating
  // environment fail and throwing their error fails too, which node-addon-api
  // makes fatal unless the addon is built with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
  // (binding.gyp "defines"). Run in a child process, so an abort fails this test
  // instead of killing mocha.
  it("workers terminated mid-work leave the main thread's addon usable; a new worker after them works", () => {
    const r = spawnSync(process.execPath, [WORK, '--terminate-workers'], { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, `exit ${r.status} ${r.signal || ''}\n${r.stdout}\n${r.stderr}`);
    assert.strictEqual(r.stdout, 'terminate-workers: OK\n');
  });
});
