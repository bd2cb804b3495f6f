'use strict';
// The synchronous fast API: one object per (key, direction) that seals inner
// events into envelope lines (docs/PROTOCOL.md section 3, byte for byte) and opens
// envelope lines back into inner events. Native: the C core does AES-GCM,
// base64 and the envelope JSON in one call per message or per batch, into
// reused buffers. JavaScript twin: node:crypto, same results and errors.
const nodeCrypto = require('../platform/crypto');
const { Buffer } = require('../platform/buffer');
const { native } = require('../binding');
const { AesGcmError, fromStatus, Status } = require('./errors');
const { asBuffer } = require('./base64');
const { decodeStrict, decodeStrictRange, decodeNonce16, ctBase64 } = require('./payload');
const { needSync } = require('./keys');
const { checkOptions } = require('../options');

const MAX_NONCES = 2 ** 30;
const DECRYPT = 'ENCRYPTION_DECRYPTION_FAILED';
const PAD = 64; // ESN_JSON_PADDING
const EMPTY = Buffer.alloc(0);
const CT_KEY = '","ciphertextB64":"';

function checkSeq(seq) {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new TypeError(`envelope seq must be a non-negative safe integer, got ${seq}`);
  }
}

/** An explicit nonce (tests and vectors): undefined, or its 12 bytes; else a coded error on both backends. */
function explicitNonce(nonce) {
  if (nonce == null) return undefined;
  const iv = asBuffer(nonce);
  if (iv.length !== 12) throw new AesGcmError(`Invalid nonce length: expected 12, got ${iv.length}`, DECRYPT);
  return iv;
}

function stringify(event) {
  const text = JSON.stringify(event);
  if (typeof text !== 'string') throw new TypeError('the inner event is not JSON-serializable');
  return text;
}

// The same string, flat (not a concatenation): compared on every open.
function flat(s) {
  return JSON.parse(JSON.stringify(s));
}

function toNumber(v, name) {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return n;
}

function normalizeOptions(o) {
  // Types and unknown options (lib/options.js); the key's and the prefix's
  // lengths are checked below, with their AesGcmError codes.
  checkOptions('createEnvelopeCipher', o);
  const key = asBuffer(o.key);
  if (key.length !== 32) throw new AesGcmError(`Invalid key length: expected 32, got ${key.length}`, 'ENCRYPTION_UNSUPPORTED_ALGORITHM');
  const sessionId = o.sessionId;
  if (typeof sessionId !== 'string' || !sessionId.startsWith('s_') || sessionId.length < 3) {
    throw new TypeError('createEnvelopeCipher: sessionId must be a string "s_…"');
  }
  const kid = o.kid === undefined ? o.keyId : o.kid;
  if (typeof kid !== 'string' || kid.length === 0) throw new TypeError('createEnvelopeCipher: kid must be a non-empty string');
  let prefix = null;
  if (o.noncePrefix != null) {
    prefix = asBuffer(o.noncePrefix);
    if (prefix.length !== 8) throw new AesGcmError('Nonce prefix must be 8 bytes', 'ENCRYPTION_NONCE_REUSE');
  }
  const counter = o.nonceCounter == null ? 0 : toNumber(o.nonceCounter, 'nonceCounter');
  let maxNonces = o.maxNonces == null ? MAX_NONCES : toNumber(o.maxNonces, 'maxNonces');
  if (maxNonces > 2 ** 32) maxNonces = 2 ** 32; // the nonce counter field is 32 bits
  return { key, sessionId, kid, prefix, counter, maxNonces };
}

function checkEnvelope(env) {
  // EncryptedEnvelopeSchema
  if (!env || typeof env !== 'object' || Array.isArray(env)) return false;
  if (env.protocolVersion !== 2 && env.protocolVersion !== 1) return false;
  if (typeof env.sessionId !== 'string' || env.sessionId.length < 3 || !env.sessionId.startsWith('s_')) return false;
  if (!Number.isSafeInteger(env.seq) || env.seq < 0) return false;
  if (env.type !== 'enc') return false;
  const p = env.payload;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return false;
  if (typeof p.kid !== 'string' || p.kid.length === 0) return false;
  if (typeof p.nonceB64 !== 'string' || p.nonceB64.length === 0) return false;
  if (typeof p.ciphertextB64 !== 'string' || p.ciphertextB64.length === 0) return false;
  if (p.tagB64 !== undefined && typeof p.tagB64 !== 'string') return false;
  return true;
}

