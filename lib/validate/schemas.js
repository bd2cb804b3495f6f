'use strict';
// zod 4 schemas of the EnclaveJS protocol (@enclave-vm/types 2.15.2), built to
// the rules of docs/PROTOCOL.md section 2. z.object() strips unknown keys; its output
// lists keys in the order of the shape below (the hand-written validator in
// lib/validate/index.js relies on that order, keep them in sync).
const { z } = require('zod');
const C = require('../constants');

const { EventType: ET } = C;

// -- base ---------------------------------------------------------------------
const ProtocolVersionSchema = z.union([z.literal(C.PROTOCOL_VERSION), z.literal(C.PROTOCOL_VERSION_V1)]);

function prefixedId(prefix) {
  return z.string().startsWith(prefix).min(prefix.length + 1);
}
const SessionIdSchema = prefixedId(C.SESSION_ID_PREFIX);
const CallIdSchema = prefixedId(C.CALL_ID_PREFIX);
const RefIdSchema = prefixedId(C.REF_ID_PREFIX);

const LogLevelSchema = z.enum(Object.values(C.LogLevel));
const SessionStateSchema = z.enum(Object.values(C.SessionState));

const ErrorInfoSchema = z.object({
  message: z.string(),
  code: z.string().optional(),
  stack: z.string().optional(),
});

const RefTokenSchema = z.object({ $ref: z.object({ id: RefIdSchema }) });

const positiveInt = () => z.number().int().positive();
const nonNegInt = () => z.number().int().nonnegative();
const nonNeg = () => z.number().nonnegative();

const SessionLimitsSchema = z.object({
  sessionTtlMs: positiveInt().optional(),
  maxToolCalls: positiveInt().optional(),
  maxStdoutBytes: positiveInt().optional(),
  maxToolResultBytes: positiveInt().optional(),
  toolTimeoutMs: positiveInt().optional(),
  heartbeatIntervalMs: positiveInt().optional(),
  deadlineMs: nonNegInt().optional(),
  perToolDeadlineMs: positiveInt().optional(),
  cancelOnFirstError: z.boolean().optional(),
});

const ToolConfigSchema = z.object({
  timeout: positiveInt().optional(),
  retryable: z.boolean().optional(),
  maxRetries: nonNegInt().optional(),
  runtimeReadable: z.boolean().optional(),
});

const BaseEventSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  sessionId: SessionIdSchema,
  seq: nonNegInt(),
});

// -- payloads -----------------------------------------------------------------
const EncryptionConfigSchema = z.object({
  enabled: z.boolean(),
  keyId: z.string().optional(),
});

const SessionInitPayloadSchema = z.object({
  cancelUrl: z.string(),
  expiresAt: z.string().datetime(),
  encryption: EncryptionConfigSchema,
  replayUrl: z.string().optional(),
});

const StdoutPayloadSchema = z.object({ chunk: z.string() });

const LogPayloadSchema = z.object({
  level: LogLevelSchema,
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

const ToolCallPayloadSchema = z.object({
  callId: CallIdSchema,
  toolName: z.string().min(1),
  args: z.unknown(),
});

const ToolResultAppliedPayloadSchema = z.object({ callId: CallIdSchema });

const SessionStatsSchema = z.object({
  durationMs: nonNeg(),
  toolCallCount: nonNegInt(),
  stdoutBytes: nonNegInt(),
});

const ErrorDetailSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('retry_info'), retryDelayMs: nonNeg() }),
  z.object({ type: z.literal('upstream_info'), statusCode: z.number().int(), url: z.string() }),
  z.object({ type: z.literal('validation_info'), field: z.string(), reason: z.string() }),
  z.object({ type: z.literal('quota_info'), limit: nonNeg(), used: nonNeg() }),
]);

const ErrorPayloadSchema = z.object({
  code: z.string(),
  message: z.string(),
  path: z.array(z.string()).optional(),
  details: z.array(ErrorDetailSchema).optional(),
});

const FinalPayloadSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: ErrorInfoSchema.optional(),
  errors: z.array(ErrorPayloadSchema).optional(),
  stats: SessionStatsSchema.optional(),
});

const HeartbeatPayloadSchema = z.object({ ts: z.string().datetime() });

