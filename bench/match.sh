#!/usr/bin/env bash
# Benchmark of the detection matcher: phalanx match versus grep -F -f and
# rg -F -f on the same generated log and the same exact indicator values
# (index build, MB/s on one core and on all cores, peak RSS, hits and false
# hits), then phalanx alone with CIDR and subdomain semantics on. Installs
# ripgrep with apt-get when it is missing. See docs/benchmarks.md.
#
#   bench/match.sh                                  # the documented run: 1 GB, 1,000,000 values, 10,000 planted
#   bench/match.sh --size 50MB                      # quick run (SIZE=50MB works too)
#   bench/match.sh --size 200MB -tools phalanx      # phalanx only
#   BUILD=default bench/match.sh ...                # phalanx without GOEXPERIMENT=simd
#   bench/match.sh --size 300MB -tools phalanx -pairs 5 -compare OLD/phalanx
#       # then 5 exact/CIDR pairs on one core, alternating with another build's
#
# At 1 GB grep and rg take minutes each (bounded by -timeout, 10m): a
# benchmark, not a CI step.
set -euo pipefail

size="${SIZE:-1GB}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --size|-size) size="$2"; shift 2 ;;
    --size=*|-size=*) size="${1#*=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

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
# The matcher's vector extractor (internal/extract/scan_vector.go) exists
# only in a build with GOEXPERIMENT=simd (Go 1.26's simd/archsimd), and runs
# where the processor has AVX-512; elsewhere, and in the default build, the
# extractor reads eight bytes at a time. BUILD=default measures the default
# build.
build="${BUILD:-simd}"
case "$build" in
  simd) GOEXPERIMENT=simd go build -o "$work/phalanx" ./cmd/phalanx ;;
  default) go build -o "$work/phalanx" ./cmd/phalanx ;;
  *) echo "BUILD=$build: want simd or default" >&2; exit 1 ;;
esac
avx512=no
if grep -qw avx512bw /proc/cpuinfo 2>/dev/null && grep -qw avx512vl /proc/cpuinfo; then avx512=yes; fi
if [ "$build" = simd ]; then
  echo "build:   phalanx built with GOEXPERIMENT=simd; AVX-512 here: $avx512 (vector extractor: $avx512)"
else
  echo "build:   phalanx default build (word-at-a-time extractor; GOEXPERIMENT=simd not set)"
fi
go build -o "$work/match" ./bench/match
"$work/match" -bin "$work/phalanx" -work "$work" -iocs "$root/../shared/testdata/iocs" \
  -size "$size" -indicators "${INDICATORS:-1000000}" -planted "${PLANTED:-10000}" ${args[@]+"${args[@]}"}
