'use strict';
// enclave-stream-native for browsers: the shared API (lib/api.js) on the
// pure-JavaScript backend, crypto.subtle and the global WebSocket. Bundlers
// swap the Node-only modules through package.json's "browser" field; the
// ready-made ES module is dist/browser.mjs (npm run build:browser).
// StreamServer and the testing helpers are Node-only.
module.exports = require('./lib/api');
