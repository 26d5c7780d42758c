#!/usr/bin/env bash
# Confidential sharing benchmark: sealing and opening throughput at 1 KiB
# and 64 KiB for 1, 10 and 100 recipients, and AMBER (sealed) against
# GREEN (plaintext) ingest on a four-member network of real nodes, next to
# the target (sealed ingest at least half as fast; see docs/benchmarks.md).
#
# Run from anywhere; extra arguments go to the benchmark, e.g.
#   bench/seal.sh -n 5000 -members 4
#   bench/seal.sh -skip-network
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

. bench/machine.sh
print_machine

bin="$(mktemp -d)/seal"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/seal
echo "== run: seal $*"
"$bin" "$@"
