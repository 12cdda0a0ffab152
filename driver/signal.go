package driver

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Linux realtime signal range as the kernel sees it. glibc reserves the first
// two for its threads and reports SIGRTMIN as 34; names here follow glibc so
// that "SIGRTMIN+1" means what it means in a shell on the same machine.
const (
	sigRTMin = 34
	sigRTMax = 64
)

// parseSignal turns a signal name from a job or the agent ("SIGUSR1", "usr1",
// "SIGRTMIN+3") into its number. An unknown name is an error rather than a
// fallback, because delivering a different signal than the operator asked for
// (SIGKILL instead of a reload signal, say) is worse than refusing.
func parseSignal(name string) (unix.Signal, error) {
	up := strings.ToUpper(strings.TrimSpace(name))
	if up == "" {
		return 0, fmt.Errorf("signal: empty name; use a name such as SIGTERM, SIGHUP or SIGRTMIN+1")
	}
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	if s, ok := parseRealtime(up); ok {
		return s, nil
	}
	if s := unix.SignalNum(up); s != 0 {
		return s, nil
	}
	switch up {
	case "SIGIOT":
		return unix.SIGABRT, nil
	case "SIGPOLL":
		return unix.SIGIO, nil
	case "SIGCLD":
		return unix.SIGCHLD, nil
	case "SIGUNUSED":
		return unix.SIGSYS, nil
	}
	return 0, fmt.Errorf("signal: unknown signal name %q; use a name such as SIGTERM, SIGHUP, SIGUSR1 or SIGRTMIN+1", name)
}

// parseRealtime handles SIGRTMIN, SIGRTMAX, SIGRTMIN+n and SIGRTMAX-n.
func parseRealtime(up string) (unix.Signal, bool) {
	base, rest, sign := 0, "", 1
	switch {
	case strings.HasPrefix(up, "SIGRTMIN"):
		base, rest = sigRTMin, strings.TrimPrefix(up, "SIGRTMIN")
		if rest != "" && rest[0] != '+' {
			return 0, false
		}
	case strings.HasPrefix(up, "SIGRTMAX"):
		base, rest, sign = sigRTMax, strings.TrimPrefix(up, "SIGRTMAX"), -1
		if rest != "" && rest[0] != '-' {
			return 0, false
		}
	default:
		return 0, false
	}
	off := 0
	if rest != "" {
		n, err := strconv.Atoi(rest[1:])
		if err != nil || n < 0 {
			return 0, false
		}
		off = n
	}
	s := base + sign*off
	if s < sigRTMin || s > sigRTMax {
		return 0, false
	}
	return unix.Signal(s), true
}
