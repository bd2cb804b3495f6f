#!/usr/bin/env node
'use strict';
// npm run demo: a StreamServer and a ReconnectingStream on loopback with
// end-to-end encryption, streaming events both ways through a proxy that
// cuts the connection several times; progress on the terminal, then a
// one-screen report.
//
//   npx enclave-stream-demo | node scripts/demo.js [--events N] [--cuts N] [--plain] [--redis] [--help]
//   (flags parsed with node:util parseArgs: --events=100 works, a bad value or an unknown flag exits 2)
//
// --redis: a fleet instead of one server (20000 events by default). Its own redis-server (free loopback
// port, temporary directory), two server processes A and B sharing one
// RedisSessionStore behind a TCP balancer; the events to the client are
// published through the store (server.publish()). Midway node A is killed
// with SIGKILL: the client's reconnect lands on B, which takes the session over.

const { parseArgs } = require('node:util');

const USAGE = `usage: npx enclave-stream-demo [--events N] [--cuts N] [--plain] [--redis]
       (in a clone of the repository: npm run demo -- ...)

  --events N   events streamed to the client (default 50000; 20000 with --redis)
  --cuts N     connection cuts by the proxy (default 8; one server only)
  --plain      no end-to-end encryption
  --redis      a fleet: its own redis-server, two server processes on one
               RedisSessionStore, one of them killed midway
  --help       this text`;

/** The command line, or exits 2 with a one-line reason (and the usage) for a bad one. */
function options(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { events: { type: 'string' }, cuts: { type: 'string' }, plain: { type: 'boolean' }, redis: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`demo: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name, def, min) => {
    if (values[name] === undefined) return def;
    const n = Number(values[name]);
    if (!/^\d+$/.test(values[name]) || !Number.isSafeInteger(n) || n < min) {
      console.error(`demo: --${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}\n\n${USAGE}`);
      process.exit(2);
    }
    return n;
  };
  return { redis: !!values.redis, events: count('events', values.redis ? 20000 : 50000, 1), cuts: count('cuts', 8, 0), plain: !!values.plain };
}

const OPTS = options(process.argv.slice(2));

// the library only once the command line is good: --help and a bad flag load nothing
process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const { StreamServer } = require('../lib/server');
const { ReconnectingStream } = require('../lib/client');
const { FaultProxy } = require('../lib/testing');
const { backend } = require('../lib/binding');
const secure = require('../lib/transport/secure');

const REDIS = OPTS.redis;
const N = OPTS.events;
const CUTS = OPTS.cuts;
const ENCRYPT = !OPTS.plain;
const tty = process.stdout.isTTY;

function bar(n, total, width = 24) {
  const k = Math.round((n / total) * width);
  return '[' + '#'.repeat(k) + '.'.repeat(width - k) + ']';
}

/** The demo's client: counts server -> client events into s2c (duplicates, out of order) and logs its retries. */
function demoClient(url, s2c, reconnectLog) {
  const client = new ReconnectingStream({
    url,
    encryption: ENCRYPT,
    reconnect: { maxAttempts: 20, initialDelay: 50, maxDelay: 400, backoffMultiplier: 2 },
    onMessage: (e) => {
      if (e.seq <= s2c.last) s2c.duplicates++;
      else if (e.seq !== s2c.last + 1) s2c.outOfOrder++;
      s2c.last = Math.max(s2c.last, e.seq);
      s2c.received++;
    },
    onReconnect: (attempt, delayMs) => reconnectLog.push(`retry #${attempt} in ${delayMs} ms`),
  });
  client.on('gap', (g) => console.log(`\n  gap reported: ${JSON.stringify(g)}`));
  return client;
}

