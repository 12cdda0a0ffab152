// Command probe performs one file-system or identity action and exits with
// its errno (0 on success), for the pledge enforcement tests. It is built
// static (CGO_ENABLED=0); probe.c is the same program built dynamic.
package main

import (
	"fmt"
	"os"
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
		err = syscall.Mkdir(path, 0o755)
	case "unlink":
		err = syscall.Unlink(path)
	case "rmdir":
		err = syscall.Rmdir(path)
	case "exec":
		err = syscall.Exec(path, []string{path}, nil)
	case "ids":
		groups, _ := syscall.Getgroups()
		fmt.Printf("%d %d %v\n", syscall.Getuid(), syscall.Getgid(), groups)
	default:
		os.Exit(101)
	}
	if e, ok := err.(syscall.Errno); ok {
		os.Exit(int(e))
	}
}
