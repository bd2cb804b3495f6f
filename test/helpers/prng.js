'use strict';
// Deterministic PRNG for randomized tests: the testing subpath's mulberry32,
// plus int(n) and pick(array).
const { prng: base } = require('../../lib/testing/fault-proxy');

function prng(seed) {
  const next = base(seed);
  next.int = (n) => Math.floor(next() * n);
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  return next;
}

module.exports = { prng };
