'use strict';
// The Link's transport duck type for Session tests: records the frames
// written and how it was closed; `wire(t)` parses every line written.

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

module.exports = { fakeTransport, wire };
