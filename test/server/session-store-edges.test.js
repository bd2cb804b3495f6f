'use strict';
// lib/server/session.js session-store edges pinned (docs/MUTATION.md, lib/server survivors):
// a record that already exists (SESSION_EXISTS, the record kept), a store write
// or inbox read refused because another server took the session over
// (ERR_SESSION_MOVED: the connection terminated, the record kept), any other
// store failure (the session closed with that error, the record kept), inbox
// events that fail the schemas (reported, they leave the inbox), inboxes of
// more than one batch, a drain asked for while one runs, a takeover
// (_restore: replay from the stored head, inherited POST bodies flagged
// redelivered, later ones not), the keys of a rekey completed while a store
// write is in flight (stored by a write of their own), and the client frames
// a session refuses: a rekeyed answer its Channel refuses or a control frame
// a server never reads ends the frame (nothing after it is delivered), and a
// refusal whose error has no code still closes the session with a coded error
// on the third time. Sessions run on a fake transport with a real
// MemorySessionStore (HeldStore to hold writes back); no timers.

const assert = require('node:assert');
const { Session } = require('../../lib/server/session');
const { MemorySessionStore } = require('../../lib/server');
const { HeldStore, untilStore } = require('../helpers/held-store');
const { fakeTransport, flushed, lines, events, controls, SESSION_OPTS, ev, fakeServer, sessionChannels } = require('../helpers/fake-transport');
const { build } = require('../../lib/protocol/control');
const { until } = require('../helpers/stream-harness');

const SID = 's_store_edges';

const rejects = (t) => controls(t, 'reject');


const made = [];

/** A plaintext session on `store` (its record made), attached to a fake transport. */
async function stored(store, created) {
  const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, null, null);
  made.push(s);
  const node = store.register({ onTakeover() {}, onPublish() {} });
  if (created) s._useStore(store, null, store.create(SID, s._meta(), node));
  else s._useStore(store, await store.create(SID, s._meta(), node));
  const t = fakeTransport();
  s._attach(t, 0);
  const log = { closes: [], errors: [], messages: [] };
  s.on('close', (e) => log.closes.push(e));
  s.on('error', (e) => log.errors.push(e));
  s.on('message', (...a) => log.messages.push(a));
  return { s, t, log, node };
}

/** A session (encrypted with `channel`, or plaintext) on a fake transport, with what it emits. */
function attached(channel = null) {
  const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, channel, null);
  made.push(s);
  const t = fakeTransport();
  s._attach(t, 0);
  const log = { closes: [], errors: [], messages: [], disconnects: [] };
  s.on('close', (e) => log.closes.push(e));
  s.on('error', (e) => log.errors.push(e));
  s.on('message', (...a) => log.messages.push(a));
  s.on('disconnect', (r) => log.disconnects.push(r));
  return { s, t, log };
}

/** Items still waiting in the store's inbox of SID. */
const inboxLength = (store) => store._records.get(SID).inbox.length;

