package hclspec

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
)

// mockCommand is the exec_command block of Nomad's mock driver.
var mockCommand = Object{
	"run_for":                Attr{Type: "string"},
	"exit_code":              Attr{Type: "number"},
	"exit_signal":            Attr{Type: "number"},
	"exit_err_msg":           Attr{Type: "string"},
	"signal_error":           Attr{Type: "string"},
	"stdout_string":          Attr{Type: "string"},
	"stdout_repeat":          Attr{Type: "number"},
	"stdout_repeat_duration": Attr{Type: "string"},
	"stderr_string":          Attr{Type: "string"},
	"stderr_repeat":          Attr{Type: "number"},
	"stderr_repeat_duration": Attr{Type: "string"},
}

// mockTaskSchema is the task config schema of Nomad's mock driver, the
// driver that produced testdata/StartTask-svc.json.
var mockTaskSchema = func() Object {
	o := Object{
		"start_error":             Attr{Type: "string"},
		"start_error_recoverable": Attr{Type: "bool"},
		"start_block_for":         Attr{Type: "string"},
		"kill_after":              Attr{Type: "string"},
		"plugin_exit_after":       Attr{Type: "string"},
		"driver_ip":               Attr{Type: "string"},
		"driver_advertise":        Attr{Type: "bool"},
		"driver_port_map":         Attr{Type: "string"},
		"exec_command":            Block{Body: mockCommand},
	}
	for k, v := range mockCommand {
		o[k] = v
	}
	return o
}()

// mockPluginSchema is the mock driver's agent config schema.
var mockPluginSchema = Object{
	"fs_isolation":               Attr{Type: "string", Default: `"none"`},
	"shutdown_periodic_after":    Attr{Type: "bool", Default: "false"},
	"shutdown_periodic_duration": Attr{Type: "number"},
}

type mockCommandConfig struct {
	RunFor               string `cty:"run_for"`
	ExitCode             int    `cty:"exit_code"`
	ExitSignal           int    `cty:"exit_signal"`
	ExitErrMsg           string `cty:"exit_err_msg"`
	SignalErr            string `cty:"signal_error"`
	StdoutString         string `cty:"stdout_string"`
	StdoutRepeat         int    `cty:"stdout_repeat"`
	StdoutRepeatDuration string `cty:"stdout_repeat_duration"`
	StderrString         string `cty:"stderr_string"`
	StderrRepeat         int    `cty:"stderr_repeat"`
	StderrRepeatDuration string `cty:"stderr_repeat_duration"`
}

type mockTaskConfig struct {
	RunFor               string             `cty:"run_for"`
	ExitCode             int                `cty:"exit_code"`
	ExitSignal           int                `cty:"exit_signal"`
	ExitErrMsg           string             `cty:"exit_err_msg"`
	SignalErr            string             `cty:"signal_error"`
	StdoutString         string             `cty:"stdout_string"`
	StdoutRepeat         int                `cty:"stdout_repeat"`
	StdoutRepeatDuration string             `cty:"stdout_repeat_duration"`
	StderrString         string             `cty:"stderr_string"`
	StderrRepeat         int                `cty:"stderr_repeat"`
	StderrRepeatDuration string             `cty:"stderr_repeat_duration"`
	StartErr             string             `cty:"start_error"`
	StartErrRecoverable  bool               `cty:"start_error_recoverable"`
	StartBlockFor        string             `cty:"start_block_for"`
	KillAfter            string             `cty:"kill_after"`
	PluginExitAfter      string             `cty:"plugin_exit_after"`
	DriverIP             string             `cty:"driver_ip"`
	DriverAdvertise      bool               `cty:"driver_advertise"`
	DriverPortMap        string             `cty:"driver_port_map"`
	ExecCommand          *mockCommandConfig `cty:"exec_command"`
}

// agentTaskConfig returns the msgpack_driver_config a real Nomad 2.0.6 agent
// sent for the mock driver.
func agentTaskConfig(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../testdata/StartTask-svc.json")
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Task struct {
			MsgpackDriverConfig string `json:"msgpackDriverConfig"`
		} `json:"task"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(req.Task.MsgpackDriverConfig)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
