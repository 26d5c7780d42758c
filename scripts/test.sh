#!/usr/bin/env bash
# The whole Phalanx test suite: vet, every test (unit, integration with real
# CometBFT nodes, SQLite and HTTP, end-to-end CLI runs with kill -9), then a
# short run of every fuzz target. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with a spurious "context deadline exceeded" when the
# deadline races a busy worker (golang/go#75804, fixed in Go 1.27).
FUZZTIME="${FUZZTIME:-200000x}"

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 25m ./...

echo "== fuzz ($FUZZTIME each)"
# Every Fuzz* function in the module, found by listing the tests.
for pkg in $(go list ./...); do
  for fn in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "-- $pkg $fn"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg"
  done
done
echo "all tests passed"
