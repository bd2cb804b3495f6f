'use strict';
// Every public constructor's options, described once: name, rule, default
// and meaning. checkOptions(owner, options) is the one checker all the
// constructors call: it refuses an unknown option with a TypeError naming
// the closest valid one, a bad value with its JSON and its type
// (`got "1000" (string)`), and returns the options with the defaults filled
// in. optionsTable(owner) prints a table as Markdown (scripts/options-table.js,
// the README). Loaded in browsers too: nothing Node-only here.

// ---- showing values ------------------------------------------------------

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v !== 'object') return typeof v;
  const c = Object.getPrototypeOf(v);
  const name = c && c.constructor && c.constructor.name;
  return name && name !== 'Object' ? name : 'object';
}

/** A value as in messages: JSON (cut at 80 characters) and its type, `"1000" (string)`. */
function show(v) {
  let s;
  if (typeof v === 'number' || typeof v === 'symbol' || v === undefined) s = String(v); // NaN, Infinity: not JSON's null
  else if (typeof v === 'bigint') s = `${v}n`;
  else if (typeof v === 'function') s = v.name ? `[Function ${v.name}]` : '[Function]';
  else {
    try {
      s = JSON.stringify(v);
    } catch {
      s = undefined;
    }
    if (s === undefined) s = Object.prototype.toString.call(v);
  }
  if (s.length > 80) s = s.slice(0, 77) + '...';
  return `${s} (${typeName(v)})`;
}

// ---- rules -------------------------------------------------------------------
// A rule: { type (the table's words), expect (the message's words),
// test(v) -> null when v is good, else TypeError or RangeError (the class to throw) }.

const article = (s) => (/^[aeiou]/.test(s) ? `an ${s}` : `a ${s}`);

function rule(type, test, expect = article(type)) {
  return { type, expect, test };
}

const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's longest delay

/** A bound as the tables write it: 2^31−1 rather than 2147483647. */
function bound(n) {
  for (const p of [31, 32]) if (n === 2 ** p - 1) return `2^${p}−1`;
  return String(n);
}

/** An integer in [min, max], or Infinity when `infinity` ("no limit"). */
function int(min, max = Number.MAX_SAFE_INTEGER, infinity = false) {
  let type;
  let expect;
  if (max !== Number.MAX_SAFE_INTEGER) {
    type = `integer ${min}–${bound(max)}`;
    expect = `integer from ${min} to ${max}`;
  } else {
    type = min === -Number.MAX_SAFE_INTEGER ? 'integer' : min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer' : `integer >= ${min}`;
    expect = type;
  }
  if (infinity) {
    type += ' or Infinity';
    expect += ' or Infinity';
  }
  return rule(type, (v) => {
    if (typeof v !== 'number') return TypeError;
    if (infinity && v === Infinity) return null;
    return Number.isSafeInteger(v) && v >= min && v <= max ? null : RangeError;
  }, article(expect));
}

/** A number >= min (Infinity included). */
function num(min) {
  return rule(`number ≥ ${min}`, (v) => (typeof v !== 'number' ? TypeError : v >= min ? null : RangeError), `a number >= ${min}`);
}

