// Type declarations for enclave-stream-native.
/// <reference types="node" />
import type { Transform, TransformOptions, Writable, WritableOptions } from 'node:stream';
import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { z } from 'zod';

// ---- constants -------------------------------------------------------------
export declare const PROTOCOL_VERSION: 2;
export declare const PROTOCOL_VERSION_V1: 1;
export type ProtocolVersion = 1 | 2;
export declare const SESSION_ID_PREFIX: 's_';
export declare const CALL_ID_PREFIX: 'c_';
export declare const REF_ID_PREFIX: 'ref_';
export type SessionId = `s_${string}`;
export type CallId = `c_${string}`;
export type RefId = `ref_${string}`;

export declare const EventType: {
  readonly SessionInit: 'session_init'; readonly Stdout: 'stdout'; readonly Log: 'log';
  readonly ToolCall: 'tool_call'; readonly ToolResultApplied: 'tool_result_applied'; readonly Final: 'final';
  readonly Heartbeat: 'heartbeat'; readonly Error: 'error'; readonly Encrypted: 'enc';
  readonly PartialResult: 'partial_result'; readonly ToolProgress: 'tool_progress';
  readonly DeadlineExceeded: 'deadline_exceeded'; readonly CatalogChanged: 'catalog_changed';
};
export type EventType = (typeof EventType)[keyof typeof EventType];
export declare const RuntimeChannelMessageType: { readonly ToolResultSubmit: 'tool_result_submit'; readonly Cancel: 'cancel' };
export type RuntimeChannelMessageType = (typeof RuntimeChannelMessageType)[keyof typeof RuntimeChannelMessageType];
export declare const SessionState: {
  readonly Starting: 'starting'; readonly Running: 'running'; readonly WaitingForTool: 'waiting_for_tool';
  readonly Completed: 'completed'; readonly Cancelled: 'cancelled'; readonly Failed: 'failed';
};
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
export declare const LogLevel: { readonly Debug: 'debug'; readonly Info: 'info'; readonly Warn: 'warn'; readonly Error: 'error' };
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

export interface SessionLimits {
  sessionTtlMs?: number; maxToolCalls?: number; maxStdoutBytes?: number; maxToolResultBytes?: number;
  toolTimeoutMs?: number; heartbeatIntervalMs?: number; deadlineMs?: number; perToolDeadlineMs?: number;
  cancelOnFirstError?: boolean;
}
export declare const DEFAULT_SESSION_LIMITS: Required<SessionLimits>;
export interface ToolConfig { timeout?: number; retryable?: boolean; maxRetries?: number; runtimeReadable?: boolean }

export declare const SupportedCurve: { readonly P256: 'P-256' };
export type SupportedCurve = (typeof SupportedCurve)[keyof typeof SupportedCurve];
export declare const EncryptionAlgorithm: { readonly AES_GCM_256: 'AES-GCM-256' };
export type EncryptionAlgorithm = (typeof EncryptionAlgorithm)[keyof typeof EncryptionAlgorithm];
export declare const KeyDerivation: { readonly HKDF_SHA256: 'HKDF-SHA-256' };
export type KeyDerivation = (typeof KeyDerivation)[keyof typeof KeyDerivation];
export declare const EncryptionMode: { readonly Disabled: 'disabled'; readonly Optional: 'optional'; readonly Required: 'required' };
export type EncryptionMode = (typeof EncryptionMode)[keyof typeof EncryptionMode];
export declare const HkdfInfo: { readonly ClientToServer: 'enclavejs-c2s-enc'; readonly ServerToClient: 'enclavejs-s2c-enc' };
export declare const EncryptionErrorCode: {
  readonly HandshakeFailed: 'ENCRYPTION_HANDSHAKE_FAILED'; readonly KeyDerivationFailed: 'ENCRYPTION_KEY_DERIVATION_FAILED';
  readonly DecryptionFailed: 'ENCRYPTION_DECRYPTION_FAILED'; readonly NonceReuse: 'ENCRYPTION_NONCE_REUSE';
  readonly KeyExpired: 'ENCRYPTION_KEY_EXPIRED'; readonly UnsupportedAlgorithm: 'ENCRYPTION_UNSUPPORTED_ALGORITHM';
  readonly InvalidPublicKey: 'ENCRYPTION_INVALID_PUBLIC_KEY';
  readonly SignatureVerificationFailed: 'ENCRYPTION_SIGNATURE_VERIFICATION_FAILED';
};
export type EncryptionErrorCode = (typeof EncryptionErrorCode)[keyof typeof EncryptionErrorCode];
export declare const AES_GCM_NONCE_SIZE: 12;
export declare const AES_GCM_TAG_SIZE: 16;
export declare const AES_256_KEY_SIZE: 32;
export declare const MAX_MESSAGES_PER_KEY: bigint;

export declare const FilterMode: { readonly Include: 'include'; readonly Exclude: 'exclude' };
export type FilterMode = (typeof FilterMode)[keyof typeof FilterMode];
export declare const PatternType: { readonly Exact: 'exact'; readonly Prefix: 'prefix'; readonly Regex: 'regex'; readonly Glob: 'glob' };
export type PatternType = (typeof PatternType)[keyof typeof PatternType];
export declare const DEFAULT_ALWAYS_ALLOW: EventType[];

export declare const ConnectionState: {
  readonly Disconnected: 'disconnected'; readonly Connecting: 'connecting'; readonly Connected: 'connected';
  readonly Reconnecting: 'reconnecting'; readonly Failed: 'failed'; readonly Closed: 'closed';
};
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];
export interface ReconnectionConfig {
  maxRetries: number; initialDelayMs: number; maxDelayMs: number; backoffMultiplier: number; jitter: boolean; jitterFactor: number;
}
export declare const DEFAULT_RECONNECTION_CONFIG: ReconnectionConfig;

// ---- event shapes ------------------------------------------------------------
export interface ErrorInfo { message: string; code?: string; stack?: string }
export type ErrorDetail =
  | { type: 'retry_info'; retryDelayMs: number }
  | { type: 'upstream_info'; statusCode: number; url: string }
  | { type: 'validation_info'; field: string; reason: string }
  | { type: 'quota_info'; limit: number; used: number };
