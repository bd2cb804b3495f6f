'use strict';
// Buffer. Node: the real one. Browsers: lib/browser/buffer.js, a small
// Uint8Array subclass with the methods this package uses.
module.exports = { Buffer: require('node:buffer').Buffer };
