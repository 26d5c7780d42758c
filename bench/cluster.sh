#!/usr/bin/env bash
# Benchmark of a four-member Phalanx network on this machine: prints the
# machine, builds the phalanx binary and the benchmark, runs four
# `phalanx up` processes per run and prints the figures next to the
# targets and bare CometBFT (see docs/benchmarks.md, "Four-member network").
#
# Run from anywhere; extra arguments go to the benchmark, e.g.
#   bench/cluster.sh -perf /tmp/node-a.perf.data   # perf record node A in the batch-1,000 run
#   bench/cluster.sh -perf /tmp/b.perf.data -perf-node B   # … or a replica
#   bench/cluster.sh -batches 1000 -rate 0         # throughput at batch 1,000 only
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

. bench/machine.sh
print_machine

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/phalanx" ./cmd/phalanx
go build -o "$work/cluster" ./bench/cluster
echo "== run: cluster -bin $work/phalanx $*"
"$work/cluster" -bin "$work/phalanx" "$@"
