'use strict';
// enclave-stream-native for Node: the shared API (lib/api.js) and the server.
module.exports = {
  ...require('./lib/api'),
  ...require('./lib/server'),
};
