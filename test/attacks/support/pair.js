'use strict';
// A StreamServer and a ReconnectingStream on loopback for the attack suite,
// optionally with a MitmRelay (test/helpers/mitm-relay.js) and/or a
// FaultProxy in between (client -> [FaultProxy] -> [MitmRelay] -> server).
// Everything is registered with the Harness, so afterEach closes it.

const assert = require('node:assert');
const { once, Harness } = require('../../helpers/stream-harness');
const { processGuard } = require('../../helpers/bad-input');
const { MitmRelay } = require('../../helpers/mitm-relay');
const { FAST } = require('./v2');

/**
 * @param h Harness
 * @param o { server: StreamServer options, client: ReconnectingStream options,
 *            relay: { onServerFrame, onClientFrame } | true, proxy: FaultProxy options (without target),
 *            encrypted: bool (sets both sides) }
 */
async function startPair(h, o = {}) {
  const enc = !!o.encrypted;
  const { server, addr } = await h.server({ encryption: enc ? 'required' : 'disabled', ...(o.server || {}) });
  let url = addr.url;
  let relay = null;
  if (o.relay) {
    relay = h.add(new MitmRelay({ target: addr.url, ...(o.relay === true ? {} : o.relay) }));
    url = (await relay.listen()).url;
  }
  let proxy = null;
  if (o.proxy) {
    const port = Number(new URL(url).port);
    ({ proxy } = await h.proxy({ target: { port }, ...o.proxy }));
    url = proxy.address().url;
  }
  const got = [];
  const errors = [];
  const states = [];
  const disconnects = [];
  const sessionP = once(server, 'session');
  const c = h.client({
    url,
    encryption: enc,
    reconnect: FAST,
    onMessage: (m) => got.push(m),
    ...(o.client || {}),
  });
  c.on('error', (e) => errors.push(e));
  c.on('stateChange', (st) => states.push(st));
  c.on('disconnected', (d) => disconnects.push(d));
  const failed = new Promise((resolve) => c.once('failed', resolve));
  await c.connect();
  const s = await sessionP;
  const fromClient = [];
  const sessionErrors = [];
  s.on('message', (m) => fromClient.push(m));
  s.on('error', (e) => sessionErrors.push(e));
  return { server, addr, url, relay, proxy, c, s, got, errors, states, disconnects, failed, fromClient, sessionErrors };
}

const codes = (errs) => errs.map((e) => e && e.code);

/**
 * Mocha hooks of every attack test: a fresh Harness handed to `use` before
 * each test, closed after it, and no uncaught exception or unhandled
 * rejection allowed while it ran.
 */
function guarded(use) {
  let h;
  let guard;
  beforeEach(() => {
    h = new Harness();
    guard = processGuard();
    use(h);
  });
  afterEach(async () => {
    await h.cleanup();
    guard.uninstall();
    assert.deepStrictEqual(guard.seen, [], 'uncaught exception or unhandled rejection');
  });
}

module.exports = { startPair, codes, guarded };
