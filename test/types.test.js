'use strict';
// The @enclave-vm/types surface: export names and kinds (reference-exports.tsv),
// constant values (reference-constants.json), schemas against the NDJSON
// vectors, and the id / guard helpers.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { z } = require('zod');

const constants = require('../lib/constants');
const schemas = require('../lib/validate/schemas');
const ids = require('../lib/ids');

const VECTORS = path.join(__dirname, 'vectors');
const EXPORTS = fs
  .readFileSync(path.join(VECTORS, 'reference-exports.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'));
const CONSTANTS = JSON.parse(fs.readFileSync(path.join(VECTORS, 'reference-constants.json'), 'utf8'));
const LINES = JSON.parse(fs.readFileSync(path.join(VECTORS, 'ndjson-lines.json'), 'utf8')).lines;

const local = { ...constants, ...schemas, ...ids };

let pkg = null;
let pkgError = null;
try {
  pkg = require('..');
} catch (err) {
  pkgError = err;
}

function kindOf(v) {
  if (v instanceof z.ZodType) return 'zod schema';
  if (typeof v === 'function') {
    return /^class[\s{]/.test(Function.prototype.toString.call(v)) ? 'class' : 'function';
  }
  if (v === null) return 'null';
  return typeof v;
}

function kindMatches(v, kind) {
  const k = kindOf(v);
  if (k === kind) return true;
  // A native-backed class may be a plain constructor function.
  return kind === 'class' && typeof v === 'function' && typeof v.prototype === 'object';
}

function expectedConstant(name) {
  const v = CONSTANTS[name];
  if (v && typeof v === 'object' && typeof v.bigint === 'string') return BigInt(v.bigint);
  return v;
}

describe('types: exports', () => {
  it('reference-exports.tsv lists 145 names', () => {
    assert.strictEqual(EXPORTS.length, 145);
  });

  it('lib/constants, lib/schemas, lib/ids export their names with the right kind', () => {
    let n = 0;
    for (const [name, kind] of EXPORTS) {
      const ours = kind === 'zod schema' || name in CONSTANTS || name in ids || /^parse(StreamEvent|EncryptedEnvelope|RuntimeChannelMessage|CreateSessionRequest|StreamEventOrEncrypted)$/.test(name);
      if (!ours) continue;
      assert.ok(name in local, `missing export ${name}`);
      assert.ok(kindMatches(local[name], kind), `${name}: expected ${kind}, got ${kindOf(local[name])}`);
      n++;
    }
    assert.ok(n >= 100, `only ${n} names checked`);
  });

  it('the package entry exports this area\'s names with the right kind', function () {
    if (pkg === null) this.skip(); // index.js not loadable yet: the modules above are checked
    for (const [name, kind] of EXPORTS) {
      if (!(name in local)) continue;
      assert.ok(name in pkg, `package lacks ${name}`);
      assert.ok(kindMatches(pkg[name], kind), `${name}: expected ${kind}, got ${kindOf(pkg[name])}`);
    }
  });

  it('the package entry exports all 145 reference names with the right kind', function () {
    if (pkg === null) this.skip();
    const missing = EXPORTS.filter(([name]) => !(name in pkg)).map(([name]) => name);
    assert.deepStrictEqual(missing, []);
    for (const [name, kind] of EXPORTS) {
      assert.ok(kindMatches(pkg[name], kind), `${name}: expected ${kind}, got ${kindOf(pkg[name])}`);
    }
  });

  it('constants equal reference-constants.json', () => {
    for (const name of Object.keys(CONSTANTS)) {
      assert.deepStrictEqual(local[name], expectedConstant(name), name);
      if (pkg !== null && name in pkg) assert.deepStrictEqual(pkg[name], expectedConstant(name), `package ${name}`);
    }
    assert.strictEqual(typeof constants.MAX_MESSAGES_PER_KEY, 'bigint');
    assert.strictEqual(constants.MAX_MESSAGES_PER_KEY, 2n ** 30n);
  });

  it('EVENT_TYPE_CODES and its reverse map', () => {
    assert.deepStrictEqual(constants.EVENT_TYPE_CODES, [
      '', 'session_init', 'stdout', 'log', 'tool_call', 'tool_result_applied', 'final', 'heartbeat', 'error', 'enc',
      'partial_result', 'tool_progress', 'deadline_exceeded', 'catalog_changed',
    ]);
    for (let i = 1; i < constants.EVENT_TYPE_CODES.length; i++) {
      assert.strictEqual(constants.EVENT_TYPE_CODE[constants.EVENT_TYPE_CODES[i]], i);
    }
    assert.strictEqual(constants.EVENT_TYPE_CODE.constructor, undefined);
    assert.deepStrictEqual(new Set(constants.EVENT_TYPE_CODES.slice(1)), new Set(Object.values(constants.EventType)));
  });
});

describe('types: schemas', () => {
  it('every ndjson-lines vector holds through parseStreamEventOrEncrypted', () => {
    let checked = 0;
    for (const c of LINES) {
      const text = c.line.trim();
      if (text === '') continue;
      let value;
      try {
        value = JSON.parse(text);
      } catch {
        continue; // the NDJSON layer's business
      }
      const r = schemas.parseStreamEventOrEncrypted(value);
      assert.strictEqual(r.success, c.ok, c.why);
      // compared as JSON text: same values and same key order (and no deep recursion)
      if (c.ok) assert.strictEqual(JSON.stringify(r.data), JSON.stringify(c.data), c.why);
      else assert.ok(c.error.startsWith('Validation error'), c.why);
      checked++;
    }
    assert.ok(checked > 300);
  });

  it('parseStreamEvent rejects an envelope, parseEncryptedEnvelope accepts it', () => {
    const env = {
      protocolVersion: 2, sessionId: 's_1', seq: 0, type: 'enc',
      payload: { kid: 'k', nonceB64: 'n', ciphertextB64: 'c' },
    };
    assert.strictEqual(schemas.parseStreamEvent(env).success, false);
    assert.strictEqual(schemas.parseEncryptedEnvelope(env).success, true);
    assert.strictEqual(schemas.parseStreamEventOrEncrypted(env).success, true);
  });

  it('runtime channel messages', () => {
    const submit = {
      protocolVersion: 2, sessionId: 's_1', type: 'tool_result_submit',
      payload: { callId: 'c_1', ok: false, error: { message: 'm', extra: 1 } },
    };
    const r = schemas.parseRuntimeChannelMessage(submit);
    assert.ok(r.success);
    assert.deepStrictEqual(r.data.payload.error, { message: 'm' });
    assert.ok(schemas.parseRuntimeChannelMessage({ protocolVersion: 1, sessionId: 's_1', type: 'cancel', payload: {} }).success);
    assert.ok(!schemas.parseRuntimeChannelMessage({ protocolVersion: 2, sessionId: 's_1', type: 'cancel' }).success);
    assert.ok(!schemas.parseRuntimeChannelMessage({ protocolVersion: 2, sessionId: 's_1', type: 'other', payload: {} }).success);
  });

  it('create-session requests, limits and tool config', () => {
    const ok = schemas.parseCreateSessionRequest({
      protocolVersion: 2,
      code: 'return 1',
      limits: { deadlineMs: 0, perToolDeadlineMs: 5, cancelOnFirstError: true, sessionTtlMs: 1 },
      encryption: { mode: 'required', clientHello: { protocolVersion: 2, clientEphemeralPubKeyB64: 'A', curve: 'P-256', supportedAlgorithms: ['AES-GCM-256'] } },
    });
    assert.ok(ok.success, ok.error && ok.error.message);
    assert.deepStrictEqual(Object.keys(ok.data.limits), ['sessionTtlMs', 'deadlineMs', 'perToolDeadlineMs', 'cancelOnFirstError']);
    assert.ok(!schemas.parseCreateSessionRequest({ protocolVersion: 2, code: '' }).success);
    assert.ok(!schemas.SessionLimitsSchema.safeParse({ perToolDeadlineMs: 0 }).success);
    assert.ok(!schemas.SessionLimitsSchema.safeParse({ deadlineMs: -1 }).success);
    assert.ok(!schemas.SessionLimitsSchema.safeParse({ maxToolCalls: 1.5 }).success);
    assert.ok(schemas.ToolConfigSchema.safeParse({ timeout: 1, retryable: true, maxRetries: 0, runtimeReadable: false }).success);
    assert.ok(!schemas.ToolConfigSchema.safeParse({ timeout: 0 }).success);
    assert.ok(!schemas.ClientHelloSchema.safeParse({ protocolVersion: 2, clientEphemeralPubKeyB64: 'A', curve: 'P-256', supportedAlgorithms: [] }).success);
    assert.ok(schemas.ServerHelloSchema.safeParse({
      protocolVersion: 2, serverEphemeralPubKeyB64: 'B', curve: 'P-256', selectedAlgorithm: 'AES-GCM-256', kdf: 'HKDF-SHA-256', keyId: 'k_1',
    }).success);
  });

  it('small schemas', () => {
    assert.ok(schemas.RefTokenSchema.safeParse({ $ref: { id: 'ref_1' } }).success);
    assert.ok(!schemas.RefTokenSchema.safeParse({ $ref: { id: 'ref_' } }).success);
    assert.ok(schemas.SessionStateSchema.safeParse('waiting_for_tool').success);
    assert.ok(!schemas.SessionStateSchema.safeParse('done').success);
    assert.ok(schemas.ToolProgressPhaseSchema.safeParse('processing').success);
    assert.ok(schemas.ProtocolVersionSchema.safeParse(1).success);
    assert.ok(!schemas.ProtocolVersionSchema.safeParse(3).success);
    assert.ok(schemas.EncryptionModeSchema.safeParse('optional').success);
    assert.ok(schemas.ErrorDetailSchema.safeParse({ type: 'upstream_info', statusCode: 502, url: 'u' }).success);
    assert.ok(!schemas.ErrorDetailSchema.safeParse({ type: 'upstream_info', statusCode: 502.5, url: 'u' }).success);
    assert.ok(!schemas.CallIdSchema.safeParse('c_').success);
    assert.ok(schemas.SessionIdSchema.safeParse('s_x').success);
  });
});

describe('types: ids and guards', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('generators', () => {
    const s = ids.generateSessionId();
    assert.ok(s.startsWith('s_') && UUID.test(s.slice(2)), s);
    assert.ok(UUID.test(ids.generateCallId().slice(2)));
    const r = ids.generateRefId();
    assert.ok(r.startsWith('ref_') && UUID.test(r.slice(4)), r);
    assert.notStrictEqual(ids.generateSessionId(), s);
  });

  it('prefix tests', () => {
    assert.strictEqual(ids.isSessionId('s_'), true); // prefix only, like the reference
    assert.strictEqual(ids.isSessionId('c_1'), false);
    assert.strictEqual(ids.isCallId('c_1'), true);
    assert.strictEqual(ids.isRefId('ref_'), true);
    assert.strictEqual(ids.isRefId('re'), false);
  });

  it('ref tokens', () => {
    assert.deepStrictEqual(ids.createRefToken('ref_1'), { $ref: { id: 'ref_1' } });
    assert.strictEqual(ids.isRefToken(ids.createRefToken('ref_1')), true);
    assert.strictEqual(ids.isRefToken({ $ref: { id: 'x' } }), false);
    assert.strictEqual(ids.isRefToken({ $ref: null }), false);
    assert.strictEqual(ids.isRefToken({ $ref: { id: 5 } }), false);
    assert.strictEqual(ids.isRefToken(null), false);
    assert.strictEqual(ids.isRefToken('ref_1'), false);
  });

  it('event type guards', () => {
    const guards = {
      session_init: 'isSessionInitEvent', stdout: 'isStdoutEvent', log: 'isLogEvent', tool_call: 'isToolCallEvent',
      tool_result_applied: 'isToolResultAppliedEvent', final: 'isFinalEvent', heartbeat: 'isHeartbeatEvent',
      error: 'isErrorEvent', partial_result: 'isPartialResultEvent', tool_progress: 'isToolProgressEvent',
      deadline_exceeded: 'isDeadlineExceededEvent', catalog_changed: 'isCatalogChangedEvent',
    };
    for (const [type, fn] of Object.entries(guards)) {
      for (const other of Object.keys(guards)) {
        assert.strictEqual(ids[fn]({ type: other }), type === other, `${fn}(${other})`);
      }
      assert.strictEqual(ids.getEventType({ type }), type);
    }
  });

  it('isEncryptedEnvelope', () => {
    const env = { type: 'enc', payload: { kid: 'k', nonceB64: 'n', ciphertextB64: 'c' } };
    assert.strictEqual(ids.isEncryptedEnvelope(env), true);
    assert.strictEqual(ids.isEncryptedEnvelope({ ...env, type: 'stdout' }), false);
    assert.strictEqual(ids.isEncryptedEnvelope({ type: 'enc', payload: { kid: 'k', nonceB64: 'n' } }), false);
    assert.strictEqual(ids.isEncryptedEnvelope({ type: 'enc', payload: null }), false);
    assert.strictEqual(ids.isEncryptedEnvelope({ type: 'enc' }), false);
    assert.strictEqual(ids.isEncryptedEnvelope(null), false);
    assert.strictEqual(ids.isEncryptedEnvelope('enc'), false);
  });
});
