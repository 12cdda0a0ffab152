// Package cgroup places a task's processes into a control group and manages
// that group on cgroup v1 and cgroup v2 hosts: joining the group Nomad's
// client created for the task (or creating the driver's own), writing CPU,
// memory and cpuset limits, reading CPU and memory statistics, killing every
// process in the group and telling whether the kernel's OOM killer struck.
//
// The host's layout is detected the way Nomad's client does it (Detect), so
// the driver and the agent agree on which hierarchy a task lives in. A Group
// records only absolute directory paths and counters (State), so a restarted
// driver can reopen it (Reopen) and keep managing a task it did not start.
//
// Every path is resolved against a root directory that is "/" in production
// and a fixture tree in tests, so detection, path derivation and the parsers
// are tested without privileges; the tests that create groups, move
// processes and enforce limits run as root in a throwaway VM (see
// scripts/test-vm.sh).
package cgroup
