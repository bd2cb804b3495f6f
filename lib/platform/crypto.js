'use strict';
// Node's crypto module: the JavaScript backend's synchronous primitives.
// Browsers get lib/browser/crypto.js (package.json "browser" field), which has
// randomness only; code checks `syncCrypto` before using the rest.
const nodeCrypto = require('node:crypto');

module.exports = nodeCrypto;
