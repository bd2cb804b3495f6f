'use strict';
// Fan-out over loopback: one server, K = 1,000 concurrent sessions, each sent
// E = 50 events of 1 KiB by the server (session.send(), every session's
// producer awaiting each send, all sessions at once). Baseline: a raw `ws`
// WebSocketServer sending the same lines (JSON.stringify of the same event
// with protocolVersion, sessionId and seq, in the send loop: what the plain
// server sends) to K raw `ws` clients, one message per event, measured in
// the same rounds (7 rounds, --quick 5, rotated order, a GC before each run;
// a row prints the median of the per-round ratios and their min–max, the
// rate column the median rate and its min–max).
//
// The clients (K ReconnectingStream, or K raw ws) live in a child process
// (bench/fanout.js --client, driven over IPC), so this process is the server
// alone: its CPU time (process.cpuUsage over the send phase: the server's
// JavaScript, the addon, GC, and the kernel time of its socket writes, which
// on loopback includes delivering to the receiving socket) is the server's
// own. The wall-clock rows also depend on the child keeping up (one process
// for 1,000 clients; both processes share the machine's cores).
//
// Setup: the K connections of each kind (raw ws, plain sessions, encrypted
// sessions) are made once, one kind after the other, and held; the rounds
// then run, per kind:
//   fan-out    E events to each of the K held connections: events/s,
//              StreamServer plain / encrypted vs raw ws (goals >= 1.0x
//              plain, >= 0.8x encrypted)
//   CPU        server CPU time per event (µs), vs raw ws's
//   sessions/s H = 200 (--quick 100) new clients connect (client open ->
//              welcome; ECDH on both sides when encrypted), 100 connecting
//              at a time, then are dropped; vs raw ws connects/s (open),
//              same H
// and, once per kind at setup:
//   memory     heapUsed + external of this process per idle session after a
//              GC (K sessions connected, nothing sent yet), minus the same
//              before the kind's server was made; vs raw ws's per connection
//              (goal <= 20 KiB per encrypted session). Allocations of the
//              addon's C code are not in `external`.
//
// Needs about 3 K + H + 100 file descriptors in each process (`ulimit -n`);
// with fewer it prints a one-line note and no rows.
//
//   node bench/fanout.js [--quick] [--sessions K] [--events E] [--rounds N] [--handshakes H]
//   node bench/fanout.js --only enc [--rounds N]   (some kinds, no handshake rounds, a summary line
//                                                   each; to profile the server's sends:
//   node --cpu-prof bench/fanout.js --only enc --rounds 10 --phases   (prints the send phases'
//                                                   spans, µs on the profile's clock, to stderr)
//   npm run bench                        (all the suites; the js backend in a child)
// module.exports = { run } for bench/index.js.

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const { fork, spawnSync } = require('node:child_process');
const WebSocket = require('ws');

const WS_OPTS = { perMessageDeflate: false };
const PHASES = process.argv.includes('--phases');
const CONNECTING = 100; // connections being opened at a time (the listen backlog is 511)

