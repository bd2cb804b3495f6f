'use strict';
// enclave-stream-native/testing: helpers for users' own tests.
// FaultProxy cuts, stalls or refuses connections between a client and a
// server; the fake clock (from test/helpers) replaces setTimeout,
// clearTimeout and Date.now so backoff and heartbeats run without waiting.

const { FaultProxy, prng } = require('./fault-proxy');

let fakeClock = {};
try {
  fakeClock = require('../../test/helpers/fake-clock');
} catch {
  fakeClock = {};
}

module.exports = { FaultProxy, prng, ...fakeClock };
