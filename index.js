'use strict';
// enclave-stream-native: assembles the public API; every concern lives in lib/.
const { backend } = require('./lib/binding');
// Internal tables of lib/constants.js that are not part of the API.
const { EVENT_TYPE_CODES, EVENT_TYPE_CODE, ...constants } = require('./lib/constants');
const { cryptoBackend, ...crypto } = require('./lib/crypto');

module.exports = {
  backend,
  ...constants,
  ...require('./lib/schemas'),
  ...require('./lib/ids'),
  ...require('./lib/ndjson.js').api,
  ...require('./lib/codec'),
  ...require('./lib/router'),
  ...crypto,
  ...require('./lib/reconnect'),
  ...require('./lib/server'),
  ...require('./lib/client'),
  ...controlFrames(require('./lib/protocol/control')),
};

// The documented control-frame constants (PROTOCOL.md section 5 additions).
function controlFrames({ CONTROL_VERSION, CONTROL_KEY, ControlType, RejectCode, GapReason }) {
  return { CONTROL_VERSION, CONTROL_KEY, ControlType, RejectCode, GapReason };
}
