'use strict';
// SequenceTracker: detects gaps in received sequence numbers (the reference's class).

class SequenceTracker {
  constructor(maxGaps = 100) {
    this.lastSeq = 0;
    this.gaps = [];
    this.maxGaps = maxGaps;
  }

  /** Returns { gap: false } or { gap: true, missingStart, missingEnd }. */
  receive(seq) {
    if (this.lastSeq === 0) {
      this.lastSeq = seq;
      return { gap: false };
    }
    if (seq === this.lastSeq + 1) {
      this.lastSeq = seq;
      return { gap: false };
    }
    if (seq <= this.lastSeq) return { gap: false };
    const missingStart = this.lastSeq + 1;
    const missingEnd = seq - 1;
    if (this.gaps.length < this.maxGaps) this.gaps.push({ start: missingStart, end: missingEnd });
    this.lastSeq = seq;
    return { gap: true, missingStart, missingEnd };
  }

  getLastSeq() {
    return this.lastSeq;
  }

  getGaps() {
    return this.gaps.map((g) => ({ start: g.start, end: g.end }));
  }

  clearGap(start, end) {
    const i = this.gaps.findIndex((g) => g.start === start && g.end === end);
    if (i !== -1) this.gaps.splice(i, 1);
  }

  hasGaps() {
    return this.gaps.length > 0;
  }

  reset() {
    this.lastSeq = 0;
    this.gaps.length = 0;
  }
}

module.exports = { SequenceTracker };
