package promises

import (
	"fmt"
	"strings"
)

// Set is a set of promises: bit i set means promise i is granted. The bit
// numbers are the reference implementation's, so a Set converts one-to-one to
// the positive form of its promise masks.
type Set uint32

// The promises, one bit each, in the reference's bit order.
const (
	Stdio Set = 1 << iota
	Rpath
	Wpath
	Cpath
	Dpath
	Flock
	Fattr
	Inet
	Unix
	DNS
	TTY
	Recvfd
	Proc
	Exec
	ID
	Unveil
	Sendfd
	Settime
	ProtExec
	Vminfo
	Tmppath
	Chown
	Anet
)

// promiseNames holds the name of promise bit i at index i.
var promiseNames = [...]string{
	"stdio", "rpath", "wpath", "cpath", "dpath", "flock", "fattr", "inet",
	"unix", "dns", "tty", "recvfd", "proc", "exec", "id", "unveil",
	"sendfd", "settime", "prot_exec", "vminfo", "tmppath", "chown", "anet",
}

// promiseCount is the number of promises.
const promiseCount = len(promiseNames)

// removedPromises are names older releases of the reference accepted; naming
// them gets a hint instead of a bare "unknown promise".
var removedPromises = map[string]string{
	"execnative": `"execnative" was merged into "exec"`,
	"thread":     `thread creation is part of "stdio"`,
}

// All returns the set of every promise.
func All() Set { return 1<<promiseCount - 1 }

// Names returns the promise names in bit order.
func Names() []string { return append([]string(nil), promiseNames[:]...) }

// Parse reads a promise string: names separated by spaces, tabs, CR or LF,
// matched case-insensitively; duplicates are fine and "" is the empty set.
func Parse(s string) (Set, error) {
	var set Set
	for _, word := range strings.FieldsFunc(s, isPromiseSeparator) {
		bit, ok := promiseBit(strings.ToLower(word))
		if ok {
			set |= 1 << bit
			continue
		}
		if hint, removed := removedPromises[strings.ToLower(word)]; removed {
			return 0, fmt.Errorf("promises: promise %q no longer exists (%s); valid promises: %s", word, hint, All())
		}
		return 0, fmt.Errorf("promises: unknown promise %q; valid promises: %s", word, All())
	}
	return set, nil
}

// isPromiseSeparator reports whether r separates words of a promise string.
func isPromiseSeparator(r rune) bool {
	return r == ' ' || r == '\t' || r == '\r' || r == '\n'
}

// promiseBit returns the bit number of a lower-case promise name.
func promiseBit(name string) (int, bool) {
	for i, n := range promiseNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// String returns the canonical form: the granted promise names in bit order,
// separated by single spaces. Bits beyond the last promise are ignored.
func (s Set) String() string {
	var b strings.Builder
	for i, name := range promiseNames {
		if s&(1<<i) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name)
	}
	return b.String()
}
