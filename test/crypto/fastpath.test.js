'use strict';
// The JavaScript backend's shortcuts (issue 12) against the general paths
// they skip, on every backend: the strict base64 decoder without re-encoding,
// the opener that reads the cipher's own line layout without JSON.parse, the
// per-line decoding of byte chunks in openTextBatch, and sealing strings
// without Buffer.from. Each must give the general path's results and errors
// exactly; where the addon is loaded, the native cipher must agree too.
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const { native } = require('../../lib/binding');
const base64 = require('../../lib/crypto/base64');
const payload = require('../../lib/crypto/payload');
const { JsEnvelopeCipher, NativeEnvelopeCipher } = require('../../lib/crypto/cipher');
const { syncCrypto } = require('../../lib/crypto/keys');

const { prng } = require('../helpers/prng');

const SID = 's_4c9184f37cff01bcdc32dc486ec36961';
const KID = 'k_e93816311a605d21110e0d9c45ae8dcd';
const KEY = Buffer.alloc(32, 7);
const PREFIX = Buffer.from('0011223344556677', 'hex');
// characters that base64 decoders treat specially
const ODD = 'AQgw+/-_= \n\t!.\u00c1\u0141\u013d\u0a41\ud800Zz09';

function mutateB64(rnd) {
  let s = nodeCrypto.randomBytes(Math.floor(rnd() * 40)).toString('base64');
  const edits = Math.floor(rnd() * 3);
  for (let e = 0; e < edits; e++) {
    const k = Math.floor(rnd() * (s.length + 1));
    const ch = ODD[Math.floor(rnd() * ODD.length)];
    s = s.slice(0, k) + ch + s.slice(k + (rnd() < 0.5 ? 1 : 0));
  }
  return s;
}

function sameBuf(a, b) {
  if (a === null || b === null) return a === b;
  return Buffer.compare(a, b) === 0;
}

