'use strict';
// lib/crypto/cipher.js's batch paths pinned (docs/MUTATION.md, second crypto
// pass), on every backend: createEnvelopeCipher (the native cipher when the
// addon loads, the JavaScript twin otherwise) against JsEnvelopeCipher sealing
// one event at a time, byte for byte. Pinned: sealBatch / sealBatchBuffer /
// sealTextBatch give the twin's lines (also empty batches, null and primitive
// events, batches after a 1 KiB, a 9 KB and a 200 KiB event, which are
// serialized in slices, with multi-byte text, into a grown scratch buffer,
// and a larger sealTextBatch after a small one) and serialize each event
// exactly once (a getter runs once: no silent retry through the per-event
// path); events JSON cannot write (functions, symbols, undefined) give the
// coded TypeError with nothing sealed; toJSON sees the key '' as in
// JSON.stringify(event); rotation errors keep err.sealed; openText on bytes,
// empty plaintexts, tampered bytes and non-lines; openTextBatch on fresh
// ciphers (short and long chunks, strings and bytes, more than 512 lines),
// its per-line seq / counter / error results; dispose; and the JavaScript
// twin's own noncePrefix, sealBytes, nonce-length and disposal messages, and
// sealBatchBuffer's err.sealed and growing lastEnds.
const assert = require('node:assert');
const { createEnvelopeCipher, JsEnvelopeCipher } = require('../../lib/crypto/cipher');

const KEY = Buffer.alloc(32, 7);
const SID = 's_x2batch';
const KID = 'k_x2';
const PREFIX = Buffer.from('a1b2c3d4e5f60718', 'hex');
const DECRYPT = 'ENCRYPTION_DECRYPTION_FAILED';
const EXPIRED = 'ENCRYPTION_KEY_EXPIRED';
const ROTATE_MSG = 'Key needs rotation: nonce limit reached';
const NOT_JSON = 'the inner event is not JSON-serializable';
const NOT_LINE = 'an envelope line (string or Uint8Array) expected';

function options(extra = {}) {
  return { key: KEY, sessionId: SID, kid: KID, noncePrefix: PREFIX, ...extra };
}

/** The backend's cipher (native when the addon loads). */
function cipher(extra) {
  return createEnvelopeCipher(options(extra));
}

/** The JavaScript twin, same key, prefix and counter: the reference lines. */
function twin(extra) {
  return new JsEnvelopeCipher(options(extra));
}

/** The lines the twin writes for events sealed one at a time. */
function expectedLines(events, seqs, extra) {
  const t = twin(extra);
  return events.map((e, i) => `${t.sealText(seqs[i], JSON.stringify(e))}\n`).join('');
}

/** Events with a getter counting how often each is serialized. */
function counted(make, count) {
  const calls = { n: 0 };
  const events = [];
  for (let i = 0; i < count; i++) {
    const e = make(i);
    Object.defineProperty(e, 'g', {
      enumerable: true,
      get() {
        calls.n++;
        return i;
      },
    });
    events.push(e);
  }
  return { events, calls };
}

function seqsOf(n, from = 0) {
  return Array.from({ length: n }, (_, i) => from + i);
}

function assertThrowsCode(fn, code, message) {
  assert.throws(fn, (err) => {
    assert.strictEqual(err.code, code);
    if (message) assert.strictEqual(err.message, message);
    return true;
  });
}

