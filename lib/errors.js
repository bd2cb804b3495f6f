'use strict';
// The package's coded errors: every class has a message, a string `code`
// (e.g. ERR_NDJSON_PARSE, SESSION_UNKNOWN) and a `name` equal to its class
// name; extra details (line, offset, ...) become properties.

class CodedError extends Error {
  constructor(message, code, details) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

/** NDJSON encoding/decoding (lib/codec.js, lib/routed-event.js). */
class NdjsonError extends CodedError {}
/** The reconnecting client (lib/client). */
class StreamError extends CodedError {}
/** A server session (lib/server). */
class SessionError extends CodedError {}
/** The transport's line encoding (lib/transport). */
class WireError extends CodedError {}

module.exports = { CodedError, NdjsonError, StreamError, SessionError, WireError };
