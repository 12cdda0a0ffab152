package nsexec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary plays every role: InitMain for "__init", a test shim for
// "__shim <role> ...", and a short-lived driver (for Attach) when
// envDriver is set.
const (
	shimArg   = "__shim"
	envDriver = "NSEXEC_TEST_DRIVER"
)

func TestMain(m *testing.M) {
	switch {
	case len(os.Args) > 1 && os.Args[1] == InitArg:
		InitMain()
	case len(os.Args) > 2 && os.Args[1] == shimArg:
		os.Exit(runShim(os.Args[2], os.Args[3:]))
	case os.Getenv(envDriver) != "":
		os.Exit(runDriver(os.Getenv(envDriver)))
	}
	os.Exit(m.Run())
}

// runShim is the stand-in for the sandbox shim: each role does one thing a
// test observes through stdout and the exit status.
func runShim(role string, args []string) int {
	switch role {
	case "report":
		report()
		return 0
	case "exit":
		code, _ := strconv.Atoi(args[0])
		return code
	case "signal-self":
		n, _ := strconv.Atoi(args[0])
		unix.Kill(os.Getpid(), unix.Signal(n))
		blockForever()
	case "wait":
		// No handler for anything: default dispositions apply.
		fmt.Println("ready")
		blockForever()
	case "stubborn":
		return stubborn()
	case "usr1-exit":
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		fmt.Println("ready")
		<-usr1
		code, _ := strconv.Atoi(args[0])
		return code
	case "orphan-maker":
		// Starts a child and exits at once: the child becomes an orphan.
		cmd := exec.Command(SelfExe, shimArg, "exit", "0")
		if err := cmd.Start(); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println(cmd.Process.Pid)
		return 0
	case "orphans":
		return orphans()
	case "usr1-getfd":
		// After SIGUSR1, tries to take init's held fd and prints the
		// errno (0: it got it).
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		fmt.Println("ready")
		<-usr1
		fmt.Println(int(getInitFD()))
		return 0
	case "sigign":
		// Prints the signals it started with ignored (SigIgn).
		fmt.Println(procStatusField("SigIgn"))
		return 0
	case "tty":
		// Prints whether it leads its session and has a controlling
		// terminal.
		sid, _ := unix.Getsid(0)
		_, err := os.Open("/dev/tty")
		fmt.Printf("leader=%t ctty=%v\n", sid == os.Getpid(), err == nil)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown test shim role %q\n", role)
	return 2
}

// blockForever waits for a signal to end the process. It blocks in
// pause(2), not in select {}: a pure-Go binary (CGO_ENABLED=0) whose only
// goroutine blocks in select {} dies at once of "all goroutines are asleep
// - deadlock!" (exit 2), racing the signal the test sends; a goroutine in
// a system call keeps the runtime's deadlock check quiet.
func blockForever() {
	for {
		unix.Pause()
	}
}

// report prints what the task sees of its namespaces.
func report() {
	host, _ := os.Hostname()
	fmt.Printf("pid=%d\n", os.Getpid())
	fmt.Printf("hostname=%s\n", host)
	fmt.Printf("proc=%s\n", strings.Join(procPids("/proc"), ","))
	for _, ns := range []string{"pid", "net", "ipc", "uts", "mnt", "user"} {
		link, _ := os.Readlink("/proc/self/ns/" + ns)
		fmt.Printf("%sns=%s\n", ns, link)
	}
	cgroup, _ := os.ReadFile("/proc/self/cgroup")
	fmt.Printf("cgroup=%s\n", strings.ReplaceAll(strings.TrimSpace(string(cgroup)), "\n", ";"))
	cmdline, _ := os.ReadFile("/proc/1/cmdline")
	fmt.Printf("init=%s\n", strings.ReplaceAll(string(cmdline), "\x00", " "))
	for prefix, file := range map[string]string{"init": "/proc/1/status", "self": "/proc/self/status"} {
		status, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(status), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && slices.Contains([]string{"Name", "CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb", "NoNewPrivs", "Uid", "Gid"}, k) {
				fmt.Printf("%s%s=%s\n", prefix, k, strings.Join(strings.Fields(v), " "))
			}
		}
	}
	// Before reading fd 3, which makes the runtime open its poller fds.
	var fds []string
	for _, fd := range procPids("/proc/self/fd") {
		link, _ := os.Readlink("/proc/self/fd/" + fd)
		fds = append(fds, fd+":"+link)
	}
	fmt.Printf("fds=%s\n", strings.Join(fds, ","))
	if _, err := unix.FcntlInt(3, unix.F_GETFD, 0); err == nil {
		spec, _ := io.ReadAll(os.NewFile(3, "spec"))
		fmt.Printf("fd3=%s\n", spec)
	}
}

func procPids(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var pids []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// stubborn survives SIGTERM and acknowledges every SIGTERM and SIGUSR1.
func stubborn() int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGUSR1)
	fmt.Println("ready")
	for s := range sigs {
		fmt.Println(s.(syscall.Signal) == syscall.SIGTERM, s)
	}
	return 0
}

// orphans starts orphan-maker, whose child ends up an orphan of init, and
// reports whether that child was reaped (its /proc entry disappears) or
// stays a zombie.
func orphans() int {
	out, err := exec.Command(SelfExe, shimArg, "orphan-maker").Output()
	if err != nil {
		fmt.Println("orphan-maker:", err)
		return 1
	}
	pid := strings.TrimSpace(string(out))
	var stat []byte
	for range 200 {
		if stat, err = os.ReadFile(filepath.Join("/proc", pid, "stat")); err != nil {
			fmt.Println("reaped")
			return 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("not reaped: %s\n", stat)
	return 1
}

// runDriver plays a driver that starts a task and goes away without waiting
// for it, printing what recovery needs: "<pid> <start time>".
func runDriver(statusPath string) int {
	out, in, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := Start(&Config{
		Shim:       Shim{Args: []string{shimArg, "usr1-exit", "5"}, Stdout: in, Stderr: os.Stderr},
		StatusPath: statusPath,
	})
	in.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		fmt.Fprintf(os.Stderr, "task said %q, %v\n", line, err)
		return 1
	}
	fmt.Println(p.Pid, p.StartTime)
	return 0
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating namespaces needs root")
	}
}

// getInitFD tries pidfd_getfd of HeldFD of PID 1, init of the task's pid
// namespace, and returns the errno.
func getInitFD() unix.Errno {
	pidfd, err := unix.PidfdOpen(1, 0)
	if err != nil {
		return err.(unix.Errno)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, HeldFD, 0)
	if err != nil {
		return err.(unix.Errno)
	}
	unix.Close(fd)
	return 0
}

// procStatusField is one field of /proc/self/status, "" when absent.
func procStatusField(key string) string {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