async function main() {
  const server = new StreamServer({ encryption: ENCRYPT ? 'required' : 'disabled', heartbeatIntervalMs: 1000 });
  const addr = await server.listen();
  const proxy = new FaultProxy({ target: { port: addr.port }, seed: 2024 });
  const paddr = await proxy.listen();

  const s2c = { sent: 0, received: 0, duplicates: 0, lost: 0, outOfOrder: 0, last: 0 };
  const c2s = { sent: 0, received: 0, duplicates: 0, lost: 0, outOfOrder: 0, last: -1 };
  let session;
  let serverDone;
  const serverFinished = new Promise((r) => {
    serverDone = r;
  });

  server.on('session', (s) => {
    session = s;
    s.on('message', (m) => {
      if (m.n <= c2s.last) c2s.duplicates++;
      else if (m.n !== c2s.last + 1) c2s.outOfOrder++;
      c2s.last = Math.max(c2s.last, m.n);
      c2s.received++;
    });
    (async () => {
      for (let i = 0; i < N; i++) {
        await s.send({ type: 'stdout', payload: { chunk: `server event ${i} `.padEnd(200, '.') } });
        s2c.sent++;
      }
      serverDone();
    })().catch((err) => console.error('server producer:', err.message));
  });

  const reconnectLog = [];
  const client = demoClient(paddr.url, s2c, reconnectLog);

  const t0 = Date.now();
  await client.connect();
  console.log(`enclave-stream-native demo  (backend: ${backend}, crypto: ${ENCRYPT ? secure.backend : 'off'})`);
  console.log(`server ${addr.url}  <-  fault proxy ${paddr.url}  <-  client  (session ${client.sessionId})`);
  console.log(`streaming ${N} events each way${ENCRYPT ? ', end-to-end encrypted (ECDH P-256 / HKDF-SHA256 / AES-256-GCM)' : ''}; cutting the connection ${CUTS} times\n`);

  // cut the connection at spread-out moments
  let cuts = 0;
  const cutter = setInterval(() => {
    if (cuts >= CUTS || proxy.openConnections === 0) return;
    const progress = (s2c.received + c2s.received) / (2 * N);
    if (progress >= (cuts + 1) / (CUTS + 1)) {
      cuts++;
      proxy.cutAll();
      if (!tty) console.log(`  cut #${cuts} at ${(progress * 100).toFixed(0)}%`);
    }
  }, 5);

  const show = () => {
    const line =
      `  server->client ${bar(s2c.received, N)} ${String(s2c.received).padStart(7)}   ` +
      `client->server ${bar(c2s.received, N)} ${String(c2s.received).padStart(7)}   ` +
      `cuts ${cuts}  reconnects ${client.reconnects}  ${client.state.padEnd(12)}`;
    if (tty) process.stdout.write('\r' + line);
    else console.log(line);
  };
  const progress = setInterval(show, tty ? 100 : 1000);

  for (let i = 0; i < N; i++) {
    await client.send({ type: 'tool_result_submit', payload: { n: i, note: `client message ${i} `.padEnd(200, '.') }, n: i });
    c2s.sent++;
  }
  await client.flush();
  await serverFinished;
  while (s2c.received < N || c2s.received < N) await new Promise((r) => setTimeout(r, 10));
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(cutter);
  clearInterval(progress);
  show();
  s2c.lost = s2c.sent - (s2c.received - s2c.duplicates);
  c2s.lost = c2s.sent - (c2s.received - c2s.duplicates);

  const ok = s2c.duplicates + c2s.duplicates + s2c.lost + c2s.lost + s2c.outOfOrder + c2s.outOfOrder === 0 && client.gaps.length === 0;
  const row = (name, d) =>
    `  ${name.padEnd(16)} ${String(d.sent).padStart(8)} ${String(d.received).padStart(9)} ${String(d.duplicates).padStart(11)} ${String(d.lost).padStart(5)} ${String(d.outOfOrder).padStart(13)}`;
  console.log('\n\n=== report ' + '='.repeat(60));
  console.log(`  ${'direction'.padEnd(16)} ${'sent'.padStart(8)} ${'received'.padStart(9)} ${'duplicates'.padStart(11)} ${'lost'.padStart(5)} ${'out of order'.padStart(13)}`);
  console.log(row('server -> client', s2c));
  console.log(row('client -> server', c2s));
  console.log(`  connection cuts   ${cuts} (proxy dropped ${proxy.stats.cuts} connections)`);
  console.log(`  reconnects        ${client.reconnects}   gaps ${client.gaps.length}   encrypted ${client.encrypted}`);
  console.log(`  retries           ${reconnectLog.slice(0, 4).join(', ')}${reconnectLog.length > 4 ? ', ...' : ''}`);
  console.log(`  elapsed           ${seconds.toFixed(2)} s`);
  console.log(`  throughput        ${Math.round((2 * N) / seconds).toLocaleString('en-US')} events/s (both directions, ~200-byte payloads, incl. reconnect delays)`);
  console.log(`  session           ${session.id}: replay buffer ${session.stats.held} events held`);
  console.log(`  result            ${ok ? 'OK: every event exactly once, in order' : 'FAILED'}`);
  console.log('='.repeat(71));

  await client.close();
  await proxy.close();
  await server.close();
  process.exitCode = ok ? 0 : 1;
}

