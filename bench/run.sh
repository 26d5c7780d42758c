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

bin="$(mktemp -d)/ingest"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/ingest
echo "== run: ingest $*"
"$bin" "$@"
