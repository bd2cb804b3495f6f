'use strict';
// A line-decoder sink that records everything it is told (values, invalid
// lines with the first word of their error, routed records with their bytes),
// so two decoders can be compared record for record.
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

module.exports = { DecoderLog };
