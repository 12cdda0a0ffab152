#!/usr/bin/env bash
# Regenerates the Go code for Nomad's plugin wire schema under nomadplugin/proto.
#
#   scripts/proto.sh           regenerate in place
#   scripts/proto.sh --check   regenerate into a temporary directory and fail
#                              when the committed code differs (CI staleness check)
#
# Needs protoc and protoc-gen-go / protoc-gen-go-grpc; the plugins are looked up
# on PATH and in $(go env GOPATH)/bin, where `go install` puts them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/nomadplugin/proto
gobin=$(go env GOPATH)/bin
export PATH=$PATH:$gobin

for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
	if ! command -v "$tool" >/dev/null; then
		echo "proto.sh: $tool not found on PATH or in $gobin;" >&2
		echo "  install protoc 3.21+, then: go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12" >&2
		echo "  and: go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2" >&2
		exit 1
	fi
done

# generate writes the Go files for every .proto under $src into directory $1,
# laid out like the .proto files (paths=source_relative).
generate() {
	local out=$1
	(cd "$src" && find . -name '*.proto' | sort | sed 's|^\./||' |
		xargs protoc -I . \
			--go_out="$out" --go_opt=paths=source_relative \
			--go-grpc_out="$out" --go-grpc_opt=paths=source_relative)
}

case "${1:-}" in
"")
	generate "$src"
	;;
--check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	generate "$tmp"
	stale=$( (cd "$tmp" && find . -name '*.go' | sort) | while read -r f; do
		cmp -s "$tmp/$f" "$src/$f" || echo "${f#./}"
	done)
	extra=$( (cd "$src" && find . -name '*.pb.go' | sort) | while read -r f; do
		[ -e "$tmp/$f" ] || echo "${f#./}"
	done)
	if [ -n "$stale$extra" ]; then
		echo "proto.sh --check: generated code in nomadplugin/proto is stale:" >&2
		for f in $stale; do echo "  differs or missing: nomadplugin/proto/$f" >&2; done
		for f in $extra; do echo "  no .proto generates: nomadplugin/proto/$f" >&2; done
		echo "run 'make proto' (scripts/proto.sh) and commit the result" >&2
		exit 1
	fi
	echo "proto.sh --check: generated code is up to date"
	;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac
