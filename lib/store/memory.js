'use strict';
// MemorySessionStore: the SessionStore of docs/PROTOCOL.md §10 kept in this
// process's memory. Every StreamServer given the same store object serves
// every session in it (one owner at a time, fenced by a token), so two
// servers in one process can hand sessions over and publish to each other;
// nothing survives the process. Methods are async like any store's.

const { SessionError } = require('../errors');
const { checkOptions } = require('../options');

const clone = (v) => (v === null || v === undefined ? v : JSON.parse(JSON.stringify(v)));

function moved(sid) {
  return new SessionError(`session ${sid} was taken over by another server`, 'ERR_SESSION_MOVED');
}

function inboxFull(sid, n) {
  return new SessionError(`session ${sid}: ${n} published events already wait for its server (maxInboxEvents)`, 'ERR_STORE_INBOX_FULL');
}

const EMBEDDED = Symbol('embedded');

class MemorySessionStore {
  /** @param {object} [o] maxInboxEvents: published events that may wait per session (10,000) */
  constructor(o = {}) {
    this.maxInboxEvents = checkOptions('MemorySessionStore', o).maxInboxEvents;
    // embedded: the default store of one StreamServer, which keeps its
    // sessions itself and writes nothing here (MemorySessionStore.embedded())
    this.embedded = !!(o && o[EMBEDDED]);
    this._records = new Map(); // sid -> record
    this._nodes = new Map(); // node id -> { onTakeover(sid), onPublish(sid) }
    this._next = 0;
    this.closed = false;
  }

  /**
   * The default store of a StreamServer given none: the server's sessions
   * live in its own memory and die with it; it serves that server only.
   */
  static embedded() {
    return new MemorySessionStore({ [EMBEDDED]: true });
  }

  /** A StreamServer joins: returns its node id. */
  register(handlers) {
    if (this.embedded && this._nodes.size > 0) {
      throw new TypeError('StreamServer: options.store is the embedded store of another server (it keeps its sessions to itself); give the servers one new MemorySessionStore() to share');
    }
    const id = `n${++this._next}`;
    this._nodes.set(id, handlers);
    return id;
  }

  unregister(id) {
    this._nodes.delete(id);
  }

  /** Stores a new session owned by `node`; resolves with its fencing token, or null when the id exists. */
  async create(sid, meta, node) {
    if (this._records.has(sid)) return null;
    this._records.set(sid, { meta: clone(meta), events: [], first: 0, bytes: 0, headSeq: 1, nextSeq: 1, clientRx: 0, owner: node, token: 1, inbox: [] });
    return 1;
  }

  /**
   * The session as stored: { meta, events: [{ seq, line }], headSeq, nextSeq, clientRx, owner }, or null;
   * with { events: false } without the event lines (events: []).
   */
  async load(sid, { events = true } = {}) {
    const r = this._records.get(sid);
    if (!r) return null;
    return { meta: clone(r.meta), events: events ? r.events.slice(r.first).map((e) => ({ ...e })) : [], headSeq: r.headSeq, nextSeq: r.nextSeq, clientRx: r.clientRx, owner: r.owner };
  }

  /** `node` takes the session over: a new fencing token; the previous owner is told to let go. */
  async claim(sid, node) {
    const r = this._records.get(sid);
    if (!r) return null;
    const prev = r.owner;
    r.owner = node;
    r.token++;
    if (prev && prev !== node) {
      const h = this._nodes.get(prev);
      if (h) h.onTakeover(sid);
    }
    return r.token;
  }

  _owned(sid, token) {
    const r = this._records.get(sid);
    if (!r || r.token !== token) throw moved(sid);
    return r;
  }

  /**
   * Appends sealed event lines (consecutive seqs) and applies a metadata
   * patch ({ meta?, clientRx?, acked?, inbox? (inbox items now sealed or delivered) }), all or nothing; rejects with
   * ERR_SESSION_MOVED when `token` is no longer the owner's. Events beyond
   * maxEvents/maxBytes are trimmed from the oldest.
   */
  async append(sid, token, lines, patch, limits) {
    const r = this._owned(sid, token);
    for (const e of lines) {
      if (e.seq !== r.nextSeq) throw new SessionError(`store: seq ${e.seq} appended after ${r.nextSeq - 1}`, 'ERR_STORE_SEQ');
      r.events.push({ seq: e.seq, line: e.line });
      r.bytes += e.line.length;
      r.nextSeq++;
    }
    if (patch) {
      if (patch.inbox) r.inbox.splice(0, patch.inbox);
      if (patch.meta) r.meta = clone(patch.meta);
      if (patch.clientRx !== undefined && patch.clientRx > r.clientRx) r.clientRx = patch.clientRx;
      if (patch.acked !== undefined) this._trim(r, patch.acked + 1);
    }
    if (limits) {
      while (r.events.length - r.first > 1 && (r.events.length - r.first > limits.maxEvents || r.bytes > limits.maxBytes)) this._trim(r, r.events[r.first].seq + 1);
    }
  }

  // events[first..] are held; the array is compacted now and then (no O(n) work per call)
  _trim(r, fromSeq) {
    while (r.first < r.events.length && r.events[r.first].seq < fromSeq) {
      r.bytes -= r.events[r.first].line.length;
      r.events[r.first] = undefined;
      r.first++;
    }
    if (r.first > 1024 && r.first * 2 > r.events.length) {
      r.events.splice(0, r.first);
      r.first = 0;
    }
    if (fromSeq > r.headSeq) r.headSeq = Math.min(fromSeq, r.nextSeq);
  }

  /** Queues an event for the session's owner (or the next one); resolves once it is stored. */
  async publish(sid, event) {
    this._enqueue(sid, { e: clone(event) });
  }

  /**
   * Queues the body of a client's POST /sessions/:id/messages that reached
   * a server not holding the session, for the owner to deliver (as if
   * posted to it); resolves once it is stored.
   */
  async post(sid, body) {
    this._enqueue(sid, { c: String(body) });
  }

  _enqueue(sid, item) {
    const r = this._records.get(sid);
    if (!r) throw new SessionError(`session ${sid} is unknown to the store`, 'SESSION_UNKNOWN');
    if (r.inbox.length >= this.maxInboxEvents) throw inboxFull(sid, this.maxInboxEvents);
    r.inbox.push(item);
    const h = r.owner && this._nodes.get(r.owner);
    if (h) queueMicrotask(() => h.onPublish(sid));
  }

  /**
   * The oldest `max` inbox items waiting: { e: event } published, { c: body } posted (an append with
   * patch.inbox = k removes k, with the lines sealed from them or the client seq they delivered).
   */
  async peekInbox(sid, token, max = 256) {
    const r = this._owned(sid, token);
    return clone(r.inbox.slice(0, max));
  }

  /** Forgets the session (it was closed or expired), if `token` still owns it. */
  async remove(sid, token) {
    const r = this._records.get(sid);
    if (r && (token === undefined || r.token === token)) this._records.delete(sid);
  }

  /** true when the store holds the session. */
  async has(sid) {
    return this._records.has(sid);
  }

  async close() {
    this.closed = true;
  }
}

module.exports = { MemorySessionStore, inboxFull };
