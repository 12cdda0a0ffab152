package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func need(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Skipf("%s is not installed", prog)
	}
	return p
}

// TestRealPrograms runs everyday programs under the promise sets of the
// examples. Needs the seccomp filter of the sandbox package.
func TestRealPrograms(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		stdout string
	}{
		{"cat", []string{"-p", "stdio rpath", "-v", "/etc/hostname", "cat", "/etc/hostname"}, ""},
		{"env", []string{"-p", "stdio", "env"}, "PATH="},
		{"sleep", []string{"-p", "stdio", "sleep", "0.1"}, ""},
		{"ps", []string{"-p", "stdio rpath exec", "-v", "r:/proc", "-v", "r:/etc", "ps", "aux"}, "PID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need(t, tc.name)
			r := runPledge(t, "", tc.args...)
			if r.code != 0 || r.signal != 0 || !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("pledge %q: exit %d signal %v, stdout %.300q, stderr %.300q", tc.args, r.code, r.signal, r.stdout, r.stderr)
			}
		})
	}
}

// TestHTTPServerAndCurl serves a directory with python3 -m http.server under
// "stdio rpath inet" and fetches a file with curl under "stdio rpath inet dns
// sendfd", both on loopback.
func TestHTTPServerAndCurl(t *testing.T) {
	python, curl := need(t, "/usr/bin/python3"), need(t, "curl")
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/hello.txt", []byte("hello from the sandbox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	server := exec.CommandContext(ctx, pledgeBin, "-p", "stdio rpath inet", "-v", "r:"+dir, "-v", "r:/usr", "-v", "r:/etc/mime.types",
		python, "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir, fmt.Sprint(port))
	// pledge forwards SIGTERM to the server; SIGKILL would end only pledge
	// (the server keeps running, unsupervised).
	server.Cancel = func() error { return server.Process.Signal(syscall.SIGTERM) }
	var serverErr strings.Builder
	server.Stderr = &serverErr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		server.Process.Signal(syscall.SIGTERM)
		server.Wait()
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/hello.txt", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := runPledge(t, "", "-p", "stdio rpath inet dns sendfd", curl, "-sSf", url)
		if r.code == 0 {
			if r.stdout != "hello from the sandbox\n" {
				t.Fatalf("curl got %q", r.stdout)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("curl under pledge: exit %d signal %v, stderr %q; server stderr %.1000q", r.code, r.signal, r.stderr, serverErr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestScripts runs #! scripts: one run by a shell, and a pyenv-style shim
// (#!/usr/bin/env bash, dispatching on its own name) that execs python3,
// found on PATH as the driver's example jobs find it. The shim only works if
// the script is executed by its name, so that $0 is its path.
func TestScripts(t *testing.T) {
	need(t, "/usr/bin/env")
	need(t, "/usr/bin/bash")
	need(t, "/usr/bin/python3")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		"hello.sh": "#!/bin/sh\necho hello from $0\n",
		"python3":  "#!/usr/bin/env bash\nset -e\nprogram=\"${0##*/}\"\nexec /usr/bin/\"$program\" \"$@\"\n",
	}
	for name, text := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + dir + ":/usr/bin:/bin"}
	for _, tc := range []struct {
		name   string
		args   []string
		stdout string
	}{
		{"shell script by path", []string{"-p", "stdio rpath", "./hello.sh"}, "hello from ./hello.sh\n"},
		{"shell script on PATH", []string{"-p", "stdio rpath", "hello.sh"}, "hello from " + dir + "/hello.sh\n"},
		{"pyenv-style shim", []string{"-p", "stdio rpath exec", "-v", "rx:/usr/bin", "python3", "-c", "print('hi')"}, "hi\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runPledgeEnv(t, dir, env, tc.args...)
			if r.code != 0 || r.signal != 0 || r.stdout != tc.stdout {
				t.Errorf("pledge %q: exit %d signal %v, stdout %q, stderr %.500q; want stdout %q", tc.args, r.code, r.signal, r.stdout, r.stderr, tc.stdout)
			}
		})
	}
}

// TestPyenvShim runs python3 through this machine's pyenv shim when there
// is one (a bash script that runs `pyenv exec`), under the promises it
// needs: bash forks and execs, and redirects to /dev/null (cpath, wpath).
func TestPyenvShim(t *testing.T) {
	shim := filepath.Join(os.Getenv("HOME"), ".pyenv", "shims", "python3")
	if _, err := os.Stat(shim); err != nil {
		t.Skip("no pyenv shim for python3")
	}
	root := filepath.Dir(filepath.Dir(shim))
	args := []string{"-p", "stdio rpath wpath cpath proc exec tty", "-v", "rx:/usr", "-v", "r:/etc", "-v", "rx:" + root, "-v", "rw:/dev/null",
		"python3", "-c", "print('hi')"}
	env := []string{"PATH=" + filepath.Dir(shim) + ":/usr/bin:/bin", "HOME=" + os.Getenv("HOME")}
	r := runPledgeEnv(t, "", env, args...)
	if r.code != 0 || r.stdout != "hi\n" {
		t.Errorf("pledge %q: exit %d signal %v, stdout %q, stderr %.1000q", args, r.code, r.signal, r.stdout, r.stderr)
	}
}
