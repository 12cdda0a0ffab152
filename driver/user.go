package driver

import (
	"fmt"
	"os/user"
	"strconv"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// identity is who a task runs as.
type identity struct {
	Name   string `json:"name"`
	UID    int    `json:"uid"`
	GID    int    `json:"gid"`
	Groups []int  `json:"groups,omitempty"`
	Home   string `json:"home,omitempty"`
}

// resolveUser picks the task's identity. As root, an empty task user means
// the operator's default_user (nobody unless configured), like Nomad's exec
// driver. Without root the driver cannot change identity, so the task runs as
// the agent's own user and naming anyone else is an error instead of a
// surprise.
func resolveUser(taskUser, defaultUser string, agentUID int) (identity, error) {
	if agentUID != 0 {
		return rootlessUser(taskUser, agentUID)
	}
	name := taskUser
	if name == "" {
		name = defaultUser
	}
	return lookupIdentity(name)
}

// rootlessUser accepts only the agent's own user, by name or number.
func rootlessUser(taskUser string, agentUID int) (identity, error) {
	self, err := lookupIdentity(strconv.Itoa(agentUID))
	if err != nil {
		// An agent uid without a passwd entry (containers) is still a
		// valid identity; it just has no name.
		self = identity{UID: agentUID, GID: agentUID}
	}
	if taskUser == "" || taskUser == self.Name || taskUser == strconv.Itoa(agentUID) {
		return self, nil
	}
	return identity{}, fmt.Errorf("user %q: the driver runs without root (uid %d) and can only run tasks as that user; remove the task's user or set it to %q", taskUser, agentUID, self.Name)
}

// lookupIdentity resolves a user name or numeric uid from the passwd and
// group databases.
func lookupIdentity(name string) (identity, error) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, numErr := strconv.Atoi(name); numErr == nil {
			u, err = user.LookupId(name)
		}
	}
	if err != nil {
		return identity{}, fmt.Errorf("user %q: %w; set the task's user (or the plugin's default_user) to an existing account", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return identity{}, fmt.Errorf("user %q: non-numeric uid %q", name, u.Uid)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return identity{}, fmt.Errorf("user %q: non-numeric gid %q", name, u.Gid)
	}
	id := identity{Name: u.Username, UID: uid, GID: gid, Home: u.HomeDir}
	gids, err := u.GroupIds()
	if err != nil {
		return id, nil
	}
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil && n != gid {
			id.Groups = append(id.Groups, n)
		}
	}
	return id, nil
}

// checkRootless refuses, before anything is created, what a driver without
// root cannot give a task: the allocation's network namespace (setns into
// it needs CAP_SYS_ADMIN in the host's user namespace, which owns it, and
// the task's user namespace is a child of it) and capabilities (the driver
// holds none to pass on).
func checkRootless(cfg *nomadplugin.TaskConfig, spec *taskSpec, agentUID int) error {
	if ni := cfg.NetworkIsolation; ni != nil && ni.Mode == nomadplugin.NetworkIsolationGroup && ni.Path != "" {
		return fmt.Errorf("network mode \"bridge\": the driver runs without root (uid %d) and cannot join the allocation's network namespace %s, since that needs CAP_SYS_ADMIN in the host's user namespace; use the host network or run the agent as root", agentUID, ni.Path)
	}
	if spec.Caps != 0 {
		return fmt.Errorf("cap_add %s: the driver runs without root (uid %d) and has no capabilities to pass on; remove cap_add or run the agent as root", capNames(spec.Caps), agentUID)
	}
	return nil
}