// ---- --redis: two server processes on one RedisSessionStore, A killed midway

function waitFor(cond, what, ms = 30000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

async function mainRedis() {
  const path = require('node:path');
  const nodeCrypto = require('node:crypto');
  const { fork } = require('node:child_process');
  let redisServer, Balancer;
  try {
    redisServer = require('../test/helpers/redis-server');
    ({ Balancer } = require('../test/helpers/balancer'));
  } catch {
    console.error('demo --redis needs a clone of the repository (it starts its fleet with the test helpers, which the npm package does not ship)');
    process.exit(2);
  }
  const { RedisSessionStore } = require('../lib/server');

  if (!redisServer.available()) {
    console.error('demo --redis: redis-server not found (install it: apt-get install redis-server, or set REDIS_SERVER=/path/to/redis-server)');
    process.exit(1);
  }

  const mode = ENCRYPT ? 'required' : 'disabled';
  const redis = await redisServer.startRedis();
  const keyPrefix = `esn-demo-${nodeCrypto.randomUUID()}:`;
  const encryptionKey = nodeCrypto.randomBytes(32).toString('base64');
  const s2c = { sent: 0, received: 0, duplicates: 0, lost: 0, outOfOrder: 0, last: 0 };
  const c2s = { sent: 0, received: 0, duplicates: 0, lost: 0, outOfOrder: 0, last: -1, redelivered: 0 };
  const served = []; // [{ node, resumed }] in the order the nodes emitted 'session'

  // the two server processes; every client message they deliver comes back over IPC
  const nodes = ['A', 'B'].map((name) => {
    const child = fork(path.join(__dirname, 'demo-node.js'), [redis.url, keyPrefix, encryptionKey, mode], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'ipc'] });
    const n = { name, child, port: 0, pid: child.pid, held: undefined, exited: false };
    child.on('exit', () => (n.exited = true));
    child.on('message', (m) => {
      if (m.port) n.port = m.port;
      else if (m.session) served.push({ node: name, resumed: m.resumed });
      else if ('held' in m) n.held = m.held;
    });
    // the client messages it delivered, one line each: "<n> <redelivered 0|1>"
    let rest = '';
    child.stdio[3].setEncoding('utf8');
    child.stdio[3].on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const l of lines) {
        const sp = l.indexOf(' ');
        const k = Number(l.slice(0, sp));
        if (k <= c2s.last) {
          if (l.slice(sp + 1) === '1') c2s.redelivered++; // flagged: the node before may have delivered it (a crash)
          else c2s.duplicates++;
          continue;
        }
        if (k !== c2s.last + 1) c2s.outOfOrder++;
        c2s.last = k;
        c2s.received++;
      }
    });
    return n;
  });
  const [a, b] = nodes;
  const cleanup = async () => {
    for (const n of nodes) if (!n.exited) n.child.kill('SIGKILL');
    await redis.close();
  };

  try {
    await waitFor(() => a.port && b.port, 'the server processes to listen');
    const lb = new Balancer([a.port, b.port]);
    await lb.listen();
    // this process publishes the server -> client events through the store, like any producer
    const store = new RedisSessionStore({ url: redis.url, keyPrefix, encryptionKey });
    const producer = new StreamServer({ store, encryption: mode });

    const reconnectLog = [];
    const client = demoClient(lb.url, s2c, reconnectLog);

    const t0 = Date.now();
    await client.connect();
    const sid = client.sessionId;
    console.log(`enclave-stream-native demo --redis  (backend: ${backend}, crypto: ${ENCRYPT ? secure.backend : 'off'})`);
    console.log(`redis-server ${redis.url} (temporary)  <-  node A pid ${a.pid} (port ${a.port}), node B pid ${b.pid} (port ${b.port})`);
    console.log(`  <-  TCP balancer ${lb.url} (first node up)  <-  client  (session ${sid})`);
    console.log(`streaming ${N} events each way${ENCRYPT ? ', end-to-end encrypted (ECDH P-256 / HKDF-SHA256 / AES-256-GCM)' : ''}, server -> client published through Redis;`);
    console.log(`cutting the connection ${CUTS} times; node A killed with SIGKILL (a real process crash) halfway\n`);

    // cut the connection at spread-out moments; halfway, A dies and the balancer marks it down
    let cuts = 0;
    let dropped = 0;
    let killedAt = null;
    let servedBefore = null;
    const cutter = setInterval(() => {
      const progress = (s2c.received + c2s.received) / (2 * N);
      if (killedAt === null && progress >= 0.5) {
        killedAt = progress;
        servedBefore = served.length ? served[served.length - 1] : null;
        lb.setUp(0, false);
        a.child.kill('SIGKILL');
        if (!tty) console.log(`  node A killed at ${(progress * 100).toFixed(0)}%`);
        return;
      }
      if (cuts >= CUTS || lb.sockets.size === 0) return;
      if (progress >= (cuts + 1) / (CUTS + 1)) {
        cuts++;
        dropped += lb.sockets.size / 2;
        lb.cutAll();
        if (!tty) console.log(`  cut #${cuts} at ${(progress * 100).toFixed(0)}%`);
      }
    }, 5);

    const show = () => {
      const node = served.length ? served[served.length - 1].node : '-';
      const line =
        `  server->client ${bar(s2c.received, N)} ${String(s2c.received).padStart(7)}   ` +
        `client->server ${bar(c2s.received, N)} ${String(c2s.received).padStart(7)}   ` +
        `cuts ${cuts}  reconnects ${client.reconnects}  node ${node}${a.exited ? ' (A dead)' : ''}  ${client.state.padEnd(12)}`;
      if (tty) process.stdout.write('\r' + line);
      else console.log(line);
    };
    const progress = setInterval(show, tty ? 100 : 1000);

    // server -> client: published in order (at most 64 in flight, at most 2000 ahead of the client)
    const producing = (async () => {
      const inFlight = new Set();
      for (let i = 0; i < N; i++) {
        while (inFlight.size >= 64 || s2c.sent - s2c.received > 2000) {
          if (inFlight.size) await Promise.race(inFlight);
          else await new Promise((r) => setTimeout(r, 2));
        }
        const p = producer.publish(sid, { type: 'stdout', payload: { chunk: `server event ${i} `.padEnd(200, '.') } }).then(() => {
          s2c.sent++;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    })();

    // client -> server: kept level with the other direction, so the crash hits both mid-stream
    for (let i = 0; i < N; i++) {
      while (c2s.sent - s2c.received > 1000) await new Promise((r) => setTimeout(r, 2));
      await client.send({ type: 'tool_result_submit', payload: { n: i, note: `client message ${i} `.padEnd(200, '.') }, n: i });
      c2s.sent++;
    }
    await client.flush();
    await producing;
    await waitFor(() => s2c.received >= N && c2s.received >= N, `every event (server->client ${s2c.received}/${N}, client->server ${c2s.received}/${N})`, 120000);
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(cutter);
    clearInterval(progress);
    show();
    s2c.lost = s2c.sent - (s2c.received - s2c.duplicates);
    c2s.lost = c2s.sent - (c2s.received - c2s.duplicates);

    // what Redis holds for the session now, and what the serving node holds in memory
    const rec = await store.load(sid);
    const after = served.length ? served[served.length - 1] : null;
    const owner = after && after.node === 'B' ? b : a;
    if (!owner.exited) {
      owner.child.send({ stats: sid });
      await waitFor(() => owner.held !== undefined, 'the node stats', 5000).catch(() => {});
    }

    const ok = s2c.duplicates + c2s.duplicates + s2c.lost + c2s.lost + s2c.outOfOrder + c2s.outOfOrder === 0 && client.gaps.length === 0 && after !== null && after.node === 'B' && after.resumed === true;
    const row = (name, d) =>
      `  ${name.padEnd(16)} ${String(d.sent).padStart(8)} ${String(d.received).padStart(9)} ${String(d.duplicates).padStart(11)} ${String(d.lost).padStart(5)} ${String(d.outOfOrder).padStart(13)}`;
    const who = (s) => (s ? `node ${s.node} (pid ${s.node === 'A' ? a.pid : b.pid}${s.resumed ? ', took the session over' : ', new session'})` : 'no node');
    console.log('\n\n=== report ' + '='.repeat(60));
    console.log(`  ${'direction'.padEnd(16)} ${'sent'.padStart(8)} ${'received'.padStart(9)} ${'duplicates'.padStart(11)} ${'lost'.padStart(5)} ${'out of order'.padStart(13)}`);
    console.log(row('server -> client', s2c));
    console.log(row('client -> server', c2s));
    console.log(`  connection cuts   ${cuts} (balancer dropped ${dropped} connections), plus node A killed (SIGKILL) at ${killedAt === null ? '-' : (killedAt * 100).toFixed(0) + '%'}`);
    console.log(`  reconnects        ${client.reconnects}   gaps ${client.gaps.length}   encrypted ${client.encrypted}`);
    console.log(`  retries           ${reconnectLog.slice(0, 4).join(', ')}${reconnectLog.length > 4 ? ', ...' : ''}`);
    console.log(`  elapsed           ${seconds.toFixed(2)} s`);
    console.log(`  throughput        ${Math.round((2 * N) / seconds).toLocaleString('en-US')} events/s (both directions, ~200-byte payloads, incl. reconnect delays)`);
    console.log(`  failover          before: ${who(servedBefore)}; after: ${who(after)}`);
    const held = rec ? rec.events.length : 0;
    console.log(
      `  session           ${sid}: Redis held ${held} event${held === 1 ? '' : 's'}` +
        (held ? ` (seq ${rec.headSeq}..${rec.nextSeq - 1}, not yet acknowledged)` : '') +
        (owner.held !== undefined && owner.held !== null ? `, node ${owner.name} replay buffer ${owner.held}` : '')
    );
    if (c2s.redelivered) console.log(`  redelivered       ${c2s.redelivered} client messages delivered again by B after A died, flagged info.redelivered (not counted above)`);
    console.log(`  result            ${ok ? 'OK: every event exactly once, in order' : 'FAILED'}`);
    console.log('='.repeat(71));

    await client.close();
    await lb.close();
    await producer.close();
    await store.close();
    for (const n of nodes) if (!n.exited) n.child.send({ close: true });
    await waitFor(() => nodes.every((n) => n.exited), 'the server processes to exit', 5000).catch(() => {});
    process.exitCode = ok ? 0 : 1;
  } finally {
    await cleanup();
  }
}

(REDIS ? mainRedis() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
