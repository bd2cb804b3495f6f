'use strict';
// One turn of the event loop for tests that wait on something scheduled with
// setImmediate (not replaced by the FakeClock): `turn()` resolves on the next
// check phase, after the I/O and timers already due.

/** Waits one event-loop turn (setImmediate). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

module.exports = { turn };
