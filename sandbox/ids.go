package sandbox

import (
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// switchIDs sets the supplementary groups, gid and uid of the calling thread
// (the one that execs; raw syscalls, because the Go wrappers change every
// thread of the shim, which buys nothing here). Each id is checked to read
// back, as the reference does. As in the reference a zero id means "not
// given".
func switchIDs(p *Policy) error {
	if p.UID == 0 && p.GID == 0 {
		return nil
	}
	groups := p.Groups
	if len(groups) == 0 && p.GID != 0 {
		groups = []uint32{p.GID}
	}
	if err := setgroups(groups); err != nil {
		return fail(ExitSetgid, "setgroups("+idList(groups)+")", err)
	}
	if p.GID != 0 {
		if err := setresid(unix.SYS_SETRESGID, p.GID); err != nil {
			return fail(ExitSetgid, "setgid("+strconv.FormatUint(uint64(p.GID), 10)+")", err)
		}
		if !readsBack(unix.SYS_GETRESGID, p.GID) {
			return fail(ExitSetgidBroken, "setgid("+strconv.FormatUint(uint64(p.GID), 10)+") did not take effect", nil)
		}
	}
	if p.UID != 0 {
		if err := setresid(unix.SYS_SETRESUID, p.UID); err != nil {
			return fail(ExitSetuid, "setuid("+strconv.FormatUint(uint64(p.UID), 10)+")", err)
		}
		if !readsBack(unix.SYS_GETRESUID, p.UID) {
			return fail(ExitSetuidBroken, "setuid("+strconv.FormatUint(uint64(p.UID), 10)+") did not take effect", nil)
		}
	}
	return nil
}

func setgroups(groups []uint32) error {
	var ptr unsafe.Pointer
	if len(groups) > 0 {
		ptr = unsafe.Pointer(&groups[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), uintptr(ptr), 0); e != 0 {
		return e
	}
	return nil
}

// setresid sets the real, effective and saved id with setresuid/setresgid.
func setresid(nr uintptr, id uint32) error {
	if _, _, e := unix.RawSyscall(nr, uintptr(id), uintptr(id), uintptr(id)); e != 0 {
		return e
	}
	return nil
}

// readsBack reports whether getresuid/getresgid returns id three times.
func readsBack(nr uintptr, id uint32) bool {
	var r, e, s uint32
	_, _, errno := unix.RawSyscall(nr, uintptr(unsafe.Pointer(&r)), uintptr(unsafe.Pointer(&e)), uintptr(unsafe.Pointer(&s)))
	return errno == 0 && r == id && e == id && s == id
}

func idList(ids []uint32) string {
	b := make([]byte, 0, 8*len(ids))
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(id), 10)
	}
	return string(b)
}
