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
# The matcher's extractor classifies 64 bytes at a time with AVX-512
# (internal/extract/kernels_amd64.s) where the processor has F and BW, with
# a table look-up where it also has VBMI and VBMI2, and else reads eight
# bytes at a time; every build has it (the ordinary go build, no
# GOEXPERIMENT). BUILD (simd or default), which chose between two builds
# before, changes nothing now.
if [ -n "${BUILD:-}" ]; then echo "note:    BUILD=$BUILD changes nothing: there is one build"; fi
go build -o "$work/phalanx" ./cmd/phalanx
has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
extractor="word at a time (no AVX-512 F and BW)"
if [ "$(uname -m)" = x86_64 ] && has avx512f && has avx512bw; then
  extractor="AVX-512, 64 bytes at a time"
  if has avx512vbmi && has avx512_vbmi2; then extractor="$extractor, VBMI table look-up"; fi
fi
echo "build:   phalanx (go build); extractor on this processor: $extractor"
go build -o "$work/match" ./bench/match
"$work/match" -bin "$work/phalanx" -work "$work" -iocs "$root/../shared/testdata/iocs" \
  -size "$size" -indicators "${INDICATORS:-1000000}" -planted "${PLANTED:-10000}" ${args[@]+"${args[@]}"}