export interface ErrorPayload { code: string; message: string; path?: string[]; details?: ErrorDetail[] }
export interface BaseEvent { protocolVersion: ProtocolVersion; sessionId: SessionId; seq: number }
export interface EncryptionConfig { enabled: boolean; keyId?: string }
export interface SessionInitPayload { cancelUrl: string; expiresAt: string; encryption: EncryptionConfig; replayUrl?: string }
export interface StdoutPayload { chunk: string }
export interface LogPayload { level: LogLevel; message: string; data?: Record<string, unknown> }
export interface ToolCallPayload { callId: CallId; toolName: string; args: unknown }
export interface ToolResultAppliedPayload { callId: CallId }
export interface SessionStats { durationMs: number; toolCallCount: number; stdoutBytes: number }
export interface FinalPayload { ok: boolean; result?: unknown; error?: ErrorInfo; errors?: ErrorPayload[]; stats?: SessionStats }
export interface HeartbeatPayload { ts: string }
export interface ErrorEventPayload { message: string; code?: string; recoverable?: boolean }
export interface PartialResultPayload { path: string[]; data?: unknown; error?: ErrorPayload; hasNext: boolean }
export type ToolProgressPhase = 'connecting' | 'sending' | 'receiving' | 'processing';
export interface ToolProgressPayload { callId: CallId; phase: ToolProgressPhase; bytesReceived?: number; totalBytes?: number; elapsedMs: number }
export interface DeadlineExceededPayload { elapsedMs: number; budgetMs: number }
export interface CatalogChangedPayload { version: string; addedActions: string[]; removedActions: string[] }
export interface SessionInitEvent extends BaseEvent { type: 'session_init'; payload: SessionInitPayload }
export interface StdoutEvent extends BaseEvent { type: 'stdout'; payload: StdoutPayload }
export interface LogEvent extends BaseEvent { type: 'log'; payload: LogPayload }
export interface ToolCallEvent extends BaseEvent { type: 'tool_call'; payload: ToolCallPayload }
export interface ToolResultAppliedEvent extends BaseEvent { type: 'tool_result_applied'; payload: ToolResultAppliedPayload }
export interface FinalEvent extends BaseEvent { type: 'final'; payload: FinalPayload }
export interface HeartbeatEvent extends BaseEvent { type: 'heartbeat'; payload: HeartbeatPayload }
export interface ErrorEvent extends BaseEvent { type: 'error'; payload: ErrorEventPayload }
export interface PartialResultEvent extends BaseEvent { type: 'partial_result'; payload: PartialResultPayload }
export interface ToolProgressEvent extends BaseEvent { type: 'tool_progress'; payload: ToolProgressPayload }
export interface DeadlineExceededEvent extends BaseEvent { type: 'deadline_exceeded'; payload: DeadlineExceededPayload }
export interface CatalogChangedEvent extends BaseEvent { type: 'catalog_changed'; payload: CatalogChangedPayload }
export type StreamEvent = SessionInitEvent | StdoutEvent | LogEvent | ToolCallEvent | ToolResultAppliedEvent | FinalEvent
  | HeartbeatEvent | ErrorEvent | PartialResultEvent | ToolProgressEvent | DeadlineExceededEvent | CatalogChangedEvent;
export interface EncryptedEnvelopePayload { kid: string; nonceB64: string; ciphertextB64: string; tagB64?: string }
export interface EncryptedEnvelope extends BaseEvent { type: 'enc'; payload: EncryptedEnvelopePayload }
export interface ClientHello { protocolVersion: ProtocolVersion; clientEphemeralPubKeyB64: string; curve: SupportedCurve; supportedAlgorithms: EncryptionAlgorithm[] }
export interface ServerHello {
  protocolVersion: ProtocolVersion; serverEphemeralPubKeyB64: string; curve: SupportedCurve;
  selectedAlgorithm: EncryptionAlgorithm; kdf: KeyDerivation; keyId: string; signatureB64?: string;
}
export interface EncryptionRequest { mode: EncryptionMode; clientHello?: ClientHello }
export interface ToolResultSubmitPayload { callId: CallId; ok: boolean; result?: unknown; error?: ErrorInfo }
export interface ToolResultSubmitMessage { protocolVersion: ProtocolVersion; sessionId: SessionId; type: 'tool_result_submit'; payload: ToolResultSubmitPayload }
export interface CancelPayload { reason?: string }
export interface CancelMessage { protocolVersion: ProtocolVersion; sessionId: SessionId; type: 'cancel'; payload: CancelPayload }
export type RuntimeChannelMessage = ToolResultSubmitMessage | CancelMessage;
export interface CreateSessionRequest { protocolVersion: ProtocolVersion; code: string; limits?: SessionLimits; encryption?: EncryptionRequest }
export interface RefToken { $ref: { id: RefId } }

