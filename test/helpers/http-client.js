'use strict';
// The HTTP side of the StreamServer tests: one request with its credential
// header, and the NDJSON lines a server answers with (reject, ack) or a
// client POSTs (a batch of messages).
const { ctl } = require('../attacks/support/v2');

const NDJSON = 'application/x-ndjson';
const rejectLine = (code, message) => JSON.stringify({ $esn: 2, t: 'reject', code, message }) + '\n';
const ackLine = (s) => JSON.stringify({ $esn: 2, t: 'ack', s }) + '\n';
/** A POST body: batch start `s`, then one message per n. */
const batch = (s, ...ns) => `${ctl('b', { s })}\n${ns.map((n) => JSON.stringify({ n })).join('\n')}\n`;

/** One HTTP request; resolves { status, type, cache, text }. */
async function request(url, { method = 'GET', body, cred } = {}) {
  const headers = cred === undefined ? {} : { 'x-esn-credential': cred };
  const r = await fetch(url, { method, body, headers });
  return { status: r.status, type: r.headers.get('content-type'), cache: r.headers.get('cache-control'), text: await r.text() };
}

module.exports = { NDJSON, rejectLine, ackLine, batch, request };
