'use strict';
// lib/transport/delivery.js's Refusals pinned (docs/MUTATION.md): the owner gives up on
// exactly the limit-th consecutive refusal of one seq; another seq or a
// delivery starts the count again. Delivery pinned too: the label that names
// a line in reasons (defaults to `what`), the envelope opened in a batch going
// to Channel#opened, and a sink that answers a refusal itself.
const assert = require('node:assert');
const { Delivery, Refusals, REFUSE_LIMIT } = require('../../lib/transport/delivery');

describe('transport/refusals edges', () => {
  it('gives up on the third consecutive refusal of one seq (REFUSE_LIMIT = 3 by default)', () => {
    assert.strictEqual(REFUSE_LIMIT, 3);
    const r = new Refusals();
    assert.deepStrictEqual([r.limit, r.seq, r.count], [3, -1, 0]);
    assert.deepStrictEqual([r.add(7), r.add(7), r.add(7), r.add(7)], [false, false, true, true]);
    assert.deepStrictEqual([r.seq, r.count], [7, 4]);
  });

  it('a refusal of another seq starts the count again', () => {
    const r = new Refusals();
    r.add(1);
    r.add(1);
    assert.strictEqual(r.add(2), false);
    assert.deepStrictEqual([r.seq, r.count], [2, 1]);
    assert.strictEqual(r.add(2), false);
    assert.strictEqual(r.add(2), true);
  });

  it('clear() (a delivery) starts the count again, also for the same seq', () => {
    const r = new Refusals(2);
    assert.strictEqual(r.add(4), false);
    r.clear();
    assert.deepStrictEqual([r.seq, r.count], [-1, 0]);
    assert.strictEqual(r.add(4), false);
    assert.strictEqual(r.add(4), true);
  });

  it('a limit of 1 gives up at once; seq -1 is a seq like any other once added', () => {
    const r = new Refusals(1);
    assert.strictEqual(r.add(-1), true);
    assert.strictEqual(r.count, 1);
  });
});

/** A Delivery over a channel whose open()/opened() throw `fail` (when set); records every hook call. */
function makeDelivery(o, { fail = null, sink } = {}) {
  const calls = [];
  const ch = {
    open: (v, seq, what) => {
      calls.push(['open', v, seq, what]);
      if (fail) throw fail;
      return v;
    },
    opened: (text, seq, what, kid) => {
      calls.push(['opened', text, seq, what, kid]);
      return text;
    },
    accept: (seq) => calls.push(['accept', seq]),
  };
  const hooks = {
    channel: () => ch,
    deliver: (msg, seq) => calls.push(['deliver', msg, seq]),
    refused: (err, reason, final) => calls.push(['refused', reason, final]),
  };
  if (sink) hooks.sink = sink;
  return { d: new Delivery(o, hooks), calls };
}

describe('transport/delivery edges', () => {
  it('reasons name a line by its label; the third refusal in a row is final', () => {
    const { d, calls } = makeDelivery({ what: 'message', label: 'client message' }, { fail: new Error('bad tag') });
    assert.strictEqual(d.label, 'client message');
    for (let i = 0; i < 3; i++) assert.strictEqual(d.receive({ x: 1 }, 5), false);
    assert.deepStrictEqual(calls.filter((c) => c[0] === 'refused'), [
      ['refused', 'client message 5 refused: bad tag', null],
      ['refused', 'client message 5 refused: bad tag', null],
      ['refused', 'client message 5 refused: bad tag', 'client message 5 refused 3 times: bad tag'],
    ]);
    assert.deepStrictEqual(calls[0], ['open', { x: 1 }, 5, 'message']);
  });

  it('without a label, reasons name a line by `what`', () => {
    const { d, calls } = makeDelivery({ what: 'event', limit: 1 }, { fail: new Error('replayed') });
    assert.strictEqual(d.label, 'event');
    assert.strictEqual(d.receive({}, 2), false);
    assert.deepStrictEqual(calls.at(-1), ['refused', 'event 2 refused: replayed', 'event 2 refused 1 times: replayed']);
  });

  it('an envelope opened in a batch (text given) goes to Channel#opened, not open', () => {
    const { d, calls } = makeDelivery({ what: 'event' });
    assert.strictEqual(d.receive(null, 7, '{"a":1}', 'k1'), true);
    assert.deepStrictEqual(calls, [['opened', '{"a":1}', 7, 'event', 'k1'], ['accept', 7], ['deliver', '{"a":1}', 7]]);
  });

  it('a sink that answers the refusal: no refused() call, not counted', () => {
    const sunk = [];
    const { d, calls } = makeDelivery({ what: 'message', limit: 1 }, { fail: new Error('bad'), sink: (err) => sunk.push(err.seq) > 0 });
    assert.strictEqual(d.receive({}, 3), false);
    assert.deepStrictEqual(sunk, [3]);
    assert.deepStrictEqual(calls.map((c) => c[0]), ['open']);
    assert.deepStrictEqual([d.refusals.seq, d.refusals.count], [-1, 0]);
  });
});
