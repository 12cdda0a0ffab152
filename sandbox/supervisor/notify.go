package supervisor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// notif is struct seccomp_notif: one trapped system call.
type notif struct {
	ID    uint64
	PID   uint32 // thread id, in the supervisor's pid namespace (0 if not visible)
	Flags uint32
	Data  seccompData
}

// seccompData is struct seccomp_data.
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// ioctlNotifIDValid is SECCOMP_IOCTL_NOTIF_ID_VALID, _IOW('!', 2, __u64),
// which golang.org/x/sys/unix does not define.
const ioctlNotifIDValid = 0x40082102

// The kernel ABI sizes this file relies on; a mismatch fails the build.
var (
	_ [80 - unsafe.Sizeof(notif{})]byte
	_ [unsafe.Sizeof(notif{}) - 80]byte
	_ [24 - unsafe.Sizeof(notifResp{})]byte
	_ [unsafe.Sizeof(notifResp{}) - 24]byte
)

// receive reads the next notification. The kernel requires the buffer to
// be zeroed.
func receive(listener int) (notif, error) {
	var n notif
	err := ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n))
	return n, err
}

// send answers notification id.
func send(listener int, r notifResp) error {
	return ioctlPtr(listener, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&r))
}

// idValid reports whether the thread of notification id still waits for an
// answer, i.e. its pid still names the process that made the call.
func idValid(listener int, id uint64) bool {
	return ioctlPtr(listener, ioctlNotifIDValid, unsafe.Pointer(&id)) == nil
}

func ioctlPtr(fd int, req uint, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}
