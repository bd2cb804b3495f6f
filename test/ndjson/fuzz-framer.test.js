'use strict';
// The region of fuzz_framer's first find (csrc/fuzz/regress/framer/): line
// caps of 512 bytes or more (above the kept preview), lines passing them
// while arriving in chunks. The C bug itself (a cut after run() had scanned
// the line lost the line's newline) needed two pushes without a run between
// them, which the addon never does (each write runs the framer to the end),
// so csrc/test/test_regress.c is its regression; here, over seeded random
// inputs, the native decoder (the addon's C framer) and the JavaScript one
// give the same records, cut in random chunks or not, in every mode (the
// existing decoder-diff test stays below 512). With ENCLAVE_STREAM_NATIVE=0
// the JS decoder is checked chunked against itself whole.
const assert = require('node:assert/strict');
const { native } = require('../../lib/binding');
const { NativeLineDecoder, JsLineDecoder } = require('../../lib/ndjson/line-decoder');
const { prng } = require('../helpers/prng');
const { runDecoder: run } = require('../helpers/decoder-log');

const ev = (seq, chunk) =>
  `{"protocolVersion":2,"sessionId":"s_a","seq":${seq},"type":"stdout","payload":{"chunk":"${chunk}"}}`;

function randomInput(rnd) {
  const parts = [];
  const n = 2 + rnd.int(8);
  for (let i = 0; i < n; i++) {
    const len = rnd() < 0.5 ? rnd.int(60) : 400 + rnd.int(1800);
    const k = rnd.int(4);
    if (k === 0) parts.push(ev(i, 'x'.repeat(len)));
    else if (k === 1) parts.push(' '.repeat(len));
    else if (k === 2) parts.push('{"a":"' + 'é'.repeat(len >> 1) + '"}');
    else parts.push('not json ' + 'y'.repeat(len));
    if (i < n - 1 || rnd() < 0.5) parts.push(rnd() < 0.2 ? '\r\n' : '\n');
  }
  return Buffer.from(parts.join(''));
}

describe('fuzz regression: lines over a cap >= 512 bytes arriving in chunks', function () {
  for (const mode of ['json', 'event', 'route', 'route-fields']) {
    it(`${mode} mode`, function () {
      this.timeout(20000);
      const rnd = prng(0xf2a3 + mode.length);
      for (let round = 0; round < 40; round++) {
        const input = randomInput(rnd);
        const max = rnd.pick([512, 600, 1000, 1500]);
        const whole = () => input.length;
        const js = run(JsLineDecoder, mode, max, input, whole);
        const chunkings = [() => 1 + rnd.int(40), () => 1 + rnd.int(700)];
        for (const sizes of chunkings) {
          assert.deepEqual(run(JsLineDecoder, mode, max, input, sizes), js);
          if (native) {
            assert.deepEqual(run(NativeLineDecoder, mode, max, input, whole), js, `max ${max}`);
            assert.deepEqual(run(NativeLineDecoder, mode, max, input, sizes), js, `max ${max}, chunked`);
          }
        }
      }
    });
  }
});
