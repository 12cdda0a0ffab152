package sandbox

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// rlimitName names the resources the CLI sets, for warnings.
func rlimitName(r int) string {
	switch r {
	case unix.RLIMIT_CPU:
		return "RLIMIT_CPU"
	case unix.RLIMIT_AS:
		return "RLIMIT_AS"
	case unix.RLIMIT_FSIZE:
		return "RLIMIT_FSIZE"
	case unix.RLIMIT_NPROC:
		return "RLIMIT_NPROC"
	case unix.RLIMIT_NOFILE:
		return "RLIMIT_NOFILE"
	}
	return "rlimit " + strconv.Itoa(r)
}

// applySoftLimits sets every limit but RLIMIT_NOFILE the way the reference
// does: a value the kernel refuses (above the hard limit, without
// CAP_SYS_RESOURCE) is clamped to the current hard limit and retried, and a
// limit that still fails is only a warning.
func applySoftLimits(limits []Rlimit, quiet bool) {
	for _, l := range limits {
		if l.Resource == unix.RLIMIT_NOFILE {
			continue
		}
		if err := setLimitClamped(l); err != nil && !quiet {
			os.Stderr.WriteString("warning: setrlimit(" + rlimitName(l.Resource) + "): " + err.Error() + "\n")
		}
	}
}

func setLimitClamped(l Rlimit) error {
	want := unix.Rlimit{Cur: l.Cur, Max: l.Max}
	err := unix.Prlimit(0, l.Resource, &want, nil)
	if err != unix.EPERM {
		return err
	}
	var cur unix.Rlimit
	if err := unix.Prlimit(0, l.Resource, nil, &cur); err != nil {
		return err
	}
	want.Max = min(want.Max, cur.Max)
	want.Cur = min(want.Cur, want.Max)
	return unix.Prlimit(0, l.Resource, &want, nil)
}

// applyNoFile sets RLIMIT_NOFILE, last, because the shim itself needs fds up
// to this point; unlike the other limits a failure stops the launch.
func applyNoFile(limits []Rlimit) error {
	for _, l := range limits {
		if l.Resource != unix.RLIMIT_NOFILE {
			continue
		}
		if err := unix.Prlimit(0, l.Resource, &unix.Rlimit{Cur: l.Cur, Max: l.Max}, nil); err != nil {
			return fail(ExitUsage, "setrlimit(RLIMIT_NOFILE, "+strconv.FormatUint(l.Cur, 10)+")", err)
		}
	}
	return nil
}