function lineString(line) {
  if (typeof line === 'string') return line;
  if (ArrayBuffer.isView(line)) return asBuffer(line).toString('utf8');
  throw new TypeError('an envelope line (string or Uint8Array) expected');
}

function splitLines(data) {
  const text = lineString(data);
  const out = [];
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    out.push(line);
  }
  return out;
}

/** Shared surface of both implementations. */
class EnvelopeCipherBase {
  get sessionId() {
    return this._o.sessionId;
  }
  get kid() {
    return this._o.kid;
  }
  get maxNonces() {
    return this._o.maxNonces;
  }
  /** true once the counter reached maxNonces (the key needs rotation). */
  needsRotation() {
    return this.nonceCounter >= this._o.maxNonces;
  }
  /** Seals one inner event; seq defaults to event.seq. Returns the line (no newline). */
  seal(event, seq = event && event.seq) {
    checkSeq(seq);
    return this.sealText(seq, stringify(event));
  }
  /** Seals many events; returns their lines, each ending in '\n'. */
  sealBatch(events, seqs) {
    const texts = new Array(events.length);
    const s = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const q = seqs ? seqs[i] : events[i] && events[i].seq;
      checkSeq(q);
      s[i] = q;
      texts[i] = stringify(events[i]);
    }
    return this.sealTextBatch(texts, s);
  }
  /** Like sealBatch, as a Buffer of its own; lastEnds[i] is the end offset of line i (after its '\n'). */
  sealBatchBuffer(events, seqs) {
    return this._linesBuffer(this.sealBatch(events, seqs));
  }
  _linesBuffer(text) {
    let b;
    let k = 0;
    if (this._ascii) {
      // ASCII lines (session id and kid are): the bytes are the Latin-1 of
      // the text, and the line ends are found in the string itself.
      b = Buffer.from(text, 'latin1');
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) k++;
      if (!this._ends || this._ends.length < k) this._ends = new Uint32Array(k);
      k = 0;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this._ends[k++] = i + 1;
    } else {
      b = Buffer.from(text, 'utf8');
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) k++;
      if (!this._ends || this._ends.length < k) this._ends = new Uint32Array(k);
      k = 0;
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) this._ends[k++] = i + 1;
    }
    this._nEnds = k;
    return b;
  }
  /** End offsets of the lines of the last sealBatchBuffer (valid until the next call). */
  get lastEnds() {
    return this._ends ? this._ends.subarray(0, this._nEnds) : new Uint32Array(0);
  }
  /** Opens one envelope line into the inner event. */
  open(line) {
    return JSON.parse(this.openText(line));
  }
  /** Opens every line of a chunk (string or bytes). Throws the first line's error (err.index, err.events). */
  openBatch(data) {
    const res = this.openTextBatch(data);
    const events = new Array(res.length);
    for (let i = 0; i < res.length; i++) {
      const r = res[i];
      if (r.error) {
        r.error.index = i;
        r.error.events = events.slice(0, i);
        throw r.error;
      }
      events[i] = JSON.parse(r.text);
    }
    return events;
  }
}

// ---- native ----------------------------------------------------------------
const NONE = Buffer.alloc(0);
const NO_U32 = new Uint32Array(0);
const NO_F64 = new Float64Array(0);