const ErrorEventPayloadSchema = z.object({
  message: z.string(),
  code: z.string().optional(),
  recoverable: z.boolean().optional(),
});

const PartialResultPayloadSchema = z.object({
  path: z.array(z.string()),
  data: z.unknown().optional(),
  error: ErrorPayloadSchema.optional(),
  hasNext: z.boolean(),
});

const ToolProgressPhaseSchema = z.enum(['connecting', 'sending', 'receiving', 'processing']);

const ToolProgressPayloadSchema = z.object({
  callId: CallIdSchema,
  phase: ToolProgressPhaseSchema,
  bytesReceived: nonNegInt().optional(),
  totalBytes: nonNegInt().optional(),
  elapsedMs: nonNeg(),
});

const DeadlineExceededPayloadSchema = z.object({
  elapsedMs: nonNeg(),
  budgetMs: z.number().positive(),
});

const CatalogChangedPayloadSchema = z.object({
  version: z.string().min(1),
  addedActions: z.array(z.string()),
  removedActions: z.array(z.string()),
});

// -- events -------------------------------------------------------------------
function eventSchema(type, payload) {
  return BaseEventSchema.extend({ type: z.literal(type), payload });
}
const SessionInitEventSchema = eventSchema(ET.SessionInit, SessionInitPayloadSchema);
const StdoutEventSchema = eventSchema(ET.Stdout, StdoutPayloadSchema);
const LogEventSchema = eventSchema(ET.Log, LogPayloadSchema);
const ToolCallEventSchema = eventSchema(ET.ToolCall, ToolCallPayloadSchema);
const ToolResultAppliedEventSchema = eventSchema(ET.ToolResultApplied, ToolResultAppliedPayloadSchema);
const FinalEventSchema = eventSchema(ET.Final, FinalPayloadSchema);
const HeartbeatEventSchema = eventSchema(ET.Heartbeat, HeartbeatPayloadSchema);
const ErrorEventSchema = eventSchema(ET.Error, ErrorEventPayloadSchema);
const PartialResultEventSchema = eventSchema(ET.PartialResult, PartialResultPayloadSchema);
const ToolProgressEventSchema = eventSchema(ET.ToolProgress, ToolProgressPayloadSchema);
const DeadlineExceededEventSchema = eventSchema(ET.DeadlineExceeded, DeadlineExceededPayloadSchema);
const CatalogChangedEventSchema = eventSchema(ET.CatalogChanged, CatalogChangedPayloadSchema);

const StreamEventSchema = z.discriminatedUnion('type', [
  SessionInitEventSchema,
  StdoutEventSchema,
  LogEventSchema,
  ToolCallEventSchema,
  ToolResultAppliedEventSchema,
  FinalEventSchema,
  HeartbeatEventSchema,
  ErrorEventSchema,
  PartialResultEventSchema,
  ToolProgressEventSchema,
  DeadlineExceededEventSchema,
  CatalogChangedEventSchema,
]);

// -- encryption ---------------------------------------------------------------
const SupportedCurveSchema = z.enum([C.SupportedCurve.P256]);
const EncryptionAlgorithmSchema = z.enum([C.EncryptionAlgorithm.AES_GCM_256]);
const KeyDerivationSchema = z.enum([C.KeyDerivation.HKDF_SHA256]);
const EncryptionModeSchema = z.enum(Object.values(C.EncryptionMode));

const EncryptedEnvelopePayloadSchema = z.object({
  kid: z.string().min(1),
  nonceB64: z.string().min(1),
  ciphertextB64: z.string().min(1),
  tagB64: z.string().optional(),
});

const EncryptedEnvelopeSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  sessionId: SessionIdSchema,
  seq: nonNegInt(),
  type: z.literal(ET.Encrypted),
  payload: EncryptedEnvelopePayloadSchema,
});

const ClientHelloSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  clientEphemeralPubKeyB64: z.string().min(1),
  curve: SupportedCurveSchema,
  supportedAlgorithms: z.array(EncryptionAlgorithmSchema).min(1),
});

const ServerHelloSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  serverEphemeralPubKeyB64: z.string().min(1),
  curve: SupportedCurveSchema,
  selectedAlgorithm: EncryptionAlgorithmSchema,
  kdf: KeyDerivationSchema,
  keyId: z.string().min(1),
  signatureB64: z.string().optional(),
});

