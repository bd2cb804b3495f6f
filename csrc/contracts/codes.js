'use strict';
// The numbers C and JavaScript exchange: the one place they are written.
// scripts/gen-contracts.js turns this file (and events.js beside it) into
// csrc/contracts/contracts_gen.h and lib/contracts.js; edit here, then run
// `npm run gen:contracts`. Plain data: lists are in code order (the index is
// the value) unless an entry says otherwise.

// NDJSON framer (csrc/ndjson/framer.h, lib/ndjson/line-decoder.js).
const framer = {
  // esn_mode: what the framer does with each line.
  modes: [
    ['JSON', 'any JSON value'],
    ['EVENT', 'stream events (validate/validate.h)'],
    ['ROUTE', 'events, routed as raw lines with type, seq, session id'],
    ['ROUTE_FIELDS', 'routed like ROUTE, only the routing fields checked (framer.h)'],
    ['SCAN', 'like JSON, no line parsed in C: brackets and scalars scanned (framer.h)'],
    ['ROUTE_SCAN', 'like ROUTE_FIELDS, the routing fields read in one scan in place (framer.h)'],
  ],
  // esn_rec_kind: what a record says about its line.
  recordKinds: [
    ['VALUE', 'next value of the batch array'],
    ['NORMALIZE', 'next value of the batch array; valid event to normalize'],
    ['INVALID', 'JSON, but not a valid stream event: line in the side text'],
    ['JS', 'JSON the C side cannot decide: line in the side text'],
    ['TOO_LONG', 'over max_line: the line\'s first bytes in the side text'],
    ['ROUTE', 'routed event: batch[start, end) is the line'],
  ],
  // The Float64Array the binding fills (csrc/binding/ndjson.cc): HEADER slots
  // first, then one record of these slots each.
  recordHeader: [
    ['COUNT', 'records in this call'],
    ['MORE', '1 when more lines are ready (call next)'],
  ],
  recordSlots: [
    ['KIND', 'kind | type << TYPE_SHIFT (type: esn_event_type)'],
    ['LINE', '1-based line number'],
    ['OFFSET', 'byte offset of the line in the stream'],
    ['SEQ', 'ROUTE: the event\'s seq'],
    ['START', 'start of the line\'s range (batch or side text, framer.h)'],
    ['END', 'end of that range'],
    ['SID_START', 'ROUTE: start of the session id in the side text, -1: as before'],
    ['SID_END', 'ROUTE: its end'],
  ],
  typeShift: 8,
};

// Reconnection backoff machine (csrc/backoff/backoff.h, lib/reconnect/state-machine.js).
const backoff = {
  states: ['DISCONNECTED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'FAILED', 'CLOSED'],
  // esn_backoff_event_type: the records a step writes.
  events: [
    ['STATE_CHANGE', 'state, prev'],
    ['RETRY_SCHEDULED', 'attempt, delay_ms'],
    ['RETRY_STARTED', 'attempt'],
    ['CONNECTED', ''],
    ['DISCONNECTED', 'the caller adds the reason it was given'],
    ['FAILED', 'reason: see esn_backoff_reason'],
    ['ARM_TIMER', 'set the retry timer: after the delay_ms of the RETRY_SCHEDULED delivered just before, run FIRED with its attempt'],
    ['CANCEL_TIMER', 'clear the timer armed last'],
  ],
  reasons: [
    ['NONE', ''],
    ['OR_DEFAULT', 'the disconnect reason, or "Max retries exceeded" when absent'],
    ['GIVEN', 'exactly the reason given to onFatalError, even when absent'],
  ],
  // esn_backoff_step_code: operations (the public methods) and the steps they go on with.
  steps: [
    ['DONE', 'the operation is over'],
    ['CONNECT', ''],
    ['CONNECTED', ''],
    ['DISCONNECTED', 'then DECIDE'],
    ['FATAL', ''],
    ['FIRED', 'arg: the attempt the timer was armed for; then FIRED_CONNECT'],
    ['CLOSE', ''],
    ['RESET', ''],
    ['DECIDE', 'retry or fail; then SCHEDULE when retrying'],
    ['SCHEDULE', 'arg: random in [0, 1) (ignored without jitter); then ARM'],
    ['ARM', ''],
    ['FIRED_CONNECT', ''],
  ],
  // The most records one step writes, and the Float64Array slots per record
  // (after out[0], the next step): [type | state << 8 | prev << 16 | reason << 24, attempt, delayMs].
  maxEvents: 4,
  eventSlots: ['WORD', 'ATTEMPT', 'DELAY_MS'],
  wordShifts: { STATE: 8, PREV: 16, REASON: 24 },
};

// Crypto status numbers (csrc/crypto/crypto.h): the C functions return them,
// the binding returns them negated; each maps to the reference's
// EncryptionErrorCode and a short message.
const cryptoStatus = [
  ['OK', '', 'ok'],
  ['HANDSHAKE', 'ENCRYPTION_HANDSHAKE_FAILED', 'key exchange failed'],
  ['KDF', 'ENCRYPTION_KEY_DERIVATION_FAILED', 'key derivation failed'],
  ['DECRYPT', 'ENCRYPTION_DECRYPTION_FAILED', 'decryption failed: authentication failed or bad nonce/ciphertext'],
  ['NONCE', 'ENCRYPTION_NONCE_REUSE', 'invalid nonce'],
  ['EXPIRED', 'ENCRYPTION_KEY_EXPIRED', 'key needs rotation: nonce limit reached'],
  ['ALG', 'ENCRYPTION_UNSUPPORTED_ALGORITHM', 'invalid AES-256 key: 32 bytes expected'],
  ['PUBKEY', 'ENCRYPTION_INVALID_PUBLIC_KEY', 'invalid public key: not a raw uncompressed P-256 point'],
  ['ENVELOPE', 'ENCRYPTION_DECRYPTION_FAILED', 'not a valid encrypted envelope'],
  ['SPACE', 'ERR_OUT_OF_RANGE', 'output buffer too small'],
  ['NOMEM', 'ENCRYPTION_HANDSHAKE_FAILED', 'out of memory or internal OpenSSL failure'],
];

module.exports = { framer, backoff, cryptoStatus };
