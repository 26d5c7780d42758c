#!/usr/bin/env bash
# Benchmark of proofs and audit: prints the machine, builds a record log of
# 1,000,000 records through the real state machine (pebble), then measures
# proof bundle generation and verification per second and the whole
# audit of the node (records/s), next to the targets (see
# docs/benchmarks.md, "Proofs and audit"). Needs about 3 GB of temp disk.
#
# Run from anywhere; extra arguments go to the benchmark, e.g.
#   bench/proofs.sh -records 100000 -window 2s
#   bench/proofs.sh -audit-only     # the audit alone
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

. bench/machine.sh
print_machine

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/proofs" ./bench/proofs
echo "== run: proofs $*"
"$work/proofs" -dir "$work" "$@"
