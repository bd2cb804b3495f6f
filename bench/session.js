'use strict';
// Sessions of the stream protocol v2 over loopback (docs/PROTOCOL.md: the
// challenge / hello / welcome exchange, resume proofs, rekey), every figure a
// ratio to a baseline measured in the same process, in the same rounds
// (7 rounds, rotated order, a GC before each run; a row prints the median of
// the per-round ratios and their min–max, the rate column the median rate and
// its min–max).
//
//   resumes    One StreamServer (encryption 'optional') holds K sessions, K
//              plaintext and K encrypted; K workers run concurrently, each
//              resuming its own session over and over through a fresh
//              WebSocket: wait for the challenge, send the hello with its
//              proof (plaintext: HMAC under the key derived from the resume
//              credential; encrypted: under the session's authC key), read
//              the welcome (encrypted: its MAC is checked), drop the socket.
//              Raw peers speak the frames by hand (lib/protocol/control.js,
//              lib/crypto/hmac.js); the ReconnectingStream rows are real
//              clients whose connection is dropped (`_transport.terminate()`)
//              and that resume on their own (reconnect delay 0).
//              Baseline: raw `ws`, K workers, each a new connection + one
//              message echoed back, per iteration.
//   handshakes New sessions per second (hello -> welcome), plaintext (the
//              server makes a credential) and encrypted (P-256 ECDH on both
//              sides, the reference HKDF keys and the v2 authentication
//              keys), same K workers, same baseline.
//   rekey      One encrypted session per run, rekeyAfterMessages 1e9 (no
//              rekey: the baseline) against 1 (rekey as often as the
//              protocol lets: one rekey in flight at a time), three loads:
//              100 B events server -> client and 100 B messages client ->
//              server, each streamed as fast as send() allows (a rekey then
//              waits behind the data in flight, so rekeys/s stay low and the
//              row shows what they cost the stream), and an echo (message ->
//              event, one at a time: every exchange carries a whole rekey, so
//              the row shows what one rekey costs). The name carries the
//              rekeys/s (session.stats.rekeys over the run, median and range;
//              the client's count is checked against it, and every event and
//              message must arrive once, in order).
//
//   node bench/session.js [--quick]      (also the JavaScript backend, in a child)
//   npm run bench                        (all the suites)
// module.exports = { run } for bench/index.js.

process.env.ENCLAVE_STREAM_QUIET = process.env.ENCLAVE_STREAM_QUIET || '1';
const WebSocket = require('ws');
const { StreamServer } = require('../lib/server');
const { ReconnectingStream } = require('../lib/client');
const { backend } = require('../lib/binding');
const secure = require('../lib/transport/secure');
const { build } = require('../lib/protocol/control');
const { mac, randomToken } = require('../lib/crypto/hmac');
const { rounds, ratios, spread, fmtRate, main, guard, hrs } = require('./harness');

const WS_OPTS = { perMessageDeflate: false };

/** Runs K workers of `iters` sequential iterations of `once(k)` each; resolves with the seconds taken. */
async function workers(K, iters, once) {
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: K }, async (_, k) => {
      for (let i = 0; i < iters; i++) await once(k, i);
    }),
  );
  return hrs(t0);
}

// ---- raw peers -------------------------------------------------------------

/**
 * One WebSocket to the StreamServer: `first(challengeNonce)` returns the
 * hello to send once the challenge is in (or null: the hello went out on
 * open, `onOpen()`), `welcome(f)` checks the welcome. Resolves with the
 * welcome; the socket is dropped.
 */
function exchange(url, { onOpen, onChallenge, onWelcome }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, WS_OPTS);
    let done = false;
    const fail = (err) => {
      if (done) return;
      done = true;
      ws.terminate();
      reject(err);
    };
    ws.on('error', fail);
    ws.on('close', () => fail(new Error('closed before the welcome')));
    if (onOpen) ws.on('open', () => ws.send(onOpen()));
    ws.on('message', (data) => {
      if (done) return;
      for (const line of String(data).split('\n')) {
        if (!line) continue;
        const f = JSON.parse(line);
        if (f.t === 'challenge') {
          if (onChallenge) ws.send(onChallenge(f.n));
        } else if (f.t === 'welcome') {
          try {
            onWelcome(f);
          } catch (err) {
            fail(err);
            return;
          }
          done = true;
          ws.terminate();
          resolve(f);
          return;
        } else if (f.t === 'reject') {
          fail(new Error(`rejected: ${f.code} ${f.message}`));
          return;
        }
      }
    });
  });
}

