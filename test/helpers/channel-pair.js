'use strict';
// A server and a client createEncryptedChannel wired to arrays, for the
// channel tests: channelPair(opts) gives { server, client, got, wire } where
// `got` holds what each side delivered or reported and `wire` the frames each
// side sent (toServer, toClient), not passed on: a test delivers them.

const { createEncryptedChannel } = require('../../lib/crypto/channel');

/**
 * `opts.server` / `opts.client` are added to each side's options;
 * `opts.noKey` leaves the client without the server's public key (it learns
 * it from the server's hello).
 */
async function channelPair(opts = {}) {
  const got = { server: [], client: [], serverErrors: [], clientErrors: [] };
  const wire = { toServer: [], toClient: [] };
  const server = await createEncryptedChannel({
    role: 'server',
    onMessage: (m) => got.server.push(m),
    onError: (e) => got.serverErrors.push(e),
    send: (f) => wire.toClient.push(f),
    ...opts.server,
  });
  const client = await createEncryptedChannel({
    role: 'client',
    remotePublicKey: opts.noKey ? undefined : server.getPublicKey(),
    onMessage: (m) => got.client.push(m),
    onError: (e) => got.clientErrors.push(e),
    send: (f) => wire.toServer.push(f),
    ...opts.client,
  });
  return { server, client, got, wire };
}

module.exports = { channelPair };
