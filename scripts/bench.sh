#!/usr/bin/env bash
# Benchmarks: Go benchmarks (filter cost, compile time, driver start latency
# and memory), then start-up time of pledge against plain exec, a minimal Go
# exec wrapper and bubblewrap, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0

echo "== Go benchmarks"
# Only the result lines: the driver benchmarks log the plugin's stderr.
go test -run '^$' -bench . -benchmem -count 1 ./promises/ ./driver/ ./cmd/pledge/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'

echo
echo "== start-up: pledge vs plain exec"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -trimpath -o "$tmp/execwrap" ./testdata/bench/execwrap
cmds=(/bin/true "$tmp/execwrap /bin/true" "bin/pledge -p 'stdio rpath' /bin/true" "bin/pledge -q -p 'stdio rpath' /bin/true")
command -v bwrap >/dev/null && cmds+=("bwrap --ro-bind / / /bin/true")
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 50 --runs "${RUNS:-500}" --export-json "$tmp/h.json" "${cmds[@]}" >/dev/null
	python3 - "$tmp/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
print(f"{'command':<45} {'median':>10} {'ratio':>7}")
for x in r:
    print(f"{x['command']:<45} {x['median']*1e6:>8.0f}µs {x['median']/base:>6.2f}x")
PY
else
	echo "hyperfine not installed (apt-get install hyperfine); skipped"
fi
