'use strict';
// Session stores (docs/PROTOCOL.md §10) over loopback: RedisSessionStore on a
// real redis-server (started here on a free port in a temp dir, Debian's
// /usr/bin/redis-server or $REDIS_SERVER; none installed: a one-line note and
// no rows) against MemorySessionStore, in the same rounds (7 rounds, rotated
// order, a GC before each run; a row prints the median of the per-round
// ratios and their min–max, the rate column the median rate and its min–max).
//
//   e2e        StreamServer -> ReconnectingStream, 1 KiB events, plain and
//              encrypted, the producer awaiting each session.send(): with a
//              RedisSessionStore, with a MemorySessionStore and with no store
//              (reference). With a store, a line reaches the client once it
//              is stored (lines are stored in batches, one store call at a
//              time per session); send() resolves on room in the buffers. Ratio Redis / Memory (goal >= 0.5x); the
//              no-store row is the baseline of the Memory rows.
//   publish    server.publish() from a second StreamServer that never listens
//              (a producer) sharing the store, awaiting each publish():
//              events/s delivered to the client of the listening server.
//   memory     Redis used_memory (INFO memory) per event held (1 KiB events
//              sent to a session with no client connected: nothing acks them),
//              against the event line's own bytes; and per idle session (K
//              clients each make a session, hello -> welcome, and disconnect),
//              against one held event. 7 measures each, a FLUSHALL between.
//
//   node bench/store.js [--quick]
//   npm run bench                        (all the suites)
// module.exports = { run } for bench/index.js (which runs it again in a child
// with ENCLAVE_STREAM_NATIVE=0 for the js rows: the store path is JavaScript
// and Redis either way; the crypto under it differs).

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const nodeCrypto = require('node:crypto');
const WebSocket = require('ws');
const { StreamServer, RedisSessionStore, MemorySessionStore } = require('../lib/server');
const { ReconnectingStream } = require('../lib/client');
const { backend } = require('../lib/binding');
const secure = require('../lib/transport/secure');
const { build } = require('../lib/protocol/control');
const { rounds, ratios, spread, main, guard, makeEvent, hrs, deferred } = require('./harness');
const redisServer = require('../test/helpers/redis-server');

const ENC_KEY = nodeCrypto.randomBytes(32);

let prefixes = 0;
/** A RedisSessionStore on its own key prefix (runs do not see each other's records). */
function redisStore(url) {
  return new RedisSessionStore({ url, encryptionKey: ENC_KEY, keyPrefix: `b${++prefixes}:` });
}

/**
 * One end-to-end run: the producer awaits each session.send(); resolves with
 * the wall-clock seconds from the 'session' event to the last event in.
 */
async function e2e(makeStore, events, encryption) {
  const store = makeStore ? makeStore() : null;
  const server = new StreamServer({ encryption: encryption ? 'required' : 'disabled', store: store || undefined });
  const addr = await server.listen();
  let t0 = 0n;
  let n = 0;
  const { promise: done, resolve: resolveDone, reject: rejectDone } = deferred();
  server.once('session', async (s) => {
    t0 = process.hrtime.bigint();
    try {
      for (let i = 0; i < events.length; i++) await s.send(events[i]);
    } catch (err) {
      rejectDone(err);
    }
  });
  const c = new ReconnectingStream({
    url: addr.url,
    encryption,
    onMessage: () => {
      if (++n === events.length) resolveDone(hrs(t0));
    },
    onError: (err) => rejectDone(err),
  });
  try {
    await c.connect();
    const s = await guard(done, `e2e (${store ? store.constructor.name : 'no store'}, ${encryption ? 'encrypted' : 'plain'})`);
    if (c.reconnects) throw new Error(`the run reconnected ${c.reconnects} times`);
    return s;
  } finally {
    await c.close();
    await server.close();
    if (store) await store.close();
  }
}

/**
 * One publish run: a listening server holds the client's session; a second
 * StreamServer on the same store, never listening, publishes every event
 * (awaiting each). Resolves with the seconds from the first publish to the
 * last event in at the client.
 */
