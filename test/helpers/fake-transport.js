'use strict';
// What the Session and Link tests drive their code with: the Link's transport
// duck type (records the frames written, keeps the write callbacks until
// written(), records how it was closed), `flushed()` (one event-loop turn,
// test/helpers/turn.js: the one on which a Link writes), `lines(t)` /
// `wire(t)` (every line written, raw / parsed), `framesFrom(t, from)` (the
// frames from index `from`, each as its lines), `events(t)` (the event lines),
// `controls(t, type)` (the control frames of one type), and for Sessions:
// `SESSION_OPTS` (no timers), `ev(i)` (an event to send), `fakeServer()` (the
// StreamServer side) and `sessionChannels(sid)` (a session's two Channels
// from a real handshake).

const secure = require('../../lib/transport/secure');
const { SERVER_DEFAULTS } = require('../../lib/server');
const { turn } = require('./turn');

/**
 * A fake transport of `kind` ('ws' or 'http'). Write callbacks wait in
 * `callbacks` until written(err) (or run at once with `syncWrites`, as a
 * browser WebSocket wrapper does); `props` sets syncWrites, pollWrites,
 * bufferedAmount...
 */
function fakeTransport(kind = 'ws', props = {}) {
  return {
    kind,
    bufferedAmount: 0,
    frames: [],
    callbacks: [],
    closedWith: null,
    terminated: false,
    send(text, cb) {
      this.frames.push(text);
      if (cb && this.syncWrites) cb();
      else if (cb) this.callbacks.push(cb);
    },
    /** Runs the write callbacks held so far with `err`. */
    written(err) {
      for (const cb of this.callbacks.splice(0)) cb(err);
    },
    close(code, reason) {
      this.closedWith = [code, reason];
    },
    terminate() {
      this.terminated = true;
    },
    ...props,
  };
}

/** Waits one event-loop turn (setImmediate): the turn on which a Link writes what it queued. */
const flushed = turn;

/** The non-empty lines of `text`. */
const linesOf = (text) => text.split('\n').filter(Boolean);

/** Every line written to `t`. */
const lines = (t) => linesOf(t.frames.join(''));

/** The frames written to `t` from index `from`, each as its lines. */
const framesFrom = (t, from = 0) => t.frames.slice(from).map(linesOf);

/** Every line written to `t`, parsed. */
const wire = (t) => lines(t).map((l) => JSON.parse(l));

/** The event lines (not control frames) written to `t`, parsed. */
const events = (t) => wire(t).filter((f) => f.$esn === undefined);

/** The control frames of `type` written to `t`, parsed. */
const controls = (t, type) => wire(t).filter((f) => f.$esn !== undefined && f.t === type);

/** Session options with no heartbeats and no expiry timers (a test adds its own). */
const SESSION_OPTS = { ...SERVER_DEFAULTS, heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, sessionTtlMs: 0 };

/** Stream event `i` as a Session sends it (stdout, chunk `${i}`). */
const ev = (i) => ({ type: 'stdout', payload: { chunk: `${i}` } });

/** The StreamServer side a Session talks to: only _forget(), counted in `forgotten`. */
function fakeServer() {
  return {
    forgotten: 0,
    _forget() {
      this.forgotten++;
    },
  };
}

/** Session `sid`'s two Channels from a real handshake (the client's is async on crypto.subtle). */
async function sessionChannels(sid) {
  const hs = secure.clientHandshake();
  const { serverHello, channel } = secure.serverHandshake(await hs.hello, sid);
  return { server: channel, client: await hs.finish(serverHello, sid) };
}

module.exports = { fakeTransport, flushed, lines, framesFrom, wire, events, controls, SESSION_OPTS, ev, fakeServer, sessionChannels };