const { main, rawBaselineRow, guard, hrs } = require('./harness');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn(i)` for i < n, at most `c` at a time. */
async function limited(n, c, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(c, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** The soft limit on open files (`ulimit -n`), or Infinity when unknown. */
function fdLimit() {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const v = r.status === 0 ? r.stdout.trim() : '';
  if (v === 'unlimited') return Infinity;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : Infinity;
}

// ---- the client process ----------------------------------------------------

function clientMain() {
  const { ReconnectingStream } = require('../lib/client');
  // group name -> { clients, counts, got, want, failed, cpu0, onDone }
  const groups = new Map();
  const cmds = {
    async connect({ group, kind, url, K }) {
      const g = { clients: new Array(K), counts: new Array(K).fill(0), got: 0, want: Infinity, failed: null, cpu0: null, onDone: null };
      groups.set(group, g);
      const fail = (err) => {
        if (!g.failed) g.failed = err;
        if (g.onDone) g.onDone();
      };
      const received = (k) => {
        g.counts[k]++;
        if (++g.got >= g.want && g.onDone) g.onDone();
      };
      const t0 = process.hrtime.bigint();
      await limited(K, CONNECTING, async (k) => {
        if (kind === 'raw') {
          const ws = new WebSocket(url, WS_OPTS);
          ws.on('message', (d) => {
            JSON.parse(d.toString());
            received(k);
          });
          g.clients[k] = ws;
          await new Promise((resolve, reject) => {
            ws.once('open', resolve);
            ws.once('error', reject);
          });
          ws.on('error', fail);
        } else {
          const c = new ReconnectingStream({ url, encryption: kind === 'enc', onMessage: () => received(k), onError: fail });
          g.clients[k] = c;
          await c.connect();
        }
      });
      return { seconds: hrs(t0) };
    },
    arm({ group, total }) {
      const g = groups.get(group);
      g.want = total;
      g.got = 0;
      g.counts.fill(0);
      g.cpu0 = process.cpuUsage();
      return {};
    },
    // resolves when the armed number of messages is in
    async done({ group }) {
      const g = groups.get(group);
      if (g.got < g.want && !g.failed) {
        await guard(
          new Promise((resolve) => {
            g.onDone = resolve;
          }),
          `fan-out (${group}): ${g.got} of ${g.want} messages in`,
        );
      }
      g.onDone = null;
      if (g.failed) throw g.failed;
      const u = process.cpuUsage(g.cpu0);
      const E = g.want / g.counts.length;
      const bad = g.counts.findIndex((n) => n !== E);
      if (bad >= 0) throw new Error(`client ${bad} got ${g.counts[bad]} messages, not ${E}`);
      const reconnects = g.clients.reduce((a, c) => a + (c.reconnects || 0), 0);
      if (reconnects) throw new Error(`the fan-out clients reconnected ${reconnects} times`);
      return { cpu: (u.user + u.system) / 1e6 };
    },
    async close({ group }) {
      const g = groups.get(group);
      groups.delete(group);
      if (g) await Promise.all(g.clients.map((c) => c && (c instanceof WebSocket ? c.terminate() : c.close())));
      return {};
    },
  };
  process.on('message', async (m) => {
    try {
      const out = await cmds[m.cmd](m);
      process.send({ id: m.id, ...out });
    } catch (err) {
      process.send({ id: m.id, error: String((err && err.stack) || err) });
    }
  });
}

/** The client child, driven by `call(cmd, args)` (resolves with its reply). */
function clientChild() {
  const child = fork(__filename, ['--client'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: process.env, execArgv: [] });
  let id = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error) w.reject(new Error(`fan-out client process: ${m.error}`));
    else w.resolve(m);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`fan-out client process exited (${code})`));
    waiting.clear();
  });
  return {
    call(cmd, args = {}) {
      return new Promise((resolve, reject) => {
        const m = { id: ++id, cmd, ...args };
        waiting.set(m.id, { resolve, reject });
        child.send(m);
      });
    },
    kill() {
      child.kill();
    },
  };
}

// ---- the server side -------------------------------------------------------

function memNow() {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const cpuS = (u) => (u.user + u.system) / 1e6;

/**
 * A listening server of `kind` ('raw' | 'plain' | 'enc'). Its connections
 * (raw ws sockets, or sessions) go to `side.sink`.
 */
async function makeSide(kind) {
  const side = { kind, sink: [], held: null, url: null, close: null };
  if (kind === 'raw') {
    const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1', ...WS_OPTS });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      side.sink.push(ws);
    });
    side.url = `ws://127.0.0.1:${wss.address().port}`;
    side.drop = (conns) => conns.forEach((ws) => ws.terminate());
    side.close = async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => wss.close(r));
    };
  } else {
    const { StreamServer } = require('../lib/server');
    const server = new StreamServer({ encryption: kind === 'enc' ? 'required' : 'disabled', maxSessions: 1e6, maxPendingHellos: 1e6 });
    server.on('session', (s) => side.sink.push(s));
    side.url = (await server.listen()).url;
    side.drop = (conns) => conns.forEach((s) => s.close()); // a closed client's session would wait for its resume (sessionTtlMs)
    side.close = () => server.close();
  }
  return side;
}

/**
 * Connects K clients of the side's kind (client group `group`); resolves
 * with { seconds, cpu (this process's CPU seconds), conns }.
 */
async function connectClients(child, side, group, K) {
  side.sink = [];
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await guard(child.call('connect', { group, kind: side.kind, url: side.url, K }), `${side.kind}: ${K} connections`);
  const seconds = hrs(t0);
  const cpu = cpuS(process.cpuUsage(c0));
  // the server sees the connection before the client sees the welcome / open
  if (side.sink.length !== K) throw new Error(`${side.kind}: ${side.sink.length} connections on the server, not ${K}`);
  const conns = side.sink;
  side.sink = [];
  return { seconds, cpu, conns };
}