async function publishRun(makeStore, events, encryption) {
  const store = makeStore();
  const server = new StreamServer({ encryption: encryption ? 'required' : 'disabled', store });
  const producer = new StreamServer({ store });
  const addr = await server.listen();
  let n = 0;
  const { promise: done, resolve: resolveDone, reject: rejectDone } = deferred();
  const session = new Promise((resolve) => server.once('session', resolve));
  const c = new ReconnectingStream({
    url: addr.url,
    encryption,
    onMessage: () => {
      if (++n === events.length) resolveDone();
    },
    onError: (err) => rejectDone(err),
  });
  try {
    await c.connect();
    const sid = (await session).id;
    const t0 = process.hrtime.bigint();
    (async () => {
      for (let i = 0; i < events.length; i++) await producer.publish(sid, events[i]);
    })().catch(rejectDone);
    await guard(done, `publish (${store.constructor.name}, ${encryption ? 'encrypted' : 'plain'})`);
    const s = hrs(t0);
    if (c.reconnects) throw new Error(`the run reconnected ${c.reconnects} times`);
    return s;
  } finally {
    await c.close();
    await producer.close();
    await server.close();
    await store.close();
  }
}

// ---- Redis memory ------------------------------------------------------------

async function usedMemory(redis) {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)[1]);
}

/** A client makes a session (hello -> welcome) and drops its socket: the session stays, idle. */
function newSessionAndLeave(url, encrypted) {
  const hs = encrypted ? secure.clientHandshake() : null;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', reject);
    ws.on('open', () => ws.send(build.hello({ sid: null, resume: false, rx: 0, enc: hs ? hs.hello : undefined }) + '\n'));
    ws.on('message', (data) => {
      for (const line of String(data).split('\n')) {
        if (!line) continue;
        const f = JSON.parse(line);
        if (f.t === 'welcome') {
          if (hs) hs.finish(f.enc, f.sid);
          ws.terminate();
          resolve(f.sid);
          return;
        }
        if (f.t === 'reject') {
          ws.terminate();
          reject(new Error(`rejected: ${f.code} ${f.message}`));
          return;
        }
      }
    });
  });
}

/** used_memory per event held: N 1 KiB events sent to a session no client reads (nothing acks). */
async function heldEventBytes(url, redis, events) {
  await redis.flushall();
  const store = redisStore(url);
  const server = new StreamServer({ encryption: 'disabled', store, maxReplayEvents: events.length + 10, maxReplayBytes: 1 << 30, maxOutboxBytes: 1 << 30, maxPendingSends: events.length + 10 });
  try {
    const s = server.createSession();
    await server.publish(s.id, makeEvent(-1)); // the record is made (publish() resolves once stored)
    const before = await usedMemory(redis);
    await Promise.all(events.map((e) => server.publish(s.id, e)));
    const after = await usedMemory(redis);
    const held = await redis.xlen(`${store.prefix}s:{${s.id}}:e`);
    if (held !== events.length + 1) throw new Error(`${held} events held in Redis, expected ${events.length + 1}`);
    return (after - before) / events.length;
  } finally {
    await server.close();
    await store.close();
  }
}

/** used_memory per idle session: K clients make a session each and leave. */
async function idleSessionBytes(url, redis, K, encrypted) {
  await redis.flushall();
  const store = redisStore(url);
  const server = new StreamServer({ encryption: 'optional', store, maxSessions: K + 10 });
  const addr = await server.listen();
  try {
    await newSessionAndLeave(addr.url, encrypted); // connections and scripts warm
    const before = await usedMemory(redis);
    for (let i = 0; i < K; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, K - i) }, () => newSessionAndLeave(addr.url, encrypted)));
    }
    const after = await usedMemory(redis);
    const keys = await redis.dbsize();
    if (keys < K + 1) throw new Error(`${keys} keys in Redis for ${K + 1} sessions`);
    return (after - before) / K;
  } finally {
    await server.close();
    await store.close();
  }
}

// ---- the suite -------------------------------------------------------------------