describe('server/session store edges', () => {
  afterEach(() => {
    for (const s of made.splice(0)) s.close();
  });

  it('a record that already exists closes the session with SESSION_EXISTS and keeps the record', async () => {
    const store = new MemorySessionStore();
    const other = store.register({ onTakeover() {}, onPublish() {} });
    await store.create(SID, { v: 'theirs' }, other);
    const { s, t, log } = await stored(store, true);
    s.send(ev(1)).catch(() => {});
    await until(() => log.closes.length === 1, 'the close');
    assert.strictEqual(log.closes[0].code, 'SESSION_EXISTS');
    assert.strictEqual(log.closes[0].message, `session ${SID} already exists in the store`);
    assert.deepStrictEqual(rejects(t), []); // keepStored: no SESSION_CLOSED told
    assert.deepStrictEqual(events(t), []);
    assert.deepStrictEqual(t.closedWith, [1000, 'session closed']);
    const rec = await store.load(SID);
    assert.deepStrictEqual(rec.meta, { v: 'theirs' });
    assert.strictEqual(rec.nextSeq, 1);
  });

  it('a record made later (a pending token) lets lines through once made', async () => {
    const store = new MemorySessionStore();
    const { s, t, log } = await stored(store, true);
    await s.send(ev(1), false, true);
    await until(() => events(t).length === 1, 'event 1');
    assert.deepStrictEqual(events(t).map((e) => e.seq), [1]);
    assert.deepStrictEqual(log.closes, []);
    assert.strictEqual((await store.load(SID)).nextSeq, 2);
  });

  it('a store write refused as moved terminates the connection and keeps the record', async () => {
    const store = new MemorySessionStore();
    const { s, t, log } = await stored(store, false);
    await store.claim(SID, store.register({ onTakeover() {}, onPublish() {} }));
    await assert.rejects(s.send(ev(1), false, true), { code: 'ERR_SESSION_MOVED' });
    await until(() => log.closes.length === 1, 'the close');
    assert.strictEqual(log.closes[0].code, 'ERR_SESSION_MOVED');
    assert.strictEqual(t.terminated, true);
    assert.strictEqual(t.closedWith, null); // detached first: not closed politely
    assert.deepStrictEqual(rejects(t), []);
    assert.strictEqual(s.connected, false);
    assert.strictEqual(await store.has(SID), true);
  });

  it('any other store failure closes the session with that error and keeps the record', async () => {
    const store = new MemorySessionStore();
    const boom = Object.assign(new Error('disk full'), { code: 'ERR_DISK' });
    store.append = async () => {
      throw boom;
    };
    const { s, t, log } = await stored(store, false);
    await assert.rejects(s.send(ev(1), false, true), (e) => e === boom);
    await until(() => log.closes.length === 1, 'the close');
    assert.strictEqual(log.closes[0], boom);
    assert.strictEqual(t.terminated, false);
    assert.deepStrictEqual(t.closedWith, [1000, 'session closed']);
    assert.deepStrictEqual(rejects(t), []);
    assert.strictEqual(await store.has(SID), true);
  });

  it('an inbox read refused as moved terminates the connection and closes with ERR_SESSION_MOVED', async () => {
    const store = new MemorySessionStore();
    const { s, t, log } = await stored(store, false);
    await store.claim(SID, store.register({ onTakeover() {}, onPublish() {} }));
    await s._drainInbox();
    assert.strictEqual(log.closes.length, 1);
    assert.strictEqual(log.closes[0].code, 'ERR_SESSION_MOVED');
    assert.strictEqual(t.terminated, true);
    assert.strictEqual(await store.has(SID), true);
  });

  it('an inbox read failing otherwise leaves the session open', async () => {
    const store = new MemorySessionStore();
    const { s, t, log } = await stored(store, false);
    store.peekInbox = async () => {
      throw Object.assign(new Error('timeout'), { code: 'ERR_TIMEOUT' });
    };
    await s._drainInbox();
    assert.deepStrictEqual(log.closes, []);
    assert.strictEqual(t.terminated, false);
  });

  it('an inbox event failing the schemas is reported on error and leaves the inbox; the next goes out', async () => {
    const store = new MemorySessionStore();
    const { s, t, log } = await stored(store, false);
    await store.publish(SID, { type: 'stdout', payload: 5 });
    await store.publish(SID, ev(2));
    await s._drainInbox();
    await until(() => events(t).length === 1, 'the valid event');
    assert.strictEqual(log.errors.length, 1);
    assert.strictEqual(log.errors[0].code, 'ERR_STREAM_INVALID_EVENT');
    assert.deepStrictEqual(events(t).map((e) => [e.seq, e.payload.chunk]), [[1, '2']]);
    await until(() => inboxLength(store) === 0, 'the inbox emptied');
    assert.deepStrictEqual(log.closes, []);
  });

  it('an invalid inbox event with no error listener leaves the inbox without throwing', async () => {
    const store = new MemorySessionStore();
    const { s, log } = await stored(store, false);
    s.removeAllListeners('error');
    await store.publish(SID, { type: 'stdout', payload: 5 });
    await s._drainInbox();
    await until(() => inboxLength(store) === 0, 'the inbox emptied');
    assert.deepStrictEqual(log.closes, []);
  });

  it('an inbox of more than one batch (256) is drained whole, in order', async () => {
    const store = new MemorySessionStore();
    const { s, t } = await stored(store, false);
    for (let i = 1; i <= 300; i++) await store.publish(SID, ev(i));
    const drained = s._drainInbox();
    // the client acknowledges what it gets (the send window stays open)
    let seen = 0;
    while (seen < 300) {
      await until(() => events(t).length > seen, `events after ${seen}`);
      seen = events(t).length;
      s.link.receiveFrame(`${build.ack(seen)}\n`);
    }
    await drained;
    assert.deepStrictEqual(events(t).map((e) => e.payload.chunk), Array.from({ length: 300 }, (_, i) => `${i + 1}`));
    await until(() => inboxLength(store) === 0, 'the inbox emptied');
  });

  it('a drain asked for while one runs runs again after it, never twice at once', async () => {
    const store = new HeldStore('peekInbox');
    const { s, t } = await stored(store, false);
    await store.publish(SID, ev(1));
    store.hold();
    const first = s._drainInbox();
    await until(() => store.calls === 1, 'the first peek');
    await s._drainInbox(); // returns at once: one is running
    assert.strictEqual(store.calls, 1);
    store.release();
    await first;
    assert.strictEqual(store.calls, 2); // it ran again
    await until(() => events(t).length === 1, 'event 1');
    assert.deepStrictEqual(events(t).map((e) => e.seq), [1]);
  });

  it('a closed session does not drain', async () => {
    const store = new HeldStore('peekInbox');
    const { s } = await stored(store, false);
    s.close(undefined, { keepStored: true });
    await s._drainInbox();
    assert.strictEqual(store.calls, 0);
  });

  it('a store record whose create() resolves undefined is SESSION_EXISTS too', async () => {
    const store = new MemorySessionStore();
    store.create = async () => undefined;
    const { s, log } = await stored(store, true);
    s.send(ev(1)).catch(() => {});
    await until(() => log.closes.length === 1, 'the close');
    assert.strictEqual(log.closes[0].code, 'SESSION_EXISTS');
  });

  it('close() rejects sends waiting for the store with ERR_SESSION_CLOSED', async () => {
    const store = new MemorySessionStore();
    store.append = () => new Promise(() => {}); // the store never answers
    const { s } = await stored(store, false);
    const p = s.send(ev(1), false, true);
    await flushed();
    s.close();
    await assert.rejects(p, (e) => e.code === 'ERR_SESSION_CLOSED' && e.message === 'session is closed');
  });

  it('a session with no store has no inbox to drain', async () => {
    const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, null, null);
    made.push(s);
    assert.strictEqual(await s._drainInbox(), undefined);
  });

  it('a POST body from the inbox of a session not taken over is not flagged redelivered', async () => {
    const store = new MemorySessionStore();
    const { s, log } = await stored(store, false);
    await store.post(SID, '{"n":1}\n');
    await s._drainInbox();
    assert.deepStrictEqual(log.messages, [[{ n: 1 }]]);
    assert.strictEqual(s.redelivered, 0);
    assert.deepStrictEqual(log.errors, []);
  });

  it('send() refuses a closed session and a non-object with exact messages', async () => {
    const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, null, null);
    made.push(s);
    await assert.rejects(s.send(null), (e) => e instanceof TypeError && e.message === 'session.send(event): event must be an object');
    await assert.rejects(s.send([1]), (e) => e instanceof TypeError && e.message === 'session.send(event): event must be an object');
    s.close();
    await assert.rejects(s.send(ev(1)), (e) => e.code === 'ERR_SESSION_CLOSED' && e.message === 'session is closed');
  });

  it('send() leaves out extra keys that are undefined or inherited', async () => {
    const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, null, null);
    made.push(s);
    const t = fakeTransport();
    s._attach(t, 0);
    const e = Object.assign(Object.create({ inherited: 1 }), ev(1), { gone: undefined, kept: 'k' });
    await s.send(e);
    await until(() => events(t).length === 1, 'the line');
    const line = lines(t).filter((l) => l.startsWith('{"protocolVersion"'))[0];
    assert.strictEqual(line, `{"protocolVersion":2,"sessionId":"${SID}","seq":1,"type":"stdout","payload":{"chunk":"1"},"kept":"k"}`);
  });

  it("close(err) tells the client the server closed the session and why", () => {
    const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, null, null);
    made.push(s);
    const t = fakeTransport();
    s._attach(t, 0);
    s.close(new Error('maintenance'));
    assert.strictEqual(rejects(t)[0].message, `the server closed session ${SID}: maintenance`);
  });

  it('a session closed by a message from its inbox delivers no more of it', async () => {
    const store = new MemorySessionStore();
    const { s, log } = await stored(store, false);
    s.on('message', () => s.close(undefined, { keepStored: true }));
    await store.post(SID, '{"n":1}\n');
    await store.post(SID, '{"n":2}\n');
    await s._drainInbox();
    assert.deepStrictEqual(log.messages, [[{ n: 1 }]]);
  });

  it('an inbox event whose send is cut short by close() is not reported as an error', async () => {
    const store = new MemorySessionStore();
    const { s, log } = await stored(store, false);
    let appended = 0;
    store.append = () => {
      appended++;
      return new Promise(() => {}); // the store never answers
    };
    await store.publish(SID, ev(1));
    const drained = s._drainInbox();
    await until(() => appended === 1, 'the store write');
    s.close(undefined, { keepStored: true });
    await drained;
    assert.deepStrictEqual(log.errors, []);
  });

  describe('a takeover (_restore)', () => {
    /** A record with events 3..4 (1..2 acknowledged) and client seq 1 delivered, taken over by a new Session. */
    async function takenOver() {
      const store = new MemorySessionStore();
      const first = await stored(store, false);
      for (let i = 1; i <= 4; i++) await first.s.send(ev(i), false, true);
      first.s.link.receiveFrame(`${build.ack(2)}\n`);
      first.s.link.receiveFrame('{"n":1}\n');
      await untilStore(async () => {
        const r = await store.load(SID);
        return r.headSeq === 3 && r.clientRx === 1;
      }, 'the record');
      first.s.close(undefined, { keepStored: true });
      const node = store.register({ onTakeover() {}, onPublish() {} });
      const token = await store.claim(SID, node);
      const rec = await store.load(SID);
      const s = new Session(fakeServer(), SID, { ...SESSION_OPTS }, null, null);
      made.push(s);
      s._restore(rec, store, token);
      const log = { messages: [], errors: [], gaps: [] };
      s.on('message', (...a) => log.messages.push(a));
      s.on('error', (e) => log.errors.push(e));
      s.on('gap', (g) => log.gaps.push(g));
      return { s, store, log };
    }

    it('replays from the stored head with no gap and continues the seqs', async () => {
      const { s, store, log } = await takenOver();
      assert.strictEqual(s.resumed, true);
      assert.strictEqual(s.lastSeq, 4);
      assert.strictEqual(s.lastClientSeq, 1);
      const t = fakeTransport();
      s._attach(t, 2);
      assert.deepStrictEqual(log.gaps, []);
      await s.send(ev(5), false, true);
      await until(() => events(t).length === 3, 'events 3..5');
      assert.deepStrictEqual(events(t).map((e) => e.seq), [3, 4, 5]);
      assert.strictEqual((await store.load(SID)).nextSeq, 6);
    });

    it('the rebuilt replay buffer evicts the oldest beyond maxReplayEvents', async () => {
      const { s } = await takenOver(); // its record holds events 3 and 4
      const again = new Session(fakeServer(), SID, { ...SESSION_OPTS, maxReplayEvents: 2 }, null, null);
      made.push(again);
      again._restore(await s._store.store.load(SID), s._store.store, s._store.token);
      again.link.rx = 1;
      await again.send(ev(5), false, true);
      assert.strictEqual(again.stats.held, 2);
    });

    it('inherited POST bodies are flagged redelivered; later messages are not', async () => {
      const { s, store, log } = await takenOver();
      const t = fakeTransport();
      s._attach(t, 2);
      await store.post(SID, '{"n":2}\n');
      await s._drainInbox();
      assert.deepStrictEqual(log.messages, [[{ n: 2 }, { seq: 2, redelivered: true }]]);
      assert.deepStrictEqual(log.errors, []);
      assert.strictEqual(s.redelivered, 1);
      assert.strictEqual(s.stats.redelivered, 1);
      s.link.receiveFrame('{"n":3}\n');
      assert.deepStrictEqual(log.messages[1], [{ n: 3 }]);
      await untilStore(async () => (await store.load(SID)).clientRx === 3, 'clientRx 3');
      await until(() => inboxLength(store) === 0, 'the inbox emptied');
      // the next drain is not inherited
      await store.post(SID, '{"n":4}\n');
      await s._drainInbox();
      assert.deepStrictEqual(log.messages[2], [{ n: 4 }]);
      assert.strictEqual(s.redelivered, 1);
    });

    it('a refused inherited POST body is reported on error and leaves the inbox', async () => {
      const { s, store, log } = await takenOver();
      const t = fakeTransport();
      s._attach(t, 2);
      await store.post(SID, 'not json\n');
      await s._drainInbox();
      assert.strictEqual(log.errors.length, 1);
      assert.strictEqual(t.terminated, false); // a POST body's refusal never drops the live connection
      assert.strictEqual(s.connected, true);
      assert.deepStrictEqual(log.messages, []);
      await until(() => inboxLength(store) === 0, 'the inbox emptied');
    });
  });

  describe('rekeys with a store', () => {
    it('keys installed while a store write is in flight are stored by a write of their own', async () => {
      const store = new HeldStore('append');
      const { server, client } = await sessionChannels(SID);
      const { s, t } = attached(server);
      s._useStore(store, await store.create(SID, s._meta(), store.register({ onTakeover() {}, onPublish() {} })));
      s._offerRekey();
      await until(() => controls(t, 'rekey').length === 1, 'the rekey offer');
      const answer = await client.onRekey(controls(t, 'rekey')[0], () => 1);
      store.hold();
      const calls = store.calls;
      s.send(ev(1)).catch(() => {});
      await until(() => store.calls === calls + 1, 'the write of event 1');
      s.link.receiveFrame(`${answer}\n`); // the answer arrives while that write waits: epoch 1 installed
      assert.strictEqual(s.channel.epoch, 1);
      store.release();
      await untilStore(async () => (await store.load(SID)).meta.channel.epochs.some((e) => e.ep === 1), 'the keys of epoch 1');
      const rec = await store.load(SID);
      assert.strictEqual(rec.meta.channel.pending, null);
      assert.deepStrictEqual(rec.events.map((e) => e.seq), [1]);
    });
  });

  describe('client frames a session refuses', () => {
    it('a rekeyed answer the Channel refuses is a coded protocol error that ends the frame', async () => {
      const { server, client } = await sessionChannels(SID);
      const { s, t, log } = attached(server);
      const msg = await client.seal(1, JSON.stringify({ n: 1 }));
      s.link.receiveFrame(`${build.rekey('rekeyed', 5, 'AAAA', 'bWFj', 1)}\n${msg}\n`);
      assert.deepStrictEqual(log.errors.map((e) => [e.code, e.message]), [['ERR_STREAM_CONTROL', 'rekeyed for epoch 5 that was not offered']]);
      assert.deepStrictEqual(log.disconnects, ['rekeyed for epoch 5 that was not offered']);
      assert.deepStrictEqual(log.messages, []); // the message behind it is not delivered: the resume sends it again
      assert.strictEqual(s.lastClientSeq, 0);
      assert.strictEqual(t.terminated, true);
    });

    it('a control frame a server never reads ends the frame: nothing after it is delivered', () => {
      const { s, t, log } = attached();
      s.link.receiveFrame(`${build.rekey('rekeyed', 1, 'AAAA', 'bWFj', 1)}\n{"n":1}\n`);
      assert.deepStrictEqual(log.errors.map((e) => [e.code, e.message]), [['ERR_STREAM_CONTROL', 'unexpected rekeyed frame from a client']]);
      assert.deepStrictEqual(log.messages, []);
      assert.strictEqual(s.lastClientSeq, 0);
      assert.strictEqual(t.terminated, true);
    });

    it('the third refusal of one message by an error with no code closes the session ENCRYPTION_DECRYPTION_FAILED', () => {
      // every error of a real Channel has a code: a Channel that throws a bare Error stands for one that does not
      const opaque = new Error('opaque failure');
      const channel = {
        epoch: 0,
        open() {
          throw opaque;
        },
        mac: () => 'bWFj',
        check: () => true,
        frameOpener: () => null,
        resendFrame: () => null,
        dispose() {},
      };
      const { s, log } = attached(channel);
      for (let i = 0; i < 3; i++) {
        if (i > 0) s._attach(fakeTransport(), 0);
        s.link.receiveFrame('{"n":1}\n');
      }
      assert.deepStrictEqual(log.errors, [opaque, opaque, opaque]);
      assert.strictEqual(log.closes.length, 1);
      assert.deepStrictEqual([log.closes[0].code, log.closes[0].message], ['ENCRYPTION_DECRYPTION_FAILED', 'client message 1 refused 3 times: opaque failure']);
      assert.deepStrictEqual(log.messages, []);
    });
  });
});
