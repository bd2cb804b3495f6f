'use strict';
// EventBuffer: holds events while disconnected, up to maxSize (the reference's class).

class EventBuffer {
  constructor(maxSize = 1000) {
    this.buffer = [];
    this.maxSize = maxSize;
  }

  /** false when the buffer is full (the event is not added). */
  add(event) {
    if (this.buffer.length >= this.maxSize) return false;
    this.buffer.push(event);
    return true;
  }

  getAll() {
    return this.buffer.slice();
  }

  drain() {
    const events = this.buffer;
    this.buffer = [];
    return events;
  }

  size() {
    return this.buffer.length;
  }

  isFull() {
    return this.buffer.length >= this.maxSize;
  }

  clear() {
    this.buffer.length = 0;
  }
}

module.exports = { EventBuffer };
