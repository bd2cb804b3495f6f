'use strict';
// Every error class the package throws or emits, in one place. Each has a
// message, a string `code` (listed in the README's "Errors" section) and a
// `name` equal to its class name; extra details (line, offset, ...) become
// properties. The crypto status numbers of the C core map to codes in
// lib/crypto/errors.js.

class CodedError extends Error {
  constructor(message, code, details) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

/** NDJSON encoding/decoding (lib/ndjson). Codes: NdjsonErrorCode. */
class NdjsonError extends CodedError {}

/** A stream session, client side (lib/client, lib/transport): ERR_STREAM_*, SESSION_*, ENCRYPTION_*. */
class StreamError extends CodedError {}
/** The peer broke the protocol (a bad frame, a forged resume, a closed session). */
class StreamProtocolError extends StreamError {}
/** A message that cannot be one NDJSON line on the transport (ERR_STREAM_ENCODE). */
class WireError extends StreamError {}
/** An envelope that does not open on an encrypted session (ENCRYPTION_*, ERR_STREAM_ENVELOPE). */
class SecureError extends StreamError {}

/** A server session (lib/server, lib/store): ERR_SESSION_*, ERR_STORE_*. */
class SessionError extends CodedError {}

/** The reference's crypto errors; `code` is an EncryptionErrorCode. */
class EcdhError extends CodedError {}
class HkdfError extends CodedError {}
class AesGcmError extends CodedError {}

module.exports = {
  CodedError,
  NdjsonError,
  StreamError,
  StreamProtocolError,
  WireError,
  SecureError,
  SessionError,
  EcdhError,
  HkdfError,
  AesGcmError,
};
