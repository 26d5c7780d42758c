#!/usr/bin/env bash
# The whole Phalanx test suite: vet, every test (unit, integration with real
# CometBFT nodes, SQLite and HTTP, end-to-end CLI runs with kill -9), then a
# short run of every fuzz target. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"

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
