#!/usr/bin/env bash
# TAXII 2.1 serving and import benchmark (issue 5): prints the machine,
# then objects served per second paging through 1,000,000 objects with
# limit=1000, p99 latencies of filtered queries, and import rates of the
# ATT&CK bundles and IOC lists, next to the targets (see
# docs/benchmarks.md, "TAXII and import").
#
# Run from anywhere; extra arguments go to the benchmark, e.g.
#   bench/taxii.sh -n 100000 -skip-import
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

. bench/machine.sh
print_machine

bin="$(mktemp -d)/taxii"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/taxii
echo "== run: taxii $*"
"$bin" -shared "$root/../shared/testdata" "$@"
