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

/** An integer in [min, max], or Infinity when `infinity` ("no limit"). */
function int(min, max = Number.MAX_SAFE_INTEGER, infinity = false) {
  let type;
  if (max !== Number.MAX_SAFE_INTEGER) type = `integer from ${min} to ${max}`;
  else if (min === -Number.MAX_SAFE_INTEGER) type = 'integer';
  else type = min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer' : `integer >= ${min}`;
  if (infinity) type += ' or Infinity';
  return rule(type, (v) => {
    if (typeof v !== 'number') return TypeError;
    if (infinity && v === Infinity) return null;
    return Number.isSafeInteger(v) && v >= min && v <= max ? null : RangeError;
  });
}

/** A number >= min (Infinity included). */
function num(min) {
  return rule(`number >= ${min}`, (v) => (typeof v !== 'number' ? TypeError : v >= min ? null : RangeError));
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
const object = rule('object', (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? null : TypeError));

const hasMethods = (v, names) => v !== null && typeof v === 'object' && names.every((n) => typeof v[n] === 'function');

const port = rule('integer from 0 to 65535 (a number)', (v) => {
  if (typeof v !== 'number') return TypeError;
  return Number.isInteger(v) && v >= 0 && v <= 65535 ? null : RangeError;
}, 'an integer from 0 to 65535 (a number, not a string)');
const urlPath = rule("string starting with '/'", (v) => (typeof v !== 'string' ? TypeError : v.startsWith('/') ? null : RangeError));
const httpServer = rule('http.Server', (v) => (hasMethods(v, ['on', 'listen']) ? null : TypeError), 'an http.Server (or https.Server)');
const sessionStore = rule('SessionStore', (v) => (hasMethods(v, ['register', 'append']) ? null : TypeError), 'a SessionStore (MemorySessionStore, RedisSessionStore)');
const bytes32 = rule('32 bytes (Buffer, Uint8Array or base64)', (v) => {
  const n = v instanceof Uint8Array ? v.length : typeof v === 'string' && typeof Buffer === 'function' ? Buffer.from(v, 'base64').length : -1;
  return n === 32 ? null : TypeError;
}, '32 bytes (a Buffer, a Uint8Array or base64)');
const target = rule('{ host?, port }', (v) => {
  if (v === null || typeof v !== 'object') return TypeError;
  if (port.test(v.port) !== null || (v.host !== undefined && typeof v.host !== 'string')) return TypeError;
  return null;
}, 'an object { host?: string, port: integer from 0 to 65535 }');
const cutRange = rule('number >= 0 or [min, max]', (v) => {
  const r = Array.isArray(v) ? v : [v, v];
  if (r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number') return TypeError;
  return r[0] >= 0 && r[1] >= r[0] && r[1] < Infinity ? null : RangeError;
}, 'a number >= 0 or a range [min, max] with 0 <= min <= max');

const mode = oneOf(['disabled', 'optional', 'required']);
const lineBytes = int(1, 0xffffffff);

// ---- the options ---------------------------------------------------------------
// An entry: { rule, default (absent: none, not listed in defaults()),
// defaultDoc (the table's words when the default is computed), doc,
// required, alias (another name of the option `alias`), options (nested) }.

const KiB = 1024;
const MiB = 1024 * KiB;

/** The flow-control options a server session and a client share (lib/transport/link.js). */
const LINK = {
  maxOutboxBytes: { rule: int(1, undefined, true), default: 1 * MiB, doc: 'send() waits while the unacknowledged bytes exceed this' },
  highWaterMark: { rule: int(0, undefined, true), default: 1 * MiB, doc: "send() also waits while the socket's bufferedAmount exceeds this" },
  sendWindowBytes: { rule: int(1, undefined, true), default: 1 * MiB, doc: 'bytes written and not yet acknowledged' },
  maxFrameBytes: { rule: int(1, undefined, true), default: 64 * KiB, doc: 'bytes of event lines per WebSocket frame' },
  heartbeatIntervalMs: { rule: int(0, MAX_TIMER_MS), default: 15000, doc: 'ping interval (0: no heartbeats)' },
  heartbeatTimeoutMs: { rule: int(0, undefined, true), default: undefined, defaultDoc: '2.5 × heartbeatIntervalMs', doc: 'the connection is dropped after this long without data or a pong' },
  maxPendingSends: { rule: int(1, undefined, true), default: 1024, doc: 'send() calls waiting for room; one more rejects ERR_STREAM_TOO_MANY_PENDING' },
  maxBufferedBytes: { rule: int(1, undefined, true), default: 8 * MiB, doc: 'bytes the peer left unread before the connection is dropped (slow consumer)' },
};

const NDJSON_ERRORS = 'receives each bad line ({ line, error, content, code, offset })';

const SPECS = {
  StreamServer: {
    port: { rule: port, default: 0, doc: 'TCP port to listen on (0: any free port)' },
    host: { rule: string, default: '127.0.0.1', doc: 'address to listen on' },
    server: { rule: httpServer, doc: 'attach to this server instead (listen() does not listen then)' },
    path: { rule: urlPath, default: undefined, defaultDoc: 'any', doc: 'the WebSocket path' },
    encryption: { rule: mode, default: 'disabled', doc: 'end-to-end encryption of sessions' },
    maxReplayEvents: { rule: int(1, undefined, true), default: 10000, doc: 'events kept per session for resume' },
    maxReplayBytes: { rule: int(1, undefined, true), default: 16 * MiB, doc: 'bytes of events kept per session for resume' },
    maxOutboxBytes: LINK.maxOutboxBytes,
    highWaterMark: LINK.highWaterMark,
    maxFrameBytes: LINK.maxFrameBytes,
    sendWindowBytes: LINK.sendWindowBytes,
    heartbeatIntervalMs: LINK.heartbeatIntervalMs,
    heartbeatTimeoutMs: LINK.heartbeatTimeoutMs,
    helloTimeoutMs: { rule: int(1, MAX_TIMER_MS), default: 10000, doc: 'a connection without a hello by then is closed' },
    sessionTtlMs: { rule: int(0, MAX_TIMER_MS, true), default: 5 * 60 * 1000, doc: 'a detached session is forgotten after this (0 or Infinity: never)' },
    maxPayload: { rule: int(1, 2 ** 31 - 1), default: 64 * MiB, doc: 'largest WebSocket message after the hello' },
    maxHelloBytes: { rule: int(1, undefined, true), default: 64 * KiB, doc: 'largest WebSocket message before the hello is accepted (at most maxPayload)' },
    maxPendingHellos: { rule: int(1, undefined, true), default: 1000, doc: 'connections without an accepted hello; one more is closed 1013' },
    maxPostBytes: { rule: int(1, undefined, true), default: 16 * MiB, doc: 'largest POST /sessions/:id/messages body' },
    maxSessions: { rule: int(1, undefined, true), default: 10000, doc: 'sessions held; new ones past it are refused TOO_MANY_SESSIONS' },
    maxPendingSends: LINK.maxPendingSends,
    maxBufferedBytes: LINK.maxBufferedBytes,
    rekeyAfterMessages: { rule: int(1, undefined, true), default: 1000000, doc: 'encrypted sessions move to fresh keys after this many messages' },
    rekeyAfterMs: { rule: int(1, undefined, true), default: 60 * 60 * 1000, doc: '... or after this long' },
    httpRoutes: { rule: bool, default: undefined, defaultDoc: 'true when the server owns its http.Server', doc: 'serve GET /sessions/:id/stream and POST /sessions/:id/messages' },
    store: { rule: sessionStore, default: undefined, defaultDoc: "the server's own (embedded)", doc: 'share sessions with the other servers given the same store' },
  },
  ReconnectingStream: {
    url: { rule: string, required: true, doc: 'ws://, wss:// (WebSocket), http:// or https:// (NDJSON GET + POST) URL of a StreamServer' },
    sessionId: { rule: string, doc: 'session to open (ws: created on first connect) or to resume with credential' },
    credential: { rule: string, doc: 'resume credential of a session made by server.createSession() (a secret; required with an http(s) url)' },
    resume: { rule: object, doc: 'continue a session from another process: what resumeState() returned there' },
    reconnect: {
      rule: object,
      doc: 'backoff between connection attempts',
      options: {
        maxAttempts: { rule: int(0, undefined, true), default: 5, doc: 'failed attempts in a row before the stream fails' },
        maxRetries: { alias: 'maxAttempts' },
        initialDelay: { rule: num(0), default: 1000, doc: 'ms before the first retry' },
        initialDelayMs: { alias: 'initialDelay' },
        maxDelay: { rule: num(0), default: 30000, doc: 'longest ms between retries' },
        maxDelayMs: { alias: 'maxDelay' },
        backoffMultiplier: { rule: num(0), default: 2, doc: 'each delay is the previous one times this' },
        jitter: { rule: bool, default: true, doc: 'randomize the delays' },
        jitterFactor: { rule: num(0), default: 0.3, doc: 'the part of a delay that is random' },
      },
    },
    encryption: {
      rule: rule(
        `boolean or ${mode.type}`,
        (v) => (typeof v === 'boolean' || mode.test(v) === null || (v !== null && typeof v === 'object' && mode.test(v.mode) === null) ? null : TypeError),
        `a boolean or ${mode.type}`,
      ),
      default: 'disabled',
      doc: 'end-to-end encryption (true: required)',
    },
    onMessage: { rule: fn, doc: "listener of 'message'" },
    onReconnect: { rule: fn, doc: '(attempt, delayMs) at each retry scheduled' },
    onStateChange: { rule: fn, doc: '(state, previousState) at each state change' },
    onGap: { rule: fn, doc: "listener of 'gap' (events the server could no longer replay)" },
    onError: { rule: fn, doc: "listener of 'error'" },
    onFailed: { rule: fn, doc: '({ reason, code }) once the stream gave up' },
    heartbeatIntervalMs: { ...LINK.heartbeatIntervalMs, defaultDoc: "the server's (welcome), else 15000" },
    heartbeatTimeoutMs: LINK.heartbeatTimeoutMs,
    connectTimeoutMs: { rule: int(1, MAX_TIMER_MS), default: 10000, doc: 'an attempt not connected by then fails' },
    maxOutboxBytes: { ...LINK.maxOutboxBytes, default: 4 * MiB },
    highWaterMark: LINK.highWaterMark,
    sendWindowBytes: LINK.sendWindowBytes,
    maxFrameBytes: LINK.maxFrameBytes,
    maxPendingSends: LINK.maxPendingSends,
    maxBufferedBytes: LINK.maxBufferedBytes,
    WebSocket: { rule: fn, defaultDoc: "the `ws` package's, or the global one", doc: 'WebSocket class to connect with' },
  },
  MemorySessionStore: {
    maxInboxEvents: { rule: int(1), default: 10000, doc: 'published events that may wait per session; one more is refused ERR_STORE_INBOX_FULL' },
  },
  RedisSessionStore: {
    url: { rule: string, doc: 'Redis URL (or give client)' },
    client: { rule: rule('ioredis client', (v) => (hasMethods(v, ['defineCommand']) ? null : TypeError), 'an ioredis client'), doc: 'an ioredis connection to use (not closed by close())' },
    keyPrefix: { rule: string, default: 'esn:', doc: 'prefix of every key' },
    encryptionKey: { rule: bytes32, required: true, doc: 'encrypts session keys and queued events at rest; the same on every server of a fleet' },
    ttlMs: { rule: int(1), default: 24 * 60 * 60 * 1000, doc: 'records expire after this long without a write' },
    maxInboxEvents: undefined, // the MemorySessionStore's, below
  },
  EventRouter: {
    maxLineBytes: { rule: lineBytes, default: 16 * MiB, doc: 'longer lines are reported ERR_NDJSON_LINE_TOO_LONG' },
    validate: { rule: oneOf(['fields', 'event']), default: 'fields', doc: "'fields': route after checking the routing fields only; 'event': validate each line fully first" },
  },
  routeNDJSON: {
    maxLineBytes: undefined,
    validate: undefined,
    onInvalid: { rule: fn, defaultDoc: "kept in the router's invalid list", doc: 'receives each bad line' },
  },
  StreamEncoder: {
    '...': { nodeStream: true, doc: 'any node:stream Transform option (objectMode is set for you)' },
  },
  StreamDecoder: {
    maxLineBytes: undefined,
    validate: { rule: oneOf(['event', false, true, null, 'none'], ['event', false]), default: false, doc: "'event': lines must also be valid stream events" },
    '...': { nodeStream: true, doc: 'any node:stream Writable option (highWaterMark, signal, ...)' },
  },
  parseNDJSON: {
    validate: undefined,
    maxLineBytes: { rule: lineBytes, default: 0xffffffff, doc: 'longer lines are bad lines' },
    onInvalid: { rule: fn, defaultDoc: 'the first bad line throws', doc: 'receives each bad line; parsing continues' },
  },
  NdjsonStreamParser: {
    onEvent: { rule: fn, required: true, doc: 'receives each event' },
    onError: { rule: fn, defaultDoc: 'feed()/flush() throw an NdjsonError', doc: NDJSON_ERRORS },
    maxLineBytes: undefined,
  },
  createNdjsonParseStream: {
    onError: { rule: fn, defaultDoc: 'bad lines are dropped (as the reference does)', doc: NDJSON_ERRORS },
    maxLineBytes: undefined,
  },
  FaultProxy: {
    target: { rule: target, required: true, doc: 'where connections are forwarded (host default 127.0.0.1)' },
    host: { rule: string, default: '127.0.0.1', doc: 'address to listen on' },
    port: { rule: port, default: 0, doc: 'port to listen on (0: any free port)' },
    cutAfterBytes: { rule: cutRange, default: undefined, defaultDoc: 'never', doc: 'cut each connection after a random number of bytes in [min, max] (both directions)' },
    cutAfterMs: { rule: cutRange, default: undefined, defaultDoc: 'never', doc: 'cut each connection a random time in [min, max] after it opened' },
    maxCuts: { rule: int(0, undefined, true), default: Infinity, doc: 'stop cutting after this many cuts' },
    seed: { rule: int(-Number.MAX_SAFE_INTEGER), default: 1, doc: 'seed of the random choices (a failing run replays)' },
  },
  createEncryptedChannel: {
    role: { rule: oneOf(['client', 'server']), required: true, doc: 'which end this is' },
    onMessage: { rule: fn, doc: 'receives each message opened' },
    onError: { rule: fn, doc: 'replays (ENCRYPTION_NONCE_REUSE), auth failures (ENCRYPTION_DECRYPTION_FAILED), bad frames' },
    remotePublicKey: { rule: anyOf(string, rule('Uint8Array', (v) => (v instanceof Uint8Array ? null : TypeError))), doc: "client: the server's public key (else the server hello supplies it)" },
    sessionId: { rule: string, defaultDoc: 'client: random "s_…"; server: the client\'s', doc: 'the session id' },
    keyId: { rule: string, defaultDoc: 'client: random', doc: 'the key id' },
    send: { rule: fn, doc: 'hands an outgoing frame (lines ending in "\\n") to the transport' },
    keyPair: { rule: object, defaultDoc: 'a fresh one', doc: 'this end\'s key pair (generateKeyPairSync())' },
    maxNonces: {
      rule: rule('positive integer or bigint', (v) => (typeof v === 'bigint' ? (v >= 1n ? null : RangeError) : int(1).test(v))),
      defaultDoc: '2^30 (at most 2^32)',
      doc: 'messages per key before it must be rotated',
    },
  },
};
// Options with the same meaning in several places are described once.
SPECS.RedisSessionStore.maxInboxEvents = SPECS.MemorySessionStore.maxInboxEvents;
SPECS.routeNDJSON.maxLineBytes = SPECS.EventRouter.maxLineBytes;
SPECS.routeNDJSON.validate = SPECS.EventRouter.validate;
SPECS.StreamDecoder.maxLineBytes = SPECS.EventRouter.maxLineBytes;
SPECS.parseNDJSON.validate = SPECS.StreamDecoder.validate;
SPECS.NdjsonStreamParser.maxLineBytes = SPECS.EventRouter.maxLineBytes;
SPECS.createNdjsonParseStream.maxLineBytes = SPECS.EventRouter.maxLineBytes;
SPECS.parseNdjsonStream = SPECS.createNdjsonParseStream;

// The browser codec (lib/browser/codec.js): no node:stream; highWaterMark counts values.
const BROWSER_SPECS = {
  StreamEncoder: {
    highWaterMark: { rule: int(0), default: 16, defaultDoc: '`16` lines', doc: 'lines queued on the readable side before writes wait' },
  },
  StreamDecoder: {
    maxLineBytes: SPECS.StreamDecoder.maxLineBytes,
    validate: SPECS.StreamDecoder.validate,
    highWaterMark: { rule: int(0), default: 1024, defaultDoc: '`1024` values', doc: 'values queued on the readable side before writes wait' },
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
    else if (e.alias) out.push(`| \`${name}\` | | | the same as \`${prefix}${e.alias}\` (the reference's name) |`);
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
