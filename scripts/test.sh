#!/usr/bin/env bash
# The whole Phalanx test suite: vet, every test (unit, integration with real
# CometBFT nodes, SQLite and HTTP, end-to-end CLI runs with kill -9), the
# concurrent packages again under the race detector, then a short run of
# every fuzz target. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with a spurious "context deadline exceeded" when the
# deadline races a busy worker (golang/go#75804, fixed in Go 1.27).
# 30,000 inputs per target keeps the 24 targets near four minutes on two
# cores (the slowest, bundle and filter parsers, run ~1,000 inputs/s);
# set FUZZTIME for longer runs, e.g. FUZZTIME=1000000x.
FUZZTIME="${FUZZTIME:-30000x}"
# Each new input that widens coverage is minimised for at most this long
# (Go's default, 60 s, can hold a worker at 0 execs/s for a minute).
FUZZMIN="${FUZZMIN:-10s}"

echo "== browser for the web UI tests"
# Under CI=true a missing browser fails the run (the browser tests fail
# too); elsewhere they skip with a message saying how to install it.
if ! scripts/install-chromium.sh; then
  if [ "${CI:-}" = "true" ]; then
    echo "chromium could not be installed" >&2
    exit 1
  fi
  echo "warning: no chromium; the web UI's browser tests will skip" >&2
fi

# named-checkzone (Debian package bind9-utils) loads the RPZ export in
# internal/export's tests; under CI=true a missing tool fails those tests.
if ! command -v named-checkzone >/dev/null 2>&1; then
  echo "== installing bind9-utils (named-checkzone)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bind9-utils; }; then
    echo "could not install bind9-utils; the RPZ test will fail under CI=true and skip otherwise" >&2
  fi
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 25m ./...

echo "== race detector on the packages whose goroutines meet"
# The daemon (follower, matcher feed, notifier, API), the ledger, the
# projection and the matcher, under -race: about 2.5 minutes on two cores.
# It caught a hook assigned after its goroutine had started (daemon).
go test -race -count=1 -timeout 15m ./internal/daemon/ ./internal/ledger/ ./internal/projection/ ./internal/detect/

echo "== extractor and matcher on the paths of other processors"
# On amd64 the extractor classifies 64 bytes at a time with AVX-512
# (internal/extract/kernels_amd64.s) where the processor has it, with
# VBMI's table look-up or without it, and else reads eight bytes at a
# time. The go test above ran the path of this processor; x/sys/cpu's
# GODEBUG options switch the features off so that the same differential
# tests and fuzz target check the others here (the runtime warns that it
# does not know cpu.avx512vbmi: only x/sys/cpu does).
GODEBUG=cpu.avx512vbmi=off go test -count=1 ./internal/extract/ ./internal/detect/
GODEBUG=cpu.avx512vbmi=off go test -run '^$' -fuzz '^FuzzScanMatchesReference$' -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMIN" ./internal/extract/
GODEBUG=cpu.avx512f=off go test -count=1 ./internal/extract/ ./internal/detect/

echo "== fuzz ($FUZZTIME each)"
# Every Fuzz* function in the module, found by listing the tests.
for pkg in $(go list ./...); do
  for fn in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "-- $pkg $fn"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMIN" "$pkg"
  done
done
echo "all tests passed"