class NativeEnvelopeCipher extends EnvelopeCipherBase {
  constructor(options) {
    super();
    const o = normalizeOptions(options);
    this._o = o;
    this._state = new Float64Array(4);
    this._c = new native.crypto.EnvelopeCipher(
      o.key,
      Buffer.from(o.sessionId, 'utf8'),
      Buffer.from(o.kid, 'utf8'),
      o.prefix,
      o.counter,
      o.maxNonces,
      this._state,
    );
    // line bytes are ASCII unless the session id or kid are not
    this._ascii = /^[\x20-\x7e]*$/.test(o.sessionId + o.kid);
    // Scratch, allocated on first use and grown as needed: a session's
    // cipher only ever seals strings (the addon returns the line itself), so
    // an idle encrypted session holds none of it.
    this._in = NONE;
    this._out = NONE;
    this._lens = NO_U32;
    this._seqs = NO_F64;
    this._res = NO_F64; // openBatch results: 5 per line; a frame of up to 256 lines in one call
    this._ends = NO_U32;
    this._nEnds = 0;
    this._chunk = 1 << 30; // events per JSON.stringify in sealBatch (adapts)
    this.lastSeq = -1;
    this.lastCounter = -1;
  }
  get nonceCounter() {
    return this._state[0];
  }
  get noncePrefix() {
    return new Uint8Array(this._c.prefix());
  }
  _slice(buf, n) {
    return this._ascii ? buf.latin1Slice(0, n) : buf.utf8Slice(0, n);
  }
  _inCap(n) {
    if (this._in.length < n) this._in = Buffer.allocUnsafe(Math.max(n, this._in.length * 2));
    return this._in;
  }
  _fail(r) {
    if (r === Status.EXPIRED) return new AesGcmError('Key needs rotation: nonce limit reached', 'ENCRYPTION_KEY_EXPIRED');
    const err = fromStatus(AesGcmError, r);
    if (r === Status.ENVELOPE) err.reason = 'envelope';
    return err;
  }
  /** Seals the UTF-8 of a JSON text (the inner event already serialized). */
  sealText(seq, text, nonce) {
    checkSeq(seq);
    if (text.length <= 0x10000 && typeof text === 'string') {
      // the string straight to the addon, the line straight back
      const r = this._c.seal(text, seq, explicitNonce(nonce));
      if (typeof r === 'string') return r;
      throw this._fail(r);
    }
    const inb = this._inCap(text.length * 3);
    const n = inb.utf8Write(text, 0);
    return this._sealBytes(seq, inb, n, nonce);
  }
  /** Seals bytes (Uint8Array) holding the inner event's JSON. */
  sealBytes(seq, bytes, nonce) {
    checkSeq(seq);
    const b = asBuffer(bytes);
    return this._sealBytes(seq, b, b.length, nonce);
  }
  _sealBytes(seq, src, n, nonce) {
    const iv = explicitNonce(nonce);
    for (;;) {
      const r = this._c.seal(src, 0, n, seq, this._out, 0, iv);
      if (r >= 0) return this._slice(this._out, r);
      if (r !== Status.SPACE) throw this._fail(r);
      this._out = Buffer.allocUnsafe(Math.max(this._state[1], this._out.length * 2));
    }
  }
  /**
   * Seals many events in one native call: the array is serialized with one
   * JSON.stringify (its elements come out exactly as JSON.stringify(event)
   * would write them; events with a toJSON method take the per-event path,
   * since toJSON receives the index as its key there). Returns the lines,
   * each ending in '\n'.
   */
  sealBatch(events, seqs) {
    const r = this._sealArray(events, seqs);
    if (r < 0) return super.sealBatch(events, seqs);
    return this._bigSlice(r);
  }
  /** Like sealBatch, as a Buffer of its own; lastEnds[i] is the end offset of line i (after its '\n'). */
  sealBatchBuffer(events, seqs) {
    const r = this._sealArray(events, seqs, true);
    if (r < 0) return this._linesBuffer(super.sealBatch(events, seqs));
    const b = this._out2;
    this._out2 = null;
    return r === b.length ? b : b.subarray(0, r);
  }
  // -1: take the per-event path; else the bytes written to this._out.
  _sealArray(events, seqs, fresh = false) {
    // JSON.stringify(events) below must give the elements: an array with a
    // toJSON of its own takes the per-event path.
    if (!Array.isArray(events) || typeof events.toJSON === 'function') return -1;
    const count = events.length;
    this._nEnds = 0;
    if (this._seqs.length < count) {
      this._lens = new Uint32Array(count);
      this._seqs = new Float64Array(count);
    }
    if (this._ends.length < count) this._ends = new Uint32Array(count);
    const sq = this._seqs;
    for (let i = 0; i < count; i++) {
      const e = events[i];
      const q = seqs ? seqs[i] : e && e.seq;
      checkSeq(q);
      sq[i] = q;
      const t = typeof e;
      if (t === 'object' ? e !== null && typeof e.toJSON === 'function' : t === 'undefined' || t === 'function' || t === 'symbol') {
        return -1;
      }
    }
    // Serialized in slices of about 64 KiB (sized from the last batch):
    // strings over 128 KiB go to V8's large-object space, which costs more
    // than the extra calls. The C side takes the arrays back to back.
    const k = this._chunk;
    let inb;
    let n;
    if (count <= k) {
      const text = JSON.stringify(events);
      inb = this._inCap(text.length * 3);
      n = inb.utf8Write(text, 0);
    } else {
      n = 0;
      inb = this._in;
      for (let a = 0; a < count; a += k) {
        const text = JSON.stringify(events.slice(a, a + k));
        if (inb.length - n < text.length * 3) {
          const grown = Buffer.allocUnsafe(Math.max(inb.length * 2, n + text.length * 3));
          inb.copy(grown, 0, 0, n);
          inb = this._in = grown;
        }
        n += inb.utf8Write(text, n);
      }
    }
    if (count > 0) this._chunk = Math.max(8, Math.floor(0x10000 / Math.max(1, n / count)));
    if (fresh) {
      // straight into a Buffer of the caller's own: ask for the size bound first
      this._c.sealArray(inb, n, sq, count, EMPTY, this._ends);
      this._out2 = Buffer.allocUnsafe(Math.max(1, this._state[1]));
    }
    for (;;) {
      const out = fresh ? this._out2 : this._out;
      const r = this._c.sealArray(inb, n, sq, count, out, this._ends);
      if (r >= 0) {
        this._nEnds = count;
        return r;
      }
      if (r === Status.ENVELOPE && this._state[1] === 0) return -1; // cannot happen for JSON.stringify output
      if (r !== Status.SPACE) {
        const err = this._fail(r);
        err.sealed = this._state[1];
        throw err;
      }
      if (fresh) this._out2 = Buffer.allocUnsafe(this._state[1]);
      else this._out = Buffer.allocUnsafe(Math.max(this._state[1], this._out.length * 2));
    }
  }
  // A string of this._out[0, n). Strings over 128 KiB live in V8's
  // large-object space, whose allocation costs more than the copy: an ASCII
  // text is assembled from 64 KiB pieces (a rope, flattened when used).
  _bigSlice(n) {
    const out = this._out;
    if (n <= 0x10000 || !this._ascii) return this._slice(out, n);
    let s = out.latin1Slice(0, 0x10000);
    for (let o = 0x10000; o < n; o += 0x10000) s += out.latin1Slice(o, Math.min(n, o + 0x10000));
    return s;
  }
  sealTextBatch(texts, seqs) {
    const count = texts.length;
    if (this._lens.length < count) {
      this._lens = new Uint32Array(count);
      this._seqs = new Float64Array(count);
    }
    const lens = this._lens;
    const sq = this._seqs;
    let total = 0;
    for (let i = 0; i < count; i++) total += texts[i].length;
    const inb = this._inCap(total * 3);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      checkSeq(seqs[i]);
      const w = inb.utf8Write(texts[i], pos);
      lens[i] = w;
      sq[i] = seqs[i];
      pos += w;
    }
    for (;;) {
      const r = this._c.sealBatch(inb, lens, sq, count, this._out);
      if (r >= 0) return this._bigSlice(r);
      if (r !== Status.SPACE) {
        const err = this._fail(r);
        err.sealed = this._state[1];
        throw err;
      }
      this._out = Buffer.allocUnsafe(Math.max(this._state[1], this._out.length * 2));
    }
  }
  /** Opens a line; returns the inner JSON text. lastSeq/lastCounter are set. */
  openText(line) {
    let buf;
    let n;
    if (typeof line === 'string' && line.length <= 0x10000) {
      const r = this._c.open(line); // the string straight to the addon, the inner text straight back
      this.lastSeq = this._state[2];
      this.lastCounter = this._state[3];
      if (typeof r === 'string') return r;
      throw this._fail(r);
    }
    if (typeof line === 'string') {
      buf = this._inCap(line.length * 3 + PAD);
      n = buf.utf8Write(line, 0);
      if (buf.length - n < PAD) {
        buf = this._inCap(n + PAD);
        n = buf.utf8Write(line, 0);
      }
    } else if (ArrayBuffer.isView(line)) {
      buf = asBuffer(line);
      n = buf.length;
    } else {
      throw new TypeError('an envelope line (string or Uint8Array) expected');
    }
    for (;;) {
      const r = this._c.open(buf, 0, n, this._out);
      this.lastSeq = this._state[2];
      this.lastCounter = this._state[3];
      if (r >= 0) return this._out.utf8Slice(0, r);
      if (r !== Status.SPACE) throw this._fail(r);
      this._out = Buffer.allocUnsafe(Math.max(this._state[1], this._out.length * 2));
    }
  }
  /** Opens every line: [{ seq, counter, text } | { seq, error }]. */
  openTextBatch(data) {
    let buf;
    let len;
    if (typeof data === 'string') {
      buf = this._inCap(data.length * 3 + PAD);
      len = buf.utf8Write(data, 0);
    } else {
      buf = asBuffer(data);
      len = buf.length;
    }
    const out = [];
    let off = 0;
    while (off < len) {
      if (this._out.length < (len - off) + 64) this._out = Buffer.allocUnsafe(len - off + 64);
      if (this._res.length === 0) this._res = new Float64Array(5 * 256);
      const k = this._c.openBatch(buf, off, len - off, this._out, this._res);
      const consumed = this._state[1];
      const rs = this._res;
      for (let i = 0; i < k; i++) {
        const st = rs[5 * i + 3];
        const seq = rs[5 * i];
        if (st === 0) {
          const o = rs[5 * i + 1];
          out.push({ seq, counter: rs[5 * i + 4], text: this._out.utf8Slice(o, o + rs[5 * i + 2]) });
        } else {
          out.push({ seq: seq >= 0 ? seq : undefined, error: this._fail(st) });
        }
      }
      if (consumed === 0 && k === 0) break; // cannot happen with the sizes above
      off += consumed;
      if (k === this._res.length / 5) this._res = new Float64Array(this._res.length * 2);
    }
    return out;
  }
  /** Wipes the key now (otherwise when garbage-collected). */
  dispose() {
    this._c.dispose();
    this._in.fill(0); // the last plaintexts
    this._out.fill(0);
  }
}

