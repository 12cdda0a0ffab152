package main

import (
	"fmt"
	"os"
)

// journalEnv names a file the plugin appends one line per RPC to, so tests
// can check which calls reached which plugin process.
const journalEnv = "TESTPLUGIN_JOURNAL"

// journal appends "<pid> <format...>" to the journal file, if configured.
func journal(format string, args ...any) {
	path := os.Getenv(journalEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), fmt.Sprintf(format, args...))
}
