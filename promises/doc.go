// Package promises holds the pledge promise catalog and compiles promise sets
// into seccomp-BPF programs.
package promises
