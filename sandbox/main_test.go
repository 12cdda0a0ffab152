package sandbox

import (
	"fmt"
	"os"
	"testing"
)

// roleEnv selects what a re-executed test binary does instead of running
// tests; testRoles maps its values to entries that never return. Test files
// register their roles in init.
const roleEnv = "SANDBOX_TEST_ROLE"

var testRoles = map[string]func(){}

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		run, ok := testRoles[role]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown %s %q\n", roleEnv, role)
			os.Exit(2)
		}
		run()
		os.Exit(2)
	}
	code := m.Run()
	cleanupTestdata()
	os.Exit(code)
}
