'use strict';
// End-to-end events/s over loopback for 1 KiB events, server -> client:
// StreamServer + ReconnectingStream (plain and encrypted: serialize, seal,
// frame, ack, open, parse) against raw `ws` sending the same serialized
// lines, one message per event, in the same process. Every round runs each
// side once (rotated order, a GC before each); a row prints the median of the
// per-round ratios to raw ws and their min–max over the rounds (7 rounds).
//
//   node bench/e2e.js [--quick] [--rounds N]   (N >= 7: more rounds, a tighter median)
//   node bench/e2e.js --compare <dir>     also another checkout of this package
//   npm run bench -- --compare <dir>      the same inside the full benchmark
//
// --compare <dir> loads <dir>/lib/server and <dir>/lib/client next to this
// tree's and runs their plain and encrypted rows in the same rounds, against
// the same raw ws baseline, then prints this tree / <dir> per round (median,
// min–max; > 1x: this tree is faster). <dir> needs node_modules and the built
// addon, e.g. for the code before control protocol v2 (commit 74bf750; its C
// core is the same as now, so the addon is shared):
//
//   git -C . worktree add --detach /tmp/esn-before 74bf750
//   ln -s "$PWD/node_modules" /tmp/esn-before/node_modules
//   ln -s "$PWD/build" /tmp/esn-before/build     # node-gyp-build looks in <dir>/build/Release
//   node bench/e2e.js --compare /tmp/esn-before
//   git worktree remove --force /tmp/esn-before   # (the symlinks are untracked)
//
// Both trees then share one `ws` and one addon instance (require resolves the
// symlinks to the same files). module.exports = { run } for bench/index.js
// (async: resolves with table rows; `--rows` prints them as JSON for the
// JavaScript-backend child process).

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const WebSocket = require('ws');
const { backend } = require('../lib/binding');
const { main, rawBaselineRow, rounds, ratios, spread, guard, makeEvent, deferred } = require('./harness');

const ROOT = path.join(__dirname, '..');

/** The StreamServer / ReconnectingStream pair of a checkout of this package. */
function loadTree(root) {
  return {
    StreamServer: require(path.join(root, 'lib/server')).StreamServer,
    ReconnectingStream: require(path.join(root, 'lib/client')).ReconnectingStream,
    crypto: require(path.join(root, 'lib/transport/secure')).backend,
  };
}

function treeLabel(dir) {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const commit = r.status === 0 ? r.stdout.trim() : '';
  return commit ? `${commit} (${dir})` : dir;
}

async function rawWs(lines) {
  const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address();
  const done = new Promise((resolve) => {
    wss.once('connection', (ws) => {
      let i = 0;
      const pump = () => {
        while (i < lines.length) {
          ws.send(lines[i++]);
          if (ws.bufferedAmount > 1024 * 1024) {
            setImmediate(pump);
            return;
          }
        }
      };
      ws.on('message', () => pump()); // client says go
    });
    const c = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    let n = 0;
    let t0 = 0;
    c.on('open', () => {
      t0 = process.hrtime.bigint();
      c.send('go');
    });
    c.on('message', (data) => {
      JSON.parse(data.toString());
      if (++n === lines.length) {
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        c.terminate();
        resolve(s);
      }
    });
  });
  const s = await guard(done, 'raw ws', 120000);
  await new Promise((r) => wss.close(r));
  return s;
}

/**
 * One run; resolves with its wall-clock seconds. `cpu`, when given, gets the
 * process's CPU seconds (user + system: server and client both run here)
 * over the same span pushed onto it.
 */
async function ours(tree, events, encryption, cpu = null) {
  const server = new tree.StreamServer({ encryption: encryption ? 'required' : 'disabled' });
  const addr = await server.listen();
  let t0 = 0;
  let c0 = null;
  let n = 0;
  const { promise: done, resolve: resolveDone, reject: rejectDone } = deferred();
  server.once('session', async (s) => {
    t0 = process.hrtime.bigint();
    c0 = process.cpuUsage();
    try {
      for (let i = 0; i < events.length; i++) await s.send(events[i]);
    } catch (err) {
      rejectDone(err);
    }
  });
  const c = new tree.ReconnectingStream({
    url: addr.url,
    encryption,
    onMessage: () => {
      if (++n === events.length) {
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        const u = process.cpuUsage(c0);
        if (cpu) cpu.push((u.user + u.system) / 1e6);
        resolveDone(wall);
      }
    },
    onError: (err) => rejectDone(err),
  });
  await c.connect();
  const s = await guard(done, `StreamServer -> ReconnectingStream (${encryption ? 'encrypted' : 'plain'})`, 120000);
  if (c.reconnects) throw new Error(`the e2e run reconnected ${c.reconnects} times`);
  await c.close();
  await server.close();
  return s;
}

