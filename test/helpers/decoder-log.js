'use strict';
// A line-decoder sink that records everything it is told (values, invalid
// lines with the first word of their error, routed records with their bytes),
// so two decoders can be compared record for record; runDecoder feeds one.
class DecoderLog {
  constructor() {
    this.out = [];
  }
  value(v) {
    this.out.push(['value', JSON.stringify(v)]);
  }
  invalid(code, error, line, offset, text) {
    this.out.push(['invalid', code, line, offset, text, error.split(':')[0]]);
  }
  route(r) {
    this.out.push(['route', r.type, r.seq, r.sessionId, r.line, r.offset, Buffer.from(r.bytes).toString()]);
  }
}

/** Feeds `input` to a new Decoder(mode, max) in chunks of sizes(0), sizes(1), …; returns the records. */
function runDecoder(Decoder, mode, max, input, sizes) {
  const d = new Decoder(mode, max);
  const log = new DecoderLog();
  for (let i = 0, k = 0; i < input.length; k++) {
    const n = sizes(k);
    d.write(input.subarray(i, i + n), log);
    i += n;
  }
  d.end(log);
  log.out.push(['lines', d.lineNumber()]);
  return log.out;
}

module.exports = { DecoderLog, runDecoder };
