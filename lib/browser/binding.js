'use strict';
// Browsers: no addon; every module uses its JavaScript twin (replaces
// lib/binding.js through the package.json "browser" field).
module.exports = { native: null, backend: 'js', loadError: null };