/** A new session: plaintext (returns { sid, credKey }) or encrypted (returns { sid, channel }). */
async function newSession(url, encrypted) {
  const hs = encrypted ? secure.clientHandshake() : null;
  let out;
  await exchange(url, {
    onOpen: () => build.hello({ sid: null, resume: false, rx: 0, enc: hs ? hs.hello : undefined }) + '\n',
    onWelcome: (f) => {
      if (encrypted) {
        if (!f.enc) throw new Error('no ServerHello in the welcome');
        out = { sid: f.sid, channel: hs.finish(f.enc, f.sid) };
      } else {
        const credKey = secure.credentialKey(f.cred, f.sid);
        if (!credKey) throw new Error('no credential in the welcome');
        out = { sid: f.sid, credKey };
      }
    },
  });
  return out;
}

/** One authenticated resume of session `s` (from newSession) through a fresh WebSocket. */
function resume(url, s) {
  let cn;
  return exchange(url, {
    onChallenge: (n) => {
      cn = randomToken(16);
      const fields = [s.sid, n, cn, 0];
      const proof = s.channel ? s.channel.mac('resume', ...fields) : mac(s.credKey, 'resume', ...fields);
      return build.hello({ sid: s.sid, resume: true, rx: 0, cn, proof }) + '\n';
    },
    onWelcome: (f) => {
      if (!f.resumed) throw new Error('not resumed');
      if (s.channel && !s.channel.check(f.m, 'welcome', s.sid, cn, f.rx, f.next)) throw new Error('welcome MAC');
    },
  });
}

// ---- baseline: raw ws connect + one round trip -----------------------------

async function echoServer() {
  const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1', ...WS_OPTS });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (d) => ws.send(d));
  });
  return { wss, url: `ws://127.0.0.1:${wss.address().port}` };
}

function rawConnect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, WS_OPTS);
    ws.on('error', reject);
    ws.on('open', () => ws.send('{"hello":1}'));
    ws.on('message', (d) => {
      JSON.parse(String(d));
      ws.terminate();
      resolve();
    });
  });
}

// ---- ReconnectingStream: drop and resume -----------------------------------

async function reconnectingClients(url, K, encryption) {
  const cs = [];
  for (let k = 0; k < K; k++) {
    const c = new ReconnectingStream({
      url,
      encryption,
      reconnect: { initialDelay: 0, maxDelay: 0, jitter: false, maxAttempts: 1e9 },
      onError: (err) => {
        c.benchError = err;
      },
    });
    await c.connect();
    cs.push(c);
  }
  return cs;
}

/** Each client drops its connection `iters` times and resumes on its own; resolves with the seconds taken. */
async function dropAndResume(cs, iters) {
  const t0 = process.hrtime.bigint();
  await Promise.all(
    cs.map(
      (c) =>
        new Promise((resolve, reject) => {
          let n = 0;
          const before = c.reconnects;
          const on = ({ resumed }) => {
            if (c.benchError) return reject(c.benchError);
            if (!resumed) return reject(new Error('a ReconnectingStream started a new session'));
            if (++n === iters) {
              c.off('connected', on);
              c.off('failed', onFailed);
              if (c.reconnects - before !== iters) reject(new Error('reconnect count'));
              resolve();
            } else setImmediate(() => c._transport.terminate());
          };
          const onFailed = (f) => reject(new Error(`a ReconnectingStream failed: ${f.code} ${f.reason}`));
          c.on('connected', on);
          c.once('failed', onFailed);
          c._transport.terminate();
        }),
    ),
  );
  return hrs(t0);
}

// ---- rekey -----------------------------------------------------------------

function smallEvent(i) {
  return { type: 'stdout', payload: { chunk: `event ${i} `.padEnd(40, '.') } };
}

/**
 * One encrypted session with rekeyAfterMessages `after`, N small data lines:
 *   's2c'  events server -> client, as fast as send() allows
 *   'c2s'  client messages -> server, as fast as send() allows
 *   'echo' one at a time: the client sends a message, the server answers
 *          with an event, the client waits for it before the next (so with
 *          `after` 1 every exchange carries a whole rekey)
 * Resolves { seconds, rekeys } (the server session's rekeys; the client's
 * count is checked against it).
 */
