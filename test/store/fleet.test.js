'use strict';
// A fleet on a real redis-server: two server processes behind a TCP
// balancer and a producer process that never listens, all on one
// RedisSessionStore. The serving process is killed with SIGKILL mid-stream;
// the client's reconnect lands on the other, which takes the session over.
// Encrypted events published by the producer reach the client exactly once,
// in order; every client message is delivered. Also: a server process
// restarted on the same Redis, and Redis restarted with its append-only file;
// a client process killed with SIGKILL together with the server holding its
// session, continued from its resumeState() in a new process.
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const nodeCrypto = require('node:crypto');
const { fork } = require('node:child_process');
const { Harness, until } = require('../helpers/stream-harness');
const { Balancer } = require('../helpers/balancer');
const redisServer = require('../helpers/redis-server');
const { webOnly } = require('../../lib/crypto/keys');

const NODE = path.join(__dirname, '..', 'helpers', 'fleet-node.js');
const CLIENT = path.join(__dirname, '..', 'helpers', 'resume-child.js');
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('session store fleet: server processes on one redis-server', function () {
  this.timeout(120000);
  let h;
  let redis = null;
  before(async function () {
    if (!redisServer.available()) {
      if (process.env.CI) throw new Error('no redis-server: .ci/run installs it (apt-get install redis-server)');
      this.skip();
    }
  });
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(async () => {
    await h.cleanup();
    if (redis) await redis.close();
    redis = null;
  });

  function spawnNode(role, env) {
    const child = fork(NODE, [redis.url, env.prefix, env.key, role], { stdio: 'ignore' });
    const inbox = [];
    child.on('message', (m) => inbox.push(m));
    h.add({ close: () => child.kill('SIGKILL') });
    return { child, inbox, kill: () => child.kill('SIGKILL') };
  }

  async function serverNode(env) {
    const n = spawnNode('server', env);
    await until(() => n.inbox.find((m) => m.port), 'the server process listens');
    n.port = n.inbox.find((m) => m.port).port;
    return n;
  }

  /** Two server processes behind a balancer and a producer process, on one prefix of the running Redis. */
  async function twoServersAndProducer() {
    const env = { prefix: `esn-fleet-${nodeCrypto.randomUUID()}:`, key: nodeCrypto.randomBytes(32).toString('base64') };
    const a = await serverNode(env);
    const b = await serverNode(env);
    const lb = h.add(new Balancer([a.port, b.port]));
    await lb.listen();
    const producer = spawnNode('producer', env);
    await until(() => producer.inbox.find((m) => m.ready), 'the producer');
    return { a, b, lb, producer };
  }

  it('SIGKILL of the serving process mid-stream: the other process takes over; N encrypted events from a producer process arrive once, in order; every message is delivered', async () => {
    const N = Number(process.env.FLEET_N || 20000);
    const M = Number(process.env.FLEET_M || 20000);
    redis = await redisServer.startRedis();
    const { a, b, lb, producer } = await twoServersAndProducer();
    const got = [];
    // the client answers event k with message k (k <= M): both directions run across the crash
    const sendErrors = [];
    const c = h.client({
      url: lb.url,
      encryption: true,
      reconnect: { maxAttempts: 100, initialDelay: 10, maxDelay: 100 },
      onMessage: (m) => {
        got.push(m.seq);
        if (m.seq <= M) c.send({ n: m.seq }).catch((e) => sendErrors.push(e.code));
      },
    });
    await c.connect();
    const sid = c.sessionId;
    producer.child.send({ publish: sid, from: 1, to: N });
    await until(() => got.length >= N / 4, 'a quarter of the events', 60000);
    lb.setUp(0, false);
    a.kill(); // SIGKILL mid-stream
    // and the client's connections to b cut twice while b takes over and after (a takeover
    // must never acknowledge client messages it has not recorded)
    const mark = got.length;
    lb.cutAll();
    await until(() => got.length >= mark + N / 8, 'events after the takeover', 60000);
    lb.cutAll();
    await until(() => producer.inbox.some((m) => m.published === N), 'the producer stored every event', 90000);
    await until(() => got.length >= N, `every event (got ${got.length}, last ${got[got.length - 1]}, state ${c.state})`, 90000);
    assert.deepStrictEqual(got.length, N);
    assert.ok(got.every((s, i) => s === i + 1), 'events exactly once, in order');
    await c.flush();
    assert.deepStrictEqual(sendErrors, []);
    const count = () => new Set([...a.inbox, ...b.inbox].filter((m) => m.msg !== undefined).map((m) => m.msg)).size;
    await until(() => count() >= M, 'every message reported', 30000);
    const delivered = [...a.inbox, ...b.inbox].filter((m) => m.msg !== undefined);
    const seen = new Set(delivered.map((m) => m.msg));
    assert.deepStrictEqual([...seen].sort((x, y) => x - y), range(1, M), 'every message delivered');
    // a message delivered twice (by a before it died without recording it, then by b) is flagged by b
    const first = new Set();
    for (const m of delivered) {
      if (first.has(m.msg)) assert.strictEqual(m.redelivered, true, `message ${m.msg} delivered twice without the redelivered flag`);
      first.add(m.msg);
    }
    const bMsgs = b.inbox.filter((m) => m.msg !== undefined).map((m) => m.msg);
    assert.ok(bMsgs.every((n, i) => i === 0 || n === bMsgs[i - 1] + 1), 'b delivered in order');
    assert.ok(c.reconnects >= 1);
  });

  it('a server process restarted on the same Redis, then Redis restarted (append-only file): the session resumes each time, exactly once', async () => {
    redis = await redisServer.startRedis({ aof: true });
    const env = { prefix: `esn-fleet-${nodeCrypto.randomUUID()}:`, key: nodeCrypto.randomBytes(32).toString('base64') };
    let s1 = await serverNode(env);
    const lb = h.add(new Balancer([s1.port]));
    await lb.listen();
    const producer = spawnNode('producer', env);
    await until(() => producer.inbox.find((m) => m.ready), 'the producer');
    const got = [];
    const c = h.client({ url: lb.url, encryption: true, reconnect: { maxAttempts: 200, initialDelay: 10, maxDelay: 100 }, onMessage: (m) => got.push(m.seq) });
    await c.connect();
    const sid = c.sessionId;
    const publish = async (from, to) => {
      producer.child.send({ publish: sid, from, to });
      await until(() => producer.inbox.some((m) => m.published === to), `published ${to}`, 30000);
    };
    await publish(1, 100);
    await until(() => got.length >= 100, 'first events');
    // the server process restarts (a deploy): a new process, same Redis
    s1.kill();
    const s2 = await serverNode(env);
    lb.targets[0].port = s2.port;
    await publish(101, 200);
    await until(() => got.length >= 200, 'events after the server restart', 30000);
    // Redis restarts; its append-only file brings the session back
    await redis.restart();
    await publish(201, 300);
    await until(() => got.length >= 300, 'events after the Redis restart', 30000);
    assert.deepStrictEqual(got, range(1, 300));
    s1 = null;
  });

  it('a client process and the server process holding its session both killed with SIGKILL: a new client process from the last resumeState() resumes through the other server; events exactly once, in order; every message delivered', async function () {
    if (webOnly()) this.skip(); // crypto.subtle keys are not extractable: no resumeState() (test/client/resume-state.test.js)
    const N = 3000;
    redis = await redisServer.startRedis();
    const { a, b, lb, producer } = await twoServersAndProducer();
    // the first client process writes { got, sent, state } after every event it handles (resume-child.js)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'esn-fleet-client-')), 'state.json');
    const read = () => JSON.parse(fs.readFileSync(file, 'utf8'));
    const child = fork(CLIENT, [lb.url, file, '1'], { stdio: 'ignore', serialization: 'json' });
    h.add({ close: () => child.kill('SIGKILL') });
    let sid = null;
    child.on('message', (m) => {
      if (m && m.connected) sid = m.sid;
    });
    await until(() => sid, 'the client process connected', 30000);
    producer.child.send({ publish: sid, from: 1, to: N });
    await until(() => fs.existsSync(file) && read().got.length >= N / 3, 'a third of the events in the client process', 60000);
    // the client process and the server holding its session die together
    child.kill('SIGKILL');
    const holder = a.inbox.some((m) => m.session === sid) ? a : b;
    assert.ok(holder.inbox.some((m) => m.session === sid), 'the holder reported the session');
    const survivor = holder === a ? b : a;
    holder.kill();
    lb.setUp(holder === a ? 0 : 1, false);
    const snap = read();
    assert.ok(snap.got.length < N, 'killed mid-stream');
    const got = [];
    const sent = [...snap.sent];
    const c = h.client({
      url: lb.url,
      encryption: true,
      resume: snap.state,
      reconnect: { maxAttempts: 100, initialDelay: 10, maxDelay: 100 },
      onMessage: (m) => {
        got.push(m.seq);
        if (m.seq % 3 === 0) {
          sent.push(sent.length + 1);
          c.send({ n: sent.length }).catch(() => {});
        }
      },
    });
    await c.connect();
    await until(() => producer.inbox.some((m) => m.published === N), 'the producer stored every event', 90000);
    await until(() => snap.got.length + got.length >= N, `every event (got ${snap.got.length} + ${got.length})`, 90000);
    assert.deepStrictEqual([...snap.got, ...got], range(1, N), 'events exactly once, in order, across two client processes and two servers');
    await c.flush();
    const messages = () => [...a.inbox, ...b.inbox].filter((m) => m.msg !== undefined);
    await until(() => new Set(messages().map((m) => m.msg)).size >= N / 3, 'every message', 30000);
    const all = messages();
    assert.deepStrictEqual([...new Set(all.map((m) => m.msg))].sort((x, y) => x - y), range(1, N / 3), 'every message delivered');
    const seen = new Set();
    for (const m of all) {
      if (seen.has(m.msg)) assert.strictEqual(m.redelivered, true, `message ${m.msg} twice without the redelivered flag`);
      seen.add(m.msg);
    }
    assert.ok(survivor.inbox.some((m) => m.session === sid && m.resumed), 'the survivor took the session over');
  });
});
