package cgroup

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenDir opens the v2 group directory as an O_PATH descriptor for
// clone3's CLONE_INTO_CGROUP, which Go exposes as
// syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}: the child
// then starts inside the group and is never charged to the driver's own
// cgroup. The caller closes f once the child has started.
//
// A clone into the group that races with Kill's cgroup.kill is killed as
// it completes, so nothing escapes a kill by forking; a clone after the
// kill has finished runs normally (TestVMReuseAfterKill), so callers must
// not start processes into a group they are stopping. On v1 there is no
// such descriptor; use AddProc.
func (g *Group) OpenDir() (*os.File, error) {
	if g.mode != ModeV2 {
		return nil, fmt.Errorf("CLONE_INTO_CGROUP needs cgroup v2, this group is %s: add the process with AddProc instead", g.mode)
	}
	fd, err := unix.Open(g.unified, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: g.unified, Err: err}
	}
	return os.NewFile(uintptr(fd), g.unified), nil
}