describe('crypto/cipher batch edges (sealBatch, sealTextBatch, openText, openTextBatch)', () => {
  it('sealBatch of objects, null and primitives: the twin\'s lines, each event serialized once', () => {
    const { events, calls } = counted((i) => ({ i, s: 'é€' }), 3);
    const all = [...events, null, 5, 'text', true, [1, 'two']];
    const seqs = seqsOf(all.length, 10);
    const want = expectedLines(all.map((e) => JSON.parse(JSON.stringify(e))), seqs);
    calls.n = 0;
    const c = cipher();
    assert.strictEqual(c.sealBatch(all, seqs), want);
    assert.strictEqual(calls.n, 3);
    assert.strictEqual(c.nonceCounter, all.length);
    const lines = want.split('\n').slice(0, -1);
    const opener = cipher();
    assert.deepStrictEqual(
      lines.map((l) => opener.open(l)),
      all.map((e) => JSON.parse(JSON.stringify(e))),
    );
  });

  it('null first in a batch: sealed as null, as JSON.stringify writes it', () => {
    const events = [null, { a: 1 }, null];
    assert.strictEqual(cipher().sealBatch(events, [0, 1, 2]), expectedLines(events, [0, 1, 2]));
    assert.deepStrictEqual(cipher().sealBatchBuffer(events, [0, 1, 2]), Buffer.from(expectedLines(events, [0, 1, 2])));
  });

  it('a 200 KiB event, then a batch of small ones: the twin\'s lines, also as a Buffer', () => {
    const c = cipher();
    const big = [{ big: 'b'.repeat(200 * 1024), euro: '€' }];
    const bigLines = c.sealBatch(big, [0]);
    assert.strictEqual(bigLines, expectedLines(big, [0]));
    const small = Array.from({ length: 30 }, (_, i) => ({ i }));
    const t = twin();
    t.sealText(0, JSON.stringify(big[0]));
    const want = small.map((e, i) => `${t.sealText(1 + i, JSON.stringify(e))}\n`).join('');
    assert.strictEqual(c.sealBatch(small, seqsOf(30, 1)), want);
    assert.deepStrictEqual(cipher().open(bigLines.slice(0, -1)), big[0]);
  });

  it('sealBatchBuffer: a fresh Buffer of the twin\'s bytes, its line ends, each event serialized once', () => {
    const { events, calls } = counted((i) => ({ i, seq: 40 + i }), 4);
    events.push(null);
    const seqs = seqsOf(5, 40);
    const want = Buffer.from(expectedLines(events.map((e) => JSON.parse(JSON.stringify(e))), seqs));
    calls.n = 0;
    const c = cipher();
    const b = c.sealBatchBuffer(events, seqs);
    assert.ok(Buffer.isBuffer(b));
    assert.deepStrictEqual(b, want);
    assert.strictEqual(calls.n, 4);
    const ends = [];
    for (let i = want.indexOf(10); i >= 0; i = want.indexOf(10, i + 1)) ends.push(i + 1);
    assert.deepStrictEqual(Array.from(c.lastEnds), ends);
    // the next call does not write into the Buffer handed out
    const copy = Buffer.from(b);
    c.sealBatchBuffer([{ x: 1 }], [99]);
    assert.deepStrictEqual(b, copy);
  });

  it('functions, symbols and undefined in a batch: the coded TypeError, nothing sealed', () => {
    for (const bad of [() => 1, Symbol('s'), undefined]) {
      for (const method of ['sealBatch', 'sealBatchBuffer']) {
        const c = cipher();
        assert.throws(() => c[method]([{ a: 1 }, bad], [0, 1]), (err) => {
          assert.ok(err instanceof TypeError);
          assert.strictEqual(err.message, NOT_JSON);
          return true;
        });
        assert.strictEqual(c.nonceCounter, 0);
      }
    }
  });

  it('an event with toJSON is serialized as JSON.stringify(event) writes it (toJSON gets the key \'\')', () => {
    const e = { toJSON: (key) => ({ key, v: 1 }) };
    const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const c = cipher();
    const text = c.sealBatch([{ a: 1 }, e, date], [1, 2, 3]);
    assert.strictEqual(text, expectedLines([{ a: 1 }, { key: '', v: 1 }, date.toJSON()], [1, 2, 3]));
    const opener = cipher();
    assert.deepStrictEqual(opener.openBatch(text), [{ a: 1 }, { key: '', v: 1 }, '2026-01-02T03:04:05.000Z']);
    // a batch of toJSON events (and primitives) only
    const only = cipher().sealBatch([e, date, 5], [4, 5, 6]);
    assert.strictEqual(only, expectedLines([{ key: '', v: 1 }, date.toJSON(), 5], [4, 5, 6]));
  });

  it('empty batches: no lines, no ends, the counter unchanged', () => {
    const c = cipher();
    assert.strictEqual(c.sealBatch([], []), '');
    assert.strictEqual(c.sealTextBatch([], []), '');
    const b = c.sealBatchBuffer([], []);
    assert.strictEqual(b.length, 0);
    assert.strictEqual(c.lastEnds.length, 0);
    assert.strictEqual(c.nonceCounter, 0);
    assert.strictEqual(c.sealBatch([{ a: 1 }], [0]), expectedLines([{ a: 1 }], [0]));
  });

  it('a batch after big events is serialized in slices (multi-byte text, a growing buffer): the twin\'s lines, each event once', () => {
    const c = cipher();
    const first = [{ big: 'x'.repeat(9000) }];
    assert.strictEqual(c.sealBatch(first, [0]), expectedLines(first, [0]));
    const { events, calls } = counted((i) => ({ i, euro: '€'.repeat(3000) }), 20);
    const seqs = seqsOf(20, 1);
    const plain = events.map((e) => JSON.parse(JSON.stringify(e)));
    calls.n = 0;
    const got = c.sealBatch(events, seqs);
    assert.strictEqual(calls.n, 20);
    const t = twin();
    t.sealText(0, JSON.stringify(first[0]));
    assert.strictEqual(got, plain.map((e, i) => `${t.sealText(seqs[i], JSON.stringify(e))}\n`).join(''));
    // and once more into the grown buffer, as a Buffer
    calls.n = 0;
    const b = c.sealBatchBuffer(events, seqsOf(20, 21));
    assert.strictEqual(calls.n, 20);
    assert.deepStrictEqual(b, Buffer.from(plain.map((e, i) => `${t.sealText(21 + i, JSON.stringify(e))}\n`).join('')));
    assert.deepStrictEqual(cipher().openBatch(b).slice(18), plain.slice(18));
  });

  it('a batch of 300 small events after a 1 KiB one (slices of 64 events): the twin\'s lines, each event once', () => {
    const c = cipher();
    const first = { pad: 'p'.repeat(1000) };
    assert.strictEqual(c.sealBatch([first], [0]), expectedLines([first], [0]));
    const { events, calls } = counted((i) => ({ i, pad: 'q'.repeat(i % 50) }), 300);
    const plain = events.map((e) => JSON.parse(JSON.stringify(e)));
    calls.n = 0;
    const got = c.sealBatch(events, seqsOf(300, 1));
    assert.strictEqual(calls.n, 300);
    const t = twin();
    t.sealText(0, JSON.stringify(first));
    assert.strictEqual(got, plain.map((e, i) => `${t.sealText(1 + i, JSON.stringify(e))}\n`).join(''));
  });

  it('rotation in a batch: ENCRYPTION_KEY_EXPIRED with err.sealed, each event serialized once', () => {
    for (const [max, sealed] of [[0, 0], [2, 2]]) {
      for (const method of ['sealBatch', 'sealBatchBuffer']) {
        const { events, calls } = counted((i) => ({ i }), 3);
        const c = cipher({ maxNonces: max });
        assert.throws(() => c[method](events, [0, 1, 2]), (err) => {
          assert.strictEqual(err.code, EXPIRED);
          assert.strictEqual(err.message, ROTATE_MSG);
          assert.strictEqual(err.sealed, sealed);
          return true;
        });
        assert.strictEqual(calls.n, 3);
        assert.strictEqual(c.nonceCounter, sealed);
      }
    }
  });

  it('sealTextBatch on a fresh cipher and on a larger batch later: the twin\'s lines', () => {
    const c = cipher();
    const texts = ['{"a":1}', '"é"', '[1,2]'];
    assert.strictEqual(c.sealTextBatch(texts, [4, 5, 6]), expectedLines(texts.map((x) => JSON.parse(x)), [4, 5, 6]));
    const more = Array.from({ length: 40 }, (_, i) => `{"n":${i}}`);
    const t = twin();
    for (let i = 0; i < 3; i++) t.sealText(4 + i, texts[i]);
    assert.strictEqual(c.sealTextBatch(more, seqsOf(40, 7)), more.map((x, i) => `${t.sealText(7 + i, x)}\n`).join(''));
  });

  it('sealTextBatch rotation: ENCRYPTION_KEY_EXPIRED with its message and err.sealed', () => {
    for (const [max, sealed] of [[0, 0], [2, 2]]) {
      const c = cipher({ maxNonces: max });
      assert.throws(() => c.sealTextBatch(['{}', '{}', '{}'], [0, 1, 2]), (err) => {
        assert.strictEqual(err.code, EXPIRED);
        assert.strictEqual(err.message, ROTATE_MSG);
        assert.strictEqual(err.sealed, sealed);
        return true;
      });
      assert.strictEqual(c.nonceCounter, sealed);
    }
  });

  it('openText on bytes: the inner text (also empty), lastSeq and lastCounter; tampered bytes and non-lines refused', () => {
    const s = cipher();
    const l1 = s.sealText(7, '{"a":"é"}');
    const l2 = s.sealText(0, '');
    const c = cipher();
    assert.strictEqual(c.openText(Buffer.from(l1)), '{"a":"é"}');
    assert.deepStrictEqual([c.lastSeq, c.lastCounter], [7, 0]);
    assert.strictEqual(c.openText(new Uint8Array(Buffer.from(l2))), '');
    assert.deepStrictEqual([c.lastSeq, c.lastCounter], [0, 1]);
    const bad = Buffer.from(l1);
    bad[bad.length - 6] ^= 1; // inside the base64 of the tag
    assertThrowsCode(() => cipher().openText(bad), DECRYPT);
    for (const notLine of [42, {}, null, undefined]) {
      assert.throws(() => cipher().openText(notLine), (err) => {
        assert.ok(err instanceof TypeError);
        assert.strictEqual(err.message, NOT_LINE);
        return true;
      });
    }
  });

  it('openText of a line over 64 Ki characters, as a string and as bytes', () => {
    const event = { big: '€'.repeat(70000), ascii: 'y'.repeat(1000) };
    const line = cipher().seal(event, 3);
    assert.ok(line.length > 0x10000);
    const c = cipher();
    assert.deepStrictEqual(c.open(line), event);
    assert.deepStrictEqual(c.open(Buffer.from(line)), event);
    assert.deepStrictEqual([c.lastSeq, c.lastCounter], [3, 0]);
  });

  it('openTextBatch on fresh ciphers: a short chunk of bad lines gives one error per line', () => {
    for (const data of ['{}\n', '{}\nx\n', Buffer.from('{}\n')]) {
      const got = cipher().openTextBatch(data);
      const want = twin().openTextBatch(data);
      assert.strictEqual(got.length, want.length);
      assert.deepStrictEqual(got.map((r) => [r.seq, r.error.code, r.error.message]), want.map((r) => [r.seq, r.error.code, r.error.message]));
      assert.strictEqual(got[0].seq, undefined);
      assert.strictEqual(got[0].error.code, DECRYPT);
    }
  });

  it('openTextBatch on fresh ciphers: seq, counter and text of every line, from a string and from bytes', () => {
    const s = cipher({ nonceCounter: 5 });
    const texts = ['{"a":1}', '{"b":"é€"}', '"x"', '{"c":[1,2,3]}', '{}'];
    const data = s.sealTextBatch(texts, [9, 3, 0, 12, 4]);
    for (const input of [data, Buffer.from(data)]) {
      const got = cipher().openTextBatch(input);
      assert.deepStrictEqual(got, [
        { seq: 9, counter: 5, text: texts[0] },
        { seq: 3, counter: 6, text: texts[1] },
        { seq: 0, counter: 7, text: texts[2] },
        { seq: 12, counter: 8, text: texts[3] },
        { seq: 4, counter: 9, text: texts[4] },
      ]);
    }
  });

  it('openTextBatch errors keep the line\'s seq (also 0) when the envelope parsed, undefined when not', () => {
    const s = cipher();
    const tamper = (line) => {
      const i = line.length - 6;
      return line.slice(0, i) + (line[i] === 'A' ? 'B' : 'A') + line.slice(i + 1);
    };
    const good = s.sealText(2, '{"ok":1}');
    const data = [tamper(s.sealText(0, '{}')), 'not json', tamper(s.sealText(7, '{}')), good].join('\n');
    const got = cipher().openTextBatch(data);
    assert.deepStrictEqual(got.map((r) => r.seq), [0, undefined, 7, 2]);
    assert.deepStrictEqual(got.map((r) => (r.error ? r.error.code : r.text)), [DECRYPT, DECRYPT, DECRYPT, '{"ok":1}']);
    assert.deepStrictEqual(twin().openTextBatch(data).map((r) => r.seq), [0, undefined, 7, 2]);
  });

  it('openTextBatch of more than 512 lines in one chunk: every line opened', () => {
    const n = 700;
    const s = cipher();
    const data = s.sealTextBatch(Array.from({ length: n }, (_, i) => `{"i":${i}}`), seqsOf(n));
    const got = cipher().openTextBatch(data);
    assert.strictEqual(got.length, n);
    for (let i = 0; i < n; i++) {
      assert.strictEqual(got[i].seq, i);
      assert.strictEqual(got[i].counter, i);
      assert.strictEqual(got[i].text, `{"i":${i}}`);
    }
  });

  it('dispose: later seals and opens fail with "EnvelopeCipher was disposed"', () => {
    const line = cipher().sealText(1, '{}');
    const c = cipher();
    c.sealBatch([{ a: 1 }], [0]);
    c.openTextBatch(`${line}\n`);
    c.dispose();
    for (const call of [() => c.sealText(2, '{}'), () => c.openText(line), () => c.sealBatch([{ a: 1 }], [3])]) {
      assert.throws(call, (err) => {
        assert.strictEqual(err.message, 'EnvelopeCipher was disposed');
        return true;
      });
    }
  });
});

