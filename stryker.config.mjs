// StrykerJS mutation testing (`npm run mutate`, not part of `npm test`: it
// takes tens of minutes). Mutates the session logic in lib/transport,
// lib/server, lib/client and lib/crypto and runs the mocha tests that cover
// each mutant (perTest coverage). How to read the results: docs/MUTATION.md.
//
// Backend: the JavaScript one (ENCLAVE_STREAM_NATIVE=0) unless the variable is
// set: the JS twins in lib/crypto only run there, while the native backend
// runs C code Stryker cannot mutate. `ENCLAVE_STREAM_NATIVE=1 npm run mutate`
// runs the same mutants on the addon: build/ is copied into Stryker's sandbox
// (it is not in ALWAYS_IGNORE) and node-gyp-build finds it there.
if (process.env.ENCLAVE_STREAM_NATIVE === undefined) process.env.ENCLAVE_STREAM_NATIVE = '0';
process.env.ENCLAVE_STREAM_QUIET = '1';
// Tests that start another process skip themselves in a mutation run: Stryker
// switches mutants only inside its own worker. test/store/store.test.js runs
// its MemorySessionStore half only (the servers' store code in lib/server is
// the same for both stores; a redis-server per mutant would cost more than it
// finds), test/client/resume-state.test.js its in-process tests.
process.env.ENCLAVE_STREAM_MUTATION_RUN = '1';

// Test files left out of the mutation run: they spawn processes (redis,
// child processes, tsc, esbuild, a browser) whose code Stryker does not
// switch between mutants, or they test only code outside the mutated folders.
const LEFT_OUT = [
  'test/browser/**',
  // randomized soak tests: 20 000 events through random cuts, lossy links
  // (15-25 s each; every surviving mutant of the session code would rerun them)
  '**/fault-injection.test.js',
  '**/lossy.test.js',
  'test/store/fleet.test.js', // child processes (a fleet of servers)
  'test/binding/**', // worker threads and child processes
  '**/contracts.test.js', // compares generated files byte for byte (Stryker's sandbox adds // @ts-nocheck to them)
  '**/options-readme.test.js', // the README's tables
  '**/types*.test.js',
  '**/dts.test.js',
  '**/esm.test.js',
  '**/demo.test.js',
  '**/readme.test.js',
  '**/browser-bundle.test.js',
  '**/decoder-diff.test.js',
  '**/encode.test.js',
  '**/fuzz-*.test.js',
  '**/ndjson*.test.js',
  '**/validate*.test.js',
  'test/ndjson/**',
  'test/validate/**',
];

export default {
  $schema: './node_modules/@stryker-mutator/core/schema/stryker-schema.json',
  packageManager: 'npm',
  testRunner: 'mocha',
  mochaOptions: {
    spec: ['test/**/*.test.js'],
    ignore: LEFT_OUT,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'lib/transport/**/*.js',
    'lib/server/**/*.js',
    'lib/client/**/*.js',
    'lib/crypto/**/*.js',
  ],
  // Mutants only run while a module loads need a fresh process and the whole
  // suite each: they are left out (reported as Ignored).
  ignoreStatic: true,
  // Later runs re-test only the mutants whose code or covering tests changed
  // (reports/stryker-incremental.json); `npm run mutate -- --force` redoes all.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  // A mutant that stalls a handshake makes a test wait for a condition;
  // Stryker stops it after timeoutFactor x its normal time + timeoutMS.
  timeoutMS: 4000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 10,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // the sandboxes of runs started side by side (each with its own tempDirName) are not copied into this one
  ignorePatterns: ['/.stryker-tmp*'],
  cleanTempDir: true,
  thresholds: { high: 85, low: 70, break: null },
};
