package driver

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		name string
		want unix.Signal
	}{
		{"SIGTERM", unix.SIGTERM},
		{"SIGKILL", unix.SIGKILL},
		{"SIGUSR1", unix.SIGUSR1},
		{"sigusr2", unix.SIGUSR2},
		{"HUP", unix.SIGHUP},
		{"int", unix.SIGINT},
		{"SIGQUIT", unix.SIGQUIT},
		{"SIGWINCH", unix.SIGWINCH},
		{"SIGSTOP", unix.SIGSTOP},
		{"SIGCONT", unix.SIGCONT},
		{"SIGCHLD", unix.SIGCHLD},
		{"SIGCLD", unix.SIGCHLD},
		{"SIGIOT", unix.SIGABRT},
		{"SIGPOLL", unix.SIGIO},
		{"SIGSYS", unix.SIGSYS},
		{"SIGPWR", unix.SIGPWR},
		{"SIGSTKFLT", unix.SIGSTKFLT},
		{"SIGRTMIN", 34},
		{"SIGRTMIN+1", 35},
		{"SIGRTMIN+30", 64},
		{"SIGRTMAX", 64},
		{"SIGRTMAX-2", 62},
		{" SIGTERM ", unix.SIGTERM},
	}
	for _, tt := range tests {
		got, err := parseSignal(tt.name)
		if err != nil {
			t.Errorf("parseSignal(%q): %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseSignal(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestParseSignalRejects(t *testing.T) {
	for _, name := range []string{"", "SIGFOO", "TERMINATE", "SIGRTMIN+31", "SIGRTMAX-31", "SIGRTMIN-1", "SIGRTMAX+1", "SIGRTMINX", "15", "SIG"} {
		if s, err := parseSignal(name); err == nil {
			t.Errorf("parseSignal(%q) = %d, want error", name, s)
		}
	}
}
