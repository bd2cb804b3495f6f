'use strict';
// End-to-end events/s over loopback for 1 KiB events, server -> client:
// StreamServer + ReconnectingStream (plain and encrypted: serialize, seal,
// frame, ack, open, parse) against raw `ws` sending the same serialized
// lines, one message per event, in the same process. Best of N rounds,
// interleaved. `node bench/e2e.js [--quick]`; module.exports = { run } for
// bench/index.js (async: resolves with table rows).

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const WebSocket = require('ws');
const { StreamServer } = require('../lib/server');
const { ReconnectingStream } = require('../lib/client');
const { backend } = require('../lib/binding');
const secure = require('../lib/transport/secure');

function makeEvent(i) {
  const chunk = `line ${i} `.padEnd(1024 - 80, 'x');
  return { type: 'stdout', payload: { chunk } };
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
  const s = await done;
  await new Promise((r) => wss.close(r));
  return s;
}

async function ours(events, encryption) {
  const server = new StreamServer({ encryption: encryption ? 'required' : 'disabled' });
  const addr = await server.listen();
  let t0 = 0;
  let n = 0;
  let resolveDone;
  const done = new Promise((r) => {
    resolveDone = r;
  });
  server.once('session', async (s) => {
    t0 = process.hrtime.bigint();
    for (let i = 0; i < events.length; i++) await s.send(events[i]);
  });
  const c = new ReconnectingStream({
    url: addr.url,
    encryption,
    onMessage: () => {
      if (++n === events.length) resolveDone(Number(process.hrtime.bigint() - t0) / 1e9);
    },
  });
  await c.connect();
  const s = await done;
  await c.close();
  await server.close();
  return s;
}

async function run({ quick = false } = {}) {
  const N = quick ? 5000 : 20000;
  const rounds = quick ? 2 : 3;
  const events = Array.from({ length: N }, (_, i) => makeEvent(i));
  // the bytes raw ws sends: the same serialized event lines the server sends in plain mode
  const lines = events.map((e, i) => JSON.stringify({ protocolVersion: 2, sessionId: 's_bench', seq: i + 1, ...e }));
  const bytes = lines.reduce((a, l) => a + l.length, 0);
  let raw = Infinity;
  let plain = Infinity;
  let enc = Infinity;
  for (let r = 0; r < rounds; r++) {
    raw = Math.min(raw, await rawWs(lines));
    plain = Math.min(plain, await ours(events, false));
    enc = Math.min(enc, await ours(events, true));
  }
  const crypto = secure.backend;
  return [
    { backend, name: 'raw ws, 1 message per 1 KiB event (baseline)', events: N, bytes, seconds: raw, ratio: 1, baselineName: 'raw ws' },
    { backend, name: 'StreamServer -> ReconnectingStream, plain', events: N, bytes, seconds: plain, ratio: raw / plain, baselineName: 'raw ws' },
    { backend, name: `... encrypted (AES-256-GCM via ${crypto})`, events: N, bytes, seconds: enc, ratio: raw / enc, baselineName: 'raw ws', goal: '>= 0.7x' },
  ];
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  run({ quick })
    .then((rows) => {
      if (process.argv.includes('--rows')) {
        console.log(JSON.stringify(rows));
        return;
      }
      const { printTable } = require('./harness');
      printTable(`End to end over loopback (${rows[0].events} x 1 KiB events, server -> client, node ${process.version})`, rows);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

module.exports = { run };
