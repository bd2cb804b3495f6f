'use strict';
// lib/transport/outbox.js at its edges, pinned value by value (found by
// mutation testing, docs/MUTATION.md): seq numbering from firstSeq, eviction
// by count and by bytes (always keeping the newest line), cumulative acks
// (stale, beyond the last seq, byte accounting of written lines), compaction
// after 1024 freed lines, and the gap a rewind reports.
const assert = require('node:assert');
const { Outbox } = require('../../lib/transport/outbox');

/** Marks the next `n` held lines as written to the transport, as Link does. */
function write(ob, n) {
  for (let i = 0; i < n; i++) {
    ob.sentBytes += ob.sizes[ob.sent];
    ob.sent++;
  }
}

const held = (ob) => ob.lines.slice(ob.head);

describe('transport/outbox edges', () => {
  it('numbers lines from firstSeq; count, unsent, bytes (UTF-8) and the defaults', () => {
    const ob = new Outbox({ firstSeq: 5 });
    assert.deepStrictEqual([ob.maxEvents, ob.maxBytes, ob.evict], [Infinity, Infinity, false]);
    assert.deepStrictEqual([ob.headSeq, ob.nextSeq, ob.acked, ob.droppedThrough], [5, 5, 4, 4]);
    assert.strictEqual(ob.push('ab'), 5);
    assert.strictEqual(ob.push('é'), 6); // 2 UTF-8 bytes
    assert.strictEqual(ob.push('xyz', 10), 7); // an explicit size is taken as given
    assert.deepStrictEqual([ob.count, ob.unsent, ob.bytes, ob.nextSeq], [3, 3, 14, 8]);
    assert.deepStrictEqual(new Outbox().push('a'), 1);
  });

  it('without evict, maxEvents and maxBytes do not drop anything', () => {
    const ob = new Outbox({ maxEvents: 1, maxBytes: 1 });
    ob.push('aaa');
    ob.push('bbb');
    assert.deepStrictEqual(held(ob), ['aaa', 'bbb']);
    assert.strictEqual(ob.droppedThrough, 0);
  });

  it('evict by count: exactly maxEvents lines stay, the oldest go, droppedThrough and bytes follow', () => {
    const ob = new Outbox({ maxEvents: 2, evict: true });
    ob.push('a');
    ob.push('bb');
    assert.deepStrictEqual([ob.count, ob.droppedThrough], [2, 0]); // at the bound: nothing evicted
    ob.push('ccc');
    assert.deepStrictEqual(held(ob), ['bb', 'ccc']);
    assert.deepStrictEqual([ob.count, ob.headSeq, ob.droppedThrough, ob.bytes], [2, 2, 1, 5]);
  });

  it('evict by bytes: lines go until the bytes fit, but the newest line always stays', () => {
    const ob = new Outbox({ maxBytes: 5, evict: true });
    ob.push('aa');
    ob.push('bbb');
    assert.deepStrictEqual([ob.count, ob.bytes], [2, 5]); // exactly maxBytes: kept
    ob.push('c');
    assert.deepStrictEqual(held(ob), ['bbb', 'c']);
    assert.deepStrictEqual([ob.bytes, ob.droppedThrough], [4, 1]);
    ob.push('x'.repeat(50)); // bigger than maxBytes alone: everything older goes, it stays
    assert.deepStrictEqual(held(ob), ['x'.repeat(50)]);
    assert.deepStrictEqual([ob.count, ob.bytes, ob.headSeq, ob.droppedThrough], [1, 50, 4, 3]);
  });

  it('evict by bytes stops as soon as the bytes are down to maxBytes (exactly maxBytes is within the bound)', () => {
    const ob = new Outbox({ maxBytes: 5, evict: true });
    ob.push('aa');
    ob.push('bbb');
    ob.push('cc'); // 7 bytes: 'aa' goes, 5 are left
    assert.deepStrictEqual(held(ob), ['bbb', 'cc']);
    assert.deepStrictEqual([ob.bytes, ob.droppedThrough], [5, 1]);
  });

  it('evicting unwritten lines leaves the write position where it is when it is past the head', () => {
    const ob = new Outbox({ maxEvents: 2, evict: true });
    ob.push('a');
    ob.push('b');
    write(ob, 2);
    ob.push('c'); // evicts 'a'; 'b' stays written, 'c' is next
    assert.deepStrictEqual([ob.head, ob.sent, ob.unsent, ob.sentBytes], [1, 2, 1, 1]);
  });

  it('evicting written lines takes their bytes off sentBytes and moves sent up to the head', () => {
    const ob = new Outbox({ maxEvents: 2, evict: true });
    ob.push('aaaa');
    ob.push('bb');
    write(ob, 1); // 'aaaa' written
    assert.deepStrictEqual([ob.sent, ob.sentBytes], [1, 4]);
    ob.push('c'); // evicts the written 'aaaa'
    assert.deepStrictEqual([ob.head, ob.sent, ob.sentBytes, ob.unsent], [1, 1, 0, 2]);
    ob.push('d'); // evicts the unwritten 'bb': sent jumps to the new head
    assert.deepStrictEqual([ob.head, ob.sent, ob.sentBytes, ob.unsent], [2, 2, 0, 2]);
  });

  it('ack: cumulative, stale acks are ignored (false), an ack past the last seq frees everything held and is remembered', () => {
    const ob = new Outbox();
    ob.push('aa');
    ob.push('bbb');
    ob.push('c');
    write(ob, 2);
    assert.strictEqual(ob.ack(0), false);
    assert.strictEqual(ob.ack(1), true);
    assert.deepStrictEqual([ob.acked, ob.headSeq, ob.count, ob.bytes, ob.sentBytes, ob.sent, ob.head], [1, 2, 2, 4, 3, 2, 1]);
    assert.strictEqual(ob.ack(1), false); // the same ack again
    assert.strictEqual(ob.ack(9), true);
    assert.deepStrictEqual([ob.acked, ob.headSeq, ob.count, ob.bytes, ob.sentBytes, ob.unsent], [9, 4, 0, 0, 0, 0]);
    assert.strictEqual(ob.ack(10), false); // nothing left to free, but acked moves
    assert.strictEqual(ob.acked, 10);
    assert.strictEqual(ob.push('d'), 4); // seqs go on from nextSeq, not from the ack
    assert.strictEqual(ob.ack(10), false);
  });

  it('ack of lines not yet written leaves sentBytes alone and moves sent to the head', () => {
    const ob = new Outbox();
    ob.push('aa');
    ob.push('bb');
    ob.push('cc');
    write(ob, 1);
    assert.strictEqual(ob.ack(2), true);
    assert.deepStrictEqual([ob.sent, ob.head, ob.sentBytes, ob.unsent], [2, 2, 0, 1]);
  });

  it('compacts its arrays once more than 1024 lines were freed and they are over half of them; seqs and replays stay right', () => {
    const ob = new Outbox();
    for (let i = 1; i <= 1030; i++) ob.push(`l${i}`);
    write(ob, 1030);
    ob.ack(1024); // head 1024: not over 1024, nothing moves
    assert.deepStrictEqual([ob.head, ob.lines.length], [1024, 1030]);
    ob.ack(1025); // head 1025 > 1024 and 2 * 1025 > 1030: compacted
    assert.deepStrictEqual([ob.head, ob.lines.length, ob.sizes.length, ob.sent], [0, 5, 5, 5]);
    assert.deepStrictEqual([ob.headSeq, ob.seqAt(0), ob.seqAt(4)], [1026, 1026, 1030]);
    assert.deepStrictEqual(ob.linesFrom(1029), ['l1029', 'l1030']);
    assert.strictEqual(ob.bytes, 5 * 5);
  });

  it('does not compact while the freed lines are not over half of the arrays', () => {
    const ob = new Outbox();
    for (let i = 1; i <= 2100; i++) ob.push('x');
    ob.ack(1050); // 2 * 1050 = 2100: not over half
    assert.deepStrictEqual([ob.head, ob.lines.length], [1050, 2100]);
    ob.ack(1051);
    assert.deepStrictEqual([ob.head, ob.lines.length], [0, 1049]);
  });

  it('compacts after evictions too', () => {
    const ob = new Outbox({ maxEvents: 2, evict: true });
    for (let i = 1; i <= 1028; i++) ob.push(`e${i}`);
    assert.deepStrictEqual([ob.head, ob.lines.length, ob.count, ob.headSeq, ob.droppedThrough], [1, 3, 2, 1027, 1026]); // compacted at the 1027th push
    assert.deepStrictEqual(ob.linesFrom(0), ['e1027', 'e1028']);
  });

  it('rewind: the next write starts at the head, acking what the peer holds; a gap only for evicted lines', () => {
    const ob = new Outbox();
    ob.push('a');
    ob.push('b');
    ob.push('c');
    write(ob, 3);
    assert.strictEqual(ob.rewind(1), null);
    assert.deepStrictEqual([ob.acked, ob.headSeq, ob.sent, ob.head, ob.sentBytes, ob.unsent], [1, 2, 1, 1, 0, 2]);
    assert.strictEqual(ob.rewind(0), null); // older than what was acked: nothing freed, no gap (nothing was evicted)
    assert.strictEqual(ob.acked, 1);
  });

  it('rewind from before the oldest evicted line reports exactly the evicted range', () => {
    const ob = new Outbox({ maxEvents: 2, evict: true });
    for (const l of ['a', 'b', 'c', 'd', 'e']) ob.push(l); // 1..3 evicted, 4 and 5 held
    assert.deepStrictEqual(ob.rewind(0), { from: 1, to: 3 });
    assert.deepStrictEqual(ob.rewind(2), { from: 3, to: 3 });
    assert.strictEqual(ob.rewind(3), null); // the peer holds 3: 4 and 5 are here
  });

  it('rewind after acked (not evicted) lines: no gap even when the peer asks from before the head', () => {
    const ob = new Outbox({ maxEvents: 3, evict: true });
    for (const l of ['a', 'b', 'c', 'd']) ob.push(l); // 1 evicted
    ob.ack(3); // 2 and 3 acked: headSeq 4
    assert.deepStrictEqual(ob.rewind(0), { from: 1, to: 1 }); // only the evicted line is a gap
    assert.strictEqual(ob.rewind(1), null);
  });

  it('linesFrom: from the head when asked from before it, an empty list past the end', () => {
    const ob = new Outbox({ firstSeq: 10 });
    ob.push('a');
    ob.push('b');
    ob.push('c');
    ob.ack(10);
    assert.deepStrictEqual(ob.linesFrom(1), ['b', 'c']);
    assert.deepStrictEqual(ob.linesFrom(11), ['b', 'c']);
    assert.deepStrictEqual(ob.linesFrom(12), ['c']);
    assert.deepStrictEqual(ob.linesFrom(13), []);
  });
});
