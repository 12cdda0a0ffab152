#!/usr/bin/env bash
# test-vm.sh - run the suites that need real cgroups (create groups, move
# processes, enforce limits) as root in throwaway VMs, once per cgroup
# layout: pure cgroup v2 (the default Debian kernel) and cgroup v1 (a 6.1
# kernel, which still has the v1 memory and cpuset controllers). `make
# test-vm` and .ci/run call it; it exits non-zero if any suite fails.
#
# The VM suites are the tests named TestVM...: they check PLEDGE_VM_TEST=1
# (set only here; elsewhere they skip) and learn the layout the VM booted
# from PLEDGE_VM_CGROUP (v2 or v1). Only they run in the VMs: everything else
# already ran on the host, and emulated guests are slow. Test binaries are
# compiled on the host (go-test-in-vm.sh).
#
# The test binaries always run with -v, so that each layout ends with a
# summary of what ran where (package, tests passed, tests skipped): a test
# that skips in a layout it should run in shows up there. The whole output
# is printed when a layout fails, or always with PLEDGE_VM_VERBOSE=1.
#
# The 6.1 kernel gets its own run-in-vm cache directory: run-in-vm keeps one
# initramfs per cache, so sharing one cache with runs of the default kernel
# (this script's v2 run, or anyone else's) would delete it under a booting VM.
#
# Environment:
#   PLEDGE_VM_RUN        -run pattern for every package (default ^TestVM)
#   PLEDGE_VM_V1_KERNEL  Debian kernel package for the v1 run
#                        (default linux-image-6.1.0-56-amd64)
#   PLEDGE_VM_LAYOUTS    layouts to run (default "v2 v1")
#   PLEDGE_VM_VERBOSE=1  print the test binaries' whole -v output
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VM=../shared/vm/go-test-in-vm.sh
PKGS=(./cgroup/... ./driver/... ./nsexec/...)
V1_KERNEL=${PLEDGE_VM_V1_KERNEL:-linux-image-6.1.0-56-amd64}
V1_CACHE=${RUN_IN_VM_CACHE:-/var/cache/run-in-vm}-$V1_KERNEL
TFLAGS=(-run "${PLEDGE_VM_RUN:-^TestVM}" -timeout 4m -v)
LOG=$(mktemp "${TMPDIR:-/tmp}/test-vm.XXXXXX")
trap 'rm -f "$LOG"' EXIT

# summarize prints one line per package of a -v log: top-level tests
# passed, skipped and failed.
summarize() {
	awk -v layout="$1" '
	/^--- PASS: / { pass++; next }
	/^--- SKIP: / { skip = skip " " $3; next }
	/^--- FAIL: / { fail = fail " " $3; next }
	/^(ok|FAIL)[ \t]+[a-z]/ {
		pkg = $2; sub(/.*\//, "", pkg)
		printf "   %s %-7s %2d passed", layout, pkg, pass
		if (skip != "") printf ", skipped:%s", skip
		if (fail != "") printf ", FAILED:%s", fail
		if ($0 ~ /build failed/) printf " (build failed)"
		printf "\n"
		pass = 0; skip = ""; fail = ""
	}' "$2"
}

# Only packages that exist yet: a pattern that matches nothing is not a
# failure, a package that does not build is.
mapfile -t present < <(for p in "${PKGS[@]}"; do [[ -d ${p%/...} ]] && echo "$p"; done)
if ((${#present[@]} == 0)); then
	echo "test-vm: none of ${PKGS[*]} exists yet" >&2
	exit 0
fi

# A package that gates tests on PLEDGE_VM_TEST but names none TestVM... would
# silently not run here.
for p in "${present[@]}"; do
	d=${p%/...}
	if grep -rqs --include='*_test.go' PLEDGE_VM_TEST "$d" && ! grep -rqs --include='*_test.go' '^func TestVM' "$d"; then
		echo "test-vm: warning: $d gates tests on PLEDGE_VM_TEST but has no TestVM... tests; they do not run here" >&2
	fi
done

rc=0 passed=0 failed=0 skipped=0
for layout in ${PLEDGE_VM_LAYOUTS:-v2 v1}; do
	vmopts=(--vm-timeout 5m --vm-env PLEDGE_VM_TEST=1 --vm-env "PLEDGE_VM_CGROUP=$layout")
	case $layout in
	v2) ;;
	v1) vmopts+=(--vm-cgroup-layout v1 --vm-kernel "$V1_KERNEL" --vm-cache-dir "$V1_CACHE") ;;
	*) echo "test-vm: layout $layout: want v2 or v1" >&2; exit 2 ;;
	esac
	echo "== cgroup $layout VM: ${present[*]}"
	start=$SECONDS
	ok=1
	"$VM" "${vmopts[@]}" "${present[@]}" -- "${TFLAGS[@]}" >"$LOG" 2>&1 || ok=0
	if [[ $ok == 0 || ${PLEDGE_VM_VERBOSE:-} == 1 ]]; then
		cat "$LOG"
	fi
	summarize "$layout" "$LOG"
	passed=$((passed + $(grep -c '^--- PASS: ' "$LOG" || true)))
	failed=$((failed + $(grep -c '^--- FAIL: ' "$LOG" || true)))
	skipped=$((skipped + $(grep -c '^--- SKIP: ' "$LOG" || true)))
	if [[ $ok == 0 ]]; then
		echo "== cgroup $layout VM: FAIL" >&2
		rc=1
	fi
	echo "== cgroup $layout VM: $((SECONDS - start))s"
done
# A closing line CI's runner detection reads, for every layout together.
echo "test-vm: $passed passed, $failed failed, $skipped skipped"
exit $rc