/** Sends E events to every held connection of `side`; pushes { cpu, clientCpu } onto `out`, resolves with the seconds. */
async function fanOut(child, side, E, events, out) {
  const conns = side.held;
  const K = conns.length;
  await child.call('arm', { group: side.kind, total: K * E });
  const inAll = child.call('done', { group: side.kind });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let sending;
  if (side.kind === 'raw') {
    side.seq = side.seq || 0;
    const base = side.seq;
    for (let k = 0; k < K; k++) {
      const ws = conns[k];
      const sid = `s_bench_${k}`;
      for (let i = 0; i < E; i++) ws.send(JSON.stringify({ protocolVersion: 2, sessionId: sid, seq: base + i + 1, ...events[i] }));
    }
    side.seq += E;
    sending = null;
  } else {
    sending = Promise.all(
      conns.map(async (s) => {
        for (let i = 0; i < E; i++) await s.send(events[i]);
      }),
    );
  }
  const [done] = await guard(Promise.all([inAll, sending]), `${side.kind}: fan-out of ${K} x ${E} events`);
  const seconds = hrs(t0);
  out.push({ cpu: cpuS(process.cpuUsage(c0)), clientCpu: done.cpu });
  // --phases: the send phases' spans on the monotonic clock in µs (the clock
  // of a --cpu-prof profile's timestamps), to profile the sends alone
  if (PHASES) console.error(`phase ${side.kind} ${t0 / 1000n} ${process.hrtime.bigint() / 1000n}`);
  return seconds;
}

/** New connections per second: H clients connect (then are dropped); pushes { cpu } onto `out`, resolves with the seconds. */
async function handshakes(child, side, H, out) {
  const group = `hs-${side.kind}`;
  const r = await connectClients(child, side, group, H);
  out.push({ cpu: r.cpu });
  await child.call('close', { group });
  side.drop(r.conns);
  return r.seconds;
}

function argNum(name, dflt, argv = process.argv) {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  return Number.isFinite(v) && v > 0 ? v | 0 : dflt;
}

