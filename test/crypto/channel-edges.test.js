'use strict';
// Edges of lib/crypto/channel.js (createEncryptedChannel) that the README-level tests leave open:
// which lines count as hellos for which role (a reflected hello, a hello without sessionId/keyId,
// an unsupported curve or algorithm), a server hello whose key differs from remotePublicKey (a
// man in the middle), replays judged by the authenticated nonce counter (a relay that renumbers a frame changes nothing), err.seq on a forged frame, blank and CRLF
// lines, Uint8Array input, channels without send/onMessage/onError, the default ids, close()
// (keys and private key wiped, both direction ciphers disposed, idempotent) and the frames after
// close, a genuine frame whose plaintext is not JSON, CRLF frames, and maxNonces (KEY_EXPIRED for a
// send and a queued send). Some run twice: on the pass's backend and on crypto.subtle. On
// crypto.subtle a send refused behind one in flight is no unhandled rejection.
const assert = require('node:assert');
const { createEncryptedChannel } = require('../../lib/crypto/channel');
const { generateKeyPairSync, deriveSharedSecretSync } = require('../../lib/crypto/ecdh');
const { deriveSessionKeysSync } = require('../../lib/crypto/hkdf');
const web = require('../../lib/crypto/web');
const { webOnly } = require('../../lib/crypto/keys');
const { withWebCrypto } = require('../helpers/webcrypto-env');
const { channelPair } = require('../helpers/channel-pair');
const { turn } = require('../helpers/turn');

/** A client and server with keys on both sides; returns the client's hello and first envelope line. */
async function handshaken(opts) {
  const p = await channelPair(opts);
  await p.client.send({ n: 1 });
  const [hello, first] = p.wire.toServer[0].split('\n');
  p.server.receive(`${hello}\n`);
  await p.server.settled();
  return { ...p, hello, first };
}

const helloOf = (line) => JSON.parse(line);

/**
 * Runs fn twice: on this pass's backend, then with the channels made on crypto.subtle
 * (ENCLAVE_STREAM_WEBCRYPTO=1, read when a channel is made; restored, not deleted).
 */
async function onBothPaths(fn) {
  await fn('this backend');
  await withWebCrypto(true, () => fn('crypto.subtle'));
}

/** 'sent' or the rejection's code (a handler attached at once: no unhandled rejection). */
const outcome = (p) => p.then(() => 'sent', (e) => e.code);

/** The outcome, or 'pending' when it has not settled one event-loop turn after `after` settled. */
function settledAs(out, after) {
  const pending = Promise.resolve(after)
    .catch(() => {})
    .then(turn)
    .then(() => 'pending');
  return Promise.race([out, pending]);
}
const isEnvelopeError = (e) => e.code === 'ENCRYPTION_DECRYPTION_FAILED' && e.reason === 'envelope' && e.message === 'not a valid encrypted envelope';

