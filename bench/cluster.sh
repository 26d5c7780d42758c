#!/usr/bin/env bash
# Benchmark of a four-member Phalanx network on this machine: prints the
# machine, builds the phalanx binary and the benchmark, runs four
# `phalanx up` processes per run and prints the figures next to the
# targets and bare CometBFT (see docs/benchmarks.md, "Four-member network").
#
# Run from anywhere; extra arguments go to the benchmark, e.g.
#   bench/cluster.sh -perf /tmp/node-a.perf.data   # perf record node A in the batch-1,000 run
#   bench/cluster.sh -batches 1000 -rate 0         # throughput at batch 1,000 only
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tmp="${TMPDIR:-/tmp}"
echo "== machine"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:    $(uname -srm)"
echo "cpu:     $(nproc) CPUs available, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "disk:    data directories under $tmp ($(df -PT "$tmp" | awk 'NR==2 {print $2}'))"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
echo "go:      $(go version | cut -d' ' -f3-)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
echo

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/phalanx" ./cmd/phalanx
go build -o "$work/cluster" ./bench/cluster
echo "== run: cluster -bin $work/phalanx $*"
"$work/cluster" -bin "$work/phalanx" "$@"
