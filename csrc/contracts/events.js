'use strict';
// Stream events (docs/PROTOCOL.md section 2): the type codes and the
// validation rules, as data. scripts/gen-contracts.js turns them into the C
// rule tables (csrc/validate/rules_gen.h: validate.c and the framer's
// routing checks run them) and the JavaScript checks (lib/validate/rules-gen.js:
// lib/validate/index.js and lib/ndjson/line-decoder.js run them). The zod
// schemas (lib/validate/schemas.js) stay the exported API; the differential
// tests (test/validate*.test.js, test/validate/fuzz.test.js) prove all agree.
//
// A shape is an object rule: its fields in the schema's key order (zod's
// output order), each [key, rule] or [key, rule, options]:
//   rule     'string' | 'nonEmpty' (min 1) | 'bool' | 'datetime' (zod's ISO
//            datetime, no offset) | 'nonNeg' (number >= 0) | 'positive'
//            (number > 0) | 'intNonNeg' (safe integer >= 0) | 'safeInt' |
//            'strArray' | 'record' (z.record(string, unknown)) | 'unknown'
//            | { prefix: 's_' } (startsWith + at least one more character)
//            | { oneOf: [...] } (literals / z.enum)
//            | { shape: Name } | { arrayOf: Name } | { union: Name }
//            | 'payload' (the shape named by the event's type)
//            | 'discriminator' (selects the shape; checked by the caller)
//   options  optional: true; expect: the text after "expected" in the C
//            reason (default: from the rule); elemExpect for arrayOf.
// Shape options: path (prefix of the C reasons), expect (how a field of this
// shape is described), opaque (a failure inside reports the field's reason).
// Unions are discriminated on one key and give fixed reasons.

// Event types: the code is the index (0: none / unknown), then the payload shape.
const eventTypes = [
  ['session_init', 'SessionInit'],
  ['stdout', 'Stdout'],
  ['log', 'Log'],
  ['tool_call', 'ToolCall'],
  ['tool_result_applied', 'ToolResultApplied'],
  ['final', 'Final'],
  ['heartbeat', 'Heartbeat'],
  ['error', 'ErrorEvent'],
  ['enc', 'Envelope'],
  ['partial_result', 'PartialResult'],
  ['tool_progress', 'ToolProgress'],
  ['deadline_exceeded', 'DeadlineExceeded'],
  ['catalog_changed', 'CatalogChanged'],
];

const opt = { optional: true };

// The envelope every event shares; `type` picks the payload's shape. The
// routing checks (framer.c routable(), line-decoder.js routableFields) are
// these rules with the payload only required to be an object.
const Event = {
  path: '',
  fields: [
    ['protocolVersion', { oneOf: [1, 2] }],
    ['sessionId', { prefix: 's_' }],
    ['seq', 'intNonNeg', { expect: 'safe integer >= 0' }],
    ['type', 'discriminator'],
    ['payload', 'payload'],
  ],
};

const shapes = {
  Encryption: { path: 'payload.encryption', fields: [['enabled', 'bool'], ['keyId', 'string', opt]] },
  SessionInit: {
    path: 'payload',
    fields: [
      ['cancelUrl', 'string'],
      ['expiresAt', 'datetime'],
      ['encryption', { shape: 'Encryption' }],
      ['replayUrl', 'string', opt],
    ],
  },
  Stdout: { path: 'payload', fields: [['chunk', 'string']] },
  Log: {
    path: 'payload',
    fields: [
      ['level', { oneOf: ['debug', 'info', 'warn', 'error'] }],
      ['message', 'string'],
      ['data', 'record', opt],
    ],
  },
  ToolCall: {
    path: 'payload',
    fields: [['callId', { prefix: 'c_' }], ['toolName', 'nonEmpty'], ['args', 'unknown']],
  },
  ToolResultApplied: { path: 'payload', fields: [['callId', { prefix: 'c_' }]] },
  ErrorInfo: {
    path: 'error info',
    expect: 'error info',
    opaque: true,
    fields: [['message', 'string'], ['code', 'string', opt], ['stack', 'string', opt]],
  },
  ErrorPayload: {
    path: 'error payload',
    expect: 'error payload',
    fields: [
      ['code', 'string'],
      ['message', 'string'],
      ['path', 'strArray', opt],
      ['details', { arrayOf: { union: 'ErrorDetail' } }, opt],
    ],
  },
  Stats: {
    path: 'payload.stats',
    fields: [['durationMs', 'nonNeg'], ['toolCallCount', 'intNonNeg'], ['stdoutBytes', 'intNonNeg']],
  },
  Final: {
    path: 'payload',
    fields: [
      ['ok', 'bool'],
      ['result', 'unknown', opt],
      ['error', { shape: 'ErrorInfo' }, opt],
      ['errors', { arrayOf: 'ErrorPayload' }, opt],
      ['stats', { shape: 'Stats' }, opt],
    ],
  },
  Heartbeat: { path: 'payload', fields: [['ts', 'datetime']] },
  ErrorEvent: {
    path: 'payload',
    fields: [['message', 'string'], ['code', 'string', opt], ['recoverable', 'bool', opt]],
  },
  PartialResult: {
    path: 'payload',
    fields: [
      ['path', 'strArray'],
      ['data', 'unknown', opt],
      ['error', { shape: 'ErrorPayload' }, opt],
      ['hasNext', 'bool'],
    ],
  },
  ToolProgress: {
    path: 'payload',
    fields: [
      ['callId', { prefix: 'c_' }],
      ['phase', { oneOf: ['connecting', 'sending', 'receiving', 'processing'] }],
      ['bytesReceived', 'intNonNeg', opt],
      ['totalBytes', 'intNonNeg', opt],
      ['elapsedMs', 'nonNeg'],
    ],
  },
  DeadlineExceeded: { path: 'payload', fields: [['elapsedMs', 'nonNeg'], ['budgetMs', 'positive']] },
  CatalogChanged: {
    path: 'payload',
    fields: [['version', 'nonEmpty'], ['addedActions', 'strArray'], ['removedActions', 'strArray']],
  },
  Envelope: {
    path: 'payload',
    fields: [['kid', 'nonEmpty'], ['nonceB64', 'nonEmpty'], ['ciphertextB64', 'nonEmpty'], ['tagB64', 'string', opt]],
  },
  // Variants of ErrorDetail (each includes its discriminator key first).
  RetryInfo: { path: 'details[]', fields: [['type', 'discriminator'], ['retryDelayMs', 'nonNeg']] },
  UpstreamInfo: {
    path: 'details[]',
    fields: [['type', 'discriminator'], ['statusCode', 'safeInt'], ['url', 'string']],
  },
  ValidationInfo: {
    path: 'details[]',
    fields: [['type', 'discriminator'], ['field', 'string'], ['reason', 'string']],
  },
  QuotaInfo: { path: 'details[]', fields: [['type', 'discriminator'], ['limit', 'nonNeg'], ['used', 'nonNeg']] },
};

const unions = {
  ErrorDetail: {
    key: 'type',
    variants: [
      ['retry_info', 'RetryInfo'],
      ['upstream_info', 'UpstreamInfo'],
      ['validation_info', 'ValidationInfo'],
      ['quota_info', 'QuotaInfo'],
    ],
    invalid: 'details[]: invalid error detail', // not an object, or a variant's field broken
    unknownKey: 'details[].type: unknown detail type',
  },
};

module.exports = { eventTypes, Event, shapes, unions };
