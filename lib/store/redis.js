'use strict';
// RedisSessionStore: the SessionStore of docs/PROTOCOL.md §10 on Redis, so
// StreamServers in several processes (a fleet behind a load balancer, a
// restarted process, a producer that never listens) serve the same sessions.
//
// Per session, under keyPrefix + "s:{" + sessionId + "}:" (one hash slot):
//   m   hash    token, owner, next (seq), head (oldest held seq), rx (client
//               seq delivered), bytes (held), meta (the session's resume
//               verifier or keys, AES-256-GCM under the store's encryptionKey)
//   e   stream  the event lines exactly as sent, entry id "<seq>-1"
//   i   list    inbox: published events and client POST bodies that reached
//               another server, waiting for the owner (encrypted at rest too)
// Every write is one Lua script checking the fencing token, so a server that
// lost the session cannot append to it; all keys get `ttlMs` again on each
// write. Servers are told of takeovers and publications on the pub/sub
// channel keyPrefix + "n:" + nodeId (a second connection subscribes).
//
// `ioredis` is an optional peer dependency: installed only by those who use this.

const nodeCrypto = require('node:crypto');
const { SessionError } = require('../errors');
const { inboxFull } = require('./memory');
const { checkOptions } = require('../options');

const moved = (sid) => new SessionError(`session ${sid} was taken over by another server`, 'ERR_SESSION_MOVED');

// KEYS: m, e ; ARGV: token, node, nextSeq-check... see each script.
const LUA = {
  // ARGV: node, ttl, meta
  create: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'token', 1, 'owner', ARGV[1], 'next', 1, 'head', 1, 'rx', 0, 'bytes', 0, 'meta', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  // ARGV: node, ttl -> { token, previous owner }
  claim: `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local prev = redis.call('HGET', KEYS[1], 'owner')
local token = redis.call('HINCRBY', KEYS[1], 'token', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return { token, prev }`,
  // KEYS: m, e, i ; ARGV: token, ttl, firstSeq, count, meta|'', clientRx|'', acked|'', maxEvents, maxBytes, inboxDone, line1, line2, ...
  append: `
if tonumber(redis.call('HGET', KEYS[1], 'token')) ~= tonumber(ARGV[1]) then return redis.error_reply('ESN_MOVED') end
local nxt = tonumber(redis.call('HGET', KEYS[1], 'next'))
local count = tonumber(ARGV[4])
if count > 0 and tonumber(ARGV[3]) ~= nxt then return redis.error_reply('ESN_SEQ expected ' .. nxt) end
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes'))
for k = 1, count do
  local line = ARGV[10 + k]
  redis.call('XADD', KEYS[2], (nxt) .. '-1', 'l', line)
  bytes = bytes + #line
  nxt = nxt + 1
end
redis.call('HSET', KEYS[1], 'next', nxt)
if tonumber(ARGV[10]) > 0 then redis.call('LTRIM', KEYS[3], tonumber(ARGV[10]), -1) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'meta', ARGV[5]) end
if ARGV[6] ~= '' and tonumber(ARGV[6]) > tonumber(redis.call('HGET', KEYS[1], 'rx')) then redis.call('HSET', KEYS[1], 'rx', ARGV[6]) end
local head = tonumber(redis.call('HGET', KEYS[1], 'head'))
local function drop_first()
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  if not first then return false end
  bytes = bytes - #first[2][2]
  redis.call('XDEL', KEYS[2], first[1])
  head = tonumber(string.match(first[1], '^(%d+)')) + 1
  return true
end
if ARGV[7] ~= '' then
  local upto = tonumber(ARGV[7])
  while true do
    local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
    if not first or tonumber(string.match(first[1], '^(%d+)')) > upto then break end
    drop_first()
  end
  if upto + 1 > head then head = math.min(upto + 1, nxt) end
end
local maxEvents = tonumber(ARGV[8])
local maxBytes = tonumber(ARGV[9])
while redis.call('XLEN', KEYS[2]) > 1 and (redis.call('XLEN', KEYS[2]) > maxEvents or bytes > maxBytes) do drop_first() end
redis.call('HSET', KEYS[1], 'head', head, 'bytes', bytes)
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return nxt`,
  // ARGV: ttl, event, maxInboxEvents -> owner or false
  publish: `
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('ESN_UNKNOWN') end
if redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[3]) then return redis.error_reply('ESN_INBOX_FULL') end
redis.call('RPUSH', KEYS[3], ARGV[2])
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
return redis.call('HGET', KEYS[1], 'owner')`,
  // ARGV: token, max
  peekInbox: `
if tonumber(redis.call('HGET', KEYS[1], 'token')) ~= tonumber(ARGV[1]) then return redis.error_reply('ESN_MOVED') end
return redis.call('LRANGE', KEYS[3], 0, tonumber(ARGV[2]) - 1)`,
  // ARGV: token or ''
  remove: `
if ARGV[1] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'token')) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`,
};