// ---- zod schemas (zod 4) -------------------------------------------------------
export declare const ProtocolVersionSchema: z.ZodType<ProtocolVersion>;
export declare const SessionIdSchema: z.ZodString;
export declare const CallIdSchema: z.ZodString;
export declare const RefIdSchema: z.ZodString;
export declare const LogLevelSchema: z.ZodType<LogLevel>;
export declare const SessionStateSchema: z.ZodType<SessionState>;
export declare const ToolProgressPhaseSchema: z.ZodType<ToolProgressPhase>;
export declare const SupportedCurveSchema: z.ZodType<SupportedCurve>;
export declare const EncryptionAlgorithmSchema: z.ZodType<EncryptionAlgorithm>;
export declare const KeyDerivationSchema: z.ZodType<KeyDerivation>;
export declare const EncryptionModeSchema: z.ZodType<EncryptionMode>;
export declare const ErrorInfoSchema: z.ZodType<ErrorInfo>;
export declare const RefTokenSchema: z.ZodType<RefToken>;
export declare const SessionLimitsSchema: z.ZodType<SessionLimits>;
export declare const ToolConfigSchema: z.ZodType<ToolConfig>;
export declare const BaseEventSchema: z.ZodType<BaseEvent>;
export declare const EncryptionConfigSchema: z.ZodType<EncryptionConfig>;
export declare const SessionInitPayloadSchema: z.ZodType<SessionInitPayload>;
export declare const StdoutPayloadSchema: z.ZodType<StdoutPayload>;
export declare const LogPayloadSchema: z.ZodType<LogPayload>;
export declare const ToolCallPayloadSchema: z.ZodType<ToolCallPayload>;
export declare const ToolResultAppliedPayloadSchema: z.ZodType<ToolResultAppliedPayload>;
export declare const SessionStatsSchema: z.ZodType<SessionStats>;
export declare const ErrorDetailSchema: z.ZodType<ErrorDetail>;
export declare const ErrorPayloadSchema: z.ZodType<ErrorPayload>;
export declare const FinalPayloadSchema: z.ZodType<FinalPayload>;
export declare const HeartbeatPayloadSchema: z.ZodType<HeartbeatPayload>;
export declare const ErrorEventPayloadSchema: z.ZodType<ErrorEventPayload>;
export declare const PartialResultPayloadSchema: z.ZodType<PartialResultPayload>;
export declare const ToolProgressPayloadSchema: z.ZodType<ToolProgressPayload>;
export declare const DeadlineExceededPayloadSchema: z.ZodType<DeadlineExceededPayload>;
export declare const CatalogChangedPayloadSchema: z.ZodType<CatalogChangedPayload>;
export declare const SessionInitEventSchema: z.ZodType<SessionInitEvent>;
export declare const StdoutEventSchema: z.ZodType<StdoutEvent>;
export declare const LogEventSchema: z.ZodType<LogEvent>;
export declare const ToolCallEventSchema: z.ZodType<ToolCallEvent>;
export declare const ToolResultAppliedEventSchema: z.ZodType<ToolResultAppliedEvent>;
export declare const FinalEventSchema: z.ZodType<FinalEvent>;
export declare const HeartbeatEventSchema: z.ZodType<HeartbeatEvent>;
export declare const ErrorEventSchema: z.ZodType<ErrorEvent>;
export declare const PartialResultEventSchema: z.ZodType<PartialResultEvent>;
export declare const ToolProgressEventSchema: z.ZodType<ToolProgressEvent>;
export declare const DeadlineExceededEventSchema: z.ZodType<DeadlineExceededEvent>;
export declare const CatalogChangedEventSchema: z.ZodType<CatalogChangedEvent>;
export declare const StreamEventSchema: z.ZodType<StreamEvent>;
export declare const EncryptedEnvelopePayloadSchema: z.ZodType<EncryptedEnvelopePayload>;
export declare const EncryptedEnvelopeSchema: z.ZodType<EncryptedEnvelope>;
export declare const ClientHelloSchema: z.ZodType<ClientHello>;
export declare const ServerHelloSchema: z.ZodType<ServerHello>;
export declare const EncryptionRequestSchema: z.ZodType<EncryptionRequest>;
export declare const ToolResultSubmitPayloadSchema: z.ZodType<ToolResultSubmitPayload>;
export declare const ToolResultSubmitMessageSchema: z.ZodType<ToolResultSubmitMessage>;
export declare const CancelPayloadSchema: z.ZodType<CancelPayload>;
export declare const CancelMessageSchema: z.ZodType<CancelMessage>;
export declare const RuntimeChannelMessageSchema: z.ZodType<RuntimeChannelMessage>;
export declare const CreateSessionRequestSchema: z.ZodType<CreateSessionRequest>;

export declare function parseStreamEvent(data: unknown): z.ZodSafeParseResult<StreamEvent>;
export declare function parseEncryptedEnvelope(data: unknown): z.ZodSafeParseResult<EncryptedEnvelope>;
export declare function parseRuntimeChannelMessage(data: unknown): z.ZodSafeParseResult<RuntimeChannelMessage>;
export declare function parseCreateSessionRequest(data: unknown): z.ZodSafeParseResult<CreateSessionRequest>;
export declare function parseStreamEventOrEncrypted(data: unknown): z.ZodSafeParseResult<StreamEvent | EncryptedEnvelope>;

// ---- ids and guards --------------------------------------------------------------
export declare function generateSessionId(): SessionId;
export declare function generateCallId(): CallId;
export declare function generateRefId(): RefId;
export declare function isSessionId(value: string): value is SessionId;
export declare function isCallId(value: string): value is CallId;
export declare function isRefId(value: string): value is RefId;
export declare function isRefToken(value: unknown): value is RefToken;
export declare function createRefToken(id: RefId): RefToken;
export declare function getEventType(event: StreamEvent | EncryptedEnvelope): EventType;
export declare function isSessionInitEvent(event: StreamEvent | EncryptedEnvelope): event is SessionInitEvent;
export declare function isStdoutEvent(event: StreamEvent | EncryptedEnvelope): event is StdoutEvent;
export declare function isLogEvent(event: StreamEvent | EncryptedEnvelope): event is LogEvent;
export declare function isToolCallEvent(event: StreamEvent | EncryptedEnvelope): event is ToolCallEvent;
export declare function isToolResultAppliedEvent(event: StreamEvent | EncryptedEnvelope): event is ToolResultAppliedEvent;
export declare function isFinalEvent(event: StreamEvent | EncryptedEnvelope): event is FinalEvent;
export declare function isHeartbeatEvent(event: StreamEvent | EncryptedEnvelope): event is HeartbeatEvent;
export declare function isErrorEvent(event: StreamEvent | EncryptedEnvelope): event is ErrorEvent;
export declare function isPartialResultEvent(event: StreamEvent | EncryptedEnvelope): event is PartialResultEvent;
export declare function isToolProgressEvent(event: StreamEvent | EncryptedEnvelope): event is ToolProgressEvent;
export declare function isDeadlineExceededEvent(event: StreamEvent | EncryptedEnvelope): event is DeadlineExceededEvent;
export declare function isCatalogChangedEvent(event: StreamEvent | EncryptedEnvelope): event is CatalogChangedEvent;
export declare function isEncryptedEnvelope(value: unknown): value is EncryptedEnvelope;

// ---- backend ------------------------------------------------------------------------
/** Which implementation runs: the C addon or the pure-JavaScript fallback. */
export declare const backend: 'native' | 'js';

// ---- errors (lib/errors.js; every code is listed in the README's "Errors" section) -----------
/**
 * Base of every error class of the package: a string `code` and `name` = the class name; the
 * details given (line, offset, seq, ...) become properties.
 */
export declare class CodedError extends Error { code: string; constructor(message: string, code: string, details?: object) }
/** NDJSON encoding and decoding: ERR_NDJSON_* (and, in the browser codec, ERR_STREAM_WRITE_AFTER_END). */
export declare class NdjsonError extends CodedError {
  code: NdjsonErrorCodeValue;
  /** 1-based line number of the bad line (decoding errors). */
  line?: number;
  /** Byte offset of the bad line's first byte. */
  offset?: number;
  /** The trimmed line, first 100 characters + '...'. */
  content?: string;
}
/** A stream session, client side (ReconnectingStream): ERR_STREAM_*, SESSION_*, ENCRYPTION_* codes. */
export declare class StreamError extends CodedError {
  /** On ERR_STREAM_RETRIES_EXHAUSTED / ERR_STREAM_NO_PROGRESS: the code of the last failed attempt (e.g. ECONNREFUSED, ERR_STREAM_NOT_A_STREAM). */
  lastCode?: string;
}
/** The peer broke the protocol (a bad frame, a forged resume, a closed session). */
export declare class StreamProtocolError extends StreamError {}
/** A message that cannot be one NDJSON line on the transport (ERR_STREAM_ENCODE). */
export declare class WireError extends StreamError {}
/** An envelope that does not open on an encrypted session (ENCRYPTION_*, ERR_STREAM_ENVELOPE, ERR_STREAM_ORDER, ...). */
export declare class SecureError extends StreamError {}
/** A server session or a session store (StreamServer, Session, stores): ERR_SESSION_*, ERR_STORE_*, ... */
export declare class SessionError extends CodedError {}
/** The reference's crypto errors; `code` is an EncryptionErrorCode. */
export declare class EcdhError extends CodedError {}
export declare class HkdfError extends CodedError {}
export declare class AesGcmError extends CodedError {}