describe('crypto/channel edges', () => {
  describe('hellos', () => {
    it('a server ignores (as a bad envelope) lines that are not a full client hello', async () => {
      const { server, got, wire } = await channelPair();
      const kp = generateKeyPairSync();
      const good = { mode: 'required', clientHello: { protocolVersion: 2, clientEphemeralPubKeyB64: kp.publicKeyB64, curve: 'P-256', supportedAlgorithms: ['AES-256-GCM'] }, sessionId: 's_1', keyId: 'k_1' };
      const bad = [
        'garbage',
        '{}',
        JSON.stringify({ sessionId: 's_1', keyId: 'k_1' }),
        JSON.stringify({ ...good, sessionId: undefined }),
        JSON.stringify({ ...good, keyId: 7 }),
        JSON.stringify({ serverEphemeralPubKeyB64: kp.publicKeyB64, selectedAlgorithm: 'AES-256-GCM' }), // a reflected server hello
      ];
      for (const line of bad) server.receive(`${line}\n`);
      await server.settled();
      assert.strictEqual(got.serverErrors.length, bad.length);
      for (const e of got.serverErrors) assert.ok(isEnvelopeError(e), e.message);
      assert.strictEqual(server.ready, false);
      assert.strictEqual(server.sessionId, null);
      assert.strictEqual(server.keyId, null);
      assert.deepStrictEqual(wire.toClient, []);
      assert.strictEqual(server.stats.malformed, bad.length);
    });

    it('refuses an unsupported curve (HANDSHAKE_FAILED) and a hello without AES-256-GCM (UNSUPPORTED_ALGORITHM)', async () => {
      const { server, got, wire } = await channelPair();
      const kp = generateKeyPairSync();
      const hello = (h) => JSON.stringify({ mode: 'required', clientHello: { protocolVersion: 2, clientEphemeralPubKeyB64: kp.publicKeyB64, curve: 'P-256', supportedAlgorithms: ['AES-256-GCM'], ...h }, sessionId: 's_1', keyId: 'k_1' });
      server.receive(`${hello({ curve: 'P-384' })}\n`);
      server.receive(`${hello({ supportedAlgorithms: ['CHACHA20'] })}\n`);
      server.receive(`${hello({ supportedAlgorithms: 'AES-256-GCM' })}\n`);
      await server.settled();
      assert.deepStrictEqual(
        got.serverErrors.map((e) => [e.name, e.code, e.message]),
        [
          ['EcdhError', 'ENCRYPTION_HANDSHAKE_FAILED', 'unsupported curve P-384'],
          ['EcdhError', 'ENCRYPTION_UNSUPPORTED_ALGORITHM', 'no supported algorithm'],
          ['EcdhError', 'ENCRYPTION_UNSUPPORTED_ALGORITHM', 'no supported algorithm'],
        ],
      );
      assert.strictEqual(server.ready, false);
      assert.deepStrictEqual(wire.toClient, []);
    });

    it('a client ignores (as a bad envelope) garbage, {} and a reflected client hello', async () => {
      const { client, got, hello } = await handshaken({ noKey: false });
      const fresh = await createEncryptedChannel({ role: 'client', onError: (e) => got.clientErrors.push(e) });
      for (const line of ['garbage', '{}', hello]) fresh.receive(`${line}\n`);
      await fresh.settled();
      assert.strictEqual(got.clientErrors.length, 3);
      for (const e of got.clientErrors) assert.ok(isEnvelopeError(e), e.message);
      assert.strictEqual(fresh.ready, false);
      assert.ok(client.ready);
    });

    it('a client refuses a server hello with another algorithm (UNSUPPORTED_ALGORITHM)', async () => {
      const { server, client, got, wire } = await channelPair({ noKey: true });
      const q = client.send({ n: 1 });
      server.receive(wire.toServer.join(''));
      await server.settled();
      const sh = helloOf(wire.toClient[0]);
      client.receive(`${JSON.stringify({ ...sh, selectedAlgorithm: 'AES-128-GCM' })}\n`);
      await client.settled();
      assert.deepStrictEqual(got.clientErrors.map((e) => [e.name, e.code, e.message]), [['EcdhError', 'ENCRYPTION_UNSUPPORTED_ALGORITHM', 'unsupported algorithm']]);
      assert.strictEqual(client.ready, false);
      client.receive(wire.toClient[0]);
      await client.settled();
      assert.ok(client.ready);
      await q;
    });

    it('with remotePublicKey, a server hello carrying another key is refused (HANDSHAKE_FAILED) and the keys stay', async () => {
      const { server, client, got, wire } = await handshaken();
      const sh = helloOf(wire.toClient[0]);
      // the genuine hello: accepted silently
      client.receive(wire.toClient[0]);
      await client.settled();
      assert.deepStrictEqual(got.clientErrors, []);
      // a man in the middle's key
      client.receive(`${JSON.stringify({ ...sh, serverEphemeralPubKeyB64: generateKeyPairSync().publicKeyB64 })}\n`);
      await client.settled();
      assert.deepStrictEqual(got.clientErrors.map((e) => [e.name, e.code, e.message]), [['EcdhError', 'ENCRYPTION_HANDSHAKE_FAILED', 'server key differs from remotePublicKey']]);
      await server.send({ still: 'works' });
      client.receive(wire.toClient[1]);
      await client.settled();
      assert.deepStrictEqual(got.client, [{ still: 'works' }]);
    });

    it('a second client hello re-keys the server and wipes the old keys', async () => {
      const { server, hello } = await handshaken();
      const old = server._ciphers;
      let disposed = 0;
      const dispose = old.dispose;
      old.dispose = () => {
        disposed++;
        dispose.call(old);
      };
      server.receive(`${hello}\n`);
      await server.settled();
      assert.strictEqual(disposed, 1);
      assert.notStrictEqual(server._ciphers, old);
    });
  });

  describe('frames', () => {
    it('judges replays by the authenticated nonce counter, not by the envelope seq a relay can rewrite', async () => {
      const { server, client, got, wire, first } = await handshaken();
      await client.send({ n: 2 });
      server.receive(`${first}\n${wire.toServer[1]}`);
      // a relay replays frame 2 renumbered as seq 3: same nonce counter, so a replay
      server.receive(`${wire.toServer[1].replace('"seq":2', '"seq":3')}`);
      // the peer itself seals under an old seq: a fresh counter, so a new message
      server.receive(`${await client._ciphers.seal({ n: 'again' }, 2)}\n`);
      await server.settled();
      assert.deepStrictEqual(got.server, [{ n: 1 }, { n: 2 }, { n: 'again' }]);
      assert.strictEqual(server.stats.replays, 1);
      const e = got.serverErrors[0];
      assert.deepStrictEqual([e.code, e.message, e.seq, e.replay], ['ENCRYPTION_NONCE_REUSE', 'replayed frame dropped (seq 3)', 3, true]);
    });

    it('a forged frame is an authentication failure with its seq (also seq 0); a non-envelope line is not', async function () {
      const { server, got, first } = await handshaken();
      const forged = first.replace(/"ciphertextB64":"./, (m) => (m.endsWith('A') ? m.slice(0, -1) + 'B' : m.slice(0, -1) + 'A'));
      server.receive(`${forged.replace('"seq":1', '"seq":0')}\n`);
      server.receive(`${forged}\n`);
      server.receive('{"type":"enc"}\n');
      await server.settled();
      assert.deepStrictEqual(
        got.serverErrors.map((e) => [e.code, e.seq, e.reason]),
        [
          ['ENCRYPTION_DECRYPTION_FAILED', 0, undefined],
          ['ENCRYPTION_DECRYPTION_FAILED', 1, undefined],
          ['ENCRYPTION_DECRYPTION_FAILED', undefined, 'envelope'],
        ],
      );
      assert.ok(isEnvelopeError(got.serverErrors[2]));
      assert.deepStrictEqual([server.stats.authFailures, server.stats.malformed, server.stats.delivered], [2, 1, 0]);
    });

    // BUG (lib/crypto/channel.js, not fixed here): the envelope's outer seq is not authenticated (the
    // channel seals the bare message; secure.js seals {"s":seq,"m":…}), so a relay that raises one
    // frame's seq makes the channel drop every later genuine frame as a "replay".
    it('a relay that rewrites a frame\'s seq cannot make later frames look replayed', async () => {
      const { server, client, got, wire, first } = await handshaken();
      await client.send({ n: 2 });
      server.receive(`${first.replace('"seq":1', '"seq":99')}\n`);
      server.receive(wire.toServer[1]);
      await server.settled();
      assert.deepStrictEqual(got.serverErrors, []);
      assert.deepStrictEqual(got.server, [{ n: 1 }, { n: 2 }]);
    });

    it('skips blank and whitespace-only lines and accepts CRLF line ends and Uint8Array chunks', async () => {
      const { server, client, got, wire, first } = await handshaken();
      await client.send({ n: 2 });
      server.receive('\n  \n\r\n');
      server.receive(`\r${first}\n`);
      server.receive(new Uint8Array(Buffer.from(wire.toServer[1])));
      await server.settled();
      assert.deepStrictEqual(got.serverErrors, []);
      assert.deepStrictEqual(got.server, [{ n: 1 }, { n: 2 }]);
      assert.deepStrictEqual(server.stats, { sent: 0, delivered: 2, replays: 0, authFailures: 0, malformed: 0 });
    });

    it('a frame ending in CRLF is delivered', async () => {
      const { server, client, got, wire, first } = await handshaken();
      await client.send({ n: 2 });
      server.receive(`${first}\r\n${wire.toServer[1].replace(/\n$/, '\r\n')}`);
      await server.settled();
      assert.deepStrictEqual(got.serverErrors, []);
      assert.deepStrictEqual(got.server, [{ n: 1 }, { n: 2 }]);
    });

    it('a genuine frame whose plaintext is not JSON is counted as malformed and reported, not delivered', async () => {
      await onBothPaths(async (path) => {
        const clientKeys = generateKeyPairSync();
        const serverKeys = generateKeyPairSync();
        const { server, client, got, first } = await handshaken({ server: { keyPair: serverKeys }, client: { keyPair: clientKeys } });
        server.receive(`${first}\n`);
        // the client's direction key, derived as the channel does, seals a text that is not JSON
        const keys = deriveSessionKeysSync(deriveSharedSecretSync(clientKeys.privateKey, serverKeys.publicKey), client.sessionId);
        const sealer = new web.WebSealer({ key: await web.importAesKey(keys.clientToServerKey), sessionId: client.sessionId, kid: client.keyId, nonceCounter: 5 });
        server.receive(`${await sealer.sealText(2, '{not json')}\n`);
        await server.settled();
        assert.deepStrictEqual(got.server, [{ n: 1 }], path);
        assert.deepStrictEqual(
          got.serverErrors.map((e) => [e.name, e.code, e.message]),
          [['AesGcmError', 'ENCRYPTION_DECRYPTION_FAILED', 'decrypted message is not JSON']],
          path,
        );
        assert.deepStrictEqual([server.stats.delivered, server.stats.malformed, server.stats.authFailures], [1, 1, 0], path);
      });
    });

    it('stops handling lines once onMessage closes the channel', async () => {
      const seen = [];
      const { server, client, got, wire, first } = await handshaken({
        server: {
          onMessage: (m) => {
            seen.push(m);
            server.close();
          },
        },
      });
      await client.send({ n: 2 });
      server.receive(`${first}\n${wire.toServer[1]}`);
      await server.settled();
      assert.deepStrictEqual(seen, [{ n: 1 }]);
      assert.deepStrictEqual(got.serverErrors, []);
      assert.deepStrictEqual([server.stats.delivered, server.stats.authFailures], [1, 0]);
    });
  });

  describe('options and state', () => {
    it('works without send, onMessage and onError', async () => {
      const server = await createEncryptedChannel({ role: 'server' });
      const client = await createEncryptedChannel({ role: 'client', remotePublicKey: server.getPublicKey() });
      const frame = await client.send({ n: 1 });
      assert.match(frame, /\n$/);
      assert.doesNotThrow(() => server.receive(frame));
      await server.settled();
      assert.strictEqual(server.stats.delivered, 1);
      assert.doesNotThrow(() => server.receive('garbage\n'));
      await server.settled();
      assert.strictEqual(server.stats.malformed, 1);
      await server.send({ back: true });
    });

    it('a server has no ids until the hello; a client makes s_<24 hex> and k_<32 hex>', async () => {
      const server = await createEncryptedChannel({ role: 'server' });
      assert.strictEqual(server.sessionId, null);
      assert.strictEqual(server.keyId, null);
      const client = await createEncryptedChannel({ role: 'client' });
      assert.match(client.sessionId, /^s_[0-9a-f]{24}$/);
      assert.match(client.keyId, /^k_[0-9a-f]{32}$/);
    });

    it('counts sends and hands a synchronous frame to the transport inside send() (sync backends)', async () => {
      const { client, wire } = await channelPair();
      const p = client.send({ n: 1 });
      const now = wire.toServer.length;
      await p;
      await client.send({ n: 2 });
      if (!webOnly()) assert.strictEqual(now, 1);
      assert.strictEqual(client.stats.sent, 2);
    });

    it('maxNonces: a send past the limit rejects with KEY_EXPIRED, also one queued before the keys', async () => {
      await onBothPaths(async (path) => {
        const { client } = await channelPair({ client: { maxNonces: 1 } });
        await client.send({ n: 1 });
        await assert.rejects(client.send({ n: 2 }), (e) => e.code === 'ENCRYPTION_KEY_EXPIRED' && /nonce limit/.test(e.message), path);
        // queued: the second of two sends waiting for the server's hello
        const q = await channelPair({ noKey: true, client: { maxNonces: 1 } });
        const one = outcome(q.client.send({ n: 1 }));
        const two = outcome(q.client.send({ n: 2 }));
        q.server.receive(q.wire.toServer.join(''));
        await q.server.settled();
        q.client.receive(q.wire.toClient.join(''));
        await q.client.settled();
        assert.strictEqual(await settledAs(one, one), 'sent', path);
        assert.strictEqual(await settledAs(two, one), 'ENCRYPTION_KEY_EXPIRED', path);
        assert.strictEqual(q.client.stats.sent, 1, path);
      });
    });

    // crypto.subtle: the seal's KEY_EXPIRED rejects that send only, behind the send before it; nothing
    // unhandled meanwhile, and the refused send is not counted.
    it('maxNonces on crypto.subtle: a send refused behind one in flight is no unhandled rejection and not counted', async () => {
      const unhandled = [];
      const onUnhandled = (err) => unhandled.push(err);
      process.on('unhandledRejection', onUnhandled);
      try {
        await onBothPaths(async (path) => {
          const { client } = await channelPair({ client: { maxNonces: 1 } });
          const one = outcome(client.send({ n: 1 }));
          const two = outcome(client.send({ n: 2 }));
          assert.deepStrictEqual([await one, await two], ['sent', 'ENCRYPTION_KEY_EXPIRED'], path);
          await turn();
          assert.deepStrictEqual(unhandled, [], path);
          assert.strictEqual(client.stats.sent, 1, path);
        });
      } finally {
        process.removeListener('unhandledRejection', onUnhandled);
      }
    });

    it('close() disposes both direction ciphers: they neither seal nor open afterwards', async () => {
      await onBothPaths(async (path) => {
        const { server, first } = await handshaken();
        const c = server._ciphers;
        assert.ok(server.ready, path);
        server.close();
        await assert.rejects(async () => c.seal({ n: 1 }, 1), /disposed/, path);
        await assert.rejects(async () => c.open(first), /disposed/, path);
      });
    });

    it('close() wipes the keys and the private key, rejects queued sends, and can be called twice', async () => {
      const kp = generateKeyPairSync();
      const { client, server, got, wire } = await channelPair({ noKey: true, client: { keyPair: webOnly() ? undefined : kp } });
      const queued = client.send({ n: 1 });
      server.receive(wire.toServer.join(''));
      await server.settled();
      client.receive(wire.toClient.join(''));
      await client.settled();
      await queued;
      const c = client._ciphers;
      let disposed = 0;
      const dispose = c.dispose;
      c.dispose = () => {
        disposed++;
        dispose.call(c);
      };
      const later = await createEncryptedChannel({ role: 'client' });
      const pending = later.send({ n: 1 });
      later.close();
      await assert.rejects(pending, (e) => e.code === 'ERR_CHANNEL_CLOSED');
      assert.doesNotThrow(() => later.close());
      client.close();
      assert.doesNotThrow(() => client.close());
      assert.strictEqual(disposed >= 1, true);
      if (!webOnly()) assert.ok(Buffer.from(kp.privateKey).equals(Buffer.alloc(32)));
      await assert.rejects(client.send({ n: 2 }), (e) => e.code === 'ERR_CHANNEL_CLOSED');
      assert.doesNotThrow(() => client.receive(null));
      assert.deepStrictEqual(got.clientErrors, []);
    });
  });
});
