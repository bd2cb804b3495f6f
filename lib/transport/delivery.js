'use strict';
// The one delivery/refusal path of the client and the server session, for
// the data lines a Link hands over (hooks.onData / hooks.onOpened).
//
// On an encrypted session a line is opened with the session's Channel
// (lib/transport/secure.js) and accepted; a line that cannot be delivered
// (tampered, replayed, sealed with another key, plaintext on an encrypted
// session) is refused: not counted as received (the Link rolls back), the
// connection dropped, so the peer's resume sends it again. The same seq
// refused `limit` times in a row is final: the owner gives up instead of
// reconnecting forever.

const REFUSE_LIMIT = 3;

/** Counts consecutive refusals of one seq. */
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

class Delivery {
  /**
   * @param {object} o
   *   what   'event' (client: server events) | 'message' (server: client messages), as Channel.open names them
   *   label  how reasons name a line ('event', 'client message')
   *   limit  refusals of one seq in a row that are final (default 3)
   * @param {object} hooks
   *   channel()                 the session's Channel, or null (plaintext)
   *   deliver(msg, seq)         a line delivered
   *   accepted(channel)         (optional) after an encrypted line was accepted
   *   sink(err)                 (optional) true when the refusal is answered elsewhere (an HTTP POST): not counted, no drop
   *   refused(err, reason, final)  drop the connection with `reason`; `final` (a reason too, or null): give up
   */
  constructor(o, hooks) {
    this.what = o.what;
    this.label = o.label || o.what;
    this.refusals = new Refusals(o.limit);
    this.hooks = hooks;
  }

  /**
   * Data line `seq`: `v` as parsed, or (an envelope the Link opened in a
   * batch) the plaintext `text` under key `kid`. Returns false when refused.
   */
  receive(v, seq, text = null, kid = null) {
    let msg = v;
    const ch = this.hooks.channel();
    if (ch) {
      try {
        msg = text === null ? ch.open(v, seq, this.what) : ch.opened(text, seq, this.what, kid);
      } catch (err) {
        return this.refuse(seq, err);
      }
      ch.accept(seq);
      if (this.hooks.accepted) this.hooks.accepted(ch);
    }
    this.refusals.clear();
    this.hooks.deliver(msg, seq);
    return true;
  }

  /** Refuses line `seq` for `err` (given err.seq); returns false. */
  refuse(seq, err) {
    err.seq = seq;
    if (this.hooks.sink && this.hooks.sink(err)) return false;
    const final = this.refusals.add(seq) ? `${this.label} ${seq} refused ${this.refusals.count} times: ${err.message}` : null;
    this.hooks.refused(err, `${this.label} ${seq} refused: ${err.message}`, final);
    return false;
  }
}

module.exports = { Delivery, Refusals, REFUSE_LIMIT };
