'use strict';
// EventEmitter. Node: node:events. Browsers: lib/browser/events.js (the
// package.json "browser" field swaps the file).
module.exports = require('node:events');
