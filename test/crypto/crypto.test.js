'use strict';
// Encryption: crypto.json vectors (byte for byte), bad inputs and their codes,
// a randomized differential test against Node's WebCrypto, large payloads,
// nonce uniqueness and expiry, and the encrypted channel. Runs on whichever
// backend lib/binding selected (npm test runs both).
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const path = require('node:path');
const { backend } = require('../../lib/binding');
const c = require('../../lib/crypto');
const vectors = require(path.join(__dirname, '..', 'vectors', 'crypto.json'));

const { subtle } = globalThis.crypto;
const hex = (h) => Buffer.from(h, 'hex');

const { prng } = require('../helpers/prng');
const { setWebCrypto } = require('../helpers/webcrypto-env');
const { channelPair } = require('../helpers/channel-pair');

describe(`crypto (${backend} backend)`, function () {
  this.timeout(60000);

  describe('crypto.json vectors', () => {
    it('handshakes: public keys, shared secrets, session keys, hellos', async () => {
      for (const h of vectors.handshakes) {
        assert.strictEqual(Buffer.from(c.publicKeyFromPrivate(hex(h.clientPrivateKeyHex))).toString('base64'), h.clientPublicKeyB64);
        assert.strictEqual(Buffer.from(c.publicKeyFromPrivate(hex(h.serverPrivateKeyHex))).toString('base64'), h.serverPublicKeyB64);
        const a = await c.deriveSharedSecret(new Uint8Array(hex(h.clientPrivateKeyHex)), h.serverPublicKeyB64);
        const b = c.deriveSharedSecretSync(hex(h.serverPrivateKeyHex), Buffer.from(h.clientPublicKeyB64, 'base64'));
        assert.strictEqual(Buffer.from(a).toString('hex'), h.sharedSecretHex);
        assert.strictEqual(Buffer.from(b).toString('hex'), h.sharedSecretHex);
        const keys = await c.deriveSessionKeys(a, h.sessionId);
        assert.strictEqual(Buffer.from(keys.clientToServerKey).toString('hex'), h.clientToServerKeyHex);
        assert.strictEqual(Buffer.from(keys.serverToClientKey).toString('hex'), h.serverToClientKeyHex);
        // the same through WebCrypto CryptoKeys (JWK import of the vector's private key)
        const pub = Buffer.from(h.clientPublicKeyB64, 'base64');
        const jwk = {
          kty: 'EC',
          crv: 'P-256',
          d: hex(h.clientPrivateKeyHex).toString('base64url'),
          x: pub.subarray(1, 33).toString('base64url'),
          y: pub.subarray(33).toString('base64url'),
        };
        const priv = await subtle.importKey('jwk', jwk, { name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
        const peer = await c.importPublicKey(h.serverPublicKeyB64);
        assert.strictEqual(Buffer.from(await c.deriveSharedSecret(priv, peer)).toString('hex'), h.sharedSecretHex);
        const pubKey = await c.importPublicKey(h.clientPublicKeyB64);
        assert.deepStrictEqual(await c.createClientHello({ publicKey: pubKey, privateKey: priv }), h.clientHello);
        const spub = await c.importPublicKey(h.serverPublicKeyB64);
        assert.deepStrictEqual(await c.createServerHello({ publicKey: spub }, h.serverHello.keyId), h.serverHello);
        const ps = await c.processServerHello(h.serverHello);
        assert.strictEqual(ps.keyId, h.serverHello.keyId);
        assert.deepStrictEqual(await c.exportPublicKey(ps.peerPublicKey), { publicKeyB64: h.serverPublicKeyB64, curve: 'P-256' });
      }
    });

    it('hkdf', async () => {
      for (const v of vectors.hkdf) {
        const salt = v.saltUtf8 === undefined ? null : new TextEncoder().encode(v.saltUtf8);
        assert.strictEqual(Buffer.from(await c.deriveKey(hex(v.sharedSecretHex), salt, v.info)).toString('hex'), v.keyHex);
      }
    });

    it('envelopes: sealed byte for byte with the given nonce, and opened', async () => {
      for (const e of vectors.envelopes) {
        const env = JSON.parse(e.line);
        const cipher = c.createEnvelopeCipher({ key: hex(e.keyHex), sessionId: env.sessionId, kid: env.payload.kid });
        assert.strictEqual(cipher.sealText(env.seq, JSON.stringify(e.inner), hex(e.nonceHex)), e.line);
        assert.deepStrictEqual(cipher.open(e.line), e.inner);
        assert.strictEqual(cipher.lastSeq, env.seq);
        assert.strictEqual(cipher.lastCounter, e.counter);
        assert.deepStrictEqual(cipher.openBatch(Buffer.from(e.line + '\n')), [e.inner]);
        // the reference-compatible async API
        const key = await c.importAesGcmKey(hex(e.keyHex));
        const made = await c.createEncryptedEnvelope(key, env.payload.kid, env.sessionId, env.seq, e.inner, hex(e.nonceHex));
        assert.strictEqual(JSON.stringify(made), e.line);
        assert.deepStrictEqual(await c.decryptJson(key, env.payload), e.inner);
        const ctx = await c.SessionEncryptionContext.fromKeyBytes(hex(e.keyHex), env.payload.kid);
        assert.deepStrictEqual(await ctx.decryptJson(env.payload), e.inner);
      }
    });

    it('bad inputs fail with their codes', async () => {
      for (const b of vectors.bad) {
        if (b.publicKeyB64 !== undefined) {
          assert.throws(() => c.deriveSharedSecretSync(new Uint8Array(32).fill(7), b.publicKeyB64), (err) => err.code === b.code, b.why);
          await assert.rejects(c.importPublicKey(b.publicKeyB64), (err) => err.name === 'EcdhError' && err.code === b.code, b.why);
          await assert.rejects(
            c.createEncryptedChannel({ role: 'client', remotePublicKey: b.publicKeyB64, onMessage() {} }),
            (err) => err.code === b.code,
          );
        } else {
          const cipher = c.createEnvelopeCipher({ key: hex(b.keyHex), sessionId: 's_x', kid: 'k' });
          assert.throws(() => cipher.open(b.line), (err) => err.name === 'AesGcmError' && err.code === b.code, b.why);
          const key = await c.importAesGcmKey(hex(b.keyHex));
          const env = JSON.parse(b.line);
          await assert.rejects(c.decryptJson(key, env.payload), (err) => err.code === b.code, b.why);
        }
      }
    });
  });

  describe('differential against Node WebCrypto', () => {
    it('random keys, session ids and sizes 0 B .. 4 MiB, both directions', async () => {
      const rnd = prng(0xc0ffee);
      const sizes = [0, 1, 2, 3, 15, 16, 17, 100, 1000, 4095, 65536, 131073, 1 << 20, 4 << 20];
      for (let i = 0; i < 40; i++) sizes.push(Math.floor(rnd() * 70000));
      for (const size of sizes) {
        const key = nodeCrypto.randomBytes(32);
        const sid = `s_${nodeCrypto.randomBytes(1 + Math.floor(rnd() * 20)).toString('base64')}${rnd() < 0.3 ? 'é"\\\n\u2028' : ''}`;
        const kid = `k_${nodeCrypto.randomUUID()}`;
        const seq = Math.floor(rnd() * 2 ** 40);
        const inner = { type: 'stdout', seq, payload: { chunk: 'x'.repeat(size) } };
        const text = JSON.stringify(inner);
        const wkey = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
        const cipher = c.createEnvelopeCipher({ key, sessionId: sid, kid });
        // ours -> WebCrypto
        const line = cipher.sealText(seq, text);
        const env = JSON.parse(line);
        assert.deepStrictEqual(Object.keys(env), ['protocolVersion', 'sessionId', 'seq', 'type', 'payload']);
        assert.strictEqual(env.sessionId, sid);
        const pt = await subtle.decrypt({ name: 'AES-GCM', iv: Buffer.from(env.payload.nonceB64, 'base64') }, wkey, Buffer.from(env.payload.ciphertextB64, 'base64'));
        assert.strictEqual(Buffer.from(pt).toString('utf8'), text);
        // WebCrypto -> ours, and the exact line from the same nonce
        const nonce = nodeCrypto.randomBytes(12);
        const ct = Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv: nonce }, wkey, Buffer.from(text)));
        const theirs = JSON.stringify({ protocolVersion: 2, sessionId: sid, seq, type: 'enc', payload: { kid, nonceB64: nonce.toString('base64'), ciphertextB64: ct.toString('base64') } });
        assert.strictEqual(cipher.openText(theirs), text);
        assert.strictEqual(cipher.sealText(seq, text, nonce), theirs);
      }
    });

    it('payloads up to 16 MiB (the reference fails above ~125 KB)', async () => {
      const key = nodeCrypto.randomBytes(32);
      const inner = { type: 'stdout', payload: { chunk: 'a'.repeat(16 * 1024 * 1024 - 64) } };
      const cipher = c.createEnvelopeCipher({ key, sessionId: 's_big', kid: 'k_big' });
      const line = cipher.seal(inner, 1);
      assert.deepStrictEqual(cipher.open(line), inner);
      const ck = await c.importAesGcmKey(key);
      const env = await c.createEncryptedEnvelope(ck, 'k', 's_big', 1, inner);
      assert.deepStrictEqual(await c.decryptJson(ck, env.payload), inner);
      const b = c.toBase64(new Uint8Array(3 * 1024 * 1024));
      assert.strictEqual(c.fromBase64(b).length, 3 * 1024 * 1024);
    });
  });

  describe('batch sealing', () => {
    it('sealBatch / sealBatchBuffer write exactly the lines of per-event seal()', () => {
      const key = nodeCrypto.randomBytes(32);
      const noncePrefix = nodeCrypto.randomBytes(8);
      const rnd = prng(7);
      const big = 'x'.repeat(70000);
      const events = [
        { seq: 1, type: 'stdout', payload: { chunk: 'a "quoted" \\ back\nslash, ], }, [ {' } },
        { seq: 2, payload: { s: '\u00e9\u4e2d\ud83d\ude00', arr: [1, [2, [3]], { a: null }], d: new Date(0) } },
        { seq: 3, payload: { chunk: big } },
        { seq: 4, payload: { chunk: big + '"' } },
        { seq: 5, n: -0, f: 1e21, u: undefined, t: true },
      ];
      for (let i = 0; i < 300; i++) {
        const chunk = Array.from({ length: Math.floor(rnd() * 200) }, () => String.fromCharCode(Math.floor(rnd() * 0x3000))).join('');
        events.push({ seq: 6 + i, payload: { chunk, k: '\\'.repeat(i % 5) + '"' } });
      }
      for (const sessionId of ['s_plain', 's_\u00fcnic\u00f6de "q"']) {
        const mk = () => c.createEnvelopeCipher({ key, sessionId, kid: 'k_1', noncePrefix });
        const want = (() => {
          const one = mk();
          return events.map((e) => one.seal(e) + '\n').join('');
        })();
        assert.strictEqual(mk().sealBatch(events), want);
        // a second batch on the same cipher (serialized in slices, sized from the first)
        const twice = mk();
        twice.sealBatch(events);
        const want2 = (() => {
          const one = mk();
          for (const e of events) one.seal(e);
          return events.map((e) => one.seal(e) + '\n').join('');
        })();
        assert.strictEqual(twice.sealBatch(events), want2);
        const b = mk();
        const buf = b.sealBatchBuffer(events);
        assert.ok(Buffer.isBuffer(buf));
        assert.strictEqual(buf.toString('utf8'), want);
        const ends = b.lastEnds;
        assert.strictEqual(ends.length, events.length);
        assert.strictEqual(ends[ends.length - 1], buf.length);
        assert.strictEqual(buf.subarray(ends[0], ends[1] - 1).toString(), want.split('\n')[1]);
        // seqs given separately; a top-level toJSON (takes the per-event path)
        const withToJSON = [{ seq: 1, toJSON: (k) => ({ seq: 1, key: k }) }, { seq: 2 }];
        assert.strictEqual(mk().sealBatch(withToJSON, [7, 8]), (() => {
          const one = mk();
          return one.sealText(7, JSON.stringify(withToJSON[0])) + '\n' + one.sealText(8, '{"seq":2}') + '\n';
        })());
        // and it opens back
        const opener = mk();
        assert.deepStrictEqual(opener.openBatch(buf), JSON.parse(JSON.stringify(events)));
      }
      assert.throws(() => c.createEnvelopeCipher({ key, sessionId: 's_x', kid: 'k' }).sealBatch([{ seq: -1 }]), TypeError);
      assert.throws(() => c.createEnvelopeCipher({ key, sessionId: 's_x', kid: 'k' }).sealBatch([undefined], [1]), TypeError);
    });
  });

  describe('nonces', () => {
    it('never repeat within a context, and the counter stops at maxNonces with ENCRYPTION_KEY_EXPIRED', async () => {
      const cipher = c.createEnvelopeCipher({ key: nodeCrypto.randomBytes(32), sessionId: 's_n', kid: 'k', maxNonces: 50 });
      const seen = new Set();
      const lines = cipher.sealBatch(Array.from({ length: 30 }, (_, i) => ({ seq: i + 1 }))).split('\n').filter(Boolean);
      for (let i = 0; i < 20; i++) lines.push(cipher.seal({ i }, 100 + i));
      for (const l of lines) seen.add(JSON.parse(l).payload.nonceB64);
      assert.strictEqual(seen.size, 50);
      assert.strictEqual(cipher.nonceCounter, 50);
      assert.ok(cipher.needsRotation());
      assert.throws(() => cipher.seal({ x: 1 }, 1), (err) => err.name === 'AesGcmError' && err.code === 'ENCRYPTION_KEY_EXPIRED');
      assert.throws(() => cipher.sealBatch([{ seq: 1 }]), (err) => err.code === 'ENCRYPTION_KEY_EXPIRED');
      assert.strictEqual(cipher.nonceCounter, 50);
      // SessionEncryptionContext with a small maxNonces
      const ctx = new c.SessionEncryptionContext(await c.importAesGcmKey(new Uint8Array(32)), {
        keyId: 'k', algorithm: 'AES-GCM-256', keyBytes: new Uint8Array(32), nonceCounter: 0n, maxNonces: 3n, createdAt: 0,
      });
      const nonces = new Set();
      for (let i = 0; i < 3; i++) nonces.add((await ctx.encryptJson({ i })).nonceB64);
      assert.strictEqual(nonces.size, 3);
      await assert.rejects(ctx.encryptJson({}), (err) => err.code === 'ENCRYPTION_KEY_EXPIRED');
      assert.strictEqual(ctx.getNonceCounter(), 3n);
      assert.strictEqual(c.generateCounterNonce(new Uint8Array(8).fill(1), 0x01020304n).join(','), '1,1,1,1,1,1,1,1,1,2,3,4');
      assert.throws(() => c.generateCounterNonce(new Uint8Array(7), 0n), (err) => err.code === 'ENCRYPTION_NONCE_REUSE');
    });
  });

  describe('reference per-call API', () => {
    it('SessionEncryptionContext / encryptJson / decryptJson agree with a WebCrypto-only key, nonces count from nonceCounter', async () => {
      const bytes = nodeCrypto.randomBytes(32);
      const foreign = await subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']); // not ours: subtle path
      const ctx = new c.SessionEncryptionContext(foreign, {
        keyId: 'k_1', algorithm: 'AES-GCM-256', keyBytes: bytes, nonceCounter: 0xfffffffen, maxNonces: 2n ** 33n, createdAt: 0,
      });
      const plain = new c.SessionEncryptionContext(foreign, { keyId: 'k_1', algorithm: 'AES-GCM-256', nonceCounter: 0n, maxNonces: 10n, createdAt: 0 });
      const inners = [{ a: 1 }, { s: 'é"\\\n'.repeat(50) }, [1, 2], 'text', { big: 'y'.repeat(200000) }];
      let prefix = null;
      for (let i = 0; i < inners.length; i++) {
        const env = await ctx.createEnvelope('s_1', i, inners[i]);
        assert.deepStrictEqual(Object.keys(env), ['protocolVersion', 'sessionId', 'seq', 'type', 'payload']);
        assert.deepStrictEqual(Object.keys(env.payload), ['kid', 'nonceB64', 'ciphertextB64']);
        const nonce = Buffer.from(env.payload.nonceB64, 'base64');
        assert.strictEqual(nonce.readUInt32BE(8), (0xfffffffe + i) % 2 ** 32);
        if (prefix) assert.ok(nonce.subarray(0, 8).equals(prefix));
        prefix = nonce.subarray(0, 8);
        // WebCrypto opens ours; ours opens through the foreign key and the raw bytes
        const pt = await subtle.decrypt({ name: 'AES-GCM', iv: nonce }, foreign, Buffer.from(env.payload.ciphertextB64, 'base64'));
        assert.strictEqual(Buffer.from(pt).toString(), JSON.stringify(inners[i]));
        assert.deepStrictEqual(await plain.decryptJson(env.payload), inners[i]);
        assert.deepStrictEqual(await c.decryptJson(bytes, env.payload), inners[i]);
        assert.deepStrictEqual(await ctx.decryptJson(env.payload), inners[i]);
        // atob-style input the reference accepts: no padding, whitespace
        const loose = { ...env.payload, ciphertextB64: env.payload.ciphertextB64.replace(/=+$/, '').replace(/(.{60})/g, '$1\n') };
        assert.deepStrictEqual(await ctx.decryptJson(loose), inners[i]);
      }
      assert.strictEqual(ctx.getNonceCounter(), 0xfffffffen + BigInt(inners.length));
      assert.strictEqual(ctx.toKeyInfo().nonceCounter, ctx.getNonceCounter());
      // auth failure and malformed base64
      const env = await c.createEncryptedEnvelope(bytes, 'k_1', 's_1', 1, { x: 1 });
      const ct = Buffer.from(env.payload.ciphertextB64, 'base64');
      ct[0] ^= 1;
      for (const key of [bytes, foreign]) {
        await assert.rejects(c.decryptJson(key, { ...env.payload, ciphertextB64: ct.toString('base64') }),
          (err) => err.name === 'AesGcmError' && err.code === 'ENCRYPTION_DECRYPTION_FAILED');
        await assert.rejects(c.decryptJson(key, { ...env.payload, ciphertextB64: '%%%%' }), (err) => err.name === 'InvalidCharacterError');
        // U+0141's low byte is 'A': it must not pass for base64
        const swapped = env.payload.ciphertextB64.replace(/A/, '\u0141');
        if (swapped !== env.payload.ciphertextB64) {
          await assert.rejects(c.decryptJson(key, { ...env.payload, ciphertextB64: swapped }), (err) => err.name === 'InvalidCharacterError');
        }
        await assert.rejects(c.decryptJson(key, { ...env.payload, nonceB64: env.payload.nonceB64.replace(/./, '\u0141') }),
          (err) => err.name === 'InvalidCharacterError');
      }
      assert.deepStrictEqual(await c.decryptJson(foreign, (await c.encryptJson(bytes, 'k', { y: 2 })).valueOf()), { y: 2 });
      // a raw key array changed after use seals with its new bytes; a context keeps its own copy of keyBytes
      const mutable = new Uint8Array(nodeCrypto.randomBytes(32));
      const kb = new Uint8Array(bytes); // the bytes of `foreign`
      const ctx2 = new c.SessionEncryptionContext(foreign, { keyId: 'k', algorithm: 'AES-GCM-256', keyBytes: kb, nonceCounter: 0n, maxNonces: 9n, createdAt: 0 });
      await c.encryptJson(mutable, 'k', { z: 1 });
      mutable.set(bytes);
      kb.fill(0);
      assert.deepStrictEqual(await c.decryptJson(foreign, await c.encryptJson(mutable, 'k', { z: 2 })), { z: 2 });
      assert.deepStrictEqual(await c.decryptJson(foreign, await ctx2.encryptJson({ z: 3 })), { z: 3 });
      await assert.rejects(c.encryptJson(bytes, 'k', {}, new Uint8Array(11)), (err) => err.code === 'ENCRYPTION_DECRYPTION_FAILED');
    });
  });

  describe('README API', () => {
    it('generateKeyPair / deriveSharedSecret / encrypt(secret, text) / decrypt(secret, encrypted)', async () => {
      const serverKeys = await c.generateKeyPair();
      const clientKeys = await c.generateKeyPair();
      const serverSecret = await c.deriveSharedSecret(serverKeys.privateKey, clientKeys.publicKey);
      const clientSecret = await c.deriveSharedSecret(clientKeys.privateKey, serverKeys.publicKey);
      const message = { type: 'tool_call', name: 'secretOp', args: { é: 1 } };
      const encrypted = await c.encrypt(serverSecret, JSON.stringify(message));
      assert.deepStrictEqual(Object.keys(encrypted), ['nonceB64', 'ciphertextB64']);
      assert.deepStrictEqual(JSON.parse(await c.decrypt(clientSecret, encrypted)), message);
      const other = await c.generateKeyPair();
      const wrong = await c.deriveSharedSecret(other.privateKey, serverKeys.publicKey);
      await assert.rejects(c.decrypt(wrong, encrypted), (err) => err.name === 'AesGcmError' && err.code === 'ENCRYPTION_DECRYPTION_FAILED');
      // four-argument reference forms with CryptoKeys
      const k = await c.importAesGcmKey(new Uint8Array(32).fill(5));
      const n = c.generateNonce();
      const ct = await c.encrypt(k, new TextEncoder().encode('hi'), n, new Uint8Array([1]));
      assert.strictEqual(new TextDecoder().decode(await c.decrypt(k, ct, n, new Uint8Array([1]))), 'hi');
      await assert.rejects(c.decrypt(k, ct, n), (err) => err.code === 'ENCRYPTION_DECRYPTION_FAILED');
      await assert.rejects(c.encrypt(k, ct, new Uint8Array(8)), (err) => err.code === 'ENCRYPTION_DECRYPTION_FAILED');
      // a WebCrypto key made elsewhere works too
      const foreign = await subtle.importKey('raw', new Uint8Array(32).fill(5), 'AES-GCM', false, ['encrypt', 'decrypt']);
      assert.strictEqual(new TextDecoder().decode(await c.decrypt(foreign, ct, n, new Uint8Array([1]))), 'hi');
    });
  });

  for (const mode of ['sync', 'webcrypto']) describe(`createEncryptedChannel (${mode === 'sync' ? backend : 'crypto.subtle, as in browsers'})`, () => {
    if (mode === 'webcrypto') {
      let restore;
      before(() => {
        restore = setWebCrypto(true);
      });
      after(() => restore());
    }
    it('README example: the first frame carries the hello; messages arrive once, in order, both ways', async () => {
      const { server, client, got, wire } = await channelPair();
      assert.match(server.getPublicKey(), /^B[A-Za-z0-9+/]{86}=$/);
      await client.send({ type: 'tool_call', name: 'secretOp', args: {} });
      await client.send({ n: 2 });
      assert.strictEqual(wire.toServer.length, 2);
      const first = wire.toServer[0].split('\n');
      assert.ok(JSON.parse(first[0]).clientHello);
      assert.strictEqual(JSON.parse(first[1]).type, 'enc');
      server.receive(wire.toServer.join('').slice(0, 50)); // partial chunks are fine
      server.receive(wire.toServer.join('').slice(50));
      await server.settled();
      assert.deepStrictEqual(got.server, [{ type: 'tool_call', name: 'secretOp', args: {} }, { n: 2 }]);
      await server.send({ reply: true });
      for (const f of wire.toClient) client.receive(f);
      await client.settled();
      assert.deepStrictEqual(got.client, [{ reply: true }]);
      assert.deepStrictEqual(got.serverErrors, []);
    });

    it('without remotePublicKey the server hello completes the handshake', async () => {
      const { server, client, got, wire } = await channelPair({ noKey: true });
      const p = client.send({ queued: 1 });
      assert.strictEqual(wire.toServer.length, 1); // the hello alone
      server.receive(wire.toServer.shift());
      await server.settled();
      client.receive(wire.toClient.shift()); // server hello
      await p;
      server.receive(wire.toServer.shift());
      await server.settled();
      assert.deepStrictEqual(got.server, [{ queued: 1 }]);
    });

    it('drops and reports a replayed frame; reports an authentication failure without ending the channel', async () => {
      const { server, client, got, wire } = await channelPair();
      await client.send({ n: 1 });
      await client.send({ n: 2 });
      const [f1, f2] = wire.toServer;
      server.receive(f1);
      server.receive(f2);
      server.receive(f2); // replay
      const env2 = f2.trim();
      // the same envelope with a forged higher seq: still a replay (nonce counter)
      server.receive(env2.replace(/"seq":2,/, '"seq":9,') + '\n');
      await server.settled();
      assert.deepStrictEqual(got.server, [{ n: 1 }, { n: 2 }]);
      assert.strictEqual(got.serverErrors.length, 2);
      assert.ok(got.serverErrors.every((e) => e.replay && e.code === 'ENCRYPTION_NONCE_REUSE'));
      // tampered frame
      await client.send({ n: 3 });
      const f3 = wire.toServer[2].trim();
      const env = JSON.parse(f3);
      const ct = Buffer.from(env.payload.ciphertextB64, 'base64');
      ct[0] ^= 1;
      env.payload.ciphertextB64 = ct.toString('base64');
      server.receive(JSON.stringify(env) + '\n');
      await server.settled();
      assert.strictEqual(got.serverErrors[2].code, 'ENCRYPTION_DECRYPTION_FAILED');
      assert.strictEqual(got.serverErrors[2].seq, 3);
      // the genuine frame 3 still goes through, then 4
      server.receive(f3 + '\n');
      await client.send({ n: 4 });
      server.receive(wire.toServer[3]);
      await server.settled();
      assert.deepStrictEqual(got.server, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      assert.strictEqual(server.stats.delivered, 4);
      assert.strictEqual(server.stats.replays, 2);
      assert.strictEqual(server.stats.authFailures, 1);
    });

    it('runs over a real socket', async () => {
      const net = require('node:net');
      const received = [];
      let serverChannel;
      const srv = net.createServer(async (sock) => {
        serverChannel = await c.createEncryptedChannel({
          role: 'server',
          keyPair: serverKeys,
          onMessage: async (m) => {
            received.push(m);
            await serverChannel.send({ echo: m });
          },
          send: (frame) => sock.write(frame),
        });
        sock.on('data', (d) => serverChannel.receive(d));
      });
      const serverKeys = c.generateKeyPairSync();
      await new Promise((r) => srv.listen(0, '127.0.0.1', r));
      const sock = net.connect(srv.address().port, '127.0.0.1');
      const echoes = [];
      const done = new Promise((resolve) => {
        const client = c.createEncryptedChannel({
          role: 'client',
          remotePublicKey: serverKeys.publicKeyB64,
          onMessage: (m) => {
            echoes.push(m);
            if (echoes.length === 3) resolve();
          },
          send: (frame) => sock.write(frame),
        });
        client.then((ch) => {
          sock.on('data', (d) => ch.receive(d));
          for (let i = 0; i < 3; i++) ch.send({ i, text: 'x'.repeat(i * 40000) });
        });
      });
      await done;
      sock.destroy();
      await new Promise((r) => srv.close(r));
      assert.deepStrictEqual(received.map((m) => m.i), [0, 1, 2]);
      assert.deepStrictEqual(echoes.map((m) => m.echo.i), [0, 1, 2]);
    });
  });
});