async function rekeyRun(N, after, dir) {
  const server = new StreamServer({ encryption: 'required', rekeyAfterMessages: after });
  const addr = await server.listen();
  let fail;
  const failed = new Promise((_, reject) => {
    fail = reject;
  });
  const gotSession = new Promise((r) => server.once('session', r));
  let n = 0;
  let finish;
  const done = new Promise((r) => {
    finish = r;
  });
  let next = null; // echo: resolves when the answer to the last message arrived
  const c = new ReconnectingStream({
    url: addr.url,
    encryption: true,
    onError: (err) => fail(err),
    onMessage: (m) => {
      if (m.seq !== ++n) fail(new Error(`event ${m.seq} delivered as #${n}`));
      if (next) next();
      if (n === N) finish();
    },
  });
  await c.connect();
  const session = await gotSession;
  session.on('error', (err) => fail(err));
  let got = 0;
  session.on('message', (m) => {
    if (m.i !== got++) fail(new Error(`message ${m.i} delivered as #${got}`));
    if (dir === 'echo') session.send(smallEvent(m.i)).catch(fail);
    else if (got === N) finish();
  });
  const msg = (i) => ({ i, text: 'client message'.padEnd(60, '.') });
  const t0 = process.hrtime.bigint();
  if (dir === 's2c') {
    (async () => {
      for (let i = 0; i < N; i++) await session.send(smallEvent(i));
    })().catch(fail);
  } else if (dir === 'c2s') {
    (async () => {
      for (let i = 0; i < N; i++) await c.send(msg(i));
    })().catch(fail);
  } else {
    (async () => {
      for (let i = 0; i < N; i++) {
        const answered = new Promise((r) => {
          next = r;
        });
        await c.send(msg(i));
        await answered;
      }
    })().catch(fail);
  }
  await guard(Promise.race([done, failed]), `rekey run (${dir}, rekeyAfterMessages ${after})`);
  const seconds = hrs(t0);
  const rekeys = session.stats.rekeys;
  if (Math.abs(c.stats.rekeys - rekeys) > 1) throw new Error(`rekeys: server ${rekeys}, client ${c.stats.rekeys}`);
  if (c.reconnects) throw new Error(`the rekey run reconnected ${c.reconnects} times`);
  await c.close();
  await server.close();
  return { seconds, rekeys };
}

// ---- run -------------------------------------------------------------------

