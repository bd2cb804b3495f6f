// Type declarations for enclave-stream-native/testing.
/// <reference types="node" />
import type { EventEmitter } from 'node:events';

export interface FaultProxyOptions {
  target: { host?: string; port: number };
  host?: string; port?: number;
  /** cut each connection after a random number of bytes (both directions) in [min, max] */
  cutAfterBytes?: number | [number, number];
  /** cut each connection a random time after it opened */
  cutAfterMs?: number | [number, number];
  maxCuts?: number;
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
