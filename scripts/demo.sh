#!/usr/bin/env bash
# Shows what the sandbox does: the driver's selftest, then a few commands run
# under `pledge`, allowed and denied, with the denial messages.
set -uo pipefail
cd "$(dirname "$0")/.."
pledge=bin/pledge

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() {
	step "$*"
	"$@"
	local rc=$?
	printf '\033[2m(exit status %d)\033[0m\n' "$rc"
}

step "bin/nomad-pledge-driver selftest"
bin/nomad-pledge-driver selftest || echo "selftest reported failures (see above)"

echo
echo "== allowed: reading a file that is unveiled"
run $pledge -p 'stdio rpath' -v r:/etc/os-release cat /etc/os-release

echo
echo "== denied by unveil: /etc/passwd is not unveiled (Landlock answers EACCES)"
run $pledge -p 'stdio rpath' cat /etc/passwd

echo
echo "== denied by promises: no 'inet', so socket(2) fails with EPERM and is reported"
run $pledge -V -p 'stdio rpath' curl -sS http://127.0.0.1:9/

echo
echo "== denied by promises: without 'exec' a program cannot run another one"
run $pledge -V -p 'stdio rpath proc' sh -c '/bin/true'

echo
echo "== -k: a violation kills the program with SIGSYS (status 159 in a shell)"
run $pledge -k -V -p 'stdio' ls /

echo
echo "== the promise catalog"
step "$pledge -list | head -20"
$pledge -list | head -20
