package cgroup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Kill sends SIGKILL to every process of the group and returns once the
// group is empty or ctx ends. v2 writes cgroup.kill (Linux 5.14+), which
// the kernel applies atomically, including to processes forked meanwhile;
// after that no process can be cloned into the group any more. v1 freezes
// the group, signals every pid and thaws it, so nothing forks or exits
// between listing and signalling and no pid can be reused. A group whose
// directories are already gone counts as empty, so Kill is idempotent.
func (g *Group) Kill(ctx context.Context) error {
	if g.mode == ModeV2 && hasFile(g.unified, "cgroup.kill") {
		if err := ignoreGone(writeFile(g.unified, "cgroup.kill", "1")); err != nil {
			return fmt.Errorf("killing cgroup: %w", err)
		}
		return g.WaitEmpty(ctx)
	}
	// Without an atomic kill, repeat until no process is left: on v2 before
	// 5.14 and without a freezer, children can fork between list and kill.
	return g.poll(ctx, "killing cgroup", func() (bool, error) {
		var err error
		if g.mode == ModeV1 && g.dirs["freezer"] != "" {
			err = g.freezeKill(ctx)
		} else {
			err = g.signalAll()
		}
		if err != nil {
			return false, err
		}
		return g.empty()
	})
}

// WaitEmpty polls until no process is left in the group, or ctx ends.
// Processes leave the group when they exit, before they are reaped.
func (g *Group) WaitEmpty(ctx context.Context) error {
	return g.poll(ctx, "waiting for cgroup to empty", g.empty)
}

// poll calls step with a growing delay (1 ms to 50 ms) until it reports
// done, fails, or ctx ends.
func (g *Group) poll(ctx context.Context, what string, step func() (bool, error)) error {
	delay := time.Millisecond
	for {
		done, err := step()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if done {
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			pids, _ := g.Pids()
			return fmt.Errorf("%s: %w (processes left: %v)", what, ctx.Err(), pids)
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// empty reports whether the group has no processes: v2 reads "populated"
// of cgroup.events (which covers descendant groups), v1 lists cgroup.procs.
func (g *Group) empty() (bool, error) {
	if g.mode == ModeV2 {
		m, err := readKeyed(g.unified, "cgroup.events")
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return m["populated"] == 0, nil
	}
	pids, err := g.Pids()
	return len(pids) == 0, err
}

// freezeKill freezes the v1 freezer group, SIGKILLs every pid and thaws it
// again; the signals take effect at the thaw.
func (g *Group) freezeKill(ctx context.Context) error {
	dir := g.dirs["freezer"]
	thaw := func() error { return ignoreGone(writeFile(dir, "freezer.state", "THAWED")) }
	if err := freeze(ctx, dir); err != nil {
		return errors.Join(err, thaw())
	}
	return errors.Join(g.signalAll(), thaw())
}

// freeze writes FROZEN until freezer.state reads FROZEN. The v1 freezer can
// stay in FREEZING when it races with a fork or exec in the group (a task
// that joined after the write is not frozen); writing FROZEN again freezes
// late joiners, and an occasional thaw unsticks tasks caught mid-vfork.
func freeze(ctx context.Context, dir string) error {
	for i := 1; ; i++ {
		if i%50 == 0 {
			if err := writeFile(dir, "freezer.state", "THAWED"); err != nil {
				return ignoreGone(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := writeFile(dir, "freezer.state", "FROZEN"); err != nil {
			return ignoreGone(err)
		}
		st, err := readFile(dir, "freezer.state")
		if err != nil {
			return ignoreGone(err)
		}
		if strings.TrimSpace(st) == "FROZEN" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("freezing %s: %w (state %s)", dir, ctx.Err(), st)
		case <-time.After(time.Millisecond):
		}
	}
}

// signalAll sends SIGKILL to every listed pid; processes that are already
// gone are fine.
func (g *Group) signalAll() error {
	pids, err := g.Pids()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := unix.Kill(pid, unix.SIGKILL); err != nil && err != unix.ESRCH {
			return fmt.Errorf("SIGKILL to pid %d: %w", pid, err)
		}
	}
	return nil
}

// Remove deletes the directories this package created, deepest first, and
// leaves the ones Nomad created to Nomad. Kill the group first: the kernel
// refuses to remove a group with processes (EBUSY). Read OOMKilled before
// Remove; it needs the group. Removing twice is fine.
func (g *Group) Remove() error {
	var errs []error
	for _, d := range slices.Backward(g.created) {
		err := unix.Rmdir(d)
		switch {
		case err == nil || err == unix.ENOENT:
		case err == unix.EBUSY:
			errs = append(errs, fmt.Errorf("removing cgroup %s: it still has processes or child groups: kill the group first", d))
		default:
			errs = append(errs, &os.PathError{Op: "rmdir", Path: d, Err: err})
		}
	}
	return errors.Join(errs...)
}

func hasFile(dir, name string) bool {
	_, err := os.Stat(dir + "/" + name)
	return err == nil
}

// ignoreGone treats a group removed under us as already empty.
func ignoreGone(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
