'use strict';
// What the Session tests drive a Session with: the Link's transport duck type
// (records the frames written and how it was closed), `wire(t)` (every line
// written, parsed), `events(t)` (the event lines), `controls(t, type)` (the
// control frames of one type) and `sessionChannels(sid)` (a session's two
// Channels from a real handshake).

const secure = require('../../lib/transport/secure');

/** A fake transport of `kind` ('ws' or 'http'). */
function fakeTransport(kind = 'ws') {
  return {
    kind,
    bufferedAmount: 0,
    frames: [],
    closedWith: null,
    terminated: false,
    send(text) {
      this.frames.push(text);
    },
    close(code, reason) {
      this.closedWith = [code, reason];
    },
    terminate() {
      this.terminated = true;
    },
  };
}

/** Every line written to `t`, parsed. */
const wire = (t) => t.frames.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** The event lines (not control frames) written to `t`, parsed. */
const events = (t) => wire(t).filter((f) => f.$esn === undefined);

/** The control frames of `type` written to `t`, parsed. */
const controls = (t, type) => wire(t).filter((f) => f.$esn !== undefined && f.t === type);

/** Session `sid`'s two Channels from a real handshake (the client's is async on crypto.subtle). */
async function sessionChannels(sid) {
  const hs = secure.clientHandshake();
  const { serverHello, channel } = secure.serverHandshake(await hs.hello, sid);
  return { server: channel, client: await hs.finish(serverHello, sid) };
}

module.exports = { fakeTransport, wire, events, controls, sessionChannels };
