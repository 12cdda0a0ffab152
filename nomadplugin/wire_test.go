package nomadplugin

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
	hclspecpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/hclspec"
	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

// Hand-built protobuf fields. The field numbers and wire types below are
// copied from Nomad's schema (docs/nomad-driver-protocol.md §3), not from the
// generated code, so these tests pin the contract.

func s(n protowire.Number, v string) []byte {
	return protowire.AppendString(protowire.AppendTag(nil, n, protowire.BytesType), v)
}

func v(n protowire.Number, x uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), x)
}

func neg(x int64) uint64 { return uint64(x) }

func d(n protowire.Number, f float64) []byte {
	return protowire.AppendFixed64(protowire.AppendTag(nil, n, protowire.Fixed64Type), math.Float64bits(f))
}

func m(n protowire.Number, parts ...[]byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), bytes.Join(parts, nil))
}

// packed is a packed repeated varint field (proto3's default for scalars
// and enums).
func packed(n protowire.Number, xs ...uint64) []byte {
	var body []byte
	for _, x := range xs {
		body = protowire.AppendVarint(body, x)
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), body)
}

// entry is one map entry; value is the encoded field 2.
func entry(n protowire.Number, key string, value []byte) []byte {
	return m(n, s(1, key), value)
}

type wireCase struct {
	msg  proto.Message // empty instance of the message type
	wire []byte        // hand-built bytes in Go's field order (ascending, oneofs last)
	json string        // the same content in protobuf JSON
}

