'use strict';
// Identifiers and type guards of @enclave-vm/types (docs/PROTOCOL.md, "Other
// schemas and helpers"). Pure JS, browser-safe (globalThis.crypto.randomUUID).
const C = require('./constants');

const { EventType: ET } = C;

function randomUUID() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  // Node < 19 without a global WebCrypto object.
  return require('./platform/crypto').randomUUID();
}

function generateSessionId() {
  return C.SESSION_ID_PREFIX + randomUUID();
}
function generateCallId() {
  return C.CALL_ID_PREFIX + randomUUID();
}
function generateRefId() {
  return C.REF_ID_PREFIX + randomUUID();
}

// Prefix tests only, like the reference (which calls value.startsWith, so a
// non-string throws a TypeError there too).
function isSessionId(value) {
  return value.startsWith(C.SESSION_ID_PREFIX);
}
function isCallId(value) {
  return value.startsWith(C.CALL_ID_PREFIX);
}
function isRefId(value) {
  return value.startsWith(C.REF_ID_PREFIX);
}

function isRefToken(value) {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return false;
  const ref = value.$ref;
  return typeof ref === 'object' && ref !== null && 'id' in ref && typeof ref.id === 'string' && isRefId(ref.id);
}

function createRefToken(id) {
  return { $ref: { id } };
}

function getEventType(event) {
  return event.type;
}
function isSessionInitEvent(event) {
  return event.type === ET.SessionInit;
}
function isStdoutEvent(event) {
  return event.type === ET.Stdout;
}
function isLogEvent(event) {
  return event.type === ET.Log;
}
function isToolCallEvent(event) {
  return event.type === ET.ToolCall;
}
function isToolResultAppliedEvent(event) {
  return event.type === ET.ToolResultApplied;
}
function isFinalEvent(event) {
  return event.type === ET.Final;
}
function isHeartbeatEvent(event) {
  return event.type === ET.Heartbeat;
}
function isErrorEvent(event) {
  return event.type === ET.Error;
}
function isPartialResultEvent(event) {
  return event.type === ET.PartialResult;
}
function isToolProgressEvent(event) {
  return event.type === ET.ToolProgress;
}
function isDeadlineExceededEvent(event) {
  return event.type === ET.DeadlineExceeded;
}
function isCatalogChangedEvent(event) {
  return event.type === ET.CatalogChanged;
}

// Shape test only (no schema validation): type 'enc' and a payload object
// holding kid, nonceB64 and ciphertextB64.
function isEncryptedEnvelope(value) {
  if (typeof value !== 'object' || value === null) return false;
  if (!('type' in value) || value.type !== ET.Encrypted || !('payload' in value)) return false;
  const p = value.payload;
  return typeof p === 'object' && p !== null && 'kid' in p && 'nonceB64' in p && 'ciphertextB64' in p;
}

module.exports = {
  generateSessionId,
  generateCallId,
  generateRefId,
  isSessionId,
  isCallId,
  isRefId,
  isRefToken,
  createRefToken,
  getEventType,
  isSessionInitEvent,
  isStdoutEvent,
  isLogEvent,
  isToolCallEvent,
  isToolResultAppliedEvent,
  isFinalEvent,
  isHeartbeatEvent,
  isErrorEvent,
  isPartialResultEvent,
  isToolProgressEvent,
  isDeadlineExceededEvent,
  isCatalogChangedEvent,
  isEncryptedEnvelope,
};
