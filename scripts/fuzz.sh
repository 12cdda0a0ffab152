#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (default 20s) each. Plain `go test`
# already replays the committed seed corpora; this explores beyond them.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-20s}
for pkg in $(go list ./...); do
	for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $f ($t)"
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
	done
done
