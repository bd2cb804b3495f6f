'use strict';
// Browsers: a small EventEmitter with the node:events surface this package
// and its users rely on (replaces lib/platform/events.js through the
// package.json "browser" field). Like Node's, it keeps `_events[name]` as one
// function or an array, throws an 'error' event nobody listens to, and calls
// listeners in the order they were added.

class EventEmitter {
  constructor() {
    this._events = Object.create(null);
  }

  on(name, fn) {
    if (typeof fn !== 'function') throw new TypeError('The "listener" argument must be a function');
    const cur = this._events[name];
    if (cur === undefined) this._events[name] = fn;
    else if (typeof cur === 'function') this._events[name] = [cur, fn];
    else cur.push(fn);
    return this;
  }

  addListener(name, fn) {
    return this.on(name, fn);
  }

  prependListener(name, fn) {
    const cur = this._events[name];
    if (cur === undefined) this._events[name] = fn;
    else this._events[name] = [fn].concat(cur);
    return this;
  }

  once(name, fn) {
    const wrapper = (...args) => {
      this.off(name, wrapper);
      return fn.apply(this, args);
    };
    wrapper.listener = fn;
    return this.on(name, wrapper);
  }

  off(name, fn) {
    const cur = this._events[name];
    if (cur === undefined) return this;
    if (cur === fn || cur.listener === fn) {
      delete this._events[name];
      return this;
    }
    if (typeof cur !== 'function') {
      for (let i = cur.length - 1; i >= 0; i--) {
        if (cur[i] === fn || cur[i].listener === fn) {
          cur.splice(i, 1);
          break;
        }
      }
      if (cur.length === 1) this._events[name] = cur[0];
      else if (cur.length === 0) delete this._events[name];
    }
    return this;
  }

  removeListener(name, fn) {
    return this.off(name, fn);
  }

  removeAllListeners(name) {
    if (name === undefined) this._events = Object.create(null);
    else delete this._events[name];
    return this;
  }

  emit(name, ...args) {
    const cur = this._events[name];
    if (cur === undefined) {
      if (name === 'error') throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    if (typeof cur === 'function') cur.apply(this, args);
    else for (const fn of cur.slice()) fn.apply(this, args);
    return true;
  }

  listenerCount(name) {
    const cur = this._events[name];
    return cur === undefined ? 0 : typeof cur === 'function' ? 1 : cur.length;
  }

  listeners(name) {
    const cur = this._events[name];
    const list = cur === undefined ? [] : typeof cur === 'function' ? [cur] : cur.slice();
    return list.map((f) => f.listener || f);
  }

  eventNames() {
    return Object.keys(this._events);
  }
}

module.exports = EventEmitter;
module.exports.EventEmitter = EventEmitter;
module.exports.default = EventEmitter;
