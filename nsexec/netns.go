package nsexec

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openNetNS opens the network namespace init is to be created in, and makes
// sure it is one: a stale or mistyped path fails Start with its name instead
// of running the task in the wrong network.
func openNetNS(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nsexec: network namespace %s: %w (Nomad creates it for network mode \"bridge\"; is the allocation's network set up?)", path, err)
	}
	kind, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil || kind != unix.CLONE_NEWNET {
		f.Close()
		return nil, fmt.Errorf("nsexec: %s is not a network namespace (NS_GET_NSTYPE: type %#x, %v); want a bind-mounted /proc/<pid>/ns/net such as /var/run/netns/<name>", path, kind, err)
	}
	return f, nil
}

// joinNetNS returns the join function for forkOnThread.
func joinNetNS(netns *os.File) func() error {
	if netns == nil {
		return nil
	}
	return func() error {
		if err := unix.Setns(int(netns.Fd()), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("nsexec: join network namespace %s: %w", netns.Name(), err)
		}
		return nil
	}
}