var wireCases = []wireCase{
	// base.proto
	{&basepb.PluginInfoRequest{}, nil, `{}`},
	{&basepb.PluginInfoResponse{}, bytes.Join([][]byte{v(1, 2), s(2, "v0.1.0"), s(3, "0.1.0"), s(4, "pledge")}, nil),
		`{"type":"DRIVER","pluginApiVersions":["v0.1.0"],"pluginVersion":"0.1.0","name":"pledge"}`},
	{&basepb.ConfigSchemaRequest{}, nil, `{}`},
	{&basepb.ConfigSchemaResponse{}, m(1, m(3, s(1, "a"))), `{"spec":{"Attr":{"name":"a"}}}`},
	{&basepb.SetConfigRequest{}, bytes.Join([][]byte{s(1, "\x80"), m(2, m(1, v(1, 14512), v(2, 14000))), s(3, "v0.1.0")}, nil),
		`{"msgpackConfig":"gA==","nomadConfig":{"driver":{"ClientMaxPort":14512,"ClientMinPort":14000}},"pluginApiVersion":"v0.1.0"}`},
	{&basepb.NomadConfig{}, m(1, v(2, 1)), `{"driver":{"ClientMinPort":1}}`},
	{&basepb.NomadDriverConfig{}, bytes.Join([][]byte{v(1, 2), m(3, packed(1, 0, 1))}, nil), `{"ClientMaxPort":2,"Topology":{"nodeIds":[0,1]}}`},
	{&basepb.ClientTopology{}, bytes.Join([][]byte{packed(1, 0), m(2, v(1, 1), packed(2, 10)), m(3, v(3, 7)), v(4, 4600), v(5, 100)}, nil),
		`{"nodeIds":[0],"distances":{"dimension":1,"values":[10]},"cores":[{"coreId":7}],"overrideTotalCompute":"4600","overrideWitholdCompute":"100"}`},
	{&basepb.ClientTopologySLIT{}, bytes.Join([][]byte{v(1, 2), packed(2, 10, 20, 20, 10)}, nil), `{"dimension":2,"values":[10,20,20,10]}`},
	{&basepb.ClientTopologyCore{}, bytes.Join([][]byte{v(1, 1), v(2, 2), v(3, 3), v(4, 1), v(5, 1), v(6, 2000), v(7, 3000), v(8, 2500)}, nil),
		`{"socketId":1,"nodeId":2,"coreId":3,"coreGrade":"Efficiency","disable":true,"baseSpeed":"2000","maxSpeed":"3000","guessSpeed":"2500"}`},
	{&basepb.SetConfigResponse{}, nil, `{}`},

	// structs
	{&structspb.Attribute{}, bytes.Join([][]byte{s(5, "GHz"), d(1, 1.5)}, nil), `{"floatVal":1.5,"unit":"GHz"}`},
	{&structspb.Attribute{}, v(2, neg(-3)), `{"intVal":"-3"}`},
	{&structspb.Attribute{}, s(3, "x"), `{"stringVal":"x"}`},
	{&structspb.Attribute{}, v(4, 1), `{"boolVal":true}`},
	{&structspb.RecoverableError{}, v(1, 1), `{"recoverable":true}`},
	{&structspb.StatObject{}, bytes.Join([][]byte{entry(1, "n", m(2)), entry(2, "a", m(2, s(7, "MiB")))}, nil), `{"nested":{"n":{}},"attributes":{"a":{"unit":"MiB"}}}`},
	{&structspb.StatValue{}, bytes.Join([][]byte{m(1, d(1, 1)), m(2, d(1, 2)), m(3, v(1, 3)), m(4, v(1, 4)), m(5, s(1, "s")), m(6, v(1, 1)), s(7, "u"), s(8, "desc")}, nil),
		`{"floatNumeratorVal":1,"floatDenominatorVal":2,"intNumeratorVal":"3","intDenominatorVal":"4","stringVal":"s","boolVal":true,"unit":"u","desc":"desc"}`},

	// hcl_spec.proto
	{&hclspecpb.Spec{}, m(1, entry(1, "a", m(2, m(10, s(1, "1"))))), `{"object":{"attributes":{"a":{"literal":{"value":"1"}}}}}`},
	{&hclspecpb.Spec{}, m(2, m(1, m(3, s(2, "number")))), `{"array":{"values":[{"Attr":{"type":"number"}}]}}`},
	{&hclspecpb.Spec{}, m(3, s(1, "a"), s(2, "list(string)"), v(3, 1)), `{"Attr":{"name":"a","type":"list(string)","required":true}}`},
	{&hclspecpb.Spec{}, m(4, s(1, "b"), v(2, 1), m(3)), `{"blockValue":{"name":"b","required":true,"nested":{}}}`},
	{&hclspecpb.Spec{}, m(5, s(1, "env"), s(2, "string"), v(3, 1)), `{"blockAttrs":{"name":"env","type":"string","required":true}}`},
	{&hclspecpb.Spec{}, m(6, s(1, "l"), v(2, 1), v(3, 5), m(4)), `{"blockList":{"name":"l","minItems":"1","maxItems":"5","nested":{}}}`},
	{&hclspecpb.Spec{}, m(7, s(1, "st"), v(2, 2), v(3, 6), m(4)), `{"blockSet":{"name":"st","minItems":"2","maxItems":"6","nested":{}}}`},
	{&hclspecpb.Spec{}, m(8, s(1, "p"), s(2, "label"), m(3)), `{"blockMap":{"name":"p","labels":["label"],"nested":{}}}`},
	{&hclspecpb.Spec{}, m(9, m(1, m(3, s(1, "x"))), m(2, m(10, s(1, "false")))), `{"default":{"primary":{"Attr":{"name":"x"}},"default":{"literal":{"value":"false"}}}}`},
	{&hclspecpb.Spec{}, m(10, s(1, `"none"`)), `{"literal":{"value":"\"none\""}}`},
	{&hclspecpb.Attr{}, bytes.Join([][]byte{s(1, "n"), s(2, "bool"), v(3, 1)}, nil), `{"name":"n","type":"bool","required":true}`},
	{&hclspecpb.Block{}, bytes.Join([][]byte{s(1, "n"), v(2, 1), m(3, m(10))}, nil), `{"name":"n","required":true,"nested":{"literal":{}}}`},
	{&hclspecpb.BlockAttrs{}, bytes.Join([][]byte{s(1, "n"), s(2, "number"), v(3, 1)}, nil), `{"name":"n","type":"number","required":true}`},
	{&hclspecpb.BlockList{}, bytes.Join([][]byte{s(1, "n"), v(2, 1), v(3, 2), m(4)}, nil), `{"name":"n","minItems":"1","maxItems":"2","nested":{}}`},
	{&hclspecpb.BlockSet{}, bytes.Join([][]byte{s(1, "n"), v(2, 1), v(3, 2), m(4)}, nil), `{"name":"n","minItems":"1","maxItems":"2","nested":{}}`},
	{&hclspecpb.BlockMap{}, bytes.Join([][]byte{s(1, "n"), s(2, "a"), s(2, "b"), m(3)}, nil), `{"name":"n","labels":["a","b"],"nested":{}}`},
	{&hclspecpb.Literal{}, s(1, "[]"), `{"value":"[]"}`},
	{&hclspecpb.Default{}, bytes.Join([][]byte{m(1), m(2)}, nil), `{"primary":{},"default":{}}`},
	{&hclspecpb.Object{}, entry(1, "k", m(2)), `{"attributes":{"k":{}}}`},
	{&hclspecpb.Array{}, bytes.Join([][]byte{m(1), m(1)}, nil), `{"values":[{},{}]}`},

	// driver.proto: requests and responses
	{&pb.InitRequest{}, nil, `{}`},
	{&pb.InitResponse{}, nil, `{}`},
	{&pb.ShutdownRequest{}, nil, `{}`},
	{&pb.ShutdownResponse{}, nil, `{}`},
	{&pb.TaskConfigSchemaRequest{}, nil, `{}`},
	{&pb.TaskConfigSchemaResponse{}, m(1, m(10)), `{"spec":{"literal":{}}}`},
	{&pb.CapabilitiesRequest{}, nil, `{}`},
	{&pb.CapabilitiesResponse{}, m(1, v(9, 1)), `{"capabilities":{"dynamicWorkloadUsers":true}}`},
	{&pb.FingerprintRequest{}, nil, `{}`},
	{&pb.FingerprintResponse{}, bytes.Join([][]byte{entry(1, "driver.pledge", m(2, v(4, 1))), v(2, 2), s(3, "Healthy"), s(4, "boom")}, nil),
		`{"attributes":{"driver.pledge":{"boolVal":true}},"health":"HEALTHY","healthDescription":"Healthy","err":"boom"}`},
	{&pb.RecoverTaskRequest{}, bytes.Join([][]byte{s(1, "id"), m(2, v(1, 1))}, nil), `{"taskId":"id","handle":{"version":1}}`},
	{&pb.RecoverTaskResponse{}, nil, `{}`},
	{&pb.StartTaskRequest{}, m(1, s(1, "a/t/1")), `{"task":{"id":"a/t/1"}}`},
	{&pb.StartTaskResponse{}, bytes.Join([][]byte{v(1, 1), s(2, "retry"), m(3, v(3, 1)), m(4, s(2, "10.0.0.1"))}, nil),
		`{"result":"RETRY","driverErrorMsg":"retry","handle":{"state":"RUNNING"},"networkOverride":{"addr":"10.0.0.1"}}`},
	{&pb.WaitTaskRequest{}, s(1, "id"), `{"taskId":"id"}`},
	{&pb.WaitTaskResponse{}, bytes.Join([][]byte{m(1, v(1, 3)), s(2, "lost")}, nil), `{"result":{"exitCode":3},"err":"lost"}`},
	{&pb.StopTaskRequest{}, bytes.Join([][]byte{s(1, "id"), m(2, v(1, 2)), s(3, "SIGTERM")}, nil), `{"taskId":"id","timeout":"2s","signal":"SIGTERM"}`},
	{&pb.StopTaskResponse{}, nil, `{}`},
	{&pb.DestroyTaskRequest{}, bytes.Join([][]byte{s(1, "id"), v(2, 1)}, nil), `{"taskId":"id","force":true}`},
	{&pb.DestroyTaskResponse{}, nil, `{}`},
	{&pb.InspectTaskRequest{}, s(1, "id"), `{"taskId":"id"}`},
	{&pb.InspectTaskResponse{}, bytes.Join([][]byte{m(1, s(1, "id")), m(2, entry(1, "pid", s(2, "42"))), m(3, v(3, 1))}, nil),
		`{"task":{"id":"id"},"driver":{"attributes":{"pid":"42"}},"networkOverride":{"autoAdvertise":true}}`},
	{&pb.TaskStatsRequest{}, bytes.Join([][]byte{s(1, "id"), m(2, v(1, 1))}, nil), `{"taskId":"id","collectionInterval":"1s"}`},
	{&pb.TaskStatsResponse{}, m(1, s(1, "id")), `{"stats":{"id":"id"}}`},
	{&pb.TaskEventsRequest{}, nil, `{}`},
	{&pb.SignalTaskRequest{}, bytes.Join([][]byte{s(1, "id"), s(2, "SIGUSR1")}, nil), `{"taskId":"id","signal":"SIGUSR1"}`},
	{&pb.SignalTaskResponse{}, nil, `{}`},
	{&pb.ExecTaskRequest{}, bytes.Join([][]byte{s(1, "id"), s(2, "/bin/echo"), s(2, "hi"), m(3, v(1, 5))}, nil), `{"taskId":"id","command":["/bin/echo","hi"],"timeout":"5s"}`},
	{&pb.ExecTaskResponse{}, bytes.Join([][]byte{s(1, "out"), s(2, "err"), m(3, v(2, 9))}, nil), `{"stdout":"b3V0","stderr":"ZXJy","result":{"signal":9}}`},
	{&pb.ExecTaskStreamingIOOperation{}, bytes.Join([][]byte{s(1, "x"), v(2, 1)}, nil), `{"data":"eA==","close":true}`},
	{&pb.ExecTaskStreamingRequest{}, bytes.Join([][]byte{m(1, s(1, "id"), s(2, "/bin/sh"), v(3, 1)), m(2, v(1, 40), v(2, 100)), m(3, v(2, 1))}, nil),
		`{"setup":{"taskId":"id","command":["/bin/sh"],"tty":true},"ttySize":{"height":40,"width":100},"stdin":{"close":true}}`},
	{&pb.ExecTaskStreamingRequest_Setup{}, bytes.Join([][]byte{s(1, "id"), s(2, "ls"), v(3, 1)}, nil), `{"taskId":"id","command":["ls"],"tty":true}`},
	{&pb.ExecTaskStreamingRequest_TerminalSize{}, bytes.Join([][]byte{v(1, 50), v(2, 40)}, nil), `{"height":50,"width":40}`},
	{&pb.ExecTaskStreamingResponse{}, bytes.Join([][]byte{m(1, s(1, "o")), m(2, v(2, 1)), v(3, 1), m(4, v(1, 3))}, nil),
		`{"stdout":{"data":"bw=="},"stderr":{"close":true},"exited":true,"result":{"exitCode":3}}`},
	{&pb.CreateNetworkRequest{}, bytes.Join([][]byte{s(1, "alloc"), s(2, "host")}, nil), `{"allocId":"alloc","hostname":"host"}`},
	{&pb.CreateNetworkResponse{}, bytes.Join([][]byte{m(1, v(1, 1)), v(2, 1)}, nil), `{"isolationSpec":{"mode":"GROUP"},"created":true}`},
	{&pb.DestroyNetworkRequest{}, bytes.Join([][]byte{s(1, "alloc"), m(2, s(2, "/var/run/netns/x"))}, nil), `{"allocId":"alloc","isolationSpec":{"path":"/var/run/netns/x"}}`},
	{&pb.DestroyNetworkResponse{}, nil, `{}`},

	// driver.proto: shared messages
	{&pb.DriverCapabilities{}, bytes.Join([][]byte{v(1, 1), v(2, 1), v(3, 3), packed(4, 1, 3), v(5, 1), v(6, 1), v(8, 1), v(9, 1)}, nil),
		`{"sendSignals":true,"exec":true,"fsIsolation":"UNVEIL","networkIsolationModes":["GROUP","NONE"],"mustCreateNetwork":true,"mountConfigs":"NO_MOUNTS","disableLogCollection":true,"dynamicWorkloadUsers":true}`},
	{&pb.NetworkIsolationSpec{}, bytes.Join([][]byte{v(1, 2), s(2, "/ns"), entry(3, "k", s(2, "v")), m(4, s(1, "h"), s(2, "10.0.0.2"))}, nil),
		`{"mode":"TASK","path":"/ns","labels":{"k":"v"},"hostsConfig":{"hostname":"h","address":"10.0.0.2"}}`},
	{&pb.HostsConfig{}, bytes.Join([][]byte{s(1, "h"), s(2, "a")}, nil), `{"hostname":"h","address":"a"}`},
	{&pb.DNSConfig{}, bytes.Join([][]byte{s(1, "1.1.1.1"), s(2, "example.com"), s(3, "ndots:2")}, nil), `{"servers":["1.1.1.1"],"searches":["example.com"],"options":["ndots:2"]}`},
	{&pb.TaskConfig{}, bytes.Join([][]byte{
		s(1, "a/t/1"), s(2, "t"), s(3, "\x80"), entry(4, "K", s(2, "V")), entry(5, "D", s(2, "E")), m(6, m(3, s(1, "http"))),
		m(7, s(1, "/data")), m(8, s(3, "rw")), s(9, "nobody"), s(10, "/alloc"), s(11, "/o.fifo"), s(12, "/e.fifo"), s(13, "g"),
		s(14, "job"), s(15, "alloc"), m(16, v(1, 1)), m(17, s(1, "8.8.8.8")), s(18, "jobid"), s(19, "default"), s(20, "node"),
		s(21, "nodeid"), s(22, "parent"),
	}, nil), `{"id":"a/t/1","name":"t","msgpackDriverConfig":"gA==","env":{"K":"V"},"deviceEnv":{"D":"E"},"resources":{"ports":[{"label":"http"}]},
		"mounts":[{"taskPath":"/data"}],"devices":[{"cgroupPermissions":"rw"}],"user":"nobody","allocDir":"/alloc","stdoutPath":"/o.fifo",
		"stderrPath":"/e.fifo","taskGroupName":"g","jobName":"job","allocId":"alloc","networkIsolationSpec":{"mode":"GROUP"},
		"dns":{"servers":["8.8.8.8"]},"jobId":"jobid","namespace":"default","nodeName":"node","nodeId":"nodeid","parentJobId":"parent"}`},
	{&pb.Resources{}, bytes.Join([][]byte{m(1, m(1, v(1, 100))), m(2, v(3, 100)), m(3, s(1, "http"), v(2, 29605), v(3, 8080), s(4, "127.0.0.1"))}, nil),
		`{"allocatedResources":{"cpu":{"cpuShares":"100"}},"linuxResources":{"cpuShares":"100"},"ports":[{"label":"http","value":29605,"to":8080,"hostIp":"127.0.0.1"}]}`},
	{&pb.AllocatedTaskResources{}, bytes.Join([][]byte{m(1, v(1, 500)), m(2, v(2, 64), v(3, 128)), m(5, s(1, "eth0"))}, nil),
		`{"cpu":{"cpuShares":"500"},"memory":{"memoryMb":"64","memoryMaxMb":"128"},"networks":[{"device":"eth0"}]}`},
	{&pb.AllocatedCpuResources{}, v(1, 250), `{"cpuShares":"250"}`},
	{&pb.AllocatedMemoryResources{}, bytes.Join([][]byte{v(2, 64), v(3, 128)}, nil), `{"memoryMb":"64","memoryMaxMb":"128"}`},
	{&pb.NetworkResource{}, bytes.Join([][]byte{s(1, "eth0"), s(2, "10.0.0.0/8"), s(3, "10.0.0.1"), v(4, 100), m(5, s(1, "r"), v(2, 22)), m(6, s(1, "d"), v(2, 20000))}, nil),
		`{"device":"eth0","cidr":"10.0.0.0/8","ip":"10.0.0.1","mbits":100,"reservedPorts":[{"label":"r","value":22}],"dynamicPorts":[{"label":"d","value":20000}]}`},
	{&pb.NetworkPort{}, bytes.Join([][]byte{s(1, "http"), v(2, 80)}, nil), `{"label":"http","value":80}`},
	{&pb.PortMapping{}, bytes.Join([][]byte{s(1, "http"), v(2, 29605), v(3, 80), s(4, "127.0.0.1")}, nil), `{"label":"http","value":29605,"to":80,"hostIp":"127.0.0.1"}`},
	{&pb.LinuxResources{}, bytes.Join([][]byte{v(1, 100000), v(2, 50000), v(3, 100), v(4, 67108864), v(5, neg(-500)), s(6, "0,1"), d(8, 0.021739130434782608), s(9, "/sys/fs/cgroup/nomad.slice/a.t.scope")}, nil),
		`{"cpuPeriod":"100000","cpuQuota":"50000","cpuShares":"100","memoryLimitBytes":"67108864","oomScoreAdj":"-500","cpusetCpus":"0,1","PercentTicks":0.021739130434782608,"cpusetCgroup":"/sys/fs/cgroup/nomad.slice/a.t.scope"}`},
	{&pb.Mount{}, bytes.Join([][]byte{s(1, "/t"), s(2, "/h"), v(3, 1), s(4, "private"), s(5, "z"), s(6, "vol")}, nil),
		`{"taskPath":"/t","hostPath":"/h","readonly":true,"propagationMode":"private","selinuxLabel":"z","requestName":"vol"}`},
	{&pb.Device{}, bytes.Join([][]byte{s(1, "/dev/x"), s(2, "/dev/y"), s(3, "rwm")}, nil), `{"taskPath":"/dev/x","hostPath":"/dev/y","cgroupPermissions":"rwm"}`},
	{&pb.TaskHandle{}, bytes.Join([][]byte{v(1, 1), m(2, s(2, "t")), v(3, 2), s(4, "state")}, nil), `{"version":1,"config":{"name":"t"},"state":"EXITED","driverState":"c3RhdGU="}`},
	{&pb.NetworkOverride{}, bytes.Join([][]byte{entry(1, "http", v(2, 8080)), s(2, "10.0.0.3"), v(3, 1)}, nil), `{"portMap":{"http":8080},"addr":"10.0.0.3","autoAdvertise":true}`},
	{&pb.ExitResult{}, bytes.Join([][]byte{v(1, 1), v(2, 15), v(3, 1)}, nil), `{"exitCode":1,"signal":15,"oomKilled":true}`},
	{&pb.TaskStatus{}, bytes.Join([][]byte{s(1, "id"), s(2, "t"), v(3, 1), m(4, v(1, 1700000000), v(2, 5)), m(5, v(1, neg(-62135596800))), m(6, v(1, 2))}, nil),
		`{"id":"id","name":"t","state":"RUNNING","startedAt":"2023-11-14T22:13:20.000000005Z","completedAt":"0001-01-01T00:00:00Z","result":{"exitCode":2}}`},
	{&pb.TaskDriverStatus{}, entry(1, "k", s(2, "v")), `{"attributes":{"k":"v"}}`},
	{&pb.TaskStats{}, bytes.Join([][]byte{s(1, "id"), m(2, v(1, 1700000000)), m(3, m(1, d(6, 12.5))), entry(4, "4242", m(2, m(2, v(1, 4096))))}, nil),
		`{"id":"id","timestamp":"2023-11-14T22:13:20Z","aggResourceUsage":{"cpu":{"percent":12.5}},"resourceUsageByPid":{"4242":{"memory":{"rss":"4096"}}}}`},
	{&pb.TaskResourceUsage{}, bytes.Join([][]byte{m(1, d(3, 7)), m(2, v(7, 9))}, nil), `{"cpu":{"totalTicks":7},"memory":{"usage":"9"}}`},
	{&pb.CPUUsage{}, bytes.Join([][]byte{d(1, 1), d(2, 2), d(3, 3), v(4, 4), v(5, 5), d(6, 6), packed(7, 5, 2)}, nil),
		`{"systemMode":1,"userMode":2,"totalTicks":3,"throttledPeriods":"4","throttledTime":"5","percent":6,"measuredFields":["PERCENT","TOTAL_TICKS"]}`},
	{&pb.MemoryUsage{}, bytes.Join([][]byte{v(1, 1), v(2, 2), v(3, 3), v(4, 4), v(5, 5), packed(6, 0, 5, 6), v(7, 7), v(8, 8)}, nil),
		`{"rss":"1","cache":"2","maxUsage":"3","kernelUsage":"4","kernelMaxUsage":"5","measuredFields":["RSS","USAGE","SWAP"],"usage":"7","swap":"8"}`},
	{&pb.DriverTaskEvent{}, bytes.Join([][]byte{s(1, "id"), s(2, "alloc"), s(3, "t"), m(4, v(1, 1700000000)), s(5, "started"), entry(6, "k", s(2, "v"))}, nil),
		`{"taskId":"id","allocId":"alloc","taskName":"t","timestamp":"2023-11-14T22:13:20Z","message":"started","annotations":{"k":"v"}}`},
}

