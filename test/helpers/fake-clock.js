'use strict';
// The manual clock the tests use; it ships to users as
// require('enclave-stream-native/testing').FakeClock / installFakeClock.
module.exports = require('../../lib/testing/fake-clock');
