'use strict';
// lib/transport/delivery.js's Refusals pinned (docs/MUTATION.md): the owner gives up on
// exactly the limit-th consecutive refusal of one seq; another seq or a
// delivery starts the count again.
const assert = require('node:assert');
const { Refusals, REFUSE_LIMIT } = require('../../lib/transport/delivery');

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