// ---- NDJSON: the reference API -------------------------------------------------------
export type ParseResult<T> = { success: true; data: T } | { success: false; error: string; line: string };
export type ParsedEvent = StreamEvent | EncryptedEnvelope;
export interface LineError {
  /** 1-based line number (blank lines count). */
  line: number;
  error: string;
  /** The trimmed line, first 100 characters + '...'. */
  content: string;
}
export declare function serializeEvent(event: StreamEvent | EncryptedEnvelope): string;
export declare function serializeEvents(events: ReadonlyArray<StreamEvent | EncryptedEnvelope>): string;
export declare function parseLine(line: string): ParseResult<ParsedEvent>;
export declare function parseLines(data: string): { events: ParsedEvent[]; errors: LineError[] };
export interface NdjsonStreamParserOptions {
  onEvent: (event: ParsedEvent) => void;
  /** Each bad line. Without it, feed()/flush() hand the good lines to onEvent, then throw one NdjsonError whose `.errors` lists the chunk's bad lines. */
  onError?: (error: LineError & { code?: NdjsonErrorCodeValue; offset?: number }) => void;
  /** Line cap in bytes (default 16 MiB). */
  maxLineBytes?: number;
}
export declare class NdjsonStreamParser {
  constructor(options: NdjsonStreamParserOptions);
  feed(chunk: string | Uint8Array | ArrayBuffer): void;
  flush(): void;
  reset(): void;
  getLineNumber(): number;
  hasPendingData(): boolean;
}
export interface NdjsonParseStreamOptions {
  /** Receives the lines the reference drops silently. */
  onError?: (error: LineError & { code?: NdjsonErrorCodeValue; offset?: number }) => void;
  maxLineBytes?: number;
}
export declare function createNdjsonParseStream(
  options?: NdjsonParseStreamOptions,
): TransformStream<string | Uint8Array, ParsedEvent>;
export declare function createNdjsonSerializeStream(): TransformStream<StreamEvent | EncryptedEnvelope, string>;
export declare function parseNdjsonStream(
  stream: ReadableStream<Uint8Array>,
  options?: NdjsonParseStreamOptions,
): AsyncGenerator<ParsedEvent, void, undefined>;

// ---- NDJSON: the codec -----------------------------------------------------------------
export declare const NdjsonErrorCode: {
  readonly PARSE: 'ERR_NDJSON_PARSE';
  readonly EVENT: 'ERR_NDJSON_INVALID_EVENT';
  readonly TOO_LONG: 'ERR_NDJSON_LINE_TOO_LONG';
};
/** ERR_STREAM_WRITE_AFTER_END: a write after end() on the browser build's encoder or decoder. */
export type NdjsonErrorCodeValue = (typeof NdjsonErrorCode)[keyof typeof NdjsonErrorCode] | 'ERR_NDJSON_ENCODE' | 'ERR_STREAM_WRITE_AFTER_END';

export interface InvalidLine {
  line: number;
  /** Byte offset of the line's first byte in the stream. */
  offset: number;
  error: string;
  content: string;
  code: NdjsonErrorCodeValue;
}


export declare class StreamEncoder extends Transform {
  constructor(options?: TransformOptions);
  /** One line, including its newline. */
  encode(message: unknown): string;
  /** Many lines as one string. */
  encodeBatch(messages: readonly unknown[]): string;
}

