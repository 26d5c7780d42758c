#!/usr/bin/env bash
# Benchmark of the detection matcher: phalanx match versus grep -F -f and
# rg -F -f on the same generated log and the same exact indicator values
# (index build, MB/s on one core and on all cores, peak RSS, hits and false
# hits), then phalanx alone with CIDR and subdomain semantics on. Installs
# ripgrep with apt-get when it is missing. See docs/benchmarks.md.
#
#   SIZE=50MB INDICATORS=1000000 bench/match.sh     # quick run
#   bench/match.sh                                  # 1 GB, 1,000,000 values, 10,000 planted
#   bench/match.sh -tools phalanx                   # phalanx only
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

. bench/machine.sh
print_machine

if ! command -v rg >/dev/null; then
  echo "== installing ripgrep"
  (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null || sudo sh -c 'apt-get update -qq && apt-get install -y -qq ripgrep' >/dev/null
fi
echo "tools:   $(grep --version 2>/dev/null | sed -n 1p); $(rg --version 2>/dev/null | sed -n 1p)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/phalanx" ./cmd/phalanx
go build -o "$work/match" ./bench/match
"$work/match" -bin "$work/phalanx" -work "$work" -iocs "$root/../shared/testdata/iocs" \
  -size "${SIZE:-1GB}" -indicators "${INDICATORS:-1000000}" -planted "${PLANTED:-10000}" "$@"
