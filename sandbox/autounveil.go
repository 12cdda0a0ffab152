package sandbox

import "github.com/nomad-pledge-driver/nomad-pledge-driver/promises"

// promiseUnveils are the files the reference CLI unveils for each promise, so
// that a program holding the promise finds what its libc reads for it.
var promiseUnveils = []struct {
	promise promises.Set
	rules   []Unveil
}{
	{promises.Stdio, []Unveil{
		{PermRead, "/dev/fd"},
		{PermWrite, "/dev/log"},
		{PermRead, "/dev/zero"},
		{PermRead | PermWrite, "/dev/null"},
		{PermRead | PermWrite, "/dev/full"},
		{PermRead | PermWrite, "/dev/stdin"},
		{PermRead | PermWrite, "/dev/stdout"},
		{PermRead | PermWrite, "/dev/stderr"},
		{PermRead, "/dev/urandom"},
		{PermRead, "/etc/localtime"},
		{PermRead | PermWrite, "/proc/self/fd"},
		{PermRead, "/proc/self/stat"},
		{PermRead, "/proc/self/status"},
		{PermRead, "/proc/self/cmdline"},
		{PermRead, "/usr/share/locale"},
		{PermRead, "/usr/share/zoneinfo"},
		{PermRead, "/usr/share/common-licenses"},
		{PermRead, "/proc/sys/kernel/version"},
		{PermRead, "/proc/sys/kernel/ngroups_max"},
		{PermRead, "/proc/sys/kernel/cap_last_cap"},
		{PermRead, "/proc/sys/vm/overcommit_memory"},
	}},
	{promises.Rpath, []Unveil{{PermRead, "/proc/filesystems"}}},
	{promises.Inet, []Unveil{
		{PermRead, "/etc/ssl/certs/ca-certificates.crt"},
		{PermRead, "/etc/ssl/certs"},
	}},
	{promises.DNS, []Unveil{
		{PermRead, "/etc/hosts"},
		{PermRead, "/etc/hostname"},
		{PermRead, "/etc/services"},
		{PermRead, "/etc/protocols"},
		{PermRead, "/etc/resolv.conf"},
	}},
	{promises.TTY, []Unveil{
		{PermRead | PermWrite, "/proc/self/fd/0"}, // ttyname(0), resolved in the shim
		{PermRead | PermWrite, "/dev/tty"},
		{PermRead | PermWrite, "/dev/console"},
		{PermRead, "/etc/terminfo"},
		{PermRead, "/usr/lib/terminfo"},
		{PermRead, "/usr/share/terminfo"},
	}},
	{promises.Vminfo, []Unveil{
		{PermRead, "/proc/stat"},
		{PermRead, "/proc/meminfo"},
		{PermRead, "/proc/cpuinfo"},
		{PermRead, "/proc/diskstats"},
		{PermRead, "/proc/self/maps"},
		{PermRead, "/sys/devices/system/cpu"},
	}},
	{promises.Tmppath, []Unveil{{PermRead | PermWrite | PermCreate, "/tmp"}}},
}

// dynamicUnveils let the dynamic loader find and map shared libraries (glibc
// and musl layouts).
var dynamicUnveils = []Unveil{
	{PermRead | PermExec, "/lib"},
	{PermRead | PermExec, "/lib64"},
	{PermRead | PermExec, "/usr/lib"},
	{PermRead | PermExec, "/usr/lib64"},
	{PermRead | PermExec, "/usr/local/lib"},
	{PermRead | PermExec, "/usr/local/lib64"},
	{PermRead, "/etc/ld-musl-x86_64.path"},
	{PermRead, "/etc/ld-musl-aarch64.path"},
	{PermRead, "/etc/ld.so.conf"},
	{PermRead, "/etc/ld.so.cache"},
	{PermRead, "/etc/ld.so.conf.d"},
	{PermRead, "/etc/ld.so.preload"},
}

// PromiseUnveils lists the automatic unveils the reference CLI adds for the
// promises in s (section 6.7 of the semantics notes), with $TMPPATH from env
// for tmppath. Paths are returned as written (/proc/self stays symbolic);
// paths that do not exist are skipped when the rules are applied.
func PromiseUnveils(s promises.Set, env []string) []Unveil {
	var out []Unveil
	for _, g := range promiseUnveils {
		if s&g.promise != 0 {
			out = append(out, g.rules...)
		}
	}
	if s&promises.Tmppath != 0 {
		if t, _ := envValue(env, "TMPPATH"); t != "" {
			out = append(out, Unveil{PermRead | PermWrite | PermCreate, t})
		}
	}
	return out
}