describe('crypto/cipher JavaScript twin (JsEnvelopeCipher) batch and nonce edges', () => {
  it('noncePrefix is the prefix given (a copy)', () => {
    const t = twin();
    const p = t.noncePrefix;
    assert.ok(p instanceof Uint8Array);
    assert.deepStrictEqual(Buffer.from(p), PREFIX);
    p[0] ^= 1;
    assert.deepStrictEqual(Buffer.from(t.noncePrefix), PREFIX);
  });

  it('sealBytes gives the line sealText gives for the same UTF-8', () => {
    const text = '{"a":"é€"}';
    assert.strictEqual(twin().sealBytes(3, new Uint8Array(Buffer.from(text))), twin().sealText(3, text));
  });

  it('an explicit nonce that is not 12 bytes: the coded error and its message', () => {
    assertThrowsCode(() => twin().sealText(0, '{}', Buffer.alloc(16)), DECRYPT, 'Invalid nonce length: expected 12, got 16');
  });

  it('after dispose: "EnvelopeCipher was disposed"', () => {
    const t = twin();
    t.dispose();
    assert.throws(() => t.sealText(0, '{}'), (err) => {
      assert.strictEqual(err.message, 'EnvelopeCipher was disposed');
      return true;
    });
  });

  it('sealBatchBuffer: rotation keeps err.sealed; lastEnds grow with a larger batch', () => {
    const m = twin({ maxNonces: 2 });
    assert.throws(() => m.sealBatchBuffer([{}, {}, {}], [0, 1, 2]), (err) => {
      assert.strictEqual(err.code, EXPIRED);
      assert.strictEqual(err.sealed, 2);
      return true;
    });
    const t = twin();
    const b1 = t.sealBatchBuffer([{ a: 1 }], [0]);
    assert.deepStrictEqual(Array.from(t.lastEnds), [b1.length]);
    const b3 = t.sealBatchBuffer([{ a: 1 }, { b: 22 }, { c: 333 }], [1, 2, 3]);
    const ends = [];
    for (let i = b3.indexOf(10); i >= 0; i = b3.indexOf(10, i + 1)) ends.push(i + 1);
    assert.strictEqual(ends.length, 3);
    assert.deepStrictEqual(Array.from(t.lastEnds), ends);
  });

  // For a line that is JSON with a valid seq but not a valid envelope (wrong
  // type, session id, version or payload) both backends report that seq (the
  // C core did not until this pass); without a valid seq, none.
  it('a bad envelope with a valid seq: both backends report that seq (openTextBatch, openText lastSeq)', () => {
    const line = JSON.stringify({ protocolVersion: 2, sessionId: SID, seq: 7, type: 'event', payload: { kid: KID, nonceB64: 'AAAA', ciphertextB64: 'BBBB' } });
    for (const c of [cipher(), twin()]) {
      const [r] = c.openTextBatch(`${line}\n`);
      assert.deepStrictEqual([r.seq, r.error.code, r.error.reason], [7, 'ENCRYPTION_DECRYPTION_FAILED', 'envelope']);
      assert.throws(() => c.openText(line), { code: 'ENCRYPTION_DECRYPTION_FAILED' });
      assert.strictEqual(c.lastSeq, 7);
      assert.throws(() => c.openText(line.replace('"seq":7', '"seq":-7')), { code: 'ENCRYPTION_DECRYPTION_FAILED' });
      assert.strictEqual(c.lastSeq, -1);
    }
  });
});