export interface StreamDecoderOptions extends WritableOptions {
  /** Line cap in bytes (default 16 MiB). */
  maxLineBytes?: number;
  /** 'event': lines must also be valid stream events (docs/PROTOCOL.md section 2). */
  validate?: 'event' | false;
}
export declare class StreamDecoder extends Writable {
  constructor(options?: StreamDecoderOptions);
  readonly lineNumber: number;
  on(event: 'message', listener: (message: any) => void): this;
  on(event: 'invalid', listener: (info: InvalidLine) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'message', listener: (message: any) => void): this;
  once(event: 'invalid', listener: (info: InvalidLine) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  [Symbol.asyncIterator](): AsyncIterableIterator<any>;
}

export interface ParseNDJSONOptions {
  validate?: 'event' | false;
  maxLineBytes?: number;
  /** When given, bad lines go here and parsing continues instead of throwing. */
  onInvalid?: (info: InvalidLine) => void;
}
export declare function parseNDJSON(input: string | Uint8Array | ArrayBuffer, options?: ParseNDJSONOptions): any[];
export declare function stringifyNDJSON(values: readonly unknown[]): string;

// ---- NDJSON: the browser build's codec (lib/browser/codec.js, in dist/browser.mjs) -----------
// In the browser build, StreamEncoder and StreamDecoder are not Node streams but event emitters that
// are also WHATWG { readable, writable } pairs (`response.body.pipeThrough(new StreamDecoder())`).
// This file types the Node build; browser code takes these types from BrowserCodec:
//   import * as esn from 'enclave-stream-native';
//   import type { BrowserCodec } from 'enclave-stream-native';
//   const { StreamDecoder } = esn as unknown as BrowserCodec;

/** What the browser encoder and decoder share: events, a WHATWG { readable, writable } pair, async iteration. */
export interface BrowserCodecPair<In, Out> {
  /** ReadableStream of the output (from the moment it is first used: values before that are not queued). */
  readonly readable: ReadableStream<Out>;
  /** WritableStream of the input; its writes wait while the readable's queue is full. */
  readonly writable: WritableStream<In>;
  readonly writableEnded: boolean;
  /** Throws an NdjsonError ERR_STREAM_WRITE_AFTER_END after end(). */
  write(chunk: In): boolean;
  end(chunk?: In): this;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  /** The output written from now on. */
  [Symbol.asyncIterator](): AsyncIterator<Out>;
}
export interface BrowserStreamEncoderOptions {
  /** Lines queued on the readable side before writes to `writable` wait (default 16). */
  highWaterMark?: number;
}
/** Objects in, NDJSON lines out: 'data' per line, `readable`, async iteration. */
export interface BrowserStreamEncoder extends BrowserCodecPair<unknown, string> {
  encode(message: unknown): string;
  encodeBatch(messages: readonly unknown[]): string;
  on(event: 'data', listener: (line: string) => void): this;
  on(event: 'end' | 'finish', listener: () => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}
export interface BrowserStreamDecoderOptions {
  /** Line cap in bytes (default 16 MiB). */
  maxLineBytes?: number;
  validate?: 'event' | false;
  /** Values queued on the readable side before writes to `writable` wait (default 1024). */
  highWaterMark?: number;
}
/** NDJSON text or bytes in, values out: 'message' per value, 'invalid' per bad line, `readable`, async iteration. */
export interface BrowserStreamDecoder extends BrowserCodecPair<string | Uint8Array | ArrayBuffer, any> {
  readonly writableFinished: boolean;
  /** 1-based number of the last line seen. */
  readonly lineNumber: number;
  on(event: 'message', listener: (message: any) => void): this;
  on(event: 'invalid', listener: (info: InvalidLine) => void): this;
  on(event: 'finish', listener: () => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}
/** The browser build's StreamEncoder and StreamDecoder constructors (see above for how to use it). */
export interface BrowserCodec {
  StreamEncoder: new (options?: BrowserStreamEncoderOptions) => BrowserStreamEncoder;
  StreamDecoder: new (options?: BrowserStreamDecoderOptions) => BrowserStreamDecoder;
}

// ---- NDJSON: routing mode ------------------------------------------------------------
export interface RoutedEvent {
  readonly type: EventType;
  readonly seq: number;
  readonly sessionId: string;
  readonly line: number;
  readonly offset: number;
  /** The line's bytes (trimmed, no newline): a view, not a copy. */
  readonly bytes: Uint8Array;
  readonly text: string;
  /** The validated event, parsed on first access (throws NdjsonError when the line is not a valid event). */
  readonly event: ParsedEvent;
  readonly payload: ParsedEvent['payload'];
  toJSON(): ParsedEvent;
}
export interface EventRouterOptions {
  maxLineBytes?: number;
  /** 'fields' (default): route after checking the routing fields only; 'event': validate fully first. */
  validate?: 'fields' | 'event';
}
export declare class EventRouter extends EventEmitter {
  constructor(options?: EventRouterOptions);
  /** Bad lines seen while no 'invalid' listener was attached. */
  readonly invalid: InvalidLine[];
  readonly lineNumber: number;
  push(chunk: string | Uint8Array | ArrayBuffer): RoutedEvent[];
  end(): RoutedEvent[];
  on(event: 'invalid', listener: (info: InvalidLine) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}
export declare function routeNDJSON(
  input: string | Uint8Array | ArrayBuffer,
  options?: EventRouterOptions & { onInvalid?: (info: InvalidLine) => void },
): RoutedEvent[];

// ---- reconnecting streams: client, server, control frames ---------------------------

export type ConnectionStateValue = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';
export type EncryptionModeValue = 'disabled' | 'optional' | 'required';

export interface StreamGap { from: number; to: number; count: number; reason: 'replay_overflow' | string }

export interface ReconnectingStreamOptions {
  /** ws:// or wss:// (WebSocket) or http:// or https:// (NDJSON GET /sessions/:id/stream?fromSeq=N + POST /sessions/:id/messages) */
  url: string;
  /** Session to open (ws: created on first connect) or to resume with `credential` (http: required). An id without the "s_" prefix gets it. */
  sessionId?: string;
  /** The resume credential of a session made by server.createSession() (session.credential); required with an http(s) url. A secret. */
  credential?: string;
  /** continue a session from another process: the object resumeState() returned there (then no sessionId/credential) */
  resume?: ResumeState;
  /** retries 5, delays 1000 ms x 2 up to 30000 ms, jitter +-30 %; maxRetries / initialDelayMs / maxDelayMs are accepted as aliases */
  reconnect?: {
    maxAttempts?: number; initialDelay?: number; maxDelay?: number; backoffMultiplier?: number; jitter?: boolean; jitterFactor?: number;
    maxRetries?: number; initialDelayMs?: number; maxDelayMs?: number;
  };
  /** true = 'required'; default 'disabled'. */
  encryption?: boolean | EncryptionModeValue;
  onMessage?: (message: any) => void;
  onReconnect?: (attempt: number, delayMs: number) => void;
  /** `why` is given when entering 'reconnecting': the reason the connection was lost or the attempt failed. */
  onStateChange?: (state: ConnectionStateValue, previousState: ConnectionStateValue, why?: { reason: string; code?: string }) => void;
  onGap?: (gap: StreamGap) => void;
  onError?: (error: Error & { code?: string }) => void;
  onFailed?: (failure: { reason: string; code: string; lastCode?: string }) => void;
  /** default: the server's interval (welcome), else 15000 */
  heartbeatIntervalMs?: number;
  /** default 2.5 x interval */
  heartbeatTimeoutMs?: number;
  connectTimeoutMs?: number;      // 10000
  maxOutboxBytes?: number;        // 4 MiB: send() waits while unacknowledged bytes exceed this
  highWaterMark?: number;         // 1 MiB: ... or while the socket's bufferedAmount exceeds this
  sendWindowBytes?: number;       // 1 MiB: bytes written and not yet acknowledged
  maxFrameBytes?: number;         // 64 KiB: lines per WebSocket frame
  maxPendingSends?: number;       // 1024: send() calls waiting for room; one more rejects ERR_STREAM_TOO_MANY_PENDING
  maxBufferedBytes?: number;      // 8 MiB: bytes the server left unread before the connection is dropped
  WebSocket?: new (url: string) => any;
}

/** What ReconnectingStream.resumeState() returns; store it like a password. */
export interface ResumeState {
  v: 1;
  sessionId: string;
  credential: string | null;
  lastSeq: number;
  acked: number;
  pending: string[];
  unsealed: string[];
  enc: { kid: string; auth: { c2s: string; s2c: string }; epochs: { ep: number; c2s: string; s2c: string }[]; answer: { ep: number; spub: string; frame: string } | null; rekeys: number } | null;
}

export declare class ReconnectingStream extends EventEmitter {
  constructor(options: ReconnectingStreamOptions);
  readonly state: ConnectionStateValue;
  /** seq of the last server event delivered (0 before the first) */
  readonly lastSeq: number;
  readonly sessionId: string | null;
  readonly encrypted: boolean;
  readonly retryCount: number;
  readonly reconnects: number;
  /** messages not yet acknowledged by the server */
  readonly pending: number;
  readonly bufferedBytes: number;
  readonly gaps: StreamGap[];
  readonly failure: { reason: string; code: string } | null;
  readonly stats: { framesIn: number; framesOut: number; dataIn: number; dataOut: number; duplicates: number; acksOut: number; unknownControl: number; slowConsumer: number; openedInBatch: number; reconnects: number; gaps: number; pending: number; rekeys: number; stalls: number };
  /** the resume credential of a plaintext session (null when encrypted: the keys prove it). A secret. */
  readonly credential: string | null;
  /** JSON-serializable state for new ReconnectingStream({ url, resume }) in another process. A secret (it holds the credential or the keys). */
  resumeState(): ResumeState;
  connect(): Promise<void>;
  send(message: unknown): Promise<void>;
  /** resolves when every message sent so far is acknowledged */
  flush(): Promise<void>;
  /** final; cancels pending retries; pending send()/flush()/connect() reject with ERR_STREAM_CLOSED */
  close(): Promise<void>;
  on(event: 'message', l: (message: any) => void): this;
  on(event: 'stateChange', l: (state: ConnectionStateValue, previousState: ConnectionStateValue, why?: { reason: string; code?: string }) => void): this;
  on(event: 'retry', l: (e: { attempt: number; delayMs: number; reason?: string; code?: string }) => void): this;
  on(event: 'retryStarted', l: (e: { attempt: number }) => void): this;
  on(event: 'connected', l: (e: { sessionId: string; resumed: boolean }) => void): this;
  on(event: 'reconnect', l: (e: { sessionId: string; lastSeq: number }) => void): this;
  on(event: 'disconnected', l: (e: { reason?: string; code?: string }) => void): this;
  on(event: 'failed', l: (e: { reason: string; code: string; lastCode?: string }) => void): this;
  on(event: 'gap', l: (gap: StreamGap) => void): this;
  on(event: 'drain' | 'close', l: () => void): this;
  on(event: 'error', l: (err: Error & { code?: string }) => void): this;
}

export interface StreamServerOptions {
  port?: number;                 // 0 = any free port
  host?: string;                 // '127.0.0.1'
  server?: HttpServer;           // attach to an existing server (listen() does not listen then)
  path?: string;                 // WebSocket path (default: any)
  encryption?: EncryptionModeValue; // 'disabled'
  maxReplayEvents?: number;      // 10000
  maxReplayBytes?: number;       // 16 MiB
  maxOutboxBytes?: number;       // 1 MiB: session.send() waits while unacknowledged bytes exceed this
  highWaterMark?: number;        // 1 MiB socket bufferedAmount bound
  sendWindowBytes?: number;      // 1 MiB
  maxFrameBytes?: number;        // 64 KiB
  heartbeatIntervalMs?: number;  // 15000
  heartbeatTimeoutMs?: number;   // 2.5 x interval
  helloTimeoutMs?: number;       // 10000
  sessionTtlMs?: number;         // 300000: a detached session is forgotten after this
  maxPayload?: number;           // 64 MiB: largest WebSocket message after the hello
  maxHelloBytes?: number;        // 64 KiB: largest WebSocket message before the hello is accepted
  maxPendingHellos?: number;     // 1000: connections without an accepted hello; one more is closed 1013
  maxPostBytes?: number;         // 16 MiB
  maxSessions?: number;          // 10000: new sessions past it are refused TOO_MANY_SESSIONS
  maxPendingSends?: number;      // 1024: session.send() calls waiting for room
  maxBufferedBytes?: number;     // 8 MiB: bytes a client left unread before it is dropped (slow consumer)
  rekeyAfterMessages?: number;   // 1000000: encrypted sessions move to fresh keys after this many messages
  rekeyAfterMs?: number;         // 3600000: ... or this long
  httpRoutes?: boolean;          // default: true when the server owns its http.Server
  store?: SessionStore;          // share sessions with the other servers given the same store
}

/** The server's option defaults. */
export declare const SERVER_DEFAULTS: Readonly<Required<Omit<StreamServerOptions, 'server' | 'path' | 'heartbeatTimeoutMs' | 'httpRoutes' | 'store'>>> &
  Readonly<Pick<StreamServerOptions, 'path' | 'heartbeatTimeoutMs' | 'httpRoutes' | 'store'>>;

export declare class Session extends EventEmitter {
  readonly id: string;
  /** true when this server took the session over from its store (another server held it before) */
  readonly resumed: boolean;
  readonly encrypted: boolean;
  readonly connected: boolean;
  /** seq of the last event queued by send() */
  readonly lastSeq: number;
  readonly lastClientSeq: number;
  readonly bufferedBytes: number;
  readonly stats: { framesIn: number; framesOut: number; dataIn: number; dataOut: number; duplicates: number; acksOut: number; unknownControl: number; slowConsumer: number; openedInBatch: number; held: number; heldBytes: number; gaps: number; rekeys: number; redelivered: number };
  /** the resume credential of a session made by server.createSession(), for the app to hand to its client (x-esn-credential) */
  credential: string | undefined;
  /** fills protocolVersion (2 unless given), sessionId and seq; resolves when within bounds */
  send(event: { type: string; payload?: unknown; protocolVersion?: 1 | 2; [k: string]: unknown }): Promise<void>;
  close(err?: Error): void;
  /** info.redelivered: after a takeover, a message the previous server may already have handed to its app */
  on(event: 'message', l: (message: any, info?: { seq: number; redelivered: true }) => void): this;
  on(event: 'connect', l: (kind: 'ws' | 'http') => void): this;
  on(event: 'disconnect', l: (reason: string) => void): this;
  on(event: 'gap', l: (gap: StreamGap) => void): this;
  on(event: 'drain', l: () => void): this;
  on(event: 'close', l: (err?: Error) => void): this;
  on(event: 'error', l: (err: Error & { code?: string }) => void): this;
}

/**
 * Where StreamServers keep their sessions (docs/PROTOCOL.md §10): every server given the same store
 * serves every session in it, one owner at a time. MemorySessionStore lives in this process.
 */
export declare class MemorySessionStore {
  /** maxInboxEvents: published events that may wait per session (10,000; then ERR_STORE_INBOX_FULL) */
  constructor(options?: { maxInboxEvents?: number });
  /** true for the store of a server given none: its sessions stay in the server's memory; not shareable */
  readonly embedded: boolean;
  close(): Promise<void>;
}
/**
 * A SessionStore on Redis (ioredis, an optional peer dependency): servers in several processes serve the same
 * sessions. encryptionKey (32 bytes, Buffer or base64) encrypts session keys and queued events at rest; every
 * server of a fleet gets the same one. Records expire after ttlMs (1 day) without a write.
 */
export declare class RedisSessionStore {
  constructor(options: { url?: string; client?: unknown; keyPrefix?: string; encryptionKey: Uint8Array | string; ttlMs?: number; maxInboxEvents?: number });
  close(): Promise<void>;
}
export type SessionStore = MemorySessionStore | RedisSessionStore;

export declare class StreamServer extends EventEmitter {
  constructor(options?: StreamServerOptions);
  readonly sessions: Map<string, Session>;
  /** options.store, or an embedded MemorySessionStore of this server's own */
  readonly store: SessionStore;
  listen(): Promise<{ address: string; family: string; port: number; url: string; httpUrl: string }>;
  address(): { address: string; family: string; port: number; url: string; httpUrl: string } | null;
  getSession(id: string): Session | undefined;
  /** a plaintext session created before any client (for HTTP consumers) */
  createSession(id?: string): Session;
  /** sends to a session wherever its client is connected (through the store when another server holds it); resolves once stored */
  publish(sessionId: string, event: { type: string; payload?: unknown; [k: string]: unknown }): Promise<void>;
  close(): Promise<void>;
  on(event: 'session' | 'resume', l: (session: Session) => void): this;
  on(event: 'close', l: () => void): this;
}

export declare const CONTROL_VERSION: 2;
export declare const CONTROL_KEY: '$esn';
export declare const ControlType: Readonly<{ Challenge: 'challenge'; Hello: 'hello'; Welcome: 'welcome'; Reject: 'reject'; Batch: 'b'; Ack: 'ack'; Gap: 'gap'; Rekey: 'rekey'; Rekeyed: 'rekeyed'; Ping: 'ping'; Pong: 'pong' }>;
export declare const RejectCode: Readonly<{
  SessionUnknown: 'SESSION_UNKNOWN'; SessionExists: 'SESSION_EXISTS'; SessionClosed: 'SESSION_CLOSED'; SessionAuthFailed: 'SESSION_AUTH_FAILED'; ResumeOutOfRange: 'RESUME_OUT_OF_RANGE';
  TooManySessions: 'TOO_MANY_SESSIONS'; UnsupportedVersion: 'UNSUPPORTED_VERSION'; EncryptionRequired: 'ENCRYPTION_REQUIRED'; EncryptionDisabled: 'ENCRYPTION_DISABLED';
  HandshakeFailed: 'ENCRYPTION_HANDSHAKE_FAILED'; BadHello: 'BAD_HELLO'; BadRequest: 'BAD_REQUEST'; ServerClosing: 'SERVER_CLOSING';
}>;
export declare const GapReason: Readonly<{ ReplayOverflow: 'replay_overflow' }>;

// ---- end-to-end encryption -----------------------------------------------------------
export type SupportedCurveValue = 'P-256';
export interface EcdhKeyPair { publicKey: CryptoKey; privateKey: CryptoKey }
export interface SerializedPublicKey { publicKeyB64: string; curve: SupportedCurveValue }
export interface SessionKeyInfo { keyId: string; algorithm: 'AES-GCM-256'; keyBytes?: Uint8Array; nonceCounter: bigint; maxNonces: bigint; createdAt: number; expiresAt?: number }


export declare function generateKeyPair(curve?: SupportedCurveValue): Promise<EcdhKeyPair>;
export declare function exportPublicKey(publicKey: CryptoKey | Uint8Array): Promise<SerializedPublicKey>;
export declare function importPublicKey(publicKeyB64: string, curve?: SupportedCurveValue): Promise<CryptoKey>;
/** CryptoKeys (reference), or raw keys: 32-byte private scalar + 65-byte point / its base64 (native path). */
export declare function deriveSharedSecret(privateKey: CryptoKey | Uint8Array, peerPublicKey: CryptoKey | Uint8Array | string): Promise<Uint8Array>;
export declare function createClientHello(keyPair: { publicKey: CryptoKey | Uint8Array }): Promise<ClientHello>;
export declare function createServerHello(keyPair: { publicKey: CryptoKey | Uint8Array }, keyId: string): Promise<ServerHello>;
export declare function processClientHello(clientHello: ClientHello): Promise<{ serverKeyPair: EcdhKeyPair; peerPublicKey: CryptoKey; serverHello: ServerHello; keyId: string }>;
export declare function processServerHello(serverHello: ServerHello): Promise<{ peerPublicKey: CryptoKey; keyId: string }>;

export declare function deriveKey(sharedSecret: Uint8Array, salt: Uint8Array | null, info: string, keyLength?: number): Promise<Uint8Array>;
export declare function deriveSessionKeys(sharedSecret: Uint8Array, sessionId: string): Promise<{ clientToServerKey: Uint8Array; serverToClientKey: Uint8Array }>;
export declare function importAesGcmKey(keyBytes: Uint8Array): Promise<CryptoKey>;
export declare function deriveSessionCryptoKeys(sharedSecret: Uint8Array, sessionId: string): Promise<{ clientToServerKey: CryptoKey; serverToClientKey: CryptoKey }>;

export declare function generateNonce(): Uint8Array;
export declare function generateCounterNonce(prefix: Uint8Array, counter: bigint): Uint8Array;
export declare function toBase64(bytes: Uint8Array): string;
export declare function fromBase64(base64: string): Uint8Array;
/** Reference form: AES-256-GCM, returns ciphertext || 16-byte tag. Keys: CryptoKey or 32 raw bytes. */
export declare function encrypt(key: CryptoKey | Uint8Array, plaintext: Uint8Array, nonce: Uint8Array, additionalData?: Uint8Array): Promise<Uint8Array>;
/** README form: key = HKDF-SHA256(secret, 32 zero bytes, "enclave-stream-native/encrypt/v1"), random nonce. */
export declare function encrypt(secret: Uint8Array, text: string): Promise<{ nonceB64: string; ciphertextB64: string }>;
export declare function decrypt(key: CryptoKey | Uint8Array, ciphertext: Uint8Array, nonce: Uint8Array, additionalData?: Uint8Array): Promise<Uint8Array>;
export declare function decrypt(secret: Uint8Array, encrypted: { nonceB64: string; ciphertextB64: string } | string): Promise<string>;
export declare function encryptJson(key: CryptoKey | Uint8Array, keyId: string, data: unknown, nonce?: Uint8Array): Promise<EncryptedEnvelopePayload>;
export declare function decryptJson<T = unknown>(key: CryptoKey | Uint8Array, payload: EncryptedEnvelopePayload): Promise<T>;
export declare function createEncryptedEnvelope(key: CryptoKey | Uint8Array, keyId: string, sessionId: string, seq: number, innerEvent: unknown, nonce?: Uint8Array): Promise<EncryptedEnvelope>;

export declare class SessionEncryptionContext {
  constructor(key: CryptoKey, keyInfo: SessionKeyInfo);
  readonly keyId: string;
  needsRotation(): boolean;
  encrypt(plaintext: Uint8Array): Promise<{ ciphertext: Uint8Array; nonce: Uint8Array }>;
  encryptJson(data: unknown): Promise<EncryptedEnvelopePayload>;
  createEnvelope(sessionId: string, seq: number, innerEvent: unknown): Promise<EncryptedEnvelope>;
  decrypt(payload: EncryptedEnvelopePayload): Promise<Uint8Array>;
  decryptJson<T = unknown>(payload: EncryptedEnvelopePayload): Promise<T>;
  getNonceCounter(): bigint;
  toKeyInfo(): SessionKeyInfo;
  static fromKeyBytes(keyBytes: Uint8Array, keyId: string): Promise<SessionEncryptionContext>;
}

// ---- synchronous fast API ----
export interface RawKeyPair { privateKey: Uint8Array; publicKey: Uint8Array; publicKeyB64: string }
export declare function generateKeyPairSync(): RawKeyPair;
export declare function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array;
export declare function deriveSharedSecretSync(privateKey: Uint8Array, peerPublicKey: Uint8Array | string): Uint8Array;
export declare function deriveSessionKeysSync(sharedSecret: Uint8Array, sessionId: string | null): { clientToServerKey: Uint8Array; serverToClientKey: Uint8Array };

export interface EnvelopeCipherOptions {
  key: Uint8Array;            // 32 bytes
  sessionId: string;          // "s_…"
  kid: string;                // (or keyId)
  keyId?: string;
  nonceCounter?: number | bigint; // 0
  maxNonces?: number | bigint;    // 2^30 (capped at 2^32)
  noncePrefix?: Uint8Array;       // 8 bytes, random by default
}
export interface OpenedLine { seq: number; counter: number; text: string }
export interface EnvelopeCipher {
  readonly sessionId: string;
  readonly kid: string;
  readonly maxNonces: number;
  readonly nonceCounter: number;
  readonly noncePrefix: Uint8Array;
  /** seq and nonce counter of the last line opened (-1 if unknown) */
  readonly lastSeq: number;
  readonly lastCounter: number;
  needsRotation(): boolean;
  seal(event: unknown, seq?: number): string;
  sealText(seq: number, json: string, nonce?: Uint8Array): string;
  sealBytes(seq: number, json: Uint8Array, nonce?: Uint8Array): string;
  /** lines, each ending in '\n' */
  sealBatch(events: unknown[], seqs?: number[]): string;
  sealTextBatch(texts: string[], seqs: number[]): string;
  /** Like sealBatch, as one Buffer of its own; line i ends at lastEnds[i] (after its newline). */
  sealBatchBuffer(events: unknown[], seqs?: number[]): Buffer;
  /** End offsets of the lines of the last sealBatchBuffer (valid until the next call). */
  readonly lastEnds: Uint32Array;
  open<T = any>(line: string | Uint8Array): T;
  openText(line: string | Uint8Array): string;
  /** throws the first failing line's error with .index and .events (those before) */
  openBatch<T = any>(data: string | Uint8Array): T[];
  openTextBatch(data: string | Uint8Array): Array<OpenedLine | { seq?: number; error: AesGcmError }>;
  dispose(): void;
}
export declare function createEnvelopeCipher(options: EnvelopeCipherOptions): EnvelopeCipher;

export interface EncryptedChannelOptions {
  role: 'client' | 'server';
  onMessage?: (message: any) => void;
  /** replays (code ENCRYPTION_NONCE_REUSE, .replay = true), auth failures (ENCRYPTION_DECRYPTION_FAILED), bad frames */
  onError?: (err: (AesGcmError | EcdhError) & { seq?: number; replay?: boolean }) => void;
  /** client: the server's public key (base64 raw point or bytes); without it the server hello supplies it */
  remotePublicKey?: string | Uint8Array;
  /** client: default random "s_…"; the server takes the client's */
  sessionId?: string;
  keyId?: string;
  /** hands an outgoing frame (one or more lines, each ending in '\n') to the transport */
  send?: (frame: string) => void;
  keyPair?: RawKeyPair;
  maxNonces?: number;
}
export interface EncryptedChannel {
  readonly role: 'client' | 'server';
  readonly ready: boolean;
  sessionId: string | null;
  keyId: string | null;
  readonly stats: { sent: number; delivered: number; replays: number; authFailures: number; malformed: number };
  getPublicKey(): string;
  /** resolves to the frame handed to `send` */
  send(message: unknown): Promise<string>;
  /** any chunk of received frames (partial lines are kept) */
  receive(data: string | Uint8Array): void;
  /**
   * Resolves once every frame given to receive() so far has been handled: at once in
   * Node; in browsers (crypto.subtle is asynchronous) after the pending decryption.
   */
  settled(): Promise<void>;
  close(): void;
}
export declare function createEncryptedChannel(options: EncryptedChannelOptions): Promise<EncryptedChannel>;

// ---- reconnection helpers (the reference's) -------------------------------------------
export type ReconnectionEvent =
  | { type: 'state_change'; state: ConnectionState; previousState: ConnectionState }
  | { type: 'retry_scheduled'; attempt: number; delayMs: number }
  | { type: 'retry_started'; attempt: number }
  | { type: 'connected' }
  | { type: 'disconnected'; reason?: string }
  | { type: 'failed'; reason: string };
export declare class ReconnectionStateMachine {
  constructor(options: { config?: Partial<ReconnectionConfig>; onEvent: (event: ReconnectionEvent) => void });
  readonly config: ReconnectionConfig;
  getState(): ConnectionState;
  getRetryCount(): number;
  connect(): void;
  onConnected(): void;
  onDisconnected(reason?: string): void;
  onFatalError(reason: string): void;
  close(): void;
  reset(): void;
  canReconnect(): boolean;
}
export declare class SequenceTracker {
  constructor(maxGaps?: number);
  receive(seq: number): { gap: boolean; missingStart?: number; missingEnd?: number };
  getLastSeq(): number;
  getGaps(): Array<{ start: number; end: number }>;
  clearGap(start: number, end: number): void;
  hasGaps(): boolean;
  reset(): void;
}
export declare class EventBuffer<T = StreamEvent | EncryptedEnvelope> {
  constructor(maxSize?: number);
  add(event: T): boolean;
  getAll(): T[];
  drain(): T[];
  size(): number;
  isFull(): boolean;
  clear(): void;
}
export declare class HeartbeatMonitor {
  constructor(options: { timeoutMs: number; onTimeout: () => void });
  start(): void;
  stop(): void;
  reset(): void;
  onHeartbeat(): void;
  getTimeSinceLastHeartbeat(): number;
}
