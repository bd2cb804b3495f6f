'use strict';
// The native decoder's SCAN path (csrc/ndjson/scan.c): C only frames lines
// and checks that each bracketed line closes exactly at its end; the values
// come from one JSON.parse of the batch array, events are validated in JS.
// Lines that could merge or split inside that array, or any batch that does
// not parse, must still give exactly what the JavaScript decoder gives.
const assert = require('node:assert/strict');
const { native } = require('../../lib/binding');
const { NativeLineDecoder, JsLineDecoder } = require('../../lib/ndjson/line-decoder');
const { runDecoder: run } = require('../helpers/decoder-log');
const { splitLines } = require('../../lib/ndjson');
const lib = require('../..');

const ev = (seq, sid = 's_a') =>
  `{"protocolVersion":2,"sessionId":"${sid}","seq":${seq},"type":"stdout","payload":{"chunk":"c${seq}"}}`;

// Lines that are not one JSON value each, yet joined with ',' in '[...]'
// could parse with as many elements as there are lines.
const tricky = [
  ['[1', '2]', '3,4'],
  ['{"a":[{}', '{}]}', '{},{}'],
  [ev(1), '{"a":"}', '{","b":{}}', ev(2)],
  [ev(1), '[\\"]', ev(2)],
  [ev(1), '{"a":1},{"b":2}', ev(2)],
  [ev(1), '"a"', '1', 'true', 'null', '-0.5e3', ev(2)],
  [ev(1), '{"deep":' + '['.repeat(1100) + ']'.repeat(1100) + '}', ev(2)],
  [ev(1), '{"a":tru}', ev(2)],
  [ev(1), '{"s":"\\ud800"}', '{"n":1e400}', ev(2)],
  ['{"a":"x\\\\"}', '{"b":"\\\\\\""}', ev(3)],
  [ev(1), '{"é":"😀"}', 'not json', ev(2, 's_é')],
  [ev(1), '{"k":"' + 'x'.repeat(70) + '\\\\"}', ev(2)],
];

describe('native SCAN decoding equals the JavaScript decoder', function () {
  before(function () {
    if (!native) this.skip();
  });
  for (const mode of ['json', 'event', 'route-fields']) {
    it(`${mode}: lines that could merge or split in the batch array`, () => {
      for (const lines of tricky) {
        const input = Buffer.from(lines.join('\n') + '\n');
        const js = run(JsLineDecoder, mode, 16 << 20, input, () => input.length);
        for (const size of [input.length, 1, 7, 64]) {
          assert.deepEqual(run(NativeLineDecoder, mode, 16 << 20, input, () => size), js, JSON.stringify(lines));
        }
      }
    });
  }

  it('routes events in any key order, with escapes, like the JS decoder', () => {
    const lines = [
      ev(1),
      '{"seq":2,"type":"log","sessionId":"s_b","protocolVersion":1,"payload":{"level":"info","message":"m"}}',
      '{"protocolVersion":2,"sessionId":"s_\\u0061","seq":3,"type":"log","payload":{}}',
      '{"protocolVersion":2,"sessionId":"s_a","seq":4e0,"type":"log","payload":{}}',
      '{"protocolVersion":2.0,"sessionId":"s_a","seq":5,"type":"log","payload":{}}',
      '{"protocolVersion":2,"sessionId":"s_a","seq":6,"type":"log","payload":{}} ',
      ' {"protocolVersion":2, "sessionId":"s_a", "seq":7, "type":"log", "payload":{"x":"}"}}',
      '{"protocolVersion":2,"sessionId":"s_a","seq":9007199254740992,"type":"log","payload":{}}',
    ];
    const input = Buffer.from(lines.join('\n'));
    const js = run(JsLineDecoder, 'route-fields', 16 << 20, input, () => input.length);
    assert.deepEqual(run(NativeLineDecoder, 'route-fields', 16 << 20, input, () => input.length), js);
    assert.deepEqual(
      js.filter((r) => r[0] === 'route').map((r) => r[2]),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });
});

describe('splitLines (the package framing rule for whole messages)', () => {
  it('splits on \\n, trims like String.prototype.trim, drops blank lines, replaces bad UTF-8', () => {
    assert.deepEqual(splitLines('a\n b \n\n{"x":1}\r\n'), ['a', 'b', '{"x":1}']);
    assert.deepEqual(splitLines(Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 10, 32, 10])), ['{\ufffd(}']);
    assert.deepEqual(splitLines(new Uint8Array([0x61, 10, 0x62])), ['a', 'b']);
    assert.deepEqual(splitLines('\u00a0x\u2028\n'), ['x']);
  });

  it('gives the lines the line decoder decides', () => {
    const text = [ev(1), '  ', '\ufeff' + ev(2), 'bad', ''].join('\n');
    const got = [];
    const p = new lib.NdjsonStreamParser({ onEvent: (e) => got.push(e.seq), onError: (e) => got.push(e.content) });
    p.feed(text);
    p.flush();
    assert.deepEqual(splitLines(text).map((l) => (l === 'bad' ? l : JSON.parse(l).seq)), got);
  });
});