async function run({ quick = false, compare = null, rounds: R = 7 } = {}) {
  const N = quick ? 5000 : 20000;
  const events = Array.from({ length: N }, (_, i) => makeEvent(i));
  // the bytes raw ws sends: the same serialized event lines the server sends in plain mode
  const lines = events.map((e, i) => JSON.stringify({ protocolVersion: 2, sessionId: 's_bench', seq: i + 1, ...e }));
  const bytes = lines.reduce((a, l) => a + l.length, 0);
  const cur = loadTree(ROOT);
  const other = compare ? loadTree(path.resolve(compare)) : null;
  const fns = {
    raw: () => rawWs(lines),
    plain: () => ours(cur, events, false),
    enc: () => ours(cur, events, true),
  };
  const cpu = { enc: [], oldEnc: [] };
  if (other) {
    fns.enc = () => ours(cur, events, true, cpu.enc);
    fns.oldPlain = () => ours(other, events, false);
    fns.oldEnc = () => ours(other, events, true, cpu.oldEnc);
  }
  const warmEvents = events.slice(0, Math.min(N, 3000));
  const warm = {
    raw: () => rawWs(lines.slice(0, 3000)),
    plain: () => ours(cur, warmEvents, false),
    enc: () => ours(cur, warmEvents, true),
  };
  if (other) {
    warm.oldPlain = () => ours(other, warmEvents, false);
    warm.oldEnc = () => ours(other, warmEvents, true);
  }
  const t = await rounds(fns, R, warm);
  const rows = [rawBaselineRow(backend, `raw ws, 1 message per 1 KiB event (baseline), median of ${R} rounds`, N, bytes, t.raw)];
  const row = (name, times, goal, baseTimes = t.raw, baselineName = 'raw ws') => {
    const r = ratios(baseTimes, times);
    const s = spread(times);
    rows.push({ backend, name, events: N, bytes, seconds: s.median, rateSpread: [N / s.max, N / s.min], ratio: r.median, spread: [r.min, r.max], baselineName, goal });
  };
  const tag = other ? ' (this tree)' : '';
  // goals of issue 12 (the native backend's; the js rows show the same goals for comparison)
  row(`StreamServer -> ReconnectingStream, plain${tag}`, t.plain, '>= 1.4x');
  row(`... encrypted (AES-256-GCM via ${cur.crypto})${tag}`, t.enc, '>= 1.0x');
  if (other) {
    const label = treeLabel(path.resolve(compare));
    row(`StreamServer -> ReconnectingStream, plain, ${label}`, t.oldPlain, '');
    row(`... encrypted, ${label}`, t.oldEnc, '');
    row(`plain: this tree vs ${label}, same rounds`, t.plain, '', t.oldPlain, label.split(' ')[0]);
    row(`encrypted: this tree vs ${label}, same rounds`, t.enc, '>= 0.9x (v2 costs <= 10 %)', t.oldEnc, label.split(' ')[0]);
    // CPU time of the whole process (server + client) per run: less exposed
    // to other tenants of the machine than wall-clock time.
    const r = ratios(cpu.oldEnc, cpu.enc);
    const s = spread(cpu.enc);
    const o = spread(cpu.oldEnc);
    rows.push({
      backend,
      name: `encrypted, CPU time per event (server + client): ${((s.median / N) * 1e6).toFixed(1)} µs this tree, ${((o.median / N) * 1e6).toFixed(1)} µs ${label.split(' ')[0]}`,
      events: N,
      bytes,
      seconds: s.median,
      rateSpread: [N / s.max, N / s.min],
      unit: 'ev/CPU-s',
      ratio: r.median,
      spread: [r.min, r.max],
      baselineName: `${label.split(' ')[0]} (CPU time)`,
      goal: '>= 0.9x',
    });
  }
  return rows;
}

function compareArg(argv = process.argv) {
  const i = argv.indexOf('--compare');
  if (i < 0) return null;
  const dir = argv[i + 1];
  if (!dir || dir.startsWith('--')) throw new Error('--compare needs the directory of another checkout (with node_modules and build/)');
  return dir;
}

if (require.main === module) {
  const i = process.argv.indexOf('--rounds');
  const R = i < 0 ? 7 : Math.max(7, Number(process.argv[i + 1]) | 0);
  main(module, {
    run,
    options: { compare: compareArg(), rounds: R },
    title: (rows) => `End to end over loopback (${rows[0].events} x 1 KiB events, server -> client, node ${process.version})`,
  });
}

module.exports = { run, compareArg, loadTree };
