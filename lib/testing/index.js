'use strict';
// enclave-stream-native/testing: helpers for users' own tests.
// FaultProxy cuts, stalls or refuses connections between a client and a
// server; the fake clock replaces setTimeout,
// clearTimeout and Date.now so backoff and heartbeats run without waiting.

const { FaultProxy, prng } = require('./fault-proxy');

const { FakeClock, installFakeClock } = require('./fake-clock');

module.exports = { FaultProxy, prng, FakeClock, installFakeClock };
