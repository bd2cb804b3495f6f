'use strict';
// A real redis-server for the session-store tests (Debian's redis-server;
// .ci/run installs it): each call starts its own instance on a free
// loopback port in a temporary directory, and stop() ends it. `aof: true`
// turns the append-only file on (fsync every write), so restart() brings
// the same data back.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const { freePort } = require('./stream-harness');

const BIN = process.env.REDIS_SERVER || '/usr/bin/redis-server';

function available() {
  try {
    fs.accessSync(BIN, fs.constants.X_OK);
    return spawnSync(BIN, ['--version']).status === 0;
  } catch {
    return false;
  }
}

function waitReady(port, child) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tryOnce = () => {
      if (child.exitCode !== null) return reject(new Error(`redis-server exited with ${child.exitCode}`));
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.write('PING\r\n');
      });
      c.once('data', (d) => {
        c.destroy();
        if (String(d).startsWith('+PONG')) resolve();
        else setTimeout(tryOnce, 20);
      });
      c.once('error', () => {
        c.destroy();
        if (Date.now() - t0 > 10000) reject(new Error('redis-server did not start'));
        else setTimeout(tryOnce, 20);
      });
    };
    tryOnce();
  });
}

async function startRedis({ aof = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esn-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'];
  if (aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  let child = null;
  const launch = async () => {
    child = spawn(BIN, args, { stdio: 'ignore' });
    await waitReady(port, child);
  };
  await launch();
  const stop = () =>
    new Promise((resolve) => {
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    /** Kills the server and starts it again on the same port and directory. */
    async restart() {
      await stop();
      await launch();
    },
    async close() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startRedis, available };
