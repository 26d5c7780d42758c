#!/usr/bin/env bash
# Ingest benchmark of one Phalanx node: prints the machine, then the
# figures side by side with the targets (see docs/benchmarks.md).
#
# Run from anywhere; extra arguments go to the benchmark, e.g.
#   bench/run.sh -cpuprofile /tmp/ingest.pprof
#   bench/run.sh -batches 1000 -rate 0        # throughput at batch 1,000 only
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

. bench/machine.sh
print_machine

bin="$(mktemp -d)/ingest"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/ingest
echo "== run: ingest $*"
"$bin" "$@"
