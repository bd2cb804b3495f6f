'use strict';
// Work done with the native addon (or, on the JavaScript backend, its
// twins), the same in the main thread and in
// worker_threads (test/binding/workers.test.js): the line decoder over the
// NDJSON vectors in uneven chunks, the validator over every vector line,
// sealing with the vectors' nonces and opening (byte for byte), and ECDH of
// the vectors' handshakes. Returns plain data, so results can be compared
// across threads. Run as a worker (workerData { rounds, forever }), it posts
// { backend, result } after each round (and { error } if one throws). Run as
// a process with --terminate-workers, it terminates four busy workers, then
// checks the main thread's addon and a new worker, and exits 0 when all is
// well (a separate process: an addon that aborts on terminate takes down
// only that process, not the test run).

const assert = require('node:assert');
const { isMainThread, parentPort, workerData, Worker } = require('node:worker_threads');
const { native, backend } = require('../../lib/binding');
const { NativeLineDecoder, JsLineDecoder } = require('../../lib/ndjson/line-decoder');
const { checkJsonEvent } = require('../../lib/validate');
const { createEnvelopeCipher, deriveSharedSecretSync } = require('../../index.js');
const { runDecoder } = require('./decoder-log');
const LINES = require('../vectors/ndjson-lines.json').lines;
const CRYPTO = require('../vectors/crypto.json');

const hex = (s) => Buffer.from(s, 'hex');

/** One round of the work: every result as plain data. */
function addonWork() {
  const input = Buffer.from(LINES.map((v) => v.line).join('\n') + '\n');
  const decoded = runDecoder(native ? NativeLineDecoder : JsLineDecoder, 'event', 1024, input, (k) => 1 + ((k * 7) % 13));
  const validated = LINES.map((v) => {
    const buf = Buffer.from(v.line);
    if (native) return native.validateJson(buf, 0, buf.length);
    try {
      return checkJsonEvent(JSON.parse(v.line));
    } catch {
      return 'not JSON';
    }
  });
  const envelopes = CRYPTO.envelopes.map((e) => {
    const env = JSON.parse(e.line);
    const cipher = createEnvelopeCipher({ key: hex(e.keyHex), sessionId: env.sessionId, kid: env.payload.kid });
    const line = cipher.sealText(env.seq, JSON.stringify(e.inner), hex(e.nonceHex));
    const opener = createEnvelopeCipher({ key: hex(e.keyHex), sessionId: env.sessionId, kid: env.payload.kid });
    const fresh = opener.open(cipher.seal({ ...e.inner, seq: env.seq + 1 }));
    return { same: line === e.line, opened: opener.open(e.line), fresh };
  });
  const secrets = CRYPTO.handshakes.map((h) => Buffer.from(deriveSharedSecretSync(hex(h.clientPrivateKeyHex), h.serverPublicKeyB64)).toString('hex'));
  return { decoded, validated, envelopes, secrets };
}

if (!isMainThread && workerData && workerData.addonWork) {
  const { rounds = 1, forever = false } = workerData;
  try {
    for (let i = 0; forever || i < rounds; i++) parentPort.postMessage({ backend, round: i, result: addonWork() });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.stack) || err) });
  }
}

/** Starts a worker running this file; its messages are collected in w.messages, w.exited resolves with its exit code. */
function startWorker(data) {
  const w = new Worker(__filename, { workerData: { addonWork: true, ...data } });
  w.messages = [];
  w.on('message', (m) => w.messages.push(m));
  w.exited = new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', resolve);
  });
  return w;
}

/** Resolves once worker `w` has posted `n` messages. */
function messages(w, n) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (w.messages.length < n) return;
      w.off('message', check);
      resolve(w.messages.slice(0, n));
    };
    w.on('message', check);
    w.once('error', reject);
    check();
  });
}

/** Four workers busy with the addon are terminated; the main thread's addon and a new worker still give `expected`. */
async function terminateWorkers() {
  const expected = addonWork();
  const busy = Array.from({ length: 4 }, () => startWorker({ forever: true }));
  await Promise.all(busy.map((w) => messages(w, 2)));
  assert.deepStrictEqual(await Promise.all(busy.map((w) => w.terminate())), [1, 1, 1, 1]);
  for (const w of busy) {
    assert.deepStrictEqual(w.messages.filter((m) => m.error), []);
    assert.deepStrictEqual(w.messages[0].result, expected);
  }
  assert.deepStrictEqual(addonWork(), expected, 'the main thread after the terminations');
  const again = startWorker({ rounds: 1 });
  assert.strictEqual(await again.exited, 0);
  assert.deepStrictEqual(
    again.messages.map((m) => m.result),
    [expected],
  );
}

if (isMainThread && require.main === module && process.argv[2] === '--terminate-workers') {
  terminateWorkers().then(
    () => process.stdout.write('terminate-workers: OK\n'),
    (err) => {
      process.stderr.write(`${(err && err.stack) || err}\n`);
      process.exitCode = 1;
    },
  );
}

module.exports = { addonWork, startWorker };
