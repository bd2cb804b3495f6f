'use strict';
// The client's connection state machine: lib/reconnect's
// ReconnectionStateMachine (the reference's states, retry counting, backoff
// with jitter and event order; the C machine when the addon is loaded).

const { ReconnectionStateMachine } = require('../reconnect');

function createMachine(options) {
  return new ReconnectionStateMachine(options);
}

module.exports = { createMachine };