async function run({ quick = false, rounds: R = 7 } = {}) {
  if (!redisServer.available()) {
    console.log(`bench/store.js: no redis-server at ${process.env.REDIS_SERVER || '/usr/bin/redis-server'}: the session store benchmarks are skipped`);
    return [];
  }
  const redis = await redisServer.startRedis();
  const Redis = require('ioredis');
  const admin = new Redis(redis.url);
  try {
    const rows = [];
    const N = quick ? 300 : 1000;
    const events = Array.from({ length: N }, (_, i) => makeEvent(i));
    const mem = () => new MemorySessionStore();
    const red = () => redisStore(redis.url);

    // the runs of one table: { name: () => run(store, evs, encrypted) } for each store, plain and encrypted
    const variants = (run, evs, stores) => {
      const o = {};
      for (const [name, make] of Object.entries(stores)) {
        o[name] = () => run(make, evs, false);
        o[`${name}Enc`] = () => run(make, evs, true);
      }
      return o;
    };

    // 1. end to end, the producer awaiting each send()
    const e2eStores = { none: null, mem, redis: red };
    let t = await rounds(variants(e2e, events, e2eStores), R, variants(e2e, events.slice(0, 100), e2eStores));
    await admin.flushall();
    const row = (name, times, baseTimes, baselineName, goal = '', n = N) => {
      const r = ratios(baseTimes, times);
      const s = spread(times);
      rows.push({ backend, name, events: n, bytes: n * 1024, seconds: s.median, rateSpread: [n / s.max, n / s.min], ratio: r.median, spread: [r.min, r.max], baselineName, goal });
    };
    row(`StreamServer -> ReconnectingStream, plain, no store (reference), ${N} x 1 KiB, await send(), median of ${R} rounds`, t.none, t.none, 'no store');
    row('... plain, MemorySessionStore', t.mem, t.none, 'no store');
    row('... plain, RedisSessionStore', t.redis, t.mem, 'Memory', '>= 0.5x');
    row(`... encrypted (AES-256-GCM via ${secure.backend}), no store (reference)`, t.noneEnc, t.noneEnc, 'no store');
    row('... encrypted, MemorySessionStore', t.memEnc, t.noneEnc, 'no store');
    row('... encrypted, RedisSessionStore', t.redisEnc, t.memEnc, 'Memory', '>= 0.5x');

    // 2. server.publish() from a producer that never listens
    const P = quick ? 150 : 400;
    const pev = events.slice(0, P);
    const pwarm = events.slice(0, 50);
    const pubStores = { mem, redis: red };
    t = await rounds(variants(publishRun, pev, pubStores), R, variants(publishRun, pwarm, pubStores));
    await admin.flushall();
    row(`producer.publish() -> server -> client, plain, MemorySessionStore, ${P} x 1 KiB, await publish(), delivered`, t.mem, t.mem, 'Memory', '', P);
    row('... plain, RedisSessionStore', t.redis, t.mem, 'Memory', '', P);
    row('... encrypted, MemorySessionStore', t.memEnc, t.mem, 'Memory plain', '', P);
    row('... encrypted, RedisSessionStore', t.redisEnc, t.memEnc, 'Memory', '', P);

    // 3. Redis memory: per held event, per idle session
    const H = quick ? 1000 : 2000;
    const K = quick ? 200 : 300;
    const lineBytes = JSON.stringify({ protocolVersion: 2, sessionId: `s_${nodeCrypto.randomUUID()}`, seq: 1000, ...makeEvent(1000) }).length;
    const held = [];
    const idle = [];
    const idleEnc = [];
    for (let r = 0; r < R; r++) {
      held.push(await heldEventBytes(redis.url, admin, events.slice(0, H)));
      idle.push(await idleSessionBytes(redis.url, admin, K, false));
      idleEnc.push(await idleSessionBytes(redis.url, admin, K, true));
    }
    await admin.flushall();
    const memRow = (name, xs, base, baselineName, unit) => {
      const s = spread(xs);
      const r = spread(xs.map((x, i) => x / (Array.isArray(base) ? base[i] : base)));
      rows.push({ backend, name, events: s.median, seconds: 1, unit, rateSpread: [s.min, s.max], ratio: r.median, spread: [r.min, r.max], baselineName });
    };
    memRow(`Redis used_memory per held event (${H} x 1 KiB, not acked; ${R} measures)`, held, lineBytes, `its line (${lineBytes} B)`, 'B/event');
    memRow(`Redis used_memory per idle session, plaintext (${K} sessions)`, idle, held, 'a held event', 'B/session');
    memRow(`Redis used_memory per idle session, encrypted (${K} sessions)`, idleEnc, held, 'a held event', 'B/session');
    return rows;
  } finally {
    admin.disconnect();
    await redis.close();
  }
}

module.exports = { run };

main(module, { run, title: () => `Session stores over loopback (Redis vs memory, node ${process.version})` });
