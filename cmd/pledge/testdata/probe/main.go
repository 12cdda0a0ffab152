// Command probe performs one action and exits with its errno (0 on
// success; 102 if the setup before the call under test failed), for the
// pledge enforcement tests. It is built static (CGO_ENABLED=0); probe.c is
// the same program built dynamic.
//
// File actions take a path; "exec PATH ARGS..." runs PATH with argv ARGS
// (argv[0] is PATH when ARGS is empty); calls lists the actions that each
// need one promise; "repeat N VERB ARG" makes one of those N times. Every
// action but ids writes "probe: calling" to stderr just before its call.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(100)
	}
	path := ""
	if len(os.Args) > 2 {
		path = os.Args[2]
	}
	var err error
	open := func(flags int) error {
		reach()
		fd, err := syscall.Open(path, flags, 0o644)
		if err == nil {
			syscall.Close(fd)
		}
		return err
	}
	switch os.Args[1] {
	case "read":
		err = open(syscall.O_RDONLY)
	case "write":
		err = open(syscall.O_WRONLY)
	case "trunc":
		err = open(syscall.O_WRONLY | syscall.O_TRUNC)
	case "create":
		err = open(syscall.O_WRONLY | syscall.O_CREAT | syscall.O_EXCL)
	case "list":
		err = open(syscall.O_RDONLY | syscall.O_DIRECTORY)
	case "mkdir":
		reach()
		err = syscall.Mkdir(path, 0o755)
	case "unlink":
		reach()
		err = syscall.Unlink(path)
	case "rmdir":
		reach()
		err = syscall.Rmdir(path)
	case "exec":
		argv := os.Args[3:]
		if len(argv) == 0 {
			argv = []string{path}
		}
		reach()
		err = syscall.Exec(path, argv, nil)
	case "ids":
		groups, _ := syscall.Getgroups()
		fmt.Printf("%d %d %v\n", syscall.Getuid(), syscall.Getgid(), groups)
	case "repeat":
		err = repeat(os.Args[2:])
	default:
		err = callOnce(os.Args[1], path)
	}
	switch e := err.(type) {
	case syscall.Errno:
		os.Exit(int(e))
	case setupError:
		fmt.Fprintln(os.Stderr, e)
		os.Exit(102)
	}
}

// callOnce makes the call named verb, exiting 101 for an unknown verb.
func callOnce(verb, arg string) error {
	call, ok := calls[verb]
	if !ok {
		os.Exit(101)
	}
	return call(arg)
}

// repeat makes call args[1] with argument args[2] args[0] times and returns
// the last error.
func repeat(args []string) error {
	if len(args) < 2 {
		os.Exit(100)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return setupError{err}
	}
	arg := ""
	if len(args) > 2 {
		arg = args[2]
	}
	for range n {
		err = callOnce(args[1], arg)
	}
	return err
}
