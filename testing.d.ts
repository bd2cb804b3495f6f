// Type declarations for enclave-stream-native/testing.
/// <reference types="node" />
import type { EventEmitter } from 'node:events';

export interface FaultProxyOptions {
  /** where connections are forwarded (host default '127.0.0.1') */
  target: { host?: string; port: number };
  /** where the proxy listens: default '127.0.0.1', port 0 (any free port) */
  host?: string; port?: number;
  /** cut each connection after a random number of bytes (both directions) in [min, max]; default: no cuts */
  cutAfterBytes?: number | [number, number];
  /** cut each connection a random time (ms) after it opened, in [min, max]; default: no cuts */
  cutAfterMs?: number | [number, number];
  /** stop cutting after this many cuts (default Infinity) */
  maxCuts?: number;
  /** seed of the random draws (default 1): the same seed, the same cuts */
  seed?: number;
}
export declare class FaultProxy extends EventEmitter {
  constructor(options: FaultProxyOptions);
  listen(): Promise<{ host: string; port: number; url: string; httpUrl: string }>;
  address(): { host: string; port: number; url: string; httpUrl: string };
  cutAll(): void;
  stall(): void; unstall(): void;   // data dropped, sockets left open (dead path)
  refuse(): void; accept(): void;   // new connections closed at once
  readonly openConnections: number;
  readonly stats: { connections: number; cuts: number; bytes: number; refused: number };
  close(): Promise<void>;
  on(event: 'cut', l: (count: number) => void): this;
}
export declare function prng(seed: number): () => number;

/** A manual clock: replaces the global setTimeout/clearTimeout/setInterval/clearInterval and Date.now. */
export declare class FakeClock {
  constructor(start?: number);
  now: number;
  readonly pending: number;
  install(): this;
  uninstall(): void;
  /** Moves time forward by ms, running due timers in order. */
  tick(ms: number): void;
  runAll(limit?: number): void;
}
export declare function installFakeClock(start?: number): FakeClock;
