'use strict';
// enclave-stream-native: assembles the public API; every concern lives in lib/.
const { backend } = require('./lib/binding');

module.exports = {
  backend,
  ...require('./lib/constants'),
  ...require('./lib/schemas'),
  ...require('./lib/ids'),
  ...require('./lib/ndjson.js').api,
  ...require('./lib/codec'),
  ...require('./lib/router'),
};
