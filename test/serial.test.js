'use strict';
// lib/serial.js: tasks run at once while they are synchronous (no Promise,
// no queue), queue behind a pending asynchronous task in arrival order, and
// go back to the synchronous path once the queue drains; errors of queued or
// asynchronous tasks go to onError, a synchronous throw to the caller.

const assert = require('node:assert');
const { Serial, isThenable } = require('../lib/serial');
const { turn } = require('./helpers/turn');

/** A Promise with its resolve/reject outside. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Serial', () => {
  it('runs synchronous tasks at once with their two arguments; nothing is queued', () => {
    const errors = [];
    const s = new Serial((e) => errors.push(e));
    const log = [];
    const r = s.run((a, b) => log.push([a, b]), 1, 'x');
    assert.strictEqual(r, undefined);
    s.run((a, b) => log.push([a, b]), 2);
    assert.deepStrictEqual(log, [
      [1, 'x'],
      [2, undefined],
    ]);
    assert.strictEqual(s.tail, null);
    assert.deepStrictEqual(errors, []);
  });

  it('a synchronous throw reaches the caller, not onError, and the next task runs at once', async () => {
    const errors = [];
    const s = new Serial((e) => errors.push(e));
    assert.throws(
      () =>
        s.run(() => {
          throw new RangeError('boom');
        }),
      { name: 'RangeError', message: 'boom' },
    );
    assert.strictEqual(s.tail, null);
    const log = [];
    s.run((a) => log.push(a), 'next');
    assert.deepStrictEqual(log, ['next']);
    await s.idle();
    assert.deepStrictEqual(errors, []);
  });

  it('once a task returns a Promise, later tasks (even synchronous ones) wait for it, in arrival order', async () => {
    const s = new Serial(() => assert.fail('no error expected'));
    const log = [];
    const first = deferred();
    s.run(() => {
      log.push('a:start');
      return first.promise.then(() => log.push('a:end'));
    });
    assert.notStrictEqual(s.tail, null);
    s.run((x) => log.push(x), 'b');
    const second = deferred();
    s.run(() => {
      log.push('c:start');
      return second.promise.then(() => log.push('c:end'));
    });
    s.run((x, y) => log.push(`${x}${y}`), 'd', 1);
    assert.deepStrictEqual(log, ['a:start'], 'nothing after the pending task ran');
    first.resolve();
    await first.promise;
    await turn();
    assert.deepStrictEqual(log, ['a:start', 'a:end', 'b', 'c:start']);
    second.resolve();
    await s.idle();
    assert.deepStrictEqual(log, ['a:start', 'a:end', 'b', 'c:start', 'c:end', 'd1']);
    assert.strictEqual(s.tail, null, 'back on the synchronous path');
    s.run((x) => log.push(x), 'e');
    assert.strictEqual(log[log.length - 1], 'e', 'runs at once again');
  });

  it('a rejected task goes to onError once; the queue goes on in order', async () => {
    const errors = [];
    const s = new Serial((e) => errors.push(e.message));
    const log = [];
    s.run(() => Promise.reject(new Error('first')));
    s.run((x) => log.push(x), 'after-reject');
    s.run(() => {
      throw new Error('queued throw'); // queued: reaches onError, not the caller
    });
    s.run((x) => log.push(x), 'last');
    await s.idle();
    assert.deepStrictEqual(errors, ['first', 'queued throw']);
    assert.deepStrictEqual(log, ['after-reject', 'last']);
    assert.strictEqual(s.tail, null);
  });

  it('a task returning a bare thenable (whose then() returns nothing) is waited for like a Promise', async () => {
    const s = new Serial((e) => assert.fail(e));
    const log = [];
    let finish;
    s.run(() => ({ then: (res) => void (finish = () => res('done')) }));
    s.run((x) => log.push(x), 'after');
    await turn();
    assert.deepStrictEqual(log, []);
    finish();
    await s.idle();
    assert.deepStrictEqual(log, ['after']);
    assert.strictEqual(s.tail, null);
  });

  it('idle() resolves at once when nothing is pending, and waits for tasks queued while it waits', async () => {
    const s = new Serial(() => {});
    let resolved = false;
    await s.idle().then(() => (resolved = true));
    assert.strictEqual(resolved, true);
    const log = [];
    const d = deferred();
    s.run(() => d.promise.then(() => log.push(1)));
    const idle = s.idle().then(() => log.push('idle'));
    const later = deferred();
    s.run(() => later.promise.then(() => log.push(2)));
    d.resolve();
    await turn();
    assert.deepStrictEqual(log, [1], 'idle waits for the task queued after it was called');
    later.resolve();
    await idle;
    assert.deepStrictEqual(log, [1, 2, 'idle']);
  });

  it('isThenable: objects with a then function only', () => {
    assert.strictEqual(isThenable(Promise.resolve()), true);
    assert.strictEqual(isThenable({ then() {} }), true);
    assert.strictEqual(isThenable({ then: 1 }), false);
    assert.strictEqual(isThenable(null), false);
    assert.strictEqual(isThenable(undefined), false);
    assert.strictEqual(isThenable(0), false);
    assert.strictEqual(isThenable('then'), false);
    const fn = () => {};
    fn.then = () => {};
    assert.strictEqual(isThenable(fn), false, 'a function is not taken as a thenable');
  });
});
