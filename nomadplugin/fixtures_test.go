package nomadplugin

import (
	"os"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// loadFixture decodes one of the requests a real Nomad 2.0.6 agent sent
// (testdata/, copied from the shared nomad-wire captures). Unknown JSON
// fields are errors, so every field the agent sent exists in the schema.
func loadFixture(t *testing.T, name string, msg proto.Message) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(raw, msg); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

const fixtureAlloc = "a7a9fbb3-707e-7740-9056-1c7a79475d54"

// fixtureTask is the task config both captured requests carry, minus the
// driver config and env (checked separately).
func fixtureTask() TaskConfig {
	allocDir := "/var/lib/nomad/alloc/" + fixtureAlloc
	return TaskConfig{
		ID:   fixtureAlloc + "/long/005c15f8",
		Name: "long",
		Resources: &Resources{
			CPUShares: 100,
			MemoryMB:  64,
			Linux: &LinuxResources{
				CPUShares:        100,
				MemoryLimitBytes: 67108864,
				PercentTicks:     0.021739130434782608,
				CpusetCgroup:     "/sys/fs/cgroup/nomad.slice/" + fixtureAlloc + ".long.scope",
			},
			Ports: []PortMapping{{Label: "http", Value: 29605, HostIP: "127.0.0.1"}},
		},
		AllocDir:      allocDir,
		StdoutPath:    allocDir + "/alloc/logs/.long.stdout.fifo",
		StderrPath:    allocDir + "/alloc/logs/.long.stderr.fifo",
		TaskGroupName: "g",
		JobName:       "probe-svc",
		JobID:         "probe-svc",
		AllocID:       fixtureAlloc,
		Namespace:     "default",
		NodeName:      "vm",
		NodeID:        "3d8cbb84-3b5c-2b83-9446-9ac2b1e7496d",
	}
}

// checkTask compares everything but DriverConfig and Env exactly, and spot
// checks those two.
func checkTask(t *testing.T, got *TaskConfig, wantDriverConfig bool) {
	t.Helper()
	if len(got.Env) != 27 || got.Env["NOMAD_TASK_DIR"] != "/var/lib/nomad/alloc/"+fixtureAlloc+"/long/local" || got.Env["NOMAD_PORT_http"] != "29605" {
		t.Errorf("env: %d entries, NOMAD_TASK_DIR=%q", len(got.Env), got.Env["NOMAD_TASK_DIR"])
	}
	if (len(got.DriverConfig) == 507) != wantDriverConfig {
		t.Errorf("driver config is %d bytes, want present=%v (507 bytes)", len(got.DriverConfig), wantDriverConfig)
	}
	rest := *got
	rest.Env, rest.DriverConfig = nil, nil
	if want := fixtureTask(); !reflect.DeepEqual(rest, want) {
		t.Errorf("task config\n%+v\nwant\n%+v", rest, want)
	}
	if got.TaskDir() != "/var/lib/nomad/alloc/"+fixtureAlloc+"/long" {
		t.Errorf("TaskDir() = %q", got.TaskDir())
	}
}

func TestStartTaskFixture(t *testing.T) {
	var req pb.StartTaskRequest
	loadFixture(t, "StartTask-svc.json", &req)
	cfg := taskConfigFromProto(req.GetTask())
	checkTask(t, cfg, true)
	// Back to the wire: nothing the agent sent is lost.
	if back := taskConfigToProto(cfg); !proto.Equal(back, req.GetTask()) {
		t.Errorf("round trip lost data:\n%v\nwant\n%v", back, req.GetTask())
	}
}

func TestRecoverTaskFixture(t *testing.T) {
	var req pb.RecoverTaskRequest
	loadFixture(t, "RecoverTask-svc.json", &req)
	h := taskHandleFromProto(req.GetHandle())
	if h.Version != 1 || h.State != TaskStateUnknown || len(h.DriverState) != 446 || string(h.DriverState[:9]) != "\x86\xa7Command" {
		t.Errorf("handle: version %d, state %v, driver state %d bytes %q", h.Version, h.State, len(h.DriverState), h.DriverState[:12])
	}
	checkTask(t, h.Config, false)
	if back := taskHandleToProto(h); !proto.Equal(back, req.GetHandle()) {
		t.Errorf("round trip lost data:\n%v\nwant\n%v", back, req.GetHandle())
	}
}
