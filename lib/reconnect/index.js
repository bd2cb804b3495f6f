'use strict';
// The reference's reconnection helpers (docs/PROTOCOL.md section 4).
const { ConnectionState, DEFAULT_RECONNECTION_CONFIG } = require('../constants');
const { ReconnectionStateMachine } = require('./state-machine');
const { SequenceTracker } = require('./sequence-tracker');
const { EventBuffer } = require('./event-buffer');
const { HeartbeatMonitor } = require('./heartbeat');

module.exports = {
  ConnectionState,
  DEFAULT_RECONNECTION_CONFIG,
  ReconnectionStateMachine,
  SequenceTracker,
  EventBuffer,
  HeartbeatMonitor,
};
