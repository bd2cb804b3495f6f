'use strict';
// lib/crypto/hkdf.js pinned against node:crypto's RFC 5869 HKDF
// (docs/MUTATION.md): the session keys' salt (the session id's UTF-8, or 32
// zero bytes when there is none), the direction labels, key lengths, the
// coded HkdfError of bad input, and imported AES keys (non-extractable, their
// bytes remembered for the synchronous path). Also the browser's side, run in
// Node by loading hkdf.js with the package.json "browser" twins (no addon, no
// node:crypto): HKDF on crypto.subtle (deriveKeyWeb) with the same salt, labels
// and lengths, its coded errors, and keys.js there (webOnly() is true,
// synchronous functions throw ERR_SYNC_CRYPTO_UNAVAILABLE).
const assert = require('node:assert');
const nodeCrypto = require('node:crypto');
const Module = require('node:module');
const path = require('node:path');
const { deriveKey, deriveKeySync, deriveSessionKeys, deriveSessionKeysSync, deriveSessionCryptoKeys, importAesGcmKey, HkdfError } = require('../../lib/crypto/hkdf');
const { rawAesKey } = require('../../lib/crypto/keys');
const { native } = require('../../lib/binding');
const { withWebCrypto } = require('../helpers/webcrypto-env');

const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 5 + 1);
const hkdf = (salt, info, len = 32) => Array.from(new Uint8Array(nodeCrypto.hkdfSync('sha256', secret, salt, Buffer.from(info), len)));
const list = (u8) => Array.from(u8);

const root = path.resolve(__dirname, '../..');
const libDir = path.join(root, 'lib') + path.sep;

/**
 * Requires lib/<rel> for each rel as a browser bundle would see them: one
 * module graph of lib/ loaded afresh, with package.json's "browser"
 * replacements (lib/binding.js without the addon, lib/platform/crypto.js with
 * randomness only, ...). The process's own copies of lib/ are left as they were.
 */
function requireAsInBrowser(...rels) {
  const twins = new Map();
  for (const [from, to] of Object.entries(require('../../package.json').browser)) {
    if (typeof to === 'string' && from.startsWith('./lib/')) twins.set(path.join(root, from), path.join(root, to));
  }
  const ours = (k) => k.startsWith(libDir);
  const saved = Object.keys(require.cache).filter(ours).map((k) => [k, require.cache[k]]);
  for (const [k] of saved) delete require.cache[k];
  // Module._load, not _resolveFilename: Node remembers each (folder, relative
  // request) -> file it resolves, and a twin remembered there would leak into
  // later requires of the process's own graph.
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const file = Module._resolveFilename(request, parent, isMain);
    return load.call(this, twins.get(file) || file, parent, isMain);
  };
  try {
    return rels.map((rel) => require(path.join(libDir, rel)));
  } finally {
    Module._load = load;
    for (const k of Object.keys(require.cache).filter(ours)) delete require.cache[k];
    for (const [k, m] of saved) require.cache[k] = m;
  }
}

