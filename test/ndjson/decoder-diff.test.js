'use strict';
// "Native equals fallback": the C framer and the JavaScript line decoder give
// the same values, errors, line numbers and offsets for random inputs cut
// into random chunks, in every mode.
const assert = require('node:assert/strict');
const { native } = require('../../lib/binding');
const { NativeLineDecoder, JsLineDecoder } = require('../../lib/ndjson/line-decoder');
const { prng } = require('../helpers/prng');
const { runDecoder: run } = require('../helpers/decoder-log');

const ev = (seq, extra = '') =>
  `{"protocolVersion":2,"sessionId":"s_${seq % 3}","seq":${seq},"type":"stdout","payload":{"chunk":"c${seq}"${extra}}}`;

function randomInput(rnd) {
  const atoms = [
    () => ev(rnd.int(1000)),
    () => ev(rnd.int(1000), ',"x":1'),
    () => `{"seq":${rnd.int(9)},"protocolVersion":2,"sessionId":"s_a","type":"stdout","payload":{"chunk":""}}`,
    () => '{"a":[1,2,{"b":"é😀"}]}',
    () => 'not json',
    () => '"unterminated',
    () => '[1,',
    () => '2]',
    () => '1 2',
    () => '',
    () => '   ',
    () => '\ufeff' + ev(1) + '\u2028',
    () => '\u00a0null\r',
    () => '"' + 'x'.repeat(rnd.int(200)) + '"',
    () => '{"deep":' + '['.repeat(1100) + ']'.repeat(1100) + '}',
    () => '{"n":1e400}',
    () => '{"n":123456789012345678901234567890}',
    () => '"\\ud800"',
    () => String.fromCharCode(0xc3),
    // routable fields, payload breaking its rule (routed in 'route-fields' mode)
    () => `{"protocolVersion":1,"sessionId":"s_x","seq":${rnd.int(9)},"type":"log","payload":{"level":5}}`,
    // duplicate and escaped keys: the last occurrence wins
    () => `{"seq":1,"s\\u0065q":${rnd.int(9)},"type":"x","protocolVersion":2,"sessionId":"s_\\u00e9","payload":{},"type":"final"}`,
    () => `{"protocolVersion":2,"sessionId":"s_a","seq":${rnd.int(9)}.5,"type":"stdout","payload":{"chunk":""}}`,
    () => `{"protocolVersion":2,"sessionId":"s_a","seq":1,"type":"stdout","payload":{"chunk":"\\ud800"}}`,
  ];
  const parts = [];
  const n = 1 + rnd.int(30);
  for (let i = 0; i < n; i++) {
    const a = rnd.pick(atoms)();
    parts.push(Buffer.from(a, 'latin1').length === a.length && a.charCodeAt(0) === 0xc3 ? Buffer.from([0xc3, 0x28]) : Buffer.from(a));
    if (i < n - 1 || rnd() < 0.5) parts.push(Buffer.from(rnd() < 0.1 ? '\r\n' : '\n'));
  }
  return Buffer.concat(parts);
}

describe('native line decoder equals the JavaScript one', function () {
  before(function () {
    if (!native) this.skip();
  });
  for (const mode of ['json', 'event', 'route', 'route-fields']) {
    it(`${mode} mode, random inputs and chunkings`, function () {
      this.timeout(20000);
      const rnd = prng(mode.length * 1000 + 1);
      for (let round = 0; round < 150; round++) {
        const input = randomInput(rnd);
        const max = rnd() < 0.3 ? 64 + rnd.int(300) : 16 << 20;
        const whole = () => input.length;
        const js = run(JsLineDecoder, mode, max, input, whole);
        for (const sizes of [whole, () => 1 + rnd.int(7), () => 1 + rnd.int(500)]) {
          assert.deepEqual(run(NativeLineDecoder, mode, max, input, sizes), js, `input: ${JSON.stringify(input.toString())}`);
          assert.deepEqual(run(JsLineDecoder, mode, max, input, sizes), js);
        }
      }
    });
  }
});
