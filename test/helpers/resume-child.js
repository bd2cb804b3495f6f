'use strict';
// A client process for test/client/resume-state.test.js: it consumes a session and,
// after every event it handles and in the same tick as every message it
// sends, writes { got, sent, state } to a file (write + rename, so a SIGKILL
// leaves the last whole snapshot). argv: url, file, encryption (0|1).
const fs = require('node:fs');
const { ReconnectingStream } = require('../../lib/client');

const [url, file, enc] = process.argv.slice(2);
const got = [];
const sent = [];
let stream = null;

function save() {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ got, sent, state: stream.resumeState() }));
  fs.renameSync(tmp, file);
}

stream = new ReconnectingStream({
  url,
  encryption: enc === '1',
  reconnect: { maxAttempts: 50, initialDelay: 5, maxDelay: 50 },
  onMessage: (m) => {
    got.push(m.seq);
    if (m.seq % 3 === 0) {
      const n = sent.length + 1;
      sent.push(n);
      stream.send({ n }).catch(() => {});
    }
    save(); // same tick as the event and the send: the snapshot covers both
  },
});
stream.connect().then(() => process.send && process.send({ connected: true, sid: stream.sessionId }));
