// ESM entry of enclave-stream-native/testing.
import cjs from './lib/testing/index.js';

export default cjs;
export const { FaultProxy, prng, FakeClock, installFakeClock } = cjs;
