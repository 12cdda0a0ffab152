package preload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Install makes sure dir holds the object under a content-addressed name,
// .pledge-preload-<64-bit FNV-1a of the bytes, hex>.so, and returns its path.
// The name only keeps objects of different versions apart; an existing file
// is trusted only after its bytes compare equal, so a cheap hash suffices
// and the start-up path needs no crypto packages.
//
// ld.so opens the object by path after the sandbox is in place, so the file
// must stay what it is now: Install accepts an existing file only if it is a
// regular file (never a symlink), owned by the caller or root, writable by
// no one, with exactly the expected bytes; and dir only if others cannot
// replace files in it (owned by the caller or root, and sticky if anyone may
// write to it). A new file is written under a random name with O_EXCL,
// made 0444, and renamed into place without replacing anything. If another
// user holds the name, Install uses a fresh file of its own instead
// (.pledge-preload-<hash>.so.<random>), which it leaves behind.
func Install(dir string) (string, error) {
	obj := Object()
	name := ".pledge-preload-" + strconv.FormatUint(fnv1a(obj), 16) + ".so"
	dfd, err := openDir(dir)
	if err != nil {
		return "", err
	}
	defer unix.Close(dfd)
	state, err := check(dfd, name, obj)
	if err != nil {
		return "", fmt.Errorf("preload %s: %w", filepath.Join(dir, name), err)
	}
	if state == fileGood {
		return filepath.Join(dir, name), nil
	}
	tmp, err := writeTemp(dfd, name, obj)
	if err != nil {
		return "", fmt.Errorf("preload in %s: %w", dir, err)
	}
	if state == fileForeign {
		return filepath.Join(dir, tmp), nil
	}
	return place(dfd, dir, tmp, name, obj, state)
}

// place renames the fresh file tmp to name: over our own stale file, or to
// an empty name without replacing anything a concurrent Install put there.
func place(dfd int, dir, tmp, name string, obj []byte, state fileState) (string, error) {
	flags := uint(unix.RENAME_NOREPLACE)
	if state == fileStale {
		flags = 0
	}
	err := unix.Renameat2(dfd, tmp, dfd, name, flags)
	if err == nil {
		return filepath.Join(dir, name), nil
	}
	if !errors.Is(err, unix.EEXIST) {
		unix.Unlinkat(dfd, tmp, 0)
		return "", fmt.Errorf("preload: rename into %s: %w", filepath.Join(dir, name), err)
	}
	if again, _ := check(dfd, name, obj); again == fileGood {
		unix.Unlinkat(dfd, tmp, 0)
		return filepath.Join(dir, name), nil
	}
	return filepath.Join(dir, tmp), nil
}

// fileState is what check found at the object's name.
type fileState int

const (
	fileMissing fileState = iota
	fileGood              // ours or root's, read-only, right bytes
	fileStale             // ours but wrong bytes or mode: replace it
	fileForeign           // someone else's, or not a regular file: leave it
)

// openDir opens dir and refuses directories where another user could swap
// the object after it is checked.
func openDir(dir string) (int, error) {
	if !filepath.IsAbs(dir) {
		return -1, fmt.Errorf("preload directory %q is not absolute; set TMPDIR to an absolute path", dir)
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("preload directory %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(dfd, &st); err != nil {
		unix.Close(dfd)
		return -1, fmt.Errorf("preload directory %s: %w", dir, err)
	}
	if err := trustedDir(&st, uint32(unix.Geteuid())); err != nil {
		unix.Close(dfd)
		return -1, fmt.Errorf("preload directory %s: %w", dir, err)
	}
	return dfd, nil
}

// trustedDir says whether only the caller (or root) can rename or remove the
// caller's files in a directory with status st.
func trustedDir(st *unix.Stat_t, euid uint32) error {
	if st.Uid != euid && st.Uid != 0 {
		return fmt.Errorf("owned by uid %d, not by uid %d or root; set TMPDIR to a directory of your own", st.Uid, euid)
	}
	if st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
		return fmt.Errorf("writable by others without the sticky bit (mode %#o); set TMPDIR to a private or sticky directory", st.Mode&0o7777)
	}
	return nil
}

// check inspects name in dfd without following symlinks.
func check(dfd int, name string, obj []byte) (fileState, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return fileMissing, nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EACCES):
		return fileForeign, nil
	case err != nil:
		return fileMissing, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileMissing, err
	}
	euid := uint32(unix.Geteuid())
	if st.Mode&unix.S_IFMT != unix.S_IFREG || (st.Uid != euid && st.Uid != 0) {
		return fileForeign, nil
	}
	if st.Mode&0o222 != 0 || st.Size != int64(len(obj)) {
		return staleOrForeign(st.Uid, euid), nil
	}
	buf := make([]byte, len(obj)+1)
	n, err := unix.Pread(fd, buf, 0)
	if err != nil {
		return fileMissing, err
	}
	if !bytes.Equal(buf[:n], obj) {
		return staleOrForeign(st.Uid, euid), nil
	}
	return fileGood, nil
}

// staleOrForeign: a wrong file of our own is replaced; root's is left alone
// unless we are root.
func staleOrForeign(owner, euid uint32) fileState {
	if owner == euid {
		return fileStale
	}
	return fileForeign
}

// fnv1a is the 64-bit FNV-1a hash of b.
func fnv1a(b []byte) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, c := range b {
		h = (h ^ uint64(c)) * prime
	}
	return h
}

// writeTemp writes obj to a new file with a random name next to name and
// returns that name. O_EXCL|O_NOFOLLOW means it never writes through an
// existing file or symlink.
func writeTemp(dfd int, name string, obj []byte) (string, error) {
	var r [8]byte
	if n, err := unix.Getrandom(r[:], 0); err != nil || n != len(r) {
		return "", fmt.Errorf("getrandom for a temporary name: %v (read %d of %d bytes)", err, n, len(r))
	}
	tmp := name + "." + strconv.FormatUint(binary.LittleEndian.Uint64(r[:]), 16)
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o400)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", tmp, err)
	}
	err = writeAll(fd, obj)
	if err == nil {
		err = unix.Fchmod(fd, 0o444)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		unix.Unlinkat(dfd, tmp, 0)
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	return tmp, nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
