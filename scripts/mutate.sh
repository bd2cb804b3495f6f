#!/bin/sh
# npm run mutate: StrykerJS over lib/transport, lib/server, lib/client and
# lib/crypto, one partial run per folder and backend, each with its own
# incremental history (reports/incr-<name>.json), its JSON report kept in
# reports/runs/<name>.json; then the merged scores (scripts/mutation-report.js).
# How to read them and what every survivor is: docs/MUTATION.md.
#
#   npm run mutate                  # every run below, in turn
#   npm run mutate -- server client # only these runs
#   npm run mutate:report           # the merged scores of the kept reports
set -e
cd "$(dirname "$0")/.."
mkdir -p reports/runs

CRYPTO='lib/crypto/**/*.js,lib/transport/secure.js'
ALL='transport server server-mem client crypto native'

# run NAME MUTATE VAR=value... [--stryker-flag...]
run() {
  name=$1
  mutate=$2
  shift 2
  vars=''
  flags=''
  for a in "$@"; do
    case $a in
      --*) flags="$flags $a" ;;
      *) vars="$vars $a" ;;
    esac
  done
  echo "== $name: $mutate ($vars$flags)"
  # shellcheck disable=SC2086 # vars and flags are lists
  env $vars npx stryker run --mutate "$mutate" --incrementalFile "reports/incr-$name.json" $flags
  cp reports/mutation/mutation.json "reports/runs/$name.json"
}

for name in ${*:-$ALL}; do
  case $name in
    transport) run transport 'lib/transport/**/*.js' ENCLAVE_STREAM_NATIVE=0 ;;
    server) run server 'lib/server/**/*.js' ENCLAVE_STREAM_NATIVE=0 ;;
    # every server through a full MemorySessionStore (one of the npm test passes)
    server-mem) run server-mem 'lib/server/**/*.js' ENCLAVE_STREAM_NATIVE=0 ENCLAVE_STREAM_STORE=memory ;;
    client) run client 'lib/client/**/*.js' ENCLAVE_STREAM_NATIVE=0 ;;
    crypto) run crypto "$CRYPTO" ENCLAVE_STREAM_NATIVE=0 ;;
    # the lines that only run on the addon (native key objects, the native
    # cipher, batch open): those the crypto run (run it first) left uncovered.
    # --force: an incremental run would reuse old NoCoverage results even
    # where new tests now cover the line.
    native) run native "$(node scripts/mutation-report.js --uncovered reports/runs/crypto.json)" ENCLAVE_STREAM_NATIVE=1 --force ;;
    *) echo "unknown run: $name (runs: $ALL)" >&2; exit 2 ;;
  esac
done
node scripts/mutation-report.js reports/runs/*.json
