#!/usr/bin/env node
'use strict';
// npm run demo: a StreamServer and a ReconnectingStream on loopback with
// end-to-end encryption, streaming events both ways through a proxy that
// cuts the connection several times; progress on the terminal, then a
// one-screen report.
//
//   node scripts/demo.js [--events N] [--cuts N] [--plain]

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const { StreamServer } = require('../lib/server');
const { ReconnectingStream } = require('../lib/client');
const { FaultProxy } = require('../lib/testing');
const { backend } = require('../lib/binding');
const secure = require('../lib/transport/secure');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i === -1 ? def : Number(process.argv[i + 1]);
}
const N = arg('--events', 50000);
const CUTS = arg('--cuts', 8);
const ENCRYPT = !process.argv.includes('--plain');
const tty = process.stdout.isTTY;

function bar(n, total, width = 24) {
  const k = Math.round((n / total) * width);
  return '[' + '#'.repeat(k) + '.'.repeat(width - k) + ']';
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

  let reconnectLog = [];
  const client = new ReconnectingStream({
    url: paddr.url,
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