function loadIoredis() {
  try {
    return require('ioredis');
  } catch {
    const err = new Error('RedisSessionStore needs the `ioredis` package: npm install ioredis');
    err.code = 'ERR_STORE_DEPENDENCY';
    throw err;
  }
}

/** The encryptionKey option (checked by lib/options.js) as a Buffer of its own. */
function keyOf(k) {
  return typeof k === 'string' ? Buffer.from(k, 'base64') : Buffer.from(k);
}

class RedisSessionStore {
  /**
   * @param {object} o { url } or { client } (an ioredis connection), keyPrefix ('esn:'),
   *   encryptionKey (32 bytes, Buffer or base64: session keys and queued events are
   *   encrypted at rest under it; every server of a fleet gets the same one),
   *   ttlMs (records expire after this long without a write; default 1 day),
   *   maxInboxEvents (published events that may wait per session; 10,000)
   */
  constructor(options) {
    const o = checkOptions('RedisSessionStore', options);
    if (o.url === undefined && o.client === undefined) throw Object.assign(new TypeError('RedisSessionStore: options.url or options.client is required'), { code: 'ERR_MISSING_OPTION' });
    this.prefix = o.keyPrefix;
    this.ttlMs = o.ttlMs;
    this._key = keyOf(o.encryptionKey);
    this.maxInboxEvents = o.maxInboxEvents;
    const Redis = o.client ? null : loadIoredis();
    this._own = !o.client;
    this.redis = o.client || new Redis(o.url, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
    for (const [name, lua] of Object.entries(LUA)) {
      if (typeof this.redis[`esn_${name}`] !== 'function') this.redis.defineCommand(`esn_${name}`, { lua });
    }
    this._sub = null;
    this._nodes = new Map();
    this.closed = false;
  }

  _keys(sid) {
    const base = `${this.prefix}s:{${sid}}:`;
    return [`${base}m`, `${base}e`, `${base}i`];
  }

  _seal(obj, sid) {
    const iv = nodeCrypto.randomBytes(12);
    const c = nodeCrypto.createCipheriv('aes-256-gcm', this._key, iv);
    c.setAAD(Buffer.from(sid, 'utf8'));
    const ct = Buffer.concat([c.update(JSON.stringify(obj), 'utf8'), c.final(), c.getAuthTag()]);
    return Buffer.concat([iv, ct]).toString('base64');
  }

  _open(text, sid) {
    const b = Buffer.from(text, 'base64');
    const d = nodeCrypto.createDecipheriv('aes-256-gcm', this._key, b.subarray(0, 12));
    d.setAAD(Buffer.from(sid, 'utf8'));
    d.setAuthTag(b.subarray(b.length - 16));
    try {
      return JSON.parse(Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]).toString('utf8'));
    } catch {
      throw new SessionError(`session ${sid}: its stored record does not open under this encryptionKey`, 'ERR_STORE_KEY');
    }
  }

  /** A StreamServer joins: returns its node id; its handlers hear takeovers and publications. */
  register(handlers) {
    const id = `n_${nodeCrypto.randomUUID()}`;
    this._nodes.set(id, handlers);
    if (!this._sub) {
      this._sub = this.redis.duplicate();
      this._sub.on('message', (channel, msg) => {
        const node = channel.slice(`${this.prefix}n:`.length);
        const h = this._nodes.get(node);
        if (!h) return;
        const cut = msg.indexOf(' ');
        const what = msg.slice(0, cut);
        const sid = msg.slice(cut + 1);
        if (what === 'takeover') h.onTakeover(sid);
        else if (what === 'publish') h.onPublish(sid);
      });
      this._sub.on('error', () => {});
    }
    this._subscribed = (this._subscribed || Promise.resolve()).then(() => this._sub.subscribe(`${this.prefix}n:${id}`));
    return id;
  }

  unregister(id) {
    this._nodes.delete(id);
    if (this._sub) this._sub.unsubscribe(`${this.prefix}n:${id}`).catch(() => {});
  }

  async create(sid, meta, node) {
    await this._subscribed;
    const [m] = this._keys(sid);
    const r = await this.redis.esn_create(1, m, node, this.ttlMs, this._seal(meta, sid));
    return r === 1 ? 1 : null;
  }

  /** The session as stored (see MemorySessionStore.load); { events: false }: without the event lines. */
  async load(sid, { events = true } = {}) {
    const [m, e] = this._keys(sid);
    let h;
    let entries = [];
    if (events) {
      const [[err1, hash], [err2, list]] = await this.redis.multi().hgetall(m).xrange(e, '-', '+').exec();
      if (err1 || err2) throw err1 || err2;
      h = hash;
      entries = list;
    } else h = await this.redis.hgetall(m);
    if (!h || !h.token) return null;
    return {
      meta: this._open(h.meta, sid),
      events: entries.map(([id, fields]) => ({ seq: Number(id.slice(0, id.indexOf('-'))), line: fields[1] })),
      headSeq: Number(h.head),
      nextSeq: Number(h.next),
      clientRx: Number(h.rx),
      owner: h.owner,
    };
  }

  async claim(sid, node) {
    await this._subscribed;
    const keys = this._keys(sid);
    const r = await this.redis.esn_claim(keys.length, ...keys, node, this.ttlMs);
    if (!r) return null;
    const [token, prev] = r;
    if (prev && prev !== node) await this.redis.publish(`${this.prefix}n:${prev}`, `takeover ${sid}`);
    return Number(token);
  }

  async append(sid, token, lines, patch = {}, limits = {}) {
    const keys = this._keys(sid);
    const args = [
      token,
      this.ttlMs,
      lines.length ? lines[0].seq : 0,
      lines.length,
      patch.meta ? this._seal(patch.meta, sid) : '',
      patch.clientRx === undefined ? '' : patch.clientRx,
      patch.acked === undefined ? '' : patch.acked,
      Number.isFinite(limits.maxEvents) ? limits.maxEvents : 2 ** 53,
      Number.isFinite(limits.maxBytes) ? limits.maxBytes : 2 ** 53,
      patch.inbox || 0,
    ];
    for (const l of lines) args.push(l.line);
    try {
      await this.redis.esn_append(keys.length, ...keys, ...args);
    } catch (err) {
      if (String(err && err.message).includes('ESN_MOVED')) throw moved(sid);
      throw new SessionError(`session store: ${err && err.message}`, 'ERR_STORE');
    }
  }

  async publish(sid, event) {
    return this._enqueue(sid, { e: event });
  }

  /** A client POST body that reached a server not holding the session, for the owner (see MemorySessionStore.post). */
  async post(sid, body) {
    return this._enqueue(sid, { c: String(body) });
  }

  async _enqueue(sid, item) {
    const keys = this._keys(sid);
    let owner;
    try {
      owner = await this.redis.esn_publish(keys.length, ...keys, this.ttlMs, this._seal(item, sid), this.maxInboxEvents);
    } catch (err) {
      if (String(err && err.message).includes('ESN_INBOX_FULL')) throw inboxFull(sid, this.maxInboxEvents);
      if (String(err && err.message).includes('ESN_UNKNOWN')) throw new SessionError(`session ${sid} is unknown to the store`, 'SESSION_UNKNOWN');
      throw err;
    }
    if (owner) await this.redis.publish(`${this.prefix}n:${owner}`, `publish ${sid}`);
  }

  /** The oldest `max` inbox items ({ e: event } | { c: body }; not removed: an append with patch.inbox = k removes k). */
  async peekInbox(sid, token, max = 256) {
    const keys = this._keys(sid);
    let items;
    try {
      items = await this.redis.esn_peekInbox(keys.length, ...keys, token, max);
    } catch (err) {
      if (String(err && err.message).includes('ESN_MOVED')) throw moved(sid);
      throw err;
    }
    return items.map((x) => this._open(x, sid));
  }

  async remove(sid, token) {
    const keys = this._keys(sid);
    await this.redis.esn_remove(keys.length, ...keys, token === undefined ? '' : token);
  }

  async has(sid) {
    return (await this.redis.exists(this._keys(sid)[0])) === 1;
  }

  /** Closes the connections this store opened ({ client } given: only the subscriber it made). */
  async close() {
    if (this.closed) return;
    this.closed = true;
    if (this._sub) this._sub.disconnect();
    if (this._own) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

module.exports = { RedisSessionStore };
