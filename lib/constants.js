'use strict';
// Protocol constants of @enclave-vm/types / @enclave-vm/stream 2.15.2.
// The reference declares these as `as const` plain objects (not frozen at run
// time); we do the same so code that inspects or spreads them behaves alike.

const PROTOCOL_VERSION = 2;
const PROTOCOL_VERSION_V1 = 1;

const SESSION_ID_PREFIX = 's_';
const CALL_ID_PREFIX = 'c_';
const REF_ID_PREFIX = 'ref_';

const EventType = {
  SessionInit: 'session_init',
  Stdout: 'stdout',
  Log: 'log',
  ToolCall: 'tool_call',
  ToolResultApplied: 'tool_result_applied',
  Final: 'final',
  Heartbeat: 'heartbeat',
  Error: 'error',
  Encrypted: 'enc',
  PartialResult: 'partial_result',
  ToolProgress: 'tool_progress',
  DeadlineExceeded: 'deadline_exceeded',
  CatalogChanged: 'catalog_changed',
};

const RuntimeChannelMessageType = {
  ToolResultSubmit: 'tool_result_submit',
  Cancel: 'cancel',
};

const SessionState = {
  Starting: 'starting',
  Running: 'running',
  WaitingForTool: 'waiting_for_tool',
  Completed: 'completed',
  Cancelled: 'cancelled',
  Failed: 'failed',
};

const LogLevel = {
  Debug: 'debug',
  Info: 'info',
  Warn: 'warn',
  Error: 'error',
};

const DEFAULT_SESSION_LIMITS = {
  sessionTtlMs: 60000,
  maxToolCalls: 50,
  maxStdoutBytes: 262144,
  maxToolResultBytes: 5242880,
  toolTimeoutMs: 30000,
  heartbeatIntervalMs: 15000,
  deadlineMs: 0,
  perToolDeadlineMs: 30000,
  cancelOnFirstError: false,
};

// Encryption
const SupportedCurve = { P256: 'P-256' };
const EncryptionAlgorithm = { AES_GCM_256: 'AES-GCM-256' };
const KeyDerivation = { HKDF_SHA256: 'HKDF-SHA-256' };
const EncryptionMode = {
  Disabled: 'disabled',
  Optional: 'optional',
  Required: 'required',
};
const HkdfInfo = {
  ClientToServer: 'enclavejs-c2s-enc',
  ServerToClient: 'enclavejs-s2c-enc',
};
const EncryptionErrorCode = {
  HandshakeFailed: 'ENCRYPTION_HANDSHAKE_FAILED',
  KeyDerivationFailed: 'ENCRYPTION_KEY_DERIVATION_FAILED',
  DecryptionFailed: 'ENCRYPTION_DECRYPTION_FAILED',
  NonceReuse: 'ENCRYPTION_NONCE_REUSE',
  KeyExpired: 'ENCRYPTION_KEY_EXPIRED',
  UnsupportedAlgorithm: 'ENCRYPTION_UNSUPPORTED_ALGORITHM',
  InvalidPublicKey: 'ENCRYPTION_INVALID_PUBLIC_KEY',
  SignatureVerificationFailed: 'ENCRYPTION_SIGNATURE_VERIFICATION_FAILED',
};
const AES_GCM_NONCE_SIZE = 12;
const AES_GCM_TAG_SIZE = 16;
const AES_256_KEY_SIZE = 32;
// 2^30 messages per key (a BigInt, as in the reference).
const MAX_MESSAGES_PER_KEY = BigInt(1073741824);

// Event filtering
const FilterMode = { Include: 'include', Exclude: 'exclude' };
const PatternType = {
  Exact: 'exact',
  Prefix: 'prefix',
  Regex: 'regex',
  Glob: 'glob',
};
const DEFAULT_ALWAYS_ALLOW = [EventType.SessionInit, EventType.Final];

// Reconnection (the classes live in lib/reconnect*; they import these).
const ConnectionState = {
  Disconnected: 'disconnected',
  Connecting: 'connecting',
  Connected: 'connected',
  Reconnecting: 'reconnecting',
  Failed: 'failed',
  Closed: 'closed',
};
const DEFAULT_RECONNECTION_CONFIG = {
  maxRetries: 5,
  initialDelayMs: 1000,
  maxDelayMs: 30000,
  backoffMultiplier: 2,
  jitter: true,
  jitterFactor: 0.3,
};

// Numeric event type codes shared with the C core (index -> name, 0 = none;
// name -> code): generated from csrc/contracts/events.js into lib/contracts.js.
// Not part of the reference API.
const { EVENT_TYPE_CODES, EVENT_TYPE_CODE } = require('./contracts');

module.exports = {
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_V1,
  SESSION_ID_PREFIX,
  CALL_ID_PREFIX,
  REF_ID_PREFIX,
  EventType,
  RuntimeChannelMessageType,
  SessionState,
  LogLevel,
  DEFAULT_SESSION_LIMITS,
  SupportedCurve,
  EncryptionAlgorithm,
  KeyDerivation,
  EncryptionMode,
  HkdfInfo,
  EncryptionErrorCode,
  AES_GCM_NONCE_SIZE,
  AES_GCM_TAG_SIZE,
  AES_256_KEY_SIZE,
  MAX_MESSAGES_PER_KEY,
  FilterMode,
  PatternType,
  DEFAULT_ALWAYS_ALLOW,
  ConnectionState,
  DEFAULT_RECONNECTION_CONFIG,
  EVENT_TYPE_CODES,
  EVENT_TYPE_CODE,
};
