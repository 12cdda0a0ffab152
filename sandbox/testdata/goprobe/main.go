// Command goprobe is a static Go program for the sandbox tests: it tries to
// exec /bin/true and prints "exec=<errno>".
package main

import (
	"errors"
	"os"
	"syscall"
)

func main() {
	err := syscall.Exec("/bin/true", []string{"true"}, nil)
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno) && errno == syscall.EPERM:
		os.Stdout.WriteString("exec=EPERM\n")
	default:
		os.Stdout.WriteString("exec=" + err.Error() + "\n")
	}
}
