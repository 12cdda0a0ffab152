package driver

import (
	"strings"
	"testing"
)

func TestResolveUserRoot(t *testing.T) {
	tests := []struct {
		task, def string
		uid       int
		name      string
	}{
		{"", "nobody", 65534, "nobody"},
		{"root", "nobody", 0, "root"},
		{"0", "nobody", 0, "root"},
		{"", "root", 0, "root"},
		{"65534", "root", 65534, "nobody"},
	}
	for _, tt := range tests {
		id, err := resolveUser(tt.task, tt.def, 0)
		if err != nil {
			t.Errorf("resolveUser(%q, %q): %v", tt.task, tt.def, err)
			continue
		}
		if id.UID != tt.uid || id.Name != tt.name {
			t.Errorf("resolveUser(%q, %q) = %+v, want uid %d name %q", tt.task, tt.def, id, tt.uid, tt.name)
		}
	}
	if _, err := resolveUser("no-such-user-xyz", "nobody", 0); err == nil || !strings.Contains(err.Error(), "no-such-user-xyz") {
		t.Errorf("unknown user: err = %v", err)
	}
}

func TestResolveUserRootless(t *testing.T) {
	id, err := resolveUser("", "nobody", 65534)
	if err != nil || id.UID != 65534 {
		t.Fatalf("rootless default = %+v, %v; want the agent's uid", id, err)
	}
	for _, name := range []string{"nobody", "65534"} {
		if id, err := resolveUser(name, "root", 65534); err != nil || id.UID != 65534 {
			t.Errorf("rootless %q = %+v, %v", name, id, err)
		}
	}
	_, err = resolveUser("root", "nobody", 65534)
	if err == nil || !strings.Contains(err.Error(), "without root") {
		t.Fatalf("rootless root: err = %v, want a clear refusal", err)
	}
}