describe('crypto fast paths (issue 12)', function () {
  this.timeout(60000);

  describe('strict base64 without re-encoding', () => {
    it('decodeStrict agrees with decode-re-encode-compare on 100,000 odd strings', () => {
      const rnd = prng(12);
      for (let i = 0; i < 100000; i++) {
        const s = mutateB64(rnd);
        const want = base64.decodeStrict(s);
        assert.ok(sameBuf(payload.decodeStrict(s), want), JSON.stringify(s));
        const pre = 'ab'.slice(0, i % 3);
        const w = `${pre}${s}"}}`;
        assert.ok(sameBuf(payload.decodeStrictRange(w, pre.length, pre.length + s.length), want), JSON.stringify(s));
      }
    });
    it('canonical inputs of every length decode to their bytes; padding bits and the URL alphabet are refused', () => {
      for (let n = 0; n < 200; n++) {
        const b = nodeCrypto.randomBytes(n);
        const s = b.toString('base64');
        assert.ok(sameBuf(payload.decodeStrict(s), b));
        assert.ok(sameBuf(payload.decodeStrictRange(s, 0, s.length), b));
      }
      for (const s of ['QR==', 'QUJ=', 'ab-_', '====', 'A===', 'QQ=A', 'QQ==QQ==', 'Q\u0141==', ' QQ=', 'QQ']) {
        assert.strictEqual(payload.decodeStrict(s), null, s);
        assert.strictEqual(payload.decodeStrictRange(s, 0, s.length), null, s);
      }
      assert.strictEqual(payload.decodeStrict(123), null);
      assert.deepStrictEqual(payload.decodeStrict(''), Buffer.alloc(0));
    });
    it('decodeNonce16 takes exactly 16 canonical characters', () => {
      const out = Buffer.alloc(12);
      for (let i = 0; i < 2000; i++) {
        const b = nodeCrypto.randomBytes(12);
        const s = b.toString('base64');
        assert.ok(payload.decodeNonce16(`x${s}`, 1, out));
        assert.deepStrictEqual(out, b);
        const k = i % 16;
        const bad = s.slice(0, k) + '-_=\u0141 '[i % 5] + s.slice(k + 1);
        assert.strictEqual(payload.decodeNonce16(bad, 0, out), false, bad);
      }
      assert.strictEqual(payload.decodeNonce16('AAAA', 0, out), false);
    });
    it('ctBase64(u, tag) is base64(u || tag) at every length', () => {
      for (let n = 0; n < 100; n++) {
        const u = nodeCrypto.randomBytes(n);
        const tag = nodeCrypto.randomBytes(16);
        assert.strictEqual(payload.ctBase64(u, tag), Buffer.concat([u, tag]).toString('base64'));
      }
    });
  });

  (syncCrypto ? describe : describe.skip)('the JavaScript cipher', () => {
    const mk = (o = {}) => new JsEnvelopeCipher({ key: KEY, sessionId: SID, kid: KID, noncePrefix: PREFIX, ...o });
    // the same cipher with the shortcut switched off: the general path only
    const general = () => {
      const g = mk();
      g._openFast = () => undefined;
      return g;
    };
    const outcome = (ci, line) => {
      ci.lastSeq = 7;
      ci.lastCounter = 7;
      try {
        const text = ci.openText(line);
        return { text, seq: ci.lastSeq, counter: ci.lastCounter };
      } catch (err) {
        return { error: [err.name, err.code, err.message, err.reason], seq: ci.lastSeq, counter: ci.lastCounter };
      }
    };

    function lines() {
      const s = mk();
      const good = [];
      for (const [seq, ev] of [
        [0, {}],
        [1, { type: 'stdout', payload: { chunk: 'hello' } }],
        [2 ** 53 - 1, { t: 'caf\u00e9 \u{1f600} "q" \\ \n' }],
        [42, { big: 'x'.repeat(70000) }],
      ]) {
        good.push(s.seal(ev, seq));
      }
      const g = good[1];
      const env = JSON.parse(g);
      const ct = env.payload.ciphertextB64;
      const variants = [...good];
      const withEnv = (f) => {
        const e = JSON.parse(g);
        f(e);
        return JSON.stringify(e);
      };
      variants.push(
        g.replace('"seq":', '"seq":0'), // leading zero: not JSON
        g.replace(/"seq":\d+/, '"seq":1e0'),
        g.replace(/"seq":\d+/, '"seq":9007199254740993'),
        g.replace(/"seq":\d+/, '"seq":12345678901234567'),
        g.replace(/"seq":\d+/, '"seq":-1'),
        g.replace(/"seq":\d+/, '"seq":1.5'),
        g.replace('"protocolVersion":2', '"protocolVersion":1'),
        ` ${g}`,
        `${g} `,
        `${g}\r`,
        g.slice(0, -1),
        g.slice(0, -3),
        g.replace(KID, 'k_other'),
        g.replace(SID, 's_other'),
        g.replace('"}}', '","tagB64":"x"}}'),
        g.replace('"}}', '","ciphertextB64":"AAAA"}}'),
        g.replace('"nonceB64":"', '"nonceB64":"AAAA'),
        g.replace(/"nonceB64":"[^"]*"/, '"nonceB64":"AAAAAAAAAAAAAA=="'),
        g.replace(/"nonceB64":"[^"]*"/, '"nonceB64":""'),
        g.replace(ct, ''),
        g.replace(ct, 'AAAA'),
        g.replace(ct, ct.slice(0, -4)),
        g.replace(ct, ct.replace(/[+/]/g, (m) => (m === '+' ? '-' : '_'))),
        g.replace(ct, `${ct.slice(0, 4)}\\u0041${ct.slice(5)}`),
        g.replace(ct, `${ct.slice(0, 4)}\u0141${ct.slice(5)}`),
        g.replace(ct, `${ct.slice(1)}A`),
        withEnv((e) => {
          e.payload.ciphertextB64 = Buffer.from(ct, 'base64').fill(0, 0, 1).toString('base64');
        }),
        withEnv((e) => {
          e.extra = 1;
        }),
        withEnv((e) => {
          delete e.type;
        }),
        '',
        'null',
        '{}',
        '{"protocolVersion":2,"sessionId":"s_4c9184f37cff01bcdc32dc486ec36961","seq":',
      );
      const rnd = prng(7);
      for (let i = 0; i < 300; i++) {
        const k = Math.floor(rnd() * g.length);
        variants.push(g.slice(0, k) + ODD[Math.floor(rnd() * ODD.length)] + g.slice(k + 1));
      }
      return variants;
    }

    it('opens every line, good or bad, exactly as the general path does', () => {
      const all = lines();
      const fast = mk();
      const slow = general();
      const nat = native ? new NativeEnvelopeCipher({ key: KEY, sessionId: SID, kid: KID, noncePrefix: PREFIX }) : null;
      let opened = 0;
      for (const line of all) {
        const a = outcome(fast, line);
        const b = outcome(slow, line);
        assert.deepStrictEqual(a, b, line.slice(0, 300));
        if (a.text !== undefined) opened++;
        if (nat) {
          const n = outcome(nat, line);
          assert.strictEqual(n.text, a.text, line.slice(0, 300));
          if (a.error) assert.strictEqual(n.error[1], a.error[1], line.slice(0, 300));
          // (after an invalid envelope the backends' lastSeq differ, as before)
          if (a.text !== undefined) assert.strictEqual(n.seq, a.seq, line.slice(0, 300));
        }
      }
      assert.ok(opened >= 5);
      assert.ok(opened < all.length);
    });

    it('a disposed cipher refuses lines of its own layout as the general path does', () => {
      const line = mk().seal({ a: 1 }, 3);
      const a = mk();
      const b = general();
      a.dispose();
      b.dispose();
      assert.deepStrictEqual(outcome(a, line), outcome(b, line));
      assert.match(outcome(a, line).error[2], /disposed/);
    });

    it('openTextBatch on bytes gives the lines of the same chunk as a string', () => {
      const s = mk();
      const good = [s.seal({ a: 1 }, 1), s.seal({ b: '\u00e9\u{1f600}' }, 2), s.seal({ c: 'x'.repeat(5000) }, 3)];
      const chunks = [
        `${good.join('\n')}\n`,
        `${good.join('\r\n')}\r\n`,
        `\n\n${good[0]}\n   \n\t\r\n${good[1]}`,
        `${good[0]}\n{"not":"an envelope"}\n${good[2]}\r`,
        `\r`,
        '',
      ];
      const bytes = chunks.map((t) => Buffer.from(t, 'utf8'));
      // invalid UTF-8 next to the line breaks
      bytes.push(Buffer.concat([Buffer.from(good[0]), Buffer.from([0xe2, 0x82, 0x0d, 0x0a, 0xac]), Buffer.from(good[1]), Buffer.from([0xf0, 0x0a])]));
      bytes.push(Buffer.concat([Buffer.from([0xe2, 0x82]), Buffer.from(`\n${good[2]}\n`)]));
      const strip = (rs) => rs.map((r) => (r.error ? { seq: r.seq, error: [r.error.code, r.error.message, r.error.reason] } : r));
      for (const b of bytes) {
        const o = mk();
        const want = strip(o.openTextBatch(b.toString('utf8')));
        assert.deepStrictEqual(strip(o.openTextBatch(b)), want);
        assert.deepStrictEqual(strip(o.openTextBatch(new Uint8Array(b.buffer, b.byteOffset, b.length))), want);
      }
    });

    it('seals strings (lone surrogates included) as the UTF-8 of Buffer.from', () => {
      const nonce = Buffer.from('000102030405060708090a0b', 'hex');
      for (const text of ['', '{}', 'a\ud800b', '\udc00', 'x\u{1f600}y', '\u00e9'.repeat(1000)]) {
        const line = mk().sealText(5, text, nonce);
        const c = nodeCrypto.createCipheriv('aes-256-gcm', KEY, nonce);
        const ct = Buffer.concat([c.update(Buffer.from(text, 'utf8')), c.final(), c.getAuthTag()]);
        assert.strictEqual(JSON.parse(line).payload.ciphertextB64, ct.toString('base64'));
        if (native) {
          const n = new NativeEnvelopeCipher({ key: KEY, sessionId: SID, kid: KID, noncePrefix: PREFIX });
          assert.strictEqual(n.sealText(5, text, nonce), line);
        }
      }
    });
  });
});
