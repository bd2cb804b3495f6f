'use strict';
// One process of the fleet test (test/store/fleet.test.js), speaking to the
// parent over IPC. argv: redisUrl keyPrefix encryptionKey(b64) role
//   role 'server':   a StreamServer on a free port with a RedisSessionStore;
//                    reports { port }, every session it serves ({ session: sid,
//                    resumed }), then every client message it delivers
//                    ({ msg: n, sid, redelivered }).
//   role 'producer': never listens; on { publish: sid, from, to } publishes
//                    events from..to with server.publish() and reports { published: to }.
const { StreamServer, RedisSessionStore } = require('../../lib/server');

const [url, keyPrefix, key, role] = process.argv.slice(2);
const store = new RedisSessionStore({ url, keyPrefix, encryptionKey: key });
const server = new StreamServer({ store, encryption: 'required', heartbeatIntervalMs: 2000, rekeyAfterMessages: 2000 });

if (role === 'server') {
  server.on('session', (s) => {
    process.send({ session: s.id, resumed: s.resumed });
    s.on('message', (m, info) => process.send({ msg: m.n, sid: s.id, redelivered: !!(info && info.redelivered) }));
    s.on('error', () => {});
  });
  server.listen().then((a) => process.send({ port: a.port }));
} else {
  process.on('message', async (m) => {
    if (!m || !m.publish) return;
    for (let i = m.from; i <= m.to; i++) await server.publish(m.publish, { type: 'stdout', payload: { chunk: `${i}` } });
    process.send({ published: m.to });
  });
  process.send({ ready: true });
}