async function run({ quick = false } = {}) {
  const R = 7;
  const K = 8; // concurrent workers (sessions per kind)
  const iters = quick ? 10 : 25; // per worker per round
  const ops = K * iters;
  const rows = [];

  // resumes and handshakes, one server, one baseline
  const server = new StreamServer({ encryption: 'optional', maxSessions: 1e6 });
  const { url } = await server.listen();
  const echo = await echoServer();
  const plainS = [];
  const encS = [];
  for (let k = 0; k < K; k++) {
    plainS.push(await newSession(url, false));
    encS.push(await newSession(url, true));
  }
  const keep = new Set([...plainS, ...encS].map((s) => s.sid));
  const rsPlain = await reconnectingClients(url, K, false);
  const rsEnc = await reconnectingClients(url, K, true);
  for (const c of [...rsPlain, ...rsEnc]) keep.add(c.sessionId);
  /** Closes the sessions the handshake rows made (outside the timed part). */
  const sweep = () => {
    for (const s of [...server.sessions.values()]) if (!keep.has(s.id)) s.close();
  };
  const timed = (fn) => async () => {
    const s = await guard(fn(), 'sessions');
    sweep();
    return s;
  };
  const mk = (n) => ({
    raw: timed(() => workers(K, n, () => rawConnect(echo.url))),
    resumePlain: timed(() => workers(K, n, (k) => resume(url, plainS[k]))),
    resumeEnc: timed(() => workers(K, n, (k) => resume(url, encS[k]))),
    rsPlain: timed(() => dropAndResume(rsPlain, n)),
    rsEnc: timed(() => dropAndResume(rsEnc, n)),
    newPlain: timed(() => workers(K, n, () => newSession(url, false))),
    newEnc: timed(() => workers(K, n, () => newSession(url, true))),
  });
  const fns = mk(iters);
  const t = await rounds(fns, R, mk(3));
  const rawS = spread(t.raw);
  const rateRow = (name, times, unit, base, baselineName) => {
    const s = spread(times);
    const row = { backend, name, events: ops, bytes: 0, seconds: s.median, rateSpread: [ops / s.max, ops / s.min], unit, baselineName };
    if (base) {
      const r = ratios(base, times);
      Object.assign(row, { ratio: r.median, spread: [r.min, r.max] });
    } else row.ratio = 1;
    rows.push(row);
  };
  const rawName = `raw ws connects/s (${(ops / rawS.median) | 0})`;
  rateRow(`raw ws: new connection + 1 message round trip, ${K} concurrent (baseline)`, t.raw, 'conn/s', null, 'raw ws connects/s');
  rateRow(`resume, plaintext session (credential proof), raw peer, ${K} concurrent`, t.resumePlain, 'resumes/s', t.raw, rawName);
  rateRow(`resume, encrypted session (key proof, MACed welcome), raw peer, ${K} concurrent`, t.resumeEnc, 'resumes/s', t.raw, rawName);
  rateRow(`resume, ReconnectingStream dropped + reconnecting, plaintext, ${K} clients`, t.rsPlain, 'resumes/s', t.raw, rawName);
  rateRow(`resume, ReconnectingStream dropped + reconnecting, encrypted, ${K} clients`, t.rsEnc, 'resumes/s', t.raw, rawName);
  rateRow(`new session, plaintext (credential made), raw peer, ${K} concurrent`, t.newPlain, 'sessions/s', t.raw, rawName);
  rateRow(`new session, encrypted (ECDH P-256 + HKDF both sides), raw peer, ${K} concurrent`, t.newEnc, 'sessions/s', t.raw, rawName);
  for (const c of [...rsPlain, ...rsEnc]) await c.close();
  await server.close();
  await new Promise((r) => echo.wss.close(r));

  // rekey
  const DIRS = {
    s2c: { n: quick ? 4000 : 10000, what: '100 B events server -> client, streamed' },
    c2s: { n: quick ? 4000 : 10000, what: '100 B messages client -> server, streamed' },
    echo: { n: quick ? 200 : 500, what: 'message -> event echo, one at a time' },
  };
  const AFTER = [1e9, 1];
  const rk = {};
  const rkFns = {};
  const warm = {};
  for (const dir of Object.keys(DIRS)) {
    for (const after of AFTER) {
      const key = `${dir}:${after}`;
      rk[key] = [];
      rkFns[key] = async () => {
        const r = await rekeyRun(DIRS[dir].n, after, dir);
        rk[key].push(r.rekeys / r.seconds);
        return r.seconds;
      };
      warm[key] = () => rekeyRun(Math.ceil(DIRS[dir].n / 5), after, dir);
    }
  }
  const tr = await rounds(rkFns, R, warm);
  for (const dir of Object.keys(DIRS)) {
    const N = DIRS[dir].n;
    const base = tr[`${dir}:${AFTER[0]}`];
    const bs = spread(base);
    const unit = dir === 'echo' ? 'exch/s' : 'ev/s';
    rows.push({ backend, name: `encrypted, ${DIRS[dir].what}, rekeyAfterMessages 1e9 (no rekey, baseline)`, events: N, bytes: 0, seconds: bs.median, rateSpread: [N / bs.max, N / bs.min], unit, ratio: 1, baselineName: 'no rekey' });
    for (const after of AFTER.slice(1)) {
      const times = tr[`${dir}:${after}`];
      const s = spread(times);
      const r = ratios(base, times);
      const k = spread(rk[`${dir}:${after}`]);
      rows.push({
        backend,
        name: `... rekeyAfterMessages ${after}: ${fmtRate(k.median).trim()} rekeys/s (${fmtRate(k.min).trim()}–${fmtRate(k.max).trim()})`,
        events: N,
        bytes: 0,
        seconds: s.median,
        rateSpread: [N / s.max, N / s.min],
        unit,
        ratio: r.median,
        spread: [r.min, r.max],
        baselineName: 'no rekey',
      });
    }
  }
  return rows;
}

main(module, { run, jsChild: true, title: () => `Sessions over loopback: resumes, handshakes, rekey (node ${process.version})` });

module.exports = { run };