// Every message decodes from hand-built bytes into exactly the fields named
// in its JSON form, with nothing left unknown, and encodes back to the same
// bytes.
func TestWireFormat(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	for _, tc := range wireCases {
		name := tc.msg.ProtoReflect().Descriptor().FullName()
		seen[name] = true
		t.Run(string(name), func(t *testing.T) {
			got := tc.msg.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(tc.wire, got); err != nil {
				t.Fatal(err)
			}
			if unknown := unknownFields(got.ProtoReflect()); unknown != "" {
				t.Fatalf("fields not in the schema: %s", unknown)
			}
			want := tc.msg.ProtoReflect().New().Interface()
			if err := protojson.Unmarshal([]byte(tc.json), want); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, want) {
				t.Fatalf("decoded %v\nwant %v", got, want)
			}
			out, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, tc.wire) {
				t.Fatalf("encoded %x\nwant    %x", out, tc.wire)
			}
		})
	}
	for _, fd := range []protoreflect.FileDescriptor{
		basepb.File_base_base_proto, pb.File_drivers_driver_proto,
		hclspecpb.File_hclspec_hcl_spec_proto, structspb.File_structs_attribute_proto,
		structspb.File_structs_recoverable_error_proto, structspb.File_structs_stats_proto,
	} {
		forEachMessage(fd.Messages(), func(md protoreflect.MessageDescriptor) {
			if !md.IsMapEntry() && !seen[md.FullName()] {
				t.Errorf("message %s has no wire test case", md.FullName())
			}
		})
	}
}

func forEachMessage(mds protoreflect.MessageDescriptors, f func(protoreflect.MessageDescriptor)) {
	for i := range mds.Len() {
		f(mds.Get(i))
		forEachMessage(mds.Get(i).Messages(), f)
	}
}

// unknownFields names the messages (recursively) holding unknown fields.
func unknownFields(m protoreflect.Message) string {
	if len(m.GetUnknown()) > 0 {
		return string(m.Descriptor().FullName())
	}
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		switch {
		case fd.IsMap() && fd.MapValue().Message() != nil:
			val.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = unknownFields(mv.Message())
				return found == ""
			})
		case fd.IsList() && fd.Message() != nil:
			for i := range val.List().Len() {
				if found = unknownFields(val.List().Get(i).Message()); found != "" {
					break
				}
			}
		case fd.Message() != nil && !fd.IsMap() && !fd.IsList():
			found = unknownFields(val.Message())
		}
		return found == ""
	})
	return found
}
