package driver

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// taskHelperMinFD is the lowest fd the task helper's memfd may have. A
// child started by fork and exec gets its files dup2'd onto 0, 1, 2, …
// before its execve opens the helper by its /proc/self/fd path; the memfd
// must sit above every fd a child gets that way, or a child would run the
// file dup2'd over it.
const taskHelperMinFD = 100

// TaskHelper puts the per-task helper program (image, an ELF holding the
// init and shim entries, built from cmd/nomad-pledge-driver/taskhelper) in
// a sealed memfd and returns it with the path that executes it,
// /proc/self/fd/N. The plugin keeps the file open for its whole life; every
// init and shim it starts runs that one inode, so the helper's code is
// shared by all tasks, and the seals make it immutable to anyone who could
// reach the fd. Init re-executes itself as the shim through
// /proc/self/exe, which names the same memfd.
//
// Without it init and shim re-execute the plugin binary, whose package
// initialisation (gRPC, protobuf, go-plugin) costs every task's resident
// init about 2 MiB and every start a few milliseconds.
func TaskHelper(image []byte) (*os.File, string, error) {
	if len(image) == 0 {
		return nil, "", errors.New("task helper: empty image (build it with `make build`)")
	}
	fd, err := createExecMemfd("nomad-pledge-task")
	if err != nil {
		return nil, "", err
	}
	f := os.NewFile(uintptr(fd), "nomad-pledge-task")
	if err := fillSealed(f, image); err != nil {
		f.Close()
		return nil, "", err
	}
	pageOut(image)
	high, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, taskHelperMinFD)
	f.Close()
	if err != nil {
		return nil, "", fmt.Errorf("task helper: move the memfd to fd %d or above: %w", taskHelperMinFD, err)
	}
	return os.NewFile(uintptr(high), "nomad-pledge-task"), fmt.Sprintf("/proc/self/fd/%d", high), nil
}

// createExecMemfd creates a memfd that may be executed. MFD_EXEC (Linux
// 6.3) says so explicitly, which vm.memfd_noexec=1 requires; older kernels
// reject the flag and make every memfd executable.
func createExecMemfd(name string) (int, error) {
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate(name, flags|unix.MFD_EXEC)
	if err == unix.EINVAL {
		fd, err = unix.MemfdCreate(name, flags)
	}
	if err != nil {
		return -1, fmt.Errorf("task helper: memfd_create: %w (vm.memfd_noexec=2 forbids executable memfds)", err)
	}
	return fd, nil
}

// fillSealed writes image to f and seals it against every change.
func fillSealed(f *os.File, image []byte) error {
	if _, err := f.Write(image); err != nil {
		return fmt.Errorf("task helper: write memfd: %w", err)
	}
	if err := unix.Fchmod(int(f.Fd()), 0o555); err != nil {
		return fmt.Errorf("task helper: chmod memfd: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("task helper: seal memfd: %w", err)
	}
	return nil
}

// pageOut asks the kernel to reclaim the pages of b. An embedded image lives
// in the plugin's read-only data, clean file pages that copying touched;
// after the copy nothing reads them again, and reclaiming them keeps them
// out of the plugin's resident set. MADV_PAGEOUT never discards data (other
// memory is swapped, or left alone), so it is safe on any slice; errors
// (kernels before 5.4) only leave the pages resident.
func pageOut(b []byte) {
	page := uintptr(os.Getpagesize())
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	head := int((page - addr%page) % page)
	tail := int((addr + uintptr(len(b))) % page)
	if len(b)-tail > head {
		_ = unix.Madvise(b[head:len(b)-tail], unix.MADV_PAGEOUT)
	}
}
