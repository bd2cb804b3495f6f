'use strict';
// A client process that restarts: stream.resumeState() taken in the old
// process continues the session in a new one (new ReconnectingStream({ url,
// resume })), every event and message exactly once, in order, plaintext and
// encrypted, including after a SIGKILL.
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { Harness, until, once } = require('../helpers/stream-harness');
const { ReconnectingStream } = require('../../lib/client');
const { backend } = require('../../lib/binding');
const { webOnly } = require('../../lib/crypto/keys');
const { turn } = require('../helpers/turn');

const FAST = { maxAttempts: 50, initialDelay: 5, maxDelay: 50 };
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe(`resumeState(): a client process restart (${backend} backend)`, function () {
  this.timeout(60000);
  let h;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  for (const enc of [false, true]) {
    const what = enc ? 'encrypted' : 'plaintext';

    it(`${what}: the state is JSON; a new client from it gets the rest of the events once and the unacknowledged messages arrive once`, async function () {
      if (enc && webOnly()) this.skip(); // crypto.subtle keys are not extractable (tested below)
      const { server, addr } = await h.server({ encryption: enc ? 'required' : 'disabled', rekeyAfterMessages: 9 });
      const sessionP = once(server, 'session');
      const got = [];
      const a = h.client({ url: addr.url, encryption: enc, reconnect: FAST, onMessage: (m) => got.push(m.seq) });
      await a.connect();
      const s = await sessionP;
      const fromClient = [];
      s.on('message', (m) => fromClient.push(m.n));
      for (let i = 1; i <= 20; i++) await s.send({ type: 'stdout', payload: { chunk: `${i}` } });
      await until(() => got.length === 20, 'first 20 events');
      for (let n = 1; n <= 5; n++) a.send({ n }).catch(() => {});
      const state = JSON.parse(JSON.stringify(a.resumeState())); // same tick as the sends: they are in it
      assert.strictEqual(state.sessionId, s.id);
      assert.strictEqual(state.lastSeq, 20);
      assert.strictEqual(state.pending.length + state.unsealed.length, 5);
      assert.strictEqual(state.credential === null, enc);
      // the old process dies: its socket drops, nothing more runs
      a._transport.terminate();
      a._machine.close();
      for (let i = 21; i <= 40; i++) await s.send({ type: 'stdout', payload: { chunk: `${i}` } });
      const b = h.client({ url: addr.url, encryption: enc, resume: state, reconnect: FAST, onMessage: (m) => got.push(m.seq) });
      const errors = [];
      b.on('error', (e) => errors.push(e.code));
      await b.connect();
      for (let n = 6; n <= 10; n++) await b.send({ n });
      await b.flush();
      await until(() => got.length >= 40, 'the rest');
      assert.deepStrictEqual(got, range(1, 40));
      await until(() => fromClient.length >= 10, 'messages');
      assert.deepStrictEqual(fromClient, range(1, 10));
      assert.deepStrictEqual(errors, []);
      if (enc) assert.ok(s.stats.rekeys >= 1, `rekeys ${s.stats.rekeys}`);
    });

    it(`${what}: a client process killed with SIGKILL mid-stream continues from its last snapshot in a new process: exactly once, in order`, async function () {
      if (enc && webOnly()) this.skip();
      // the mutation run (stryker.config.mjs): a child process runs unmutated code
      if (process.env.ENCLAVE_STREAM_MUTATION_RUN === '1') this.skip();
      const N = 300;
      const { server, addr } = await h.server({ encryption: enc ? 'required' : 'disabled', rekeyAfterMessages: 50 });
      const sessionP = once(server, 'session');
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'esn-resume-')), 'state.json');
      const child = fork(path.join(__dirname, '..', 'helpers', 'resume-child.js'), [addr.url, file, enc ? '1' : '0'], { stdio: 'ignore', serialization: 'json' });
      h.add({ close: () => child.kill('SIGKILL') });
      const s = await sessionP;
      const fromClient = [];
      s.on('message', (m) => fromClient.push(m.n));
      let i = 0;
      const produce = (async () => {
        while (i < N) {
          i++;
          await s.send({ type: 'stdout', payload: { chunk: `${i}` } });
          if (i % 20 === 0) await turn();
        }
      })();
      await until(() => fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).got.length >= 100, 'the child handled 100 events', 30000);
      child.kill('SIGKILL');
      await once(child, 'exit');
      const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.ok(snap.got.length < N, 'killed mid-stream');
      const got = [];
      const sent = [...snap.sent];
      const b = h.client({
        url: addr.url,
        encryption: enc,
        resume: snap.state,
        reconnect: FAST,
        onMessage: (m) => {
          got.push(m.seq);
          if (m.seq % 3 === 0) {
            sent.push(sent.length + 1);
            b.send({ n: sent.length }).catch(() => {});
          }
        },
      });
      await b.connect();
      await produce;
      await until(() => snap.got.length + got.length >= N, 'every event', 30000);
      assert.deepStrictEqual([...snap.got, ...got], range(1, N), 'events exactly once, in order, across the two processes');
      await b.flush();
      await until(() => fromClient.length >= sent.length, 'every message');
      assert.deepStrictEqual(fromClient, range(1, N / 3), 'messages exactly once, in order');
    });
  }

  it('errors: before the first connect, on a crypto.subtle session, with a malformed state or with sessionId beside it', async () => {
    const c = new ReconnectingStream({ url: 'ws://127.0.0.1:1' });
    assert.throws(() => c.resumeState(), { code: 'ERR_STREAM_NO_SESSION' });
    assert.throws(() => new ReconnectingStream({ url: 'ws://127.0.0.1:1', resume: { v: 9 } }), /not a resumeState/);
    const ok = { v: 1, sessionId: 's_x', credential: 'A'.repeat(43), lastSeq: 0, acked: 0, pending: [], unsealed: [], enc: null };
    assert.throws(() => new ReconnectingStream({ url: 'ws://127.0.0.1:1', resume: ok, sessionId: 's_x' }), /give neither/);
    assert.throws(() => new ReconnectingStream({ url: 'ws://127.0.0.1:1', resume: { ...ok, credential: undefined } }), /credential/);
    if (webOnly()) {
      const { server, addr } = await h.server({ encryption: 'required' });
      const w = h.client({ url: addr.url, encryption: true, reconnect: FAST });
      await w.connect();
      assert.ok(server.sessions.size === 1);
      assert.throws(() => w.resumeState(), { code: 'ERR_STREAM_RESUME_STATE' });
    }
  });
});