const literal = (v) => (typeof v === 'string' ? `'${v}'` : String(v));
function listWords(words) {
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** One of `values`; `shown` lists the ones to document (others are accepted quietly). */
function oneOf(values, shown = values) {
  const words = listWords(shown.map(literal));
  return rule(words, (v) => (values.includes(v) ? null : TypeError), words);
}

/** Any of `rules`. */
function anyOf(...rules) {
  const type = listWords(rules.map((r) => r.type));
  return rule(type, (v) => (rules.some((r) => r.test(v) === null) ? null : TypeError), listWords(rules.map((r) => r.expect)));
}

const typeOf = (t) => rule(t, (v) => (typeof v === t ? null : TypeError));
const bool = typeOf('boolean');
const string = typeOf('string');
const fn = typeOf('function');
/** A function, shown in the table by its signature: callback('(event) => void'). */
const callback = (signature) => rule(`\`${signature}\``, fn.test, 'a function');
const object = rule('object', (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : TypeError));

const hasMethods = (v, names) => v !== null && typeof v === 'object' && names.every((n) => typeof v[n] === 'function');

const port = rule('integer 0–65535', (v) => {
  if (typeof v !== 'number') return TypeError;
  return Number.isInteger(v) && v >= 0 && v <= 65535 ? null : RangeError;
}, 'an integer from 0 to 65535 (a number, not a string)');
const urlPath = rule("string starting with '/'", (v) => (typeof v !== 'string' ? TypeError : v.startsWith('/') ? null : RangeError));
const httpServer = rule('`http.Server`', (v) => (hasMethods(v, ['on', 'listen']) ? null : TypeError), 'an http.Server (or https.Server)');
const sessionStore = rule('MemorySessionStore or RedisSessionStore', (v) => (hasMethods(v, ['register', 'append']) ? null : TypeError), 'a SessionStore (MemorySessionStore, RedisSessionStore)');
const bytes32 = rule('32 bytes: Buffer, Uint8Array or base64 string', (v) => {
  const n = v instanceof Uint8Array ? v.length : typeof v === 'string' && typeof Buffer === 'function' ? Buffer.from(v, 'base64').length : -1;
  return n === 32 ? null : TypeError;
}, '32 bytes (a Buffer, a Uint8Array or base64)');
const target = rule('`{ host?, port }`', (v) => {
  if (v === null || typeof v !== 'object') return TypeError;
  if (port.test(v.port) !== null || (v.host !== undefined && typeof v.host !== 'string')) return TypeError;
  return null;
}, 'an object { host?: string, port: integer from 0 to 65535 }');
const cutRange = rule('number ≥ 0 or [min, max]', (v) => {
  const r = Array.isArray(v) ? v : [v, v];
  if (r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number') return TypeError;
  return r[0] >= 0 && r[1] >= r[0] && r[1] < Infinity ? null : RangeError;
}, 'a number >= 0 or a range [min, max] with 0 <= min <= max');
// createEnvelopeCipher's (lib/crypto/cipher.js), as lenient as it always was:
// any byte view for a key (its length is checked there, with its own code),
// null for "the default", and a TypeError for every bad value.
const bytes = rule('Uint8Array', (v) => (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || Array.isArray(v) ? null : TypeError), 'a Uint8Array');
const optionalBytes = rule(bytes.type, (v) => (v === null ? null : bytes.test(v)), bytes.expect);
const counter = rule('non-negative integer or bigint', (v) => {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return v === null || (Number.isSafeInteger(n) && n >= 0) ? null : TypeError;
});
const envelopeSid = rule('string "s_…"', (v) => (typeof v === 'string' && v.startsWith('s_') && v.length >= 3 ? null : TypeError), 'a string "s_…"');
const nonEmpty = rule('non-empty string', (v) => (typeof v === 'string' && v.length > 0 ? null : TypeError));

const mode = oneOf(['disabled', 'optional', 'required']);
const lineBytes = int(1, 0xffffffff);

// ---- the options ---------------------------------------------------------------
// An entry: { rule, default (absent: none, not listed in defaults()),
// defaultDoc (the table's words when the default is computed or needs words),
// doc (the meaning, Markdown), required, alias (another name of the option
// `alias`; doc optional), options (nested) }. The README's option tables are
// printed from these (`node scripts/options-table.js --write`).

const KiB = 1024;
const MiB = 1024 * KiB;

/** The flow-control options a server session and a client share (lib/transport/link.js). */
const LINK = {
  maxOutboxBytes: { rule: int(1, undefined, true), default: 1 * MiB, doc: '`send()` waits while the unacknowledged bytes exceed this (backpressure)' },
  highWaterMark: { rule: int(0, undefined, true), default: 1 * MiB, doc: "… or while the socket's `bufferedAmount` exceeds this" },
  sendWindowBytes: { rule: int(1, undefined, true), default: 1 * MiB, doc: 'bytes written and not yet acknowledged; a WebSocket connection starts at 16 KiB and grows to this as acks come back' },
  maxFrameBytes: { rule: int(1, undefined, true), default: 64 * KiB, doc: 'bytes of event lines per WebSocket frame; a connection starts at one line per frame and grows to this' },
  heartbeatIntervalMs: { rule: int(0, MAX_TIMER_MS), default: 15000, doc: 'ping interval (`0`: no heartbeats)' },
  heartbeatTimeoutMs: { rule: int(0, undefined, true), default: undefined, defaultDoc: '2.5 × `heartbeatIntervalMs`', doc: 'no data or pong for this long: the connection is dead' },
  maxPendingSends: { rule: int(1, undefined, true), default: 1024, doc: '`send()` calls waiting for room; one more rejects `ERR_STREAM_TOO_MANY_PENDING`' },
  maxBufferedBytes: { rule: int(1, undefined, true), default: 8 * MiB, doc: 'bytes the peer leaves unread before the connection is dropped (`ERR_STREAM_SLOW_CONSUMER`)' },
};

const NDJSON_ERRORS = 'receives each bad line (`{ line, error, content, code, offset }`)';

const SPECS = {
  StreamServer: {
    port: { rule: port, default: 0, doc: 'TCP port `listen()` listens on; `0`: any free port (`listen()` resolves with `{ port, url, httpUrl }`)' },
    host: { rule: string, default: '127.0.0.1', doc: "address to listen on (`'0.0.0.0'` or `'::'` for every interface)" },
    server: { rule: httpServer, defaultDoc: 'none: a server of its own', doc: 'serve WebSocket upgrades (and, with `httpRoutes`, the HTTP routes) on an existing HTTP server; `listen()` then does not listen' },
    path: { rule: urlPath, default: undefined, defaultDoc: 'none: any path', doc: 'the WebSocket path; an upgrade to another path gets 404 on its own server, and is left alone on a given `server`' },
    encryption: { rule: mode, default: 'disabled', doc: "end-to-end encryption: `'required'` rejects plaintext clients (`ENCRYPTION_REQUIRED`), `'optional'` follows the client, `'disabled'` rejects encrypting clients (`ENCRYPTION_DISABLED`)" },
    maxReplayEvents: { rule: int(1, undefined, true), default: 10000, doc: 'events held per session for replay after a reconnect; past it the oldest are dropped and a resume before them gets a `gap`' },
    maxReplayBytes: { rule: int(1, undefined, true), default: 16 * MiB, doc: 'the same bound in bytes' },
    maxOutboxBytes: { ...LINK.maxOutboxBytes, doc: '`session.send()` waits while the unacknowledged bytes exceed this (backpressure)' },
    highWaterMark: LINK.highWaterMark,
    maxFrameBytes: LINK.maxFrameBytes,
    sendWindowBytes: LINK.sendWindowBytes,
    heartbeatIntervalMs: { ...LINK.heartbeatIntervalMs, doc: 'ping interval, announced to clients in the welcome (`0`: no heartbeats)' },
    heartbeatTimeoutMs: { ...LINK.heartbeatTimeoutMs, doc: 'no data or pong for this long: the connection is dead (the session stays, detached)' },
    helloTimeoutMs: { rule: int(1, MAX_TIMER_MS), default: 10000, doc: 'a connection that sends no hello for this long is rejected with `BAD_HELLO`' },
    sessionTtlMs: { rule: int(0, MAX_TIMER_MS, true), default: 5 * 60 * 1000, doc: 'a detached session (no client connected) is forgotten after this (`ERR_SESSION_EXPIRED`); `0` or `Infinity`: never' },
    maxPayload: { rule: int(1, 2 ** 31 - 1), default: 64 * MiB, doc: 'largest WebSocket message after the hello (close 1009), announced to clients' },
    maxHelloBytes: { rule: int(1, undefined, true), default: 64 * KiB, defaultDoc: '`65536` (64 KiB; at most `maxPayload`)', doc: 'largest WebSocket message before the hello is accepted (close 1009)' },
    maxPendingHellos: { rule: int(1, undefined, true), default: 1000, doc: 'connections that have not said hello yet; one more is closed with 1013' },
    maxPostBytes: { rule: int(1, undefined, true), default: 16 * MiB, doc: 'largest `POST /sessions/:id/messages` body (413 `TOO_LARGE` past it)' },
    maxSessions: { rule: int(1, undefined, true), default: 10000, doc: 'sessions held; a new one past it is rejected `TOO_MANY_SESSIONS`' },
    maxPendingSends: { ...LINK.maxPendingSends, doc: '`session.send()` calls waiting for room; one more rejects `ERR_STREAM_TOO_MANY_PENDING`' },
    maxBufferedBytes: { ...LINK.maxBufferedBytes, doc: 'bytes a client leaves unread before it is dropped (`ERR_STREAM_SLOW_CONSUMER`)' },
    rekeyAfterMessages: { rule: int(1, undefined, true), default: 1000000, doc: 'encrypted sessions move to fresh keys after this many messages …' },
    rekeyAfterMs: { rule: int(1, undefined, true), default: 60 * 60 * 1000, doc: '… or after this long' },
    httpRoutes: { rule: bool, default: undefined, defaultDoc: '`true` with a server of its own, `false` with `server`', doc: 'serve `GET /sessions/:id/stream` and `POST /sessions/:id/messages`' },
    store: { rule: sessionStore, default: undefined, defaultDoc: 'an embedded store of its own (not shareable)', doc: 'where sessions are kept; servers given the same store serve the same sessions' },
  },
  ReconnectingStream: {
    url: { rule: string, required: true, doc: '`ws://` or `wss://` (WebSocket), or `http://` or `https://` (NDJSON over HTTP: plaintext sessions made by `server.createSession()`)' },
    sessionId: { rule: string, defaultDoc: 'none: the server makes one', doc: 'session to open (WebSocket) or to resume with `credential` (HTTP: required); 1–128 printable ASCII characters, an id without the `s_` prefix gets it' },
    credential: { rule: string, doc: 'the resume credential of a session made by `server.createSession()` (`session.credential`); required with an http(s) url. A secret' },
    resume: { rule: object, doc: 'the `resumeState()` of a stream in another process, to continue its session (then neither `sessionId` nor `credential`)' },
    reconnect: {
      rule: object,
      doc: 'backoff between connection attempts',
      options: {
        maxAttempts: { rule: int(0, undefined, true), default: 5, doc: 'retries after a failed connection (the first connect included) before `failed` with `ERR_STREAM_RETRIES_EXHAUSTED`; also the number of connections in a row without progress before `ERR_STREAM_NO_PROGRESS`' },
        maxRetries: { alias: 'maxAttempts' },
        initialDelay: { rule: num(0), default: 1000, doc: 'first backoff delay, ms' },
        initialDelayMs: { alias: 'initialDelay' },
        maxDelay: { rule: num(0), default: 30000, doc: 'largest backoff delay, ms' },
        maxDelayMs: { alias: 'maxDelay' },
        backoffMultiplier: { rule: num(0), default: 2, doc: 'each delay is the previous one times this' },
        jitter: { rule: bool, default: true, doc: 'randomize each delay by ± `jitterFactor`' },
        jitterFactor: { rule: num(0), default: 0.3, doc: "the jitter's share of the delay" },
      },
    },
    encryption: {
      rule: rule(
        `boolean or ${mode.type}`,
        (v) => (typeof v === 'boolean' || mode.test(v) === null || (v !== null && typeof v === 'object' && mode.test(v.mode) === null) ? null : TypeError),
        `a boolean or ${mode.type}`,
      ),
      default: 'disabled',
      doc: "end-to-end encryption; `true` = `'required'`: never falls back to plaintext",
    },
    onMessage: { rule: callback('(event) => void'), doc: "each server event, once, in order (the same as the `'message'` event)" },
    onReconnect: { rule: callback('(attempt, delayMs) => void'), doc: 'a retry is scheduled' },
    onStateChange: { rule: callback('(state, previousState) => void'), doc: "every state change (the same as `'stateChange'`)" },
    onGap: { rule: callback('(gap) => void'), doc: "events lost for good (`{ from, to, count, reason }`; the same as `'gap'`)" },
    onError: { rule: callback('(err) => void'), doc: "a line that could not be delivered, a protocol error (the same as `'error'`)" },
    onFailed: { rule: callback('({ reason, code }) => void'), doc: "the stream failed for good (the same as `'failed'`)" },
    heartbeatIntervalMs: { ...LINK.heartbeatIntervalMs, defaultDoc: "the server's (announced in the welcome), else `15000`" },
    heartbeatTimeoutMs: { ...LINK.heartbeatTimeoutMs, defaultDoc: '2.5 × the interval', doc: 'no data or pong for this long: reconnect' },
    connectTimeoutMs: { rule: int(1, MAX_TIMER_MS), default: 10000, doc: 'one connection attempt (TCP, WebSocket handshake, welcome) may take this long; then it counts as a failed attempt (`ERR_STREAM_CONNECT_TIMEOUT`)' },
    maxOutboxBytes: { ...LINK.maxOutboxBytes, default: 4 * MiB },
    highWaterMark: LINK.highWaterMark,
    sendWindowBytes: LINK.sendWindowBytes,
    maxFrameBytes: LINK.maxFrameBytes,
    maxPendingSends: LINK.maxPendingSends,
    maxBufferedBytes: LINK.maxBufferedBytes,
    WebSocket: { rule: rule('WebSocket class', fn.test, 'a function (a WebSocket class)'), defaultDoc: '`ws` in Node, the global `WebSocket` in browsers', doc: 'the WebSocket implementation' },
  },
  MemorySessionStore: {
    maxInboxEvents: { rule: int(1), default: 10000, doc: 'published events and client POST bodies that may wait per session for its server; one more is refused `ERR_STORE_INBOX_FULL`' },
  },
  RedisSessionStore: {
    url: { rule: string, defaultDoc: 'required unless `client`', doc: 'the Redis url, e.g. `redis://127.0.0.1:6379`' },
    client: { rule: rule('ioredis connection', (v) => (hasMethods(v, ['defineCommand']) ? null : TypeError), 'an ioredis client'), doc: 'a connection of your own, instead of `url` (not closed by `close()`)' },
    keyPrefix: { rule: string, default: 'esn:', doc: 'prefix of every Redis key' },
    encryptionKey: { rule: bytes32, required: true, doc: 'session keys and queued events are encrypted at rest under it; every server of a fleet gets the same one' },
    ttlMs: { rule: int(1), default: 24 * 60 * 60 * 1000, doc: 'records expire this long after their last write' },
    maxInboxEvents: undefined, // the MemorySessionStore's, below
  },
  EventRouter: {
    maxLineBytes: { rule: lineBytes, default: 16 * MiB, doc: "a longer line is reported (`ERR_NDJSON_LINE_TOO_LONG`; the router's `'invalid'`) and skipped" },
    validate: { rule: oneOf(['fields', 'event']), default: 'fields', doc: "`'fields'`: route after checking the routing fields only; `'event'`: validate every line fully first" },
  },
  routeNDJSON: {
    maxLineBytes: undefined,
    validate: undefined,
    onInvalid: { rule: callback('(info) => void'), defaultDoc: "none: kept in the router's invalid list", doc: 'receives each bad line (`{ line, offset, error, content, code }`)' },
  },
  StreamEncoder: {
    '...': { nodeStream: true, doc: "Node's `TransformOptions` (`highWaterMark`, `signal`, …), passed to `stream.Transform`; the writable side is always in object mode" },
  },
  StreamDecoder: {
    maxLineBytes: undefined,
    validate: { rule: oneOf(['event', false, true, null, 'none'], ['event', false]), default: false, doc: "`'event'`: lines must also be valid stream events (`ERR_NDJSON_INVALID_EVENT`)" },
    '...': { nodeStream: true, doc: "Node's `WritableOptions`, passed to `stream.Writable` (`highWaterMark`: bytes buffered before `write()` returns false; `signal`, …)" },
  },
  parseNDJSON: {
    validate: undefined,
    maxLineBytes: { rule: lineBytes, default: 0xffffffff, defaultDoc: '2^32−1 (no practical cap: the whole input is in memory already)', doc: 'a longer line is a bad line (`ERR_NDJSON_LINE_TOO_LONG`)' },
    onInvalid: { rule: callback('(info) => void'), defaultDoc: 'none: the first bad line throws an `NdjsonError`', doc: 'receives each bad line (`{ line, offset, error, content, code }`); parsing continues' },
  },
  NdjsonStreamParser: {
    onEvent: { rule: callback('(event) => void'), required: true, doc: 'each valid event (or envelope)' },
    onError: { rule: callback('(error) => void'), defaultDoc: "none: `feed()`/`flush()` throw an `NdjsonError` (its `.errors`: the chunk's bad lines) once the chunk's events are delivered", doc: NDJSON_ERRORS },
    maxLineBytes: undefined,
  },
  createNdjsonParseStream: {
    onError: { rule: callback('(error) => void'), defaultDoc: 'none: bad lines are dropped (as the reference does)', doc: NDJSON_ERRORS },
    maxLineBytes: undefined,
  },
  FaultProxy: {
    target: { rule: target, required: true, defaultDoc: "*required* (`host`: `'127.0.0.1'`)", doc: 'where connections are forwarded' },
    host: { rule: string, default: '127.0.0.1', doc: 'address the proxy listens on' },
    port: { rule: port, default: 0, doc: 'port the proxy listens on (`0`: any free port)' },
    cutAfterBytes: { rule: cutRange, default: undefined, defaultDoc: 'none: no cuts', doc: 'cut each connection after that many bytes (both directions), drawn from [min, max]' },
    cutAfterMs: { rule: cutRange, default: undefined, defaultDoc: 'none: no cuts', doc: 'cut each connection that long after it opened, drawn from [min, max]' },
    maxCuts: { rule: int(0, undefined, true), default: Infinity, doc: 'stop cutting after this many cuts' },
    seed: { rule: int(-Number.MAX_SAFE_INTEGER), default: 1, doc: 'seed of the random draws: the same seed, the same cuts (a failing run replays)' },
  },
  createEncryptedChannel: {
    role: { rule: oneOf(['client', 'server']), required: true, doc: 'which end this is' },
    send: { rule: callback('(frame: string) => void'), doc: 'hands an outgoing frame (one or more lines, each ending in `\\n`) to your transport' },
    onMessage: { rule: callback('(message) => void'), doc: 'each decrypted message, once, in order' },
    onError: { rule: callback('(err) => void'), doc: 'a dropped frame: `ENCRYPTION_NONCE_REUSE` (`err.replay`), `ENCRYPTION_DECRYPTION_FAILED` (`err.seq`), a bad hello or frame' },
    keyPair: { rule: rule('`{ privateKey, publicKey, publicKeyB64 }`', object.test, 'an object'), defaultDoc: 'a fresh one (`generateKeyPairSync()`)', doc: "this end's ECDH key (a server publishes its public key to clients)" },
    remotePublicKey: { rule: anyOf(rule('string (base64)', string.test, 'a string'), rule('Uint8Array', (v) => (v instanceof Uint8Array ? null : TypeError))), defaultDoc: "none: taken from the server's hello", doc: "client: the server's public key" },
    sessionId: { rule: string, defaultDoc: "client: a random `s_…`; server: the client's", doc: 'the session id inside every envelope' },
    keyId: { rule: string, defaultDoc: "client: a random `k_…`; server: the client's", doc: 'the key id (`kid`) of the envelopes' },
    maxNonces: {
      rule: rule('positive integer or bigint', (v) => (typeof v === 'bigint' ? (v >= 1n ? null : RangeError) : int(1).test(v))),
      defaultDoc: '2^30 (at most 2^32)',
      doc: 'messages per key before `ENCRYPTION_KEY_EXPIRED`',
    },
  },
  createEnvelopeCipher: {
    key: { rule: bytes, required: true, doc: 'the 32-byte AES-256 key (a `deriveSessionKeysSync()` key); another length throws `AesGcmError` `ENCRYPTION_UNSUPPORTED_ALGORITHM`' },
    sessionId: { rule: envelopeSid, required: true, doc: 'written in every envelope' },
    kid: { rule: nonEmpty, required: true, defaultDoc: '*required* (or `keyId`)', doc: 'the key id written in every envelope' },
    keyId: { alias: 'kid', doc: 'the same as `kid`' },
    nonceCounter: { rule: counter, default: 0, doc: 'the first nonce counter' },
    maxNonces: { rule: counter, defaultDoc: '2^30 (capped at 2^32)', doc: 'seals before `ENCRYPTION_KEY_EXPIRED`' },
    noncePrefix: { rule: optionalBytes, defaultDoc: '8 random bytes', doc: 'the fixed first 8 bytes of every nonce; another length throws `AesGcmError` `ENCRYPTION_NONCE_REUSE`' },
  },
};
// Options with the same meaning in several places are described once.
SPECS.RedisSessionStore.maxInboxEvents = { ...SPECS.MemorySessionStore.maxInboxEvents, doc: 'as for `MemorySessionStore`' };
SPECS.routeNDJSON.maxLineBytes = SPECS.EventRouter.maxLineBytes;
SPECS.routeNDJSON.validate = SPECS.EventRouter.validate;
SPECS.StreamDecoder.maxLineBytes = { ...SPECS.EventRouter.maxLineBytes, doc: "a longer line is reported (`ERR_NDJSON_LINE_TOO_LONG`; `'invalid'`) and skipped" };
SPECS.parseNDJSON.validate = SPECS.StreamDecoder.validate;
SPECS.NdjsonStreamParser.maxLineBytes = { ...SPECS.EventRouter.maxLineBytes, doc: 'a longer line goes to `onError` (`ERR_NDJSON_LINE_TOO_LONG`)' };
SPECS.createNdjsonParseStream.maxLineBytes = SPECS.NdjsonStreamParser.maxLineBytes;
SPECS.parseNdjsonStream = SPECS.createNdjsonParseStream;

// The browser codec (lib/browser/codec.js): no node:stream; highWaterMark counts values.
const BROWSER_SPECS = {
  StreamEncoder: {
    highWaterMark: { rule: int(0), default: 16, defaultDoc: '`16` lines', doc: 'lines queued on the `readable` side before writes to `writable` wait' },
  },
  StreamDecoder: {
    maxLineBytes: SPECS.StreamDecoder.maxLineBytes,
    validate: SPECS.StreamDecoder.validate,
    highWaterMark: { rule: int(0), default: 1024, defaultDoc: '`1024` values', doc: 'values queued on the `readable` side before writes to `writable` wait' },
  },
};

// The options of node:stream's Readable, Writable, Duplex and Transform
// constructors, passed through by the Node codec.
const NODE_STREAM_OPTIONS = new Set([
  'highWaterMark', 'readableHighWaterMark', 'writableHighWaterMark', 'objectMode', 'readableObjectMode', 'writableObjectMode',
  'encoding', 'decodeStrings', 'defaultEncoding', 'emitClose', 'autoDestroy', 'signal', 'allowHalfOpen', 'writableCorked',
  'construct', 'read', 'write', 'writev', 'final', 'destroy', 'transform', 'flush', 'captureRejections',
]);

// ---- the checker ----------------------------------------------------------------

/** Edit distance (optimal string alignment: insertions, deletions, substitutions, swaps of neighbours). */
function distance(a, b) {
  const d = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The valid name closest to `name`, or null when none is close: a few edits
 * away (case counts little), or one is the start of the other (`onInvalidLine`).
 */
function closest(name, names) {
  const lower = name.toLowerCase();
  let best = null;
  let bestScore = Infinity;
  for (const n of names) {
    const l = n.toLowerCase();
    const near = distance(lower, l) <= Math.max(2, Math.floor(n.length / 3)) || (Math.min(l.length, lower.length) >= 4 && (l.startsWith(lower) || lower.startsWith(l)));
    const score = distance(lower, l) * 2 + (name === n ? 0 : 1);
    if (near && score < bestScore) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

function optionError(Cls, code, message) {
  const err = new Cls(message);
  err.code = code;
  return err;
}

function specOf(owner, platform) {
  const spec = (platform === 'browser' ? BROWSER_SPECS : SPECS)[owner];
  if (!spec) throw new Error(`lib/options.js describes no options of ${owner}`);
  return spec;
}

function check(owner, spec, given, prefix) {
  const label = prefix ? `options.${prefix.slice(0, -1)}` : 'options';
  if (given === undefined || given === null) given = {};
  else if (typeof given !== 'object' || Array.isArray(given)) {
    throw optionError(TypeError, 'ERR_INVALID_ARG_TYPE', `${owner}: ${label} must be an object, got ${show(given)}`);
  }
  const names = Object.keys(spec).filter((k) => k !== '...');
  const passNode = spec['...'] !== undefined;
  const out = {};
  for (const k of Object.keys(given)) {
    if (Object.prototype.hasOwnProperty.call(spec, k) && k !== '...') continue;
    if (passNode && NODE_STREAM_OPTIONS.has(k)) {
      out[k] = given[k];
      continue;
    }
    const near = closest(k, passNode ? [...names, ...NODE_STREAM_OPTIONS] : names);
    const hint = near ? `did you mean "${prefix}${near}"?` : `valid options: ${names.map((n) => prefix + n).join(', ')}`;
    throw optionError(TypeError, 'ERR_UNKNOWN_OPTION', `${owner}: unknown option "${prefix}${k}" (${hint})`);
  }
  for (const k of names) {
    const e = spec[k];
    if (e.alias) continue;
    let v = given[k];
    let as = k;
    if (v === undefined) {
      const alias = names.find((a) => spec[a].alias === k && given[a] !== undefined);
      if (alias) {
        v = given[alias];
        as = alias;
      }
    }
    if (v === undefined) {
      if (e.required) throw optionError(TypeError, 'ERR_MISSING_OPTION', `${owner}: options.${prefix}${k} is required (${e.rule.expect})`);
      if ('default' in e) out[k] = e.default;
      if (e.options) out[k] = check(owner, e.options, undefined, `${prefix}${k}.`);
      continue;
    }
    const bad = e.rule.test(v);
    if (bad !== null) {
      const code = bad === RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE';
      throw optionError(bad, code, `${owner}: options.${prefix}${as} must be ${e.rule.expect}, got ${show(v)}`);
    }
    out[k] = e.options ? check(owner, e.options, v, `${prefix}${k}.`) : v;
  }
  return out;
}

/**
 * Checks `options` given to `owner` (a key of the tables above; platform
 * 'browser' for the browser codec). Throws a TypeError (unknown option,
 * wrong type, missing required option) or a RangeError (out of range),
 * each with a code. Returns a new object: every option described, given
 * or default (undefined when it has none), aliases folded into their
 * option, node:stream options passed through.
 */
function checkOptions(owner, options, platform) {
  return check(owner, specOf(owner, platform), options, '');
}

/** The defaults of `owner`'s options (those that have one), nested ones included. */
function defaults(owner, platform) {
  const walk = (spec) => {
    const out = {};
    for (const [k, e] of Object.entries(spec)) {
      if (e.options) out[k] = walk(e.options);
      else if ('default' in e) out[k] = e.default;
    }
    return out;
  };
  return walk(specOf(owner, platform));
}

// ---- the tables ------------------------------------------------------------------

function unit(name, v) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1024) return '';
  if (/Bytes$|^highWaterMark$|^maxPayload$/.test(name)) {
    if (v % MiB === 0) return ` (${v / MiB} MiB)`;
    if (v % KiB === 0) return ` (${v / KiB} KiB)`;
  }
  if (/Ms$/.test(name) && v >= 60000) {
    if (v % 3600000 === 0) return ` (${v / 3600000} h)`;
    if (v % 60000 === 0) return ` (${v / 60000} min)`;
  }
  return '';
}

function defaultText(name, e) {
  if (e.defaultDoc !== undefined) return e.defaultDoc;
  if (e.required) return '*required*';
  if (!('default' in e) || e.default === undefined) return '—';
  const v = e.default;
  const text = typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return `\`${text}\`${unit(name, v)}`;
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function rows(spec, prefix) {
  const out = [];
  for (const [k, e] of Object.entries(spec)) {
    const name = prefix + k;
    if (k === '...') out.push(`| … | | | ${cell(e.doc)} |`);
    else if (e.alias) out.push(`| \`${name}\` | | | ${cell(e.doc || `the same as \`${prefix}${e.alias}\` (the reference's name)`)} |`);
    else {
      out.push(`| \`${name}\` | ${cell(e.rule.type)} | ${cell(e.options ? '' : defaultText(k, e))} | ${cell(e.doc)} |`);
      if (e.options) out.push(...rows(e.options, `${name}.`));
    }
  }
  return out;
}

/** The Markdown table of `owner`'s options: option | type | default | meaning. */
function optionsTable(owner, platform) {
  return ['| option | type | default | meaning |', '| --- | --- | --- | --- |', ...rows(specOf(owner, platform), '')].join('\n') + '\n';
}

/**
 * Every described constructor, as [owner, platform, title]: platform is
 * undefined or 'browser'; title names the functions sharing the table too.
 */
function owners() {
  const out = [];
  for (const [name, spec] of Object.entries(SPECS)) {
    const sharing = Object.keys(SPECS).filter((n) => SPECS[n] === spec);
    if (sharing[0] === name) out.push([name, undefined, sharing.join(', ')]); // parseNdjsonStream: createNdjsonParseStream's
  }
  for (const name of Object.keys(BROWSER_SPECS)) out.push([name, 'browser', `${name} (browser)`]);
  return out;
}

module.exports = { checkOptions, defaults, optionsTable, owners, show, closest, SPECS, BROWSER_SPECS };
