'use strict';
// One server node of `npm run demo -- --redis` (scripts/demo.js forks two):
// a StreamServer on a free loopback port with a RedisSessionStore, talking
// to the demo over IPC.
//
//   node scripts/demo-node.js <redisUrl> <keyPrefix> <encryptionKey b64> <required|disabled>
//
// Reports { port, pid } once listening, { session, resumed } on 'session' and
// { held } when asked { stats: sid }; { close: true } closes it and exits.
// DEMO_NODE_DEBUG=1 prints the first session errors on stderr.
// Every client message it delivers goes to fd 3 as a line "<n> <redelivered 0|1>".

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const fs = require('node:fs');
const { StreamServer, RedisSessionStore } = require('../lib/server');

const [url, keyPrefix, encryptionKey, encryption] = process.argv.slice(2);
const store = new RedisSessionStore({ url, keyPrefix, encryptionKey });
const server = new StreamServer({ store, encryption, heartbeatIntervalMs: 1000 });

server.on('session', (s) => {
  process.send({ session: s.id, resumed: s.resumed });
  // written synchronously, before the handler returns (and so before the
  // server records the message as delivered): a SIGKILL loses none of them
  s.on('message', (m, info) => fs.writeSync(3, `${m.n} ${info && info.redelivered ? 1 : 0}\n`));
  s.on('error', (err) => { if (process.env.DEMO_NODE_DEBUG && (s._errs = (s._errs || 0) + 1) <= 5) console.error(`node ${process.pid} session error:`, err.code, err.message); });
});

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  await server.close();
  await store.close();
  process.exit(0);
}

process.on('message', (msg) => {
  if (msg && msg.stats) {
    const s = server.getSession(msg.stats);
    process.send({ held: s ? s.stats.held : null });
  } else if (msg && msg.close) close();
});
process.on('disconnect', close); // the demo went away: do not linger

server.listen().then((a) => process.send({ port: a.port, pid: process.pid }));