const EncryptionRequestSchema = z.object({
  mode: EncryptionModeSchema,
  clientHello: ClientHelloSchema.optional(),
});

// -- runtime channel (client -> server, no seq) -----------------------------
const ToolResultSubmitPayloadSchema = z.object({
  callId: CallIdSchema,
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: ErrorInfoSchema.optional(),
});

const ToolResultSubmitMessageSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  sessionId: SessionIdSchema,
  type: z.literal(C.RuntimeChannelMessageType.ToolResultSubmit),
  payload: ToolResultSubmitPayloadSchema,
});

const CancelPayloadSchema = z.object({ reason: z.string().optional() });

const CancelMessageSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  sessionId: SessionIdSchema,
  type: z.literal(C.RuntimeChannelMessageType.Cancel),
  payload: CancelPayloadSchema,
});

const RuntimeChannelMessageSchema = z.discriminatedUnion('type', [ToolResultSubmitMessageSchema, CancelMessageSchema]);

const CreateSessionRequestSchema = z.object({
  protocolVersion: ProtocolVersionSchema,
  code: z.string().min(1),
  limits: SessionLimitsSchema.optional(),
  encryption: EncryptionRequestSchema.optional(),
});

// -- helpers (zod safeParse results) -------------------------------------------
function parseStreamEvent(data) {
  return StreamEventSchema.safeParse(data);
}
function parseEncryptedEnvelope(data) {
  return EncryptedEnvelopeSchema.safeParse(data);
}
function parseRuntimeChannelMessage(data) {
  return RuntimeChannelMessageSchema.safeParse(data);
}
function parseCreateSessionRequest(data) {
  return CreateSessionRequestSchema.safeParse(data);
}
// The envelope schema when `type` is 'enc' (an `in` test, like the reference),
// else the stream event union.
function parseStreamEventOrEncrypted(data) {
  if (typeof data === 'object' && data !== null && 'type' in data && data.type === ET.Encrypted) {
    return EncryptedEnvelopeSchema.safeParse(data);
  }
  return StreamEventSchema.safeParse(data);
}

module.exports = {
  ProtocolVersionSchema,
  SessionIdSchema,
  CallIdSchema,
  RefIdSchema,
  LogLevelSchema,
  SessionStateSchema,
  ErrorInfoSchema,
  RefTokenSchema,
  SessionLimitsSchema,
  ToolConfigSchema,
  BaseEventSchema,
  EncryptionConfigSchema,
  SessionInitPayloadSchema,
  StdoutPayloadSchema,
  LogPayloadSchema,
  ToolCallPayloadSchema,
  ToolResultAppliedPayloadSchema,
  SessionStatsSchema,
  ErrorDetailSchema,
  ErrorPayloadSchema,
  FinalPayloadSchema,
  HeartbeatPayloadSchema,
  ErrorEventPayloadSchema,
  PartialResultPayloadSchema,
  ToolProgressPhaseSchema,
  ToolProgressPayloadSchema,
  DeadlineExceededPayloadSchema,
  CatalogChangedPayloadSchema,
  SessionInitEventSchema,
  StdoutEventSchema,
  LogEventSchema,
  ToolCallEventSchema,
  ToolResultAppliedEventSchema,
  FinalEventSchema,
  HeartbeatEventSchema,
  ErrorEventSchema,
  PartialResultEventSchema,
  ToolProgressEventSchema,
  DeadlineExceededEventSchema,
  CatalogChangedEventSchema,
  StreamEventSchema,
  SupportedCurveSchema,
  EncryptionAlgorithmSchema,
  KeyDerivationSchema,
  EncryptionModeSchema,
  EncryptedEnvelopePayloadSchema,
  EncryptedEnvelopeSchema,
  ClientHelloSchema,
  ServerHelloSchema,
  EncryptionRequestSchema,
  ToolResultSubmitPayloadSchema,
  ToolResultSubmitMessageSchema,
  CancelPayloadSchema,
  CancelMessageSchema,
  RuntimeChannelMessageSchema,
  CreateSessionRequestSchema,
  parseStreamEvent,
  parseEncryptedEnvelope,
  parseRuntimeChannelMessage,
  parseCreateSessionRequest,
  parseStreamEventOrEncrypted,
};