describe('crypto/hkdf edges', () => {
  it('session keys: salt = the session id as UTF-8, info = the direction label; both the sync and async forms', async () => {
    const sid = 's_sessión';
    const want = { c: hkdf(Buffer.from(sid, 'utf8'), 'enclavejs-c2s-enc'), s: hkdf(Buffer.from(sid, 'utf8'), 'enclavejs-s2c-enc') };
    for (const k of [deriveSessionKeysSync(secret, sid), await deriveSessionKeys(secret, sid)]) {
      assert.ok(k.clientToServerKey instanceof Uint8Array && !Buffer.isBuffer(k.clientToServerKey));
      assert.deepStrictEqual([list(k.clientToServerKey), list(k.serverToClientKey)], [want.c, want.s]);
    }
  });

  it('session keys without a session id (null or undefined): the zero salt, not the text "null"', async () => {
    const want = hkdf(Buffer.alloc(32), 'enclavejs-c2s-enc');
    assert.deepStrictEqual(list(deriveSessionKeysSync(secret, null).clientToServerKey), want);
    assert.deepStrictEqual(list(deriveSessionKeysSync(secret, undefined).clientToServerKey), want);
    assert.deepStrictEqual(list((await deriveSessionKeys(secret, null)).clientToServerKey), want);
    assert.notDeepStrictEqual(list(deriveSessionKeysSync(secret, 'null').clientToServerKey), want);
  });

  it('a non-32-byte shared secret still derives (the general path)', () => {
    const s16 = secret.subarray(0, 16);
    const want = Array.from(new Uint8Array(nodeCrypto.hkdfSync('sha256', s16, Buffer.from('s_x'), Buffer.from('enclavejs-s2c-enc'), 32)));
    assert.deepStrictEqual(list(deriveSessionKeysSync(s16, 's_x').serverToClientKey), want);
  });

  it('deriveKeySync / deriveKey: any length, salt null = 32 zero bytes, info taken as a string', async () => {
    assert.deepStrictEqual(list(deriveKeySync(secret, null, 'info')), hkdf(Buffer.alloc(32), 'info'));
    assert.deepStrictEqual(list(deriveKeySync(secret, Buffer.from('salt'), 'info', 16)), hkdf(Buffer.from('salt'), 'info', 16));
    assert.deepStrictEqual(list(deriveKeySync(secret, Buffer.from('salt'), 42, 64)), hkdf(Buffer.from('salt'), '42', 64));
    assert.deepStrictEqual(list(await deriveKey(secret, null, 'info', 20)), hkdf(Buffer.alloc(32), 'info', 20));
    assert.strictEqual((await deriveKey(secret, null, 'info')).length, 32);
  });

  it('bad input is a coded HkdfError saying why', async () => {
    const coded = (err) => err instanceof HkdfError && err.code === 'ENCRYPTION_KEY_DERIVATION_FAILED';
    const check = (err) => {
      assert.ok(coded(err));
      assert.match(err.message, /^Failed to derive key: /);
      return true;
    };
    assert.throws(() => deriveKeySync('not bytes', null, 'i'), (err) => check(err) && /expected a Uint8Array/.test(err.message));
    // over RFC 5869's 255 * HashLen: the message is the backend's (native: the C core's status text)
    assert.throws(() => deriveKeySync(secret, null, 'i', 255 * 32 + 1), (err) => {
      assert.ok(coded(err));
      if (native) assert.strictEqual(err.message, 'key derivation failed');
      else assert.match(err.message, /^Failed to derive key: /);
      return true;
    });
    await assert.rejects(deriveKey(42, null, 'i'), check);
  });

  it('importAesGcmKey: a non-extractable AES-GCM CryptoKey whose bytes are remembered; a bad length is a coded HkdfError', async () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
    const key = await importAesGcmKey(bytes);
    assert.strictEqual(key.extractable, false);
    assert.strictEqual(key.algorithm.name, 'AES-GCM');
    assert.strictEqual(key.algorithm.length, 256);
    assert.deepStrictEqual(key.usages.slice().sort(), ['decrypt', 'encrypt']);
    assert.deepStrictEqual(list(rawAesKey(key)), list(bytes));
    await assert.rejects(importAesGcmKey(new Uint8Array(15)), (err) => {
      assert.ok(err instanceof HkdfError);
      assert.strictEqual(err.code, 'ENCRYPTION_KEY_DERIVATION_FAILED');
      assert.match(err.message, /^Failed to import AES key: /);
      return true;
    });
  });

  it('deriveSessionCryptoKeys: the two session keys as non-extractable AES-GCM CryptoKeys, their bytes remembered', async () => {
    const want = deriveSessionKeysSync(secret, 's_x');
    const k = await deriveSessionCryptoKeys(secret, 's_x');
    for (const [name, bytes] of [['clientToServerKey', want.clientToServerKey], ['serverToClientKey', want.serverToClientKey]]) {
      assert.strictEqual(k[name].extractable, false, name);
      assert.strictEqual(k[name].algorithm.name, 'AES-GCM');
      assert.deepStrictEqual(list(rawAesKey(k[name])), list(bytes), name);
    }
    assert.deepStrictEqual(Object.keys(k), ['clientToServerKey', 'serverToClientKey']);
  });

  describe('as in browsers (the "browser" twins: no addon, no node:crypto; HKDF on crypto.subtle)', () => {
    let web;
    let keys;
    before(() => {
      [web, keys] = requireAsInBrowser('crypto/hkdf.js', 'crypto/keys.js');
    });

    it('keys.js there: no synchronous crypto, webOnly() true whatever ENCLAVE_STREAM_WEBCRYPTO says', () => {
      assert.strictEqual(keys.syncCrypto, false);
      assert.strictEqual(withWebCrypto(false, keys.webOnly), true);
      assert.notStrictEqual(web.HkdfError, HkdfError); // really a second module graph
    });

    it('the synchronous forms throw ERR_SYNC_CRYPTO_UNAVAILABLE naming the function', () => {
      const unavailable = (name) => (err) => {
        assert.strictEqual(err.code, 'ERR_SYNC_CRYPTO_UNAVAILABLE');
        assert.strictEqual(err.message, `${name} is synchronous and needs Node.js (the addon or node:crypto); in browsers use the async API`);
        return true;
      };
      assert.throws(() => web.deriveKeySync(secret, null, 'i'), unavailable('deriveKeySync'));
      assert.throws(() => web.deriveSessionKeysSync(secret, 's_x'), unavailable('deriveKeySync'));
      assert.throws(() => keys.needSync('someFn'), unavailable('someFn'));
    });

    it('deriveKey: RFC 5869 HKDF-SHA256 at any length; salt null = 32 zero bytes, a salt is used as given; info as a string', async () => {
      const d = await web.deriveKey(secret, null, 'info');
      assert.ok(d instanceof Uint8Array);
      assert.deepStrictEqual(list(d), hkdf(Buffer.alloc(32), 'info'));
      assert.deepStrictEqual(list(await web.deriveKey(secret, undefined, 'info', 20)), hkdf(Buffer.alloc(32), 'info', 20));
      assert.deepStrictEqual(list(await web.deriveKey(secret, Buffer.from('salt'), 'info', 16)), hkdf(Buffer.from('salt'), 'info', 16));
      assert.deepStrictEqual(list(await web.deriveKey(secret, new Uint8Array(0), 42, 64)), hkdf(Buffer.alloc(0), '42', 64));
    });

    it('deriveSessionKeys: salt = the session id as UTF-8 (none: the zero salt), the two direction labels', async () => {
      const sid = 's_sessión';
      const k = await web.deriveSessionKeys(secret, sid);
      assert.deepStrictEqual(Object.keys(k), ['clientToServerKey', 'serverToClientKey']);
      assert.deepStrictEqual(list(k.clientToServerKey), hkdf(Buffer.from(sid, 'utf8'), 'enclavejs-c2s-enc'));
      assert.deepStrictEqual(list(k.serverToClientKey), hkdf(Buffer.from(sid, 'utf8'), 'enclavejs-s2c-enc'));
      for (const none of [null, undefined]) {
        const z = await web.deriveSessionKeys(secret, none);
        assert.deepStrictEqual(list(z.clientToServerKey), hkdf(Buffer.alloc(32), 'enclavejs-c2s-enc'));
        assert.deepStrictEqual(list(z.serverToClientKey), hkdf(Buffer.alloc(32), 'enclavejs-s2c-enc'));
      }
      // the same keys as this process's synchronous backend
      const here = deriveSessionKeysSync(secret, sid);
      assert.deepStrictEqual(list(k.serverToClientKey), list(here.serverToClientKey));
    });

    it('bad input is a coded HkdfError "Failed to derive key: <why>"', async () => {
      const check = (err) => {
        assert.ok(err instanceof web.HkdfError, `an HkdfError, got ${err && err.name}`);
        assert.strictEqual(err.code, 'ENCRYPTION_KEY_DERIVATION_FAILED');
        assert.match(err.message, /^Failed to derive key: ./);
        return true;
      };
      await assert.rejects(web.deriveKey('not bytes', null, 'i'), (err) => check(err) && /expected a Uint8Array/.test(err.message));
      await assert.rejects(web.deriveKey(secret, null, 'i', 255 * 32 + 1), check);
      await assert.rejects(web.deriveSessionKeys(42, 's_x'), check);
    });
  });
});
