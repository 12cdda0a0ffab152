package cgroup

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// mount is the part of one /proc/self/mountinfo line that layout detection
// needs.
type mount struct {
	// point is the mount point, with the kernel's octal escapes decoded.
	point string
	// fstype is the filesystem type after the " - " separator.
	fstype string
	// superOpts are the per-superblock options; for a cgroup v1 mount they
	// name the controllers attached to that hierarchy.
	superOpts []string
}

// parseMountinfo reads the proc(5) mountinfo format: six fixed fields, a
// variable number of optional fields ended by "-", then the filesystem
// type, the source and the super options. Lines that do not follow that
// shape are an error rather than skipped, so a truncated read is noticed.
func parseMountinfo(r io.Reader) ([]mount, error) {
	var mounts []mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		m, err := parseMountinfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		mounts = append(mounts, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return mounts, nil
}

func parseMountinfoLine(line string) (mount, error) {
	fields := strings.Fields(line)
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(fields) < sep+4 {
		return mount{}, fmt.Errorf("want \"ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS\", got %q", line)
	}
	return mount{
		point:     unescapeMountinfo(fields[4]),
		fstype:    fields[sep+1],
		superOpts: strings.Split(fields[sep+3], ","),
	}, nil
}

// unescapeMountinfo decodes the \ooo octal escapes the kernel writes for
// space, tab, newline and backslash in paths. Anything that is not a valid
// three-digit octal escape of a byte value is kept literally.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