// ---- JavaScript twin ----------------------------------------------------------
class JsEnvelopeCipher extends EnvelopeCipherBase {
  constructor(options) {
    needSync('createEnvelopeCipher');
    const o = normalizeOptions(options);
    super();
    this._o = o;
    this._key = Buffer.from(o.key);
    this._prefix = o.prefix ? Buffer.from(o.prefix) : nodeCrypto.randomBytes(8);
    this._ivSeal = Buffer.alloc(12);
    this._prefix.copy(this._ivSeal, 0);
    this._counter = o.counter;
    this._head = flat(`{"protocolVersion":2,"sessionId":${JSON.stringify(o.sessionId)},"seq":`);
    this._mid = flat(`,"type":"enc","payload":{"kid":${JSON.stringify(o.kid)},"nonceB64":"`);
    this._iv = Buffer.alloc(12); // the nonce of the line being opened (_openFast)
    this._ascii = /^[\x20-\x7e]*$/.test(this._head + this._mid); // the lines are ASCII
    this.lastSeq = -1;
    this.lastCounter = -1;
  }
  get nonceCounter() {
    return this._counter;
  }
  get noncePrefix() {
    return new Uint8Array(this._prefix);
  }
  _nonce() {
    if (this._counter >= this._o.maxNonces) {
      throw new AesGcmError('Key needs rotation: nonce limit reached', 'ENCRYPTION_KEY_EXPIRED');
    }
    // one buffer, reused: node:crypto copies the IV when the cipher is made
    const nonce = this._ivSeal;
    nonce.writeUInt32BE(this._counter >>> 0, 8);
    this._counter++;
    return nonce;
  }
  _sealBuf(seq, data, nonce) {
    if (!this._key) throw new Error('EnvelopeCipher was disposed');
    const iv = explicitNonce(nonce) || this._nonce();
    const c = nodeCrypto.createCipheriv('aes-256-gcm', this._key, iv);
    const u = typeof data === 'string' ? c.update(data, 'utf8') : c.update(data);
    c.final();
    return `${this._head}${seq}${this._mid}${iv.toString('base64')}","ciphertextB64":"${ctBase64(u, c.getAuthTag())}"}}`;
  }
  sealText(seq, text, nonce) {
    checkSeq(seq);
    // a string goes to node:crypto as it is (the same UTF-8 as Buffer.from)
    return this._sealBuf(seq, typeof text === 'string' ? text : Buffer.from(text, 'utf8'), nonce);
  }
  sealBytes(seq, bytes, nonce) {
    checkSeq(seq);
    return this._sealBuf(seq, asBuffer(bytes), nonce);
  }
  /**
   * Like sealBatch, as a Buffer of its own. ASCII lines are written into it
   * one by one (no joined string to flatten, which at 16 KiB events is a
   * multi-megabyte string of its own).
   */
  sealBatchBuffer(events, seqs) {
    if (!this._ascii) return super.sealBatchBuffer(events, seqs);
    const count = events.length;
    const texts = new Array(count);
    const s = new Array(count);
    for (let i = 0; i < count; i++) {
      const q = seqs ? seqs[i] : events[i] && events[i].seq;
      checkSeq(q);
      s[i] = q;
      texts[i] = stringify(events[i]);
    }
    const lines = new Array(count);
    let total = 0;
    for (let i = 0; i < count; i++) {
      checkSeq(s[i]);
      try {
        lines[i] = this.sealText(s[i], texts[i]);
      } catch (err) {
        err.sealed = i;
        throw err;
      }
      total += lines[i].length + 1;
    }
    if (!this._ends || this._ends.length < count) this._ends = new Uint32Array(count);
    const b = Buffer.allocUnsafe(total);
    let off = 0;
    for (let i = 0; i < count; i++) {
      off += b.latin1Write(lines[i], off);
      b[off++] = 10;
      this._ends[i] = off;
    }
    this._nEnds = count;
    return b;
  }
  sealTextBatch(texts, seqs) {
    let s = '';
    for (let i = 0; i < texts.length; i++) {
      checkSeq(seqs[i]);
      try {
        s += this.sealText(seqs[i], texts[i]) + '\n';
      } catch (err) {
        err.sealed = i;
        throw err;
      }
    }
    return s;
  }
  // The line exactly as this cipher writes it (same session id and kid,
  // protocolVersion 2, keys in order, canonical base64): opened without
  // JSON.parse. undefined for any other line, or one whose fields do not
  // decode: _openLine's general path decides those, so results and errors
  // stay the same.
  _openFast(line) {
    const head = this._head;
    const L = line.length;
    const d0 = head.length;
    if (L < d0 || line.slice(0, d0) !== head) return undefined; // (startsWith is slower at this length)
    let i = d0;
    let seq = 0;
    for (; i < L; i++) {
      const ch = line.charCodeAt(i);
      if (ch < 48 || ch > 57) break;
      seq = seq * 10 + (ch - 48); // exact while safe; larger values round past 2^53 - 1
    }
    const nd = i - d0;
    if (nd === 0 || nd > 16 || (nd > 1 && line.charCodeAt(d0) === 48) || !Number.isSafeInteger(seq)) return undefined;
    if (!line.startsWith(this._mid, i)) return undefined;
    i += this._mid.length;
    const k = line.indexOf(CT_KEY, i);
    if (k < 0 || !line.endsWith('"}}') || L - 3 < k + CT_KEY.length) return undefined;
    const iv = this._iv;
    if (k - i !== 16 || !decodeNonce16(line, i, iv)) return undefined;
    const ct = decodeStrictRange(line, k + CT_KEY.length, L - 3);
    if (!ct || ct.length < 16) return undefined;
    this.lastSeq = seq;
    return this._decrypt(iv, ct);
  }
  _decrypt(iv, ct) {
    if (!this._key) throw new Error('EnvelopeCipher was disposed');
    let text;
    try {
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', this._key, iv);
      d.setAuthTag(ct.subarray(ct.length - 16));
      const pt = d.update(ct.subarray(0, ct.length - 16));
      d.final(); // throws unless authentic: pt is used only after it
      text = pt.toString('utf8');
    } catch {
      throw new AesGcmError('decryption failed: authentication failed or bad nonce/ciphertext', DECRYPT);
    }
    this.lastCounter = iv.readUInt32BE(8);
    return text;
  }
  _openLine(line) {
    const fast = this._openFast(line);
    if (fast !== undefined) return fast;
    let env;
    try {
      env = JSON.parse(line);
    } catch {
      env = null;
    }
    if (!checkEnvelope(env)) {
      this.lastSeq = env && Number.isSafeInteger(env.seq) && env.seq >= 0 ? env.seq : -1;
      const err = new AesGcmError('not a valid encrypted envelope', DECRYPT);
      err.reason = 'envelope';
      throw err;
    }
    this.lastSeq = env.seq;
    const p = env.payload;
    const iv = decodeStrict(p.nonceB64);
    const ct = decodeStrict(p.ciphertextB64);
    if (!iv || iv.length !== 12 || !ct || ct.length < 16) {
      throw new AesGcmError('decryption failed: authentication failed or bad nonce/ciphertext', DECRYPT);
    }
    return this._decrypt(iv, ct);
  }
  openText(line) {
    this.lastSeq = -1;
    this.lastCounter = -1;
    let s = lineString(line);
    return this._openLine(s);
  }
  openTextBatch(data) {
    const out = [];
    if (typeof data !== 'string' && ArrayBuffer.isView(data)) {
      // Bytes: each line decoded on its own (a '\n' byte never sits inside a
      // UTF-8 sequence, so this gives splitLines' lines) instead of the whole
      // chunk as one string.
      const b = asBuffer(data);
      const n = b.length;
      for (let pos = 0; pos < n; ) {
        let end = b.indexOf(10, pos);
        if (end < 0) end = n;
        const line = b.utf8Slice(pos, end > pos && b[end - 1] === 13 ? end - 1 : end);
        pos = end + 1;
        if (line.trim() !== '') this._openInto(out, line);
      }
      return out;
    }
    for (const line of splitLines(data)) this._openInto(out, line);
    return out;
  }
  _openInto(out, line) {
    try {
      const text = this._openLine(line);
      out.push({ seq: this.lastSeq, counter: this.lastCounter, text });
    } catch (error) {
      out.push({ seq: this.lastSeq >= 0 ? this.lastSeq : undefined, error });
    }
  }
  dispose() {
    if (this._key) this._key.fill(0);
    this._key = null;
  }
}

/**
 * createEnvelopeCipher({ key, sessionId, kid, nonceCounter?, maxNonces?, noncePrefix? })
 * key: 32 raw bytes. Nonces are noncePrefix (8 bytes, random by default) ||
 * counter (32-bit big-endian), the counter starting at nonceCounter.
 */
function createEnvelopeCipher(options) {
  return native ? new NativeEnvelopeCipher(options) : new JsEnvelopeCipher(options);
}

module.exports = {
  createEnvelopeCipher,
  NativeEnvelopeCipher,
  JsEnvelopeCipher,
  checkEnvelope,
  splitLines,
  stringify,
  MAX_NONCES,
};
