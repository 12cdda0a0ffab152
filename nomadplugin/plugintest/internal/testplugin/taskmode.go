package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"
)

// taskArgs is passed to the task process as its one argument.
type taskArgs struct {
	Config   taskConfig
	ExitFile string
}

// runTask is the fake task: print, run for a while, exit. SIGUSR1 prints a
// line; SIGINT and SIGTERM end the task by that very signal. Before ending it
// writes its exit record for a plugin that cannot wait for it.
func runTask(arg string) int {
	var a taskArgs
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		fmt.Fprintf(os.Stderr, "testplugin task: bad arguments: %v\n", err)
		return 2
	}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, unix.SIGINT, unix.SIGTERM, unix.SIGUSR1)
	fmt.Fprint(os.Stdout, a.Config.Stdout)
	fmt.Fprint(os.Stderr, a.Config.Stderr)
	runFor, _ := time.ParseDuration(a.Config.RunFor)
	timer := time.NewTimer(runFor)
	for {
		select {
		case <-timer.C:
			writeExit(a.ExitFile, exitRecord{ExitCode: a.Config.ExitCode})
			return a.Config.ExitCode
		case s := <-signals:
			sig := s.(unix.Signal)
			if sig == unix.SIGUSR1 {
				fmt.Fprintf(os.Stdout, "got %s\n", unix.SignalName(sig))
				continue
			}
			writeExit(a.ExitFile, exitRecord{ExitCode: -1, Signal: int(sig)})
			signal.Reset(sig)
			_ = unix.Kill(os.Getpid(), sig)
			select {}
		}
	}
}

// writeExit writes the record atomically (rename), so a reader never sees
// half of it.
func writeExit(path string, rec exitRecord) {
	b, _ := json.Marshal(rec)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "testplugin task: writing exit record: %v\n", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		fmt.Fprintf(os.Stderr, "testplugin task: writing exit record: %v\n", err)
	}
}
