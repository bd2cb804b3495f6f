'use strict';
// 20 000 events each way through a proxy that cuts the connection at random
// moments (>= 50 forced drops): every event arrives exactly once, in order,
// with and without encryption.

const assert = require('node:assert');
const { Harness, until } = require('../helpers/stream-harness');

const N = 20000;

async function run(h, encryption, seed) {
  const { addr } = await h.server({ encryption: encryption ? 'required' : 'disabled', maxFrameBytes: 8192, highWaterMark: 32768, sendWindowBytes: 65536, heartbeatIntervalMs: 2000 });
  const { proxy, addr: paddr } = await h.proxy({ target: { port: addr.port }, cutAfterBytes: [15000, 120000], seed });
  const serverGot = [];
  const clientGot = [];
  let session = null;
  let serverDone = false;
  h.items[0].on('session', async (s) => {
    session = s;
    s.on('message', (m) => serverGot.push(m.i));
    for (let i = 0; i < N; i++) await s.send({ type: 'stdout', payload: { chunk: `event ${i} ${'x'.repeat(40)}` } });
    serverDone = true;
  });
  const c = h.client({
    url: paddr.url,
    encryption,
    maxFrameBytes: 8192,
    highWaterMark: 32768,
    sendWindowBytes: 65536,
    reconnect: { maxAttempts: 10000, initialDelay: 1, maxDelay: 10 },
    onMessage: (m) => clientGot.push(m.seq),
  });
  await c.connect();
  assert.strictEqual(c.encrypted, encryption);
  for (let i = 0; i < N; i++) await c.send({ type: 'tool_result_submit', i, pad: 'y'.repeat(40) });
  await c.flush();
  await until(() => serverDone && clientGot.length >= N && serverGot.length >= N, 'all events', 25000);
  if (process.env.ESN_VERBOSE) console.log(proxy.stats, c.stats);
  assert.ok(proxy.stats.cuts >= 50, `only ${proxy.stats.cuts} forced drops`);
  assert.strictEqual(serverGot.length, N);
  assert.strictEqual(clientGot.length, N);
  for (let i = 0; i < N; i++) {
    if (serverGot[i] !== i) assert.fail(`server: message ${i} is ${serverGot[i]}`);
    if (clientGot[i] !== i + 1) assert.fail(`client: event ${i + 1} is seq ${clientGot[i]}`);
  }
  assert.ok(c.reconnects >= 50, `reconnects ${c.reconnects}`);
  assert.strictEqual(c.gaps.length, 0);
  assert.strictEqual(session.encrypted, encryption);
}

describe('fault injection: random cuts between client and server', function () {
  this.timeout(30000);
  let h;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  it('plaintext: 20 000 events each way, exactly once, in order', () => run(h, false, 11));
  it('encrypted: 20 000 events each way, exactly once, in order', () => run(h, true, 23));
});
