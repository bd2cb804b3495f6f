'use strict';
// Browsers: the part of Node's Buffer this package uses, on Uint8Array
// (replaces lib/platform/buffer.js through the package.json "browser" field).
// Encodings: utf8, base64 (decoding is lenient like Node's: it skips what is
// not in the alphabet, accepts the URL alphabet and missing padding), latin1, hex.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
B64_INDEX[45] = 62; // '-'
B64_INDEX[95] = 63; // '_'

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');

function norm(encoding) {
  const e = String(encoding || 'utf8').toLowerCase();
  if (e === 'utf8' || e === 'utf-8') return 'utf8';
  if (e === 'base64' || e === 'base64url') return e;
  if (e === 'latin1' || e === 'binary' || e === 'ascii') return 'latin1';
  if (e === 'hex') return 'hex';
  throw new TypeError(`Unknown encoding: ${encoding}`);
}

function base64Decode(s) {
  const out = new Uint8Array(Math.ceil((s.length * 3) / 4));
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61) break; // '=' ends the data
    const v = c < 256 ? B64_INDEX[c] : -1;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function base64Encode(b, url) {
  let s = '';
  let chunk = '';
  const abc = url ? B64.slice(0, 62) + '-_' : B64;
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    chunk += abc[v >> 18] + abc[(v >> 12) & 63] + abc[(v >> 6) & 63] + abc[v & 63];
    if (chunk.length >= 8192) {
      s += chunk;
      chunk = '';
    }
  }
  if (i < b.length) {
    const v = (b[i] << 16) | ((i + 1 < b.length ? b[i + 1] : 0) << 8);
    chunk += abc[v >> 18] + abc[(v >> 12) & 63];
    chunk += i + 1 < b.length ? abc[(v >> 6) & 63] : url ? '' : '=';
    if (!url) chunk += '=';
  }
  return s + chunk;
}

class Buffer extends Uint8Array {
  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') {
      const e = norm(encodingOrOffset);
      if (e === 'utf8') return Buffer._wrap(enc.encode(value));
      if (e === 'base64' || e === 'base64url') return Buffer._wrap(base64Decode(value));
      if (e === 'latin1') {
        const b = new Buffer(value.length);
        for (let i = 0; i < value.length; i++) b[i] = value.charCodeAt(i) & 0xff;
        return b;
      }
      const b = new Buffer(value.length >> 1);
      for (let i = 0; i < b.length; i++) b[i] = parseInt(value.substr(i * 2, 2), 16);
      return b;
    }
    if (value instanceof ArrayBuffer) {
      const off = encodingOrOffset || 0;
      return new Buffer(value, off, length === undefined ? value.byteLength - off : length);
    }
    if (ArrayBuffer.isView(value)) {
      const b = new Buffer(value.byteLength);
      b.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return b;
    }
    if (Array.isArray(value)) return Buffer._wrap(Uint8Array.from(value));
    throw new TypeError('Buffer.from: unsupported value');
  }

  static _wrap(u8) {
    return new Buffer(u8.buffer, u8.byteOffset, u8.byteLength);
  }

  static alloc(n, fill) {
    const b = new Buffer(n);
    if (fill !== undefined) b.fill(fill);
    return b;
  }

  static allocUnsafe(n) {
    return new Buffer(n);
  }

  static isBuffer(b) {
    return b instanceof Buffer;
  }

  static byteLength(s, encoding) {
    if (typeof s !== 'string') return s.byteLength;
    return Buffer.from(s, encoding).length;
  }

  static concat(list, total) {
    if (total === undefined) total = list.reduce((n, b) => n + b.length, 0);
    const out = new Buffer(total);
    let off = 0;
    for (const b of list) {
      if (off >= total) break;
      out.set(b.length + off > total ? b.subarray(0, total - off) : b, off);
      off += b.length;
    }
    return out;
  }

  toString(encoding, start = 0, end = this.length) {
    const v = this.subarray(start, end);
    const e = norm(encoding);
    if (e === 'utf8') return dec.decode(v);
    if (e === 'base64' || e === 'base64url') return base64Encode(v, e === 'base64url');
    if (e === 'latin1') {
      let s = '';
      for (let i = 0; i < v.length; i += 8192) s += String.fromCharCode.apply(null, v.subarray(i, i + 8192));
      return s;
    }
    let s = '';
    for (let i = 0; i < v.length; i++) s += (v[i] < 16 ? '0' : '') + v[i].toString(16);
    return s;
  }

  equals(other) {
    if (this.length !== other.length) return false;
    for (let i = 0; i < this.length; i++) if (this[i] !== other[i]) return false;
    return true;
  }

  copy(target, targetStart = 0, start = 0, end = this.length) {
    const src = this.subarray(start, Math.min(end, start + target.length - targetStart));
    target.set(src, targetStart);
    return src.length;
  }

  readUInt32BE(off = 0) {
    return ((this[off] << 24) >>> 0) + (this[off + 1] << 16) + (this[off + 2] << 8) + this[off + 3];
  }

  writeUInt32BE(v, off = 0) {
    this[off] = v >>> 24;
    this[off + 1] = (v >>> 16) & 0xff;
    this[off + 2] = (v >>> 8) & 0xff;
    this[off + 3] = v & 0xff;
    return off + 4;
  }
}

module.exports = { Buffer };
