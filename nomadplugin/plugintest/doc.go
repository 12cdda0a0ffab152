// Package plugintest drives a Nomad task-driver plugin binary from the
// agent's side of the wire, for end-to-end tests of a real plugin build.
//
// It launches the binary with go-plugin's client and Nomad's handshake
// (magic cookie, protocol 2, gRPC only) and performs the agent's launch
// sequence: a fingerprint launch (PluginInfo, ConfigSchema), a validation
// launch (SetConfig twice without agent settings) and the long-lived runtime
// launch (SetConfig with agent settings, Init, then the Fingerprint and
// TaskEvents streams kept open). Tasks get a real allocation directory with
// log FIFOs read like Nomad's logmon, the task environment the client builds,
// and a driver config encoded from HCL exactly as the agent does
// (TaskConfigSchema → hcldec → cty → msgpack). RPC results are the wire
// messages themselves, so tests see precisely what an agent would.
//
// A typical test:
//
//	bin := plugintest.Build(t, "github.com/…/cmd/nomad-pledge-driver", "pledge")
//	p := plugintest.MustLaunch(t, bin, plugintest.Options{})
//	task := p.NewTask(plugintest.TaskOptions{Config: `command = "/bin/echo"` + "\n" + `args = ["hi"]`})
//	if err := task.Start(); err != nil { t.Fatal(err) }
//	res, err := task.Wait(10 * time.Second)
//	… task.Stdout.Wait("hi", 5*time.Second) …
//
// Everything a test starts (plugin processes, tasks, FIFO readers, streams)
// is torn down in t.Cleanup: started tasks are destroyed with force, then the
// plugin is shut down the way an agent stops it.
package plugintest
