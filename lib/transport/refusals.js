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

/**
 * The message inside a received envelope, or throws the coded reason it
 * cannot be delivered (`Err` is the caller's error class, `what` names the line).
 */
function openMessage(opener, v, Err, what) {
  if (!v || v.type !== 'enc') throw new Err(`plaintext ${what} on an encrypted session`, 'ENCRYPTION_REQUIRED');
  const text = opener.openText(v);
  try {
    return JSON.parse(text);
  } catch {
    throw new Err(`decrypted ${what} is not JSON`, 'ENCRYPTION_DECRYPTION_FAILED');
  }
}

module.exports = { Refusals, openMessage, REFUSE_LIMIT };
