'use strict';
// lib/transport/outbox.js: the lines one side sent and the other has not
// acknowledged. Exact seqs, byte counts and indexes after push, eviction
// (maxEvents / maxBytes, at and one past each limit), cumulative acks,
// rewinds after a resume (and the gap they report when evicted lines are
// needed), compaction, and the HTTP replay slice.

const assert = require('node:assert');
const { Outbox } = require('../../lib/transport/outbox');

/** An outbox holding lines L1..Ln (each 2 bytes, or 3 from L10). */
function filled(n, opts) {
  const ob = new Outbox(opts);
  for (let i = 1; i <= n; i++) ob.push(`L${i}`);
  return ob;
}

/** The state a test checks at once. */
const state = (ob) => ({ count: ob.count, headSeq: ob.headSeq, nextSeq: ob.nextSeq, bytes: ob.bytes, acked: ob.acked, droppedThrough: ob.droppedThrough });

/** Marks the first `k` held lines as written to the transport, as Link.flush does. */
function markSent(ob, k) {
  for (let i = 0; i < k; i++) {
    ob.sentBytes += ob.sizes[ob.sent];
    ob.sent++;
  }
}

describe('Outbox', () => {
  it('starts empty at firstSeq (default 1)', () => {
    assert.deepStrictEqual(state(new Outbox()), { count: 0, headSeq: 1, nextSeq: 1, bytes: 0, acked: 0, droppedThrough: 0 });
    const ob = new Outbox({ firstSeq: 41 });
    assert.deepStrictEqual(state(ob), { count: 0, headSeq: 41, nextSeq: 41, bytes: 0, acked: 40, droppedThrough: 40 });
    assert.strictEqual(ob.unsent, 0);
    assert.strictEqual(ob.push('x'), 41);
  });

  it('push returns consecutive seqs and counts UTF-8 bytes (or the size given)', () => {
    const ob = new Outbox();
    assert.strictEqual(ob.push('ab'), 1);
    assert.strictEqual(ob.push('é€'), 2); // 2 + 3 bytes
    assert.strictEqual(ob.push('whatever', 100), 3);
    assert.deepStrictEqual(state(ob), { count: 3, headSeq: 1, nextSeq: 4, bytes: 2 + 5 + 100, acked: 0, droppedThrough: 0 });
    assert.deepStrictEqual(ob.sizes, [2, 5, 100]);
    assert.strictEqual(ob.unsent, 3);
  });

  describe('eviction', () => {
    it('maxEvents: holding exactly maxEvents evicts nothing; one more drops the oldest', () => {
      const ob = filled(3, { maxEvents: 3, evict: true });
      assert.deepStrictEqual(state(ob), { count: 3, headSeq: 1, nextSeq: 4, bytes: 6, acked: 0, droppedThrough: 0 });
      ob.push('L4');
      assert.deepStrictEqual(state(ob), { count: 3, headSeq: 2, nextSeq: 5, bytes: 6, acked: 0, droppedThrough: 1 });
      assert.deepStrictEqual(ob.linesFrom(0), ['L2', 'L3', 'L4']);
    });

    it('maxBytes: exactly maxBytes is held; one byte more evicts until within the limit', () => {
      const ob = new Outbox({ maxBytes: 10, evict: true });
      ob.push('aaaa'); // 4
      ob.push('bbbbbb'); // 10 in all: held
      assert.deepStrictEqual(state(ob), { count: 2, headSeq: 1, nextSeq: 3, bytes: 10, acked: 0, droppedThrough: 0 });
      ob.push('c'); // 11: the 4-byte line goes
      assert.deepStrictEqual(state(ob), { count: 2, headSeq: 2, nextSeq: 4, bytes: 7, acked: 0, droppedThrough: 1 });
    });

    it('the newest line is always kept, even alone over maxBytes', () => {
      const ob = new Outbox({ maxBytes: 4, evict: true });
      ob.push('ab');
      ob.push('0123456789');
      assert.deepStrictEqual(state(ob), { count: 1, headSeq: 2, nextSeq: 3, bytes: 10, acked: 0, droppedThrough: 1 });
      assert.deepStrictEqual(ob.linesFrom(0), ['0123456789']);
    });

    it('without evict, the limits do not drop anything', () => {
      const ob = filled(5, { maxEvents: 2, maxBytes: 3 });
      assert.deepStrictEqual(state(ob), { count: 5, headSeq: 1, nextSeq: 6, bytes: 10, acked: 0, droppedThrough: 0 });
    });

    it('evicting lines already written lowers sentBytes and keeps sent on the oldest held line', () => {
      const ob = filled(3, { maxEvents: 3, evict: true });
      markSent(ob, 2);
      assert.deepStrictEqual([ob.sent, ob.sentBytes], [2, 4]);
      ob.push('L4'); // L1 (sent) goes
      assert.deepStrictEqual([ob.head, ob.sent, ob.sentBytes, ob.unsent], [1, 2, 2, 2]);
      ob.push('L5'); // L2 (sent) goes
      ob.push('L6'); // L3 (unsent) goes: sent moves up to the head
      assert.deepStrictEqual([ob.head, ob.headSeq, ob.sent, ob.sentBytes, ob.unsent], [3, 4, 3, 0, 3]);
    });
  });

  describe('ack', () => {
    it('is cumulative: frees every line up to s and says whether it freed any', () => {
      const ob = filled(5);
      assert.strictEqual(ob.ack(0), false);
      assert.strictEqual(ob.ack(2), true);
      assert.deepStrictEqual(state(ob), { count: 3, headSeq: 3, nextSeq: 6, bytes: 6, acked: 2, droppedThrough: 0 });
      assert.strictEqual(ob.ack(2), false, 'the same ack again');
      assert.strictEqual(ob.ack(1), false, 'an older ack');
      assert.strictEqual(ob.acked, 2);
      assert.strictEqual(ob.ack(3), true);
      assert.deepStrictEqual(state(ob), { count: 2, headSeq: 4, nextSeq: 6, bytes: 4, acked: 3, droppedThrough: 0 });
    });

    it('past the last line sent: frees everything, records s, and the next push continues the numbering', () => {
      const ob = filled(3);
      assert.strictEqual(ob.ack(10), true);
      assert.deepStrictEqual(state(ob), { count: 0, headSeq: 4, nextSeq: 4, bytes: 0, acked: 10, droppedThrough: 0 });
      assert.strictEqual(ob.ack(10), false);
      assert.strictEqual(ob.push('L4'), 4);
    });

    it('lowers sentBytes by the freed lines that were written, and moves sent up to the head', () => {
      const ob = filled(4);
      markSent(ob, 3);
      assert.deepStrictEqual([ob.sent, ob.sentBytes], [3, 6]);
      ob.ack(2);
      assert.deepStrictEqual([ob.head, ob.sent, ob.sentBytes, ob.unsent], [2, 3, 2, 1]);
      ob.ack(4); // L4 was never written: sentBytes only loses L3
      assert.deepStrictEqual([ob.head, ob.sent, ob.sentBytes, ob.unsent], [4, 4, 0, 0]);
    });

    it('compacts after more than 1024 freed lines once they are over half the array', () => {
      const ob = filled(2000);
      markSent(ob, 2000);
      ob.ack(1024); // head 1024: not over 1024 yet
      assert.deepStrictEqual([ob.head, ob.lines.length], [1024, 2000]);
      ob.ack(1025); // head 1025 > 1024 and 2 * 1025 > 2000
      assert.deepStrictEqual([ob.head, ob.lines.length, ob.sizes.length, ob.sent], [0, 975, 975, 975]);
      assert.deepStrictEqual([ob.headSeq, ob.seqAt(0), ob.seqAt(974)], [1026, 1026, 2000]);
      assert.deepStrictEqual(ob.linesFrom(1999), ['L1999', 'L2000']);
      assert.strictEqual(ob.bytes, 975 * 5 - 0); // L1026..L2000: 5 bytes each
    });

    it('does not compact while freed lines are at most half of the array', () => {
      const ob = filled(3000);
      ob.ack(1100);
      assert.deepStrictEqual([ob.head, ob.lines.length], [1100, 3000]);
      assert.strictEqual(ob.seqAt(ob.head), 1101);
    });
  });

  describe('rewind (a resume)', () => {
    it('starts the next write at rx + 1: acks rx, resets sent and sentBytes', () => {
      const ob = filled(5);
      markSent(ob, 5);
      assert.strictEqual(ob.rewind(2), null);
      assert.deepStrictEqual(state(ob), { count: 3, headSeq: 3, nextSeq: 6, bytes: 6, acked: 2, droppedThrough: 0 });
      assert.deepStrictEqual([ob.sent, ob.sentBytes, ob.unsent], [ob.head, 0, 3]);
      assert.strictEqual(ob.seqAt(ob.sent), 3);
    });

    it('an rx below what was acked keeps the ack (no line comes back)', () => {
      const ob = filled(5);
      ob.ack(3);
      assert.strictEqual(ob.rewind(1), null);
      assert.deepStrictEqual(state(ob), { count: 2, headSeq: 4, nextSeq: 6, bytes: 4, acked: 3, droppedThrough: 0 });
    });

    it('reports the evicted lines the peer still needs as a gap; none when it needs only held lines', () => {
      const ob = filled(6, { maxEvents: 2, evict: true }); // L1..L4 evicted, L5 L6 held
      assert.deepStrictEqual(state(ob), { count: 2, headSeq: 5, nextSeq: 7, bytes: 4, acked: 0, droppedThrough: 4 });
      assert.deepStrictEqual(ob.rewind(0), { from: 1, to: 4 });
      const ob2 = filled(6, { maxEvents: 2, evict: true });
      assert.deepStrictEqual(ob2.rewind(3), { from: 4, to: 4 }, 'one line missing');
      const ob3 = filled(6, { maxEvents: 2, evict: true });
      assert.strictEqual(ob3.rewind(4), null, 'the peer has everything up to the first held line');
      assert.strictEqual(ob3.seqAt(ob3.sent), 5);
    });

    it('acked lines freed before the eviction are not a gap', () => {
      const ob = filled(4, { maxEvents: 2, evict: true }); // L1 L2 evicted
      ob.ack(3); // frees L3: droppedThrough stays 2
      assert.deepStrictEqual(state(ob), { count: 1, headSeq: 4, nextSeq: 5, bytes: 2, acked: 3, droppedThrough: 2 });
      assert.strictEqual(ob.rewind(3), null);
    });
  });

  describe('seqAt / linesFrom (HTTP replay)', () => {
    it('maps indexes to seqs and returns the held lines from a seq', () => {
      const ob = filled(5, { firstSeq: 10 });
      assert.deepStrictEqual([ob.seqAt(0), ob.seqAt(4)], [10, 14]);
      assert.deepStrictEqual(ob.linesFrom(12), ['L3', 'L4', 'L5']);
      assert.deepStrictEqual(ob.linesFrom(10), ['L1', 'L2', 'L3', 'L4', 'L5']);
      assert.deepStrictEqual(ob.linesFrom(1), ['L1', 'L2', 'L3', 'L4', 'L5'], 'before the head: everything held');
      assert.deepStrictEqual(ob.linesFrom(14), ['L5']);
      assert.deepStrictEqual(ob.linesFrom(15), []);
      ob.ack(11);
      assert.deepStrictEqual(ob.linesFrom(0), ['L3', 'L4', 'L5']);
      assert.deepStrictEqual(ob.linesFrom(13), ['L4', 'L5']);
    });
  });
});
