'use strict';
// Lines sent by one side and not yet acknowledged by the other, in seq order
// (seqs are consecutive). Each line is kept exactly as first serialized (or
// sealed), so a replay after a resume sends the same bytes. With `evict`, the
// oldest lines are dropped once maxEvents/maxBytes is exceeded; a resume
// from before the oldest held line then reports a gap.

const { byteLength } = require('./wire');

class Outbox {
  constructor({ maxEvents = Infinity, maxBytes = Infinity, evict = false, firstSeq = 1 } = {}) {
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    this.evict = evict;
    this.lines = [];
    this.sizes = [];
    this.head = 0; // index of the oldest held line
    this.headSeq = firstSeq; // seq of lines[head]
    this.nextSeq = firstSeq; // seq the next pushed line gets
    this.sent = 0; // index of the next line to write to the current transport
    this.bytes = 0; // bytes held
    this.sentBytes = 0; // bytes written to the current transport and not yet acknowledged
    this.droppedThrough = firstSeq - 1; // highest seq evicted before being acknowledged
    this.acked = firstSeq - 1; // highest seq acknowledged by the peer
  }

  get count() {
    return this.lines.length - this.head;
  }

  get unsent() {
    return this.lines.length - this.sent;
  }

  /** Appends a line whose seq is `nextSeq`; returns that seq. */
  push(line, size = byteLength(line)) {
    this.lines.push(line);
    this.sizes.push(size);
    this.bytes += size;
    const seq = this.nextSeq++;
    if (this.evict && (this.count > this.maxEvents || this.bytes > this.maxBytes)) this._evict();
    return seq;
  }

  _evict() {
    while (this.count > 1 && (this.count > this.maxEvents || this.bytes > this.maxBytes)) {
      this.bytes -= this.sizes[this.head];
      if (this.head < this.sent) this.sentBytes -= this.sizes[this.head];
      this.lines[this.head] = undefined;
      this.droppedThrough = this.headSeq;
      this.head++;
      this.headSeq++;
    }
    if (this.sent < this.head) this.sent = this.head;
    this._compact();
  }

  /** Cumulative acknowledgement: frees every line with seq <= s. */
  ack(s) {
    if (s <= this.acked) return false;
    this.acked = s;
    const upto = Math.min(s, this.nextSeq - 1);
    let freed = false;
    while (this.headSeq <= upto && this.head < this.lines.length) {
      this.bytes -= this.sizes[this.head];
      if (this.head < this.sent) this.sentBytes -= this.sizes[this.head];
      this.lines[this.head] = undefined;
      this.head++;
      this.headSeq++;
      freed = true;
    }
    if (this.sent < this.head) this.sent = this.head;
    this._compact();
    return freed;
  }

  _compact() {
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.sent -= this.head;
      this.head = 0;
    }
  }

  /**
   * The peer holds everything up to `rx`: the next write starts at rx + 1.
   * Returns a gap { from, to } when lines it still needs were evicted.
   */
  rewind(rx) {
    if (rx > this.acked) this.ack(rx);
    this.sent = this.head;
    this.sentBytes = 0;
    const want = rx + 1;
    if (want < this.headSeq && want <= this.droppedThrough) {
      return { from: want, to: Math.min(this.headSeq - 1, this.droppedThrough) };
    }
    return null;
  }

  /** Seq of the line at index `i`. */
  seqAt(i) {
    return this.headSeq + (i - this.head);
  }

  /** Lines with seq >= fromSeq still held, as an array (for HTTP replay). */
  linesFrom(fromSeq) {
    const start = this.head + Math.max(0, fromSeq - this.headSeq);
    return this.lines.slice(start);
  }
}

module.exports = { Outbox };