/** `argv`: this file's own options (--sessions, --events, --rounds, --handshakes, --only); none from bench/index.js. */
async function run({ quick = false, argv = [] } = {}) {
  const { backend } = require('../lib/binding');
  const { rounds, ratios, spread, gc, makeEvent } = require('./harness');
  const K = argNum('--sessions', 1000, argv);
  const E = argNum('--events', 50, argv);
  const R = argNum('--rounds', quick ? 5 : 7, argv);
  const H = argNum('--handshakes', quick ? 100 : 200, argv);
  const oi = argv.indexOf('--only');
  const only = oi < 0 ? null : new Set(String(argv[oi + 1]).split(','));
  const kinds = ['raw', 'plain', 'enc'].filter((k) => !only || only.has(k));
  const need = kinds.length * K + H + 100;
  const limit = fdLimit();
  if (limit < need) {
    console.log(`fan-out: skipped, ulimit -n is ${limit}; ${K} sessions of ${kinds.length} kinds need about ${need} open files per process (ulimit -n ${need + 500})`);
    return [];
  }
  const events = Array.from({ length: E }, (_, i) => makeEvent(i));
  const sample = JSON.stringify({ protocolVersion: 2, sessionId: 's_bench_0', seq: 1, ...events[0] });
  const N = K * E;
  const bytes = N * Buffer.byteLength(sample);
  const child = clientChild();
  const sides = {};
  const setup = {};
  const sendM = { raw: [], plain: [], enc: [] };
  const hsM = { raw: [], plain: [], enc: [] };
  let t;
  try {
    // K held connections per kind, made one kind after the other: the idle
    // memory per connection is this process's heapUsed + external after a
    // GC, minus the same before the kind's server was made.
    for (const kind of kinds) {
      await sleep(30);
      gc();
      gc();
      const m0 = memNow();
      const side = (sides[kind] = await makeSide(kind));
      const c = await connectClients(child, side, kind, K);
      side.held = c.conns;
      await sleep(50);
      gc();
      gc();
      setup[kind] = { mem: (memNow() - m0) / K, seconds: c.seconds, cpu: c.cpu };
    }
    const fns = {};
    const warm = {};
    for (const kind of kinds) {
      fns[kind] = () => fanOut(child, sides[kind], E, events, sendM[kind]);
      if (!only) fns[`hs-${kind}`] = () => handshakes(child, sides[kind], H, hsM[kind]);
      warm[kind] = () => fanOut(child, sides[kind], Math.min(E, 10), events, []);
      if (!only) warm[`hs-${kind}`] = () => handshakes(child, sides[kind], Math.min(H, 50), []);
    }
    t = await rounds(fns, R, warm);
    for (const kind of kinds) await child.call('close', { group: kind });
  } finally {
    child.kill();
    for (const side of Object.values(sides)) await side.close();
  }
  if (only) {
    for (const kind of kinds) {
      const s = spread(t[kind]);
      console.log(`${kind}: ${((N / s.median) | 0)} ev/s, server CPU ${((spread(sendM[kind].map((m) => m.cpu)).median / N) * 1e6).toFixed(1)} µs/event, ${(setup[kind].mem / 1024).toFixed(1)} KiB/session`);
    }
    return [];
  }
  const rows = [];
  const pick = (m, kind, key) => m[kind].map((x) => x[key]);
  const us = (x) => (x * 1e6).toFixed(1);
  const kib = (x) => x / 1024;
  rows.push(rawBaselineRow(backend, `raw ws: ${K} connections x ${E} x 1 KiB lines, server -> clients (baseline), median of ${R} rounds`, N, bytes, t.raw));
  const rateRow = (name, times, base, baselineName, goal, unit, n = N, b = bytes) => {
    const s = spread(times);
    const r = ratios(base, times);
    rows.push({ backend, name, events: n, bytes: b, seconds: s.median, rateSpread: [n / s.max, n / s.min], unit, ratio: r.median, spread: [r.min, r.max], baselineName, goal });
  };
  rateRow(`StreamServer -> ${K} ReconnectingStream, plain, ${E} events each`, t.plain, t.raw, 'raw ws', '>= 1.0x');
  rateRow(`StreamServer -> ${K} ReconnectingStream, encrypted, ${E} events each`, t.enc, t.raw, 'raw ws', '>= 0.8x');

  // server CPU per event (the clients are in the child process)
  const rawCpu = pick(sendM, 'raw', 'cpu');
  const rawCpuS = spread(rawCpu);
  for (const kind of ['plain', 'enc']) {
    const cpu = pick(sendM, kind, 'cpu');
    const s = spread(cpu);
    const cl = spread(pick(sendM, kind, 'clientCpu'));
    rateRow(
      `server CPU per event, ${kind === 'enc' ? 'encrypted' : 'plain'}: ${us(s.median / N)} µs (${us(s.min / N)}–${us(s.max / N)}), raw ws ${us(rawCpuS.median / N)} µs; the client process: ${us(cl.median / N)} µs`,
      cpu,
      rawCpu,
      'raw ws (server CPU time)',
      '',
      'ev/CPU-s',
      N,
      0,
    );
  }

  // memory per idle session (one measure per kind, K sessions)
  for (const kind of ['enc', 'plain']) {
    rows.push({
      backend,
      name: `memory per idle ${kind === 'enc' ? 'encrypted' : 'plain'} session (heapUsed + external after GC, ${K} sessions, measured once)`,
      value: kib(setup[kind].mem),
      valueUnit: 'KiB',
      ratio: setup.raw.mem / setup[kind].mem,
      baselineName: `raw ws (${kib(setup.raw.mem).toFixed(1)} KiB per connection)`,
      goal: kind === 'enc' ? '<= 20 KiB' : '',
    });
  }

  // sessions connected per second
  const rawHs = t['hs-raw'];
  const rawHsS = spread(rawHs);
  const rawHsCpu = spread(pick(hsM, 'raw', 'cpu'));
  for (const kind of ['plain', 'enc']) {
    const cc = spread(pick(hsM, kind, 'cpu'));
    rateRow(
      `new sessions connected/s, ${kind === 'enc' ? 'encrypted (ECDH P-256 both sides)' : 'plain'}, ${H} clients, ${Math.min(H, CONNECTING)} connecting at a time; server CPU ${us(cc.median / H)} µs per session (raw ws ${us(rawHsCpu.median / H)} µs)`,
      t[`hs-${kind}`],
      rawHs,
      `raw ws connects/s (${(H / rawHsS.median) | 0})`,
      '',
      'sessions/s',
      H,
      0,
    );
  }
  return rows;
}

if (require.main === module) {
  if (process.argv.includes('--client')) {
    clientMain();
  } else {
    main(module, {
      run,
      jsChild: true,
      childArgs: process.argv.slice(2),
      options: { argv: process.argv },
      title: () => `Fan-out: one server, ${argNum('--sessions', 1000)} sessions (node ${process.version})`,
    });
  }
}

module.exports = { run };
