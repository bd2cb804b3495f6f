'use strict';
// A line that cannot be delivered (tampered, replayed, sealed with another
// key, plaintext on an encrypted session) is refused: not counted as
// received, the connection dropped, so the peer's resume sends it again.
// Refusals counts consecutive refusals of one seq, so the owner gives up
// after `limit` of them instead of reconnecting forever.

const REFUSE_LIMIT = 3;

class Refusals {
  constructor(limit = REFUSE_LIMIT) {
    this.limit = limit;
    this.seq = -1;
    this.count = 0;
  }

  /** Records a refusal of `seq`; true once it was refused `limit` times in a row. */
  add(seq) {
    if (seq !== this.seq) {
      this.seq = seq;
      this.count = 0;
    }
    this.count++;
    return this.count >= this.limit;
  }

  /** A line was delivered: the count starts again. */
  clear() {
    this.seq = -1;
    this.count = 0;
  }
}

module.exports = { Refusals, REFUSE_LIMIT };
