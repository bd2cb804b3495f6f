'use strict';
// The public API shared by Node (index.js) and browsers (browser.js): every
// concern lives in its own lib/ module; this only assembles them.
const { backend } = require('./binding');
// Internal tables of lib/constants.js that are not part of the API.
const { EVENT_TYPE_CODES, EVENT_TYPE_CODE, ...constants } = require('./constants');
const { cryptoBackend, ...crypto } = require('./crypto');

// The documented control-frame constants (docs/PROTOCOL.md section 5 additions).
function controlFrames({ CONTROL_VERSION, CONTROL_KEY, ControlType, RejectCode, GapReason }) {
  return { CONTROL_VERSION, CONTROL_KEY, ControlType, RejectCode, GapReason };
}

module.exports = {
  backend,
  ...constants,
  ...require('./validate/schemas'),
  ...require('./ids'),
  ...require('./ndjson').api,
  ...require('./ndjson/codec'),
  ...require('./ndjson/router'),
  ...crypto,
  ...require('./reconnect'),
  ...require('./client'),
  ...controlFrames(require('./protocol/control')),
  ...require('./errors'),
};
