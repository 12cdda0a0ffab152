package nomadplugin

import (
	"errors"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	basepb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/base"
	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

// pluginAPIVersion is the only driver plugin API version Nomad speaks.
const pluginAPIVersion = "v0.1.0"

func pluginInfoToProto(i PluginInfo) *basepb.PluginInfoResponse {
	return &basepb.PluginInfoResponse{
		Type:              basepb.PluginType_DRIVER,
		PluginApiVersions: []string{pluginAPIVersion},
		PluginVersion:     i.Version,
		Name:              i.Name,
	}
}

func agentConfigFromProto(req *basepb.SetConfigRequest) *AgentConfig {
	d := req.GetNomadConfig().GetDriver()
	if d == nil {
		return nil
	}
	return &AgentConfig{
		APIVersion:    req.GetPluginApiVersion(),
		ClientMinPort: d.GetClientMinPort(),
		ClientMaxPort: d.GetClientMaxPort(),
		Topology:      topologyFromProto(d.GetTopology()),
	}
}

func agentConfigToProto(raw []byte, a *AgentConfig) *basepb.SetConfigRequest {
	req := &basepb.SetConfigRequest{MsgpackConfig: raw, PluginApiVersion: pluginAPIVersion}
	if a == nil {
		return req
	}
	req.PluginApiVersion = a.APIVersion
	req.NomadConfig = &basepb.NomadConfig{Driver: &basepb.NomadDriverConfig{
		ClientMinPort: a.ClientMinPort,
		ClientMaxPort: a.ClientMaxPort,
		Topology:      topologyToProto(a.Topology),
	}}
	return req
}

func topologyFromProto(p *basepb.ClientTopology) *Topology {
	if p == nil {
		return nil
	}
	return &Topology{
		NodeIDs:                p.GetNodeIds(),
		Dimension:              p.GetDistances().GetDimension(),
		Distances:              p.GetDistances().GetValues(),
		Cores:                  mapSlice(p.GetCores(), coreFromProto),
		OverrideTotalCompute:   p.GetOverrideTotalCompute(),
		OverrideWitholdCompute: p.GetOverrideWitholdCompute(),
	}
}

func topologyToProto(t *Topology) *basepb.ClientTopology {
	if t == nil {
		return nil
	}
	return &basepb.ClientTopology{
		NodeIds:                t.NodeIDs,
		Distances:              &basepb.ClientTopologySLIT{Dimension: t.Dimension, Values: t.Distances},
		Cores:                  mapSlice(t.Cores, coreToProto),
		OverrideTotalCompute:   t.OverrideTotalCompute,
		OverrideWitholdCompute: t.OverrideWitholdCompute,
	}
}

func coreFromProto(p *basepb.ClientTopologyCore) Core {
	return Core{
		SocketID:   p.GetSocketId(),
		NodeID:     p.GetNodeId(),
		CoreID:     p.GetCoreId(),
		Efficiency: p.GetCoreGrade() == basepb.CoreGrade_Efficiency,
		Disabled:   p.GetDisable(),
		BaseSpeed:  p.GetBaseSpeed(),
		MaxSpeed:   p.GetMaxSpeed(),
		GuessSpeed: p.GetGuessSpeed(),
	}
}

func coreToProto(c Core) *basepb.ClientTopologyCore {
	grade := basepb.CoreGrade_Performance
	if c.Efficiency {
		grade = basepb.CoreGrade_Efficiency
	}
	return &basepb.ClientTopologyCore{
		SocketId:   c.SocketID,
		NodeId:     c.NodeID,
		CoreId:     c.CoreID,
		CoreGrade:  grade,
		Disable:    c.Disabled,
		BaseSpeed:  c.BaseSpeed,
		MaxSpeed:   c.MaxSpeed,
		GuessSpeed: c.GuessSpeed,
	}
}

func capabilitiesToProto(c Capabilities) *pb.DriverCapabilities {
	return &pb.DriverCapabilities{
		SendSignals: c.SendSignals,
		Exec:        c.Exec,
		FsIsolation: pb.DriverCapabilities_FSIsolation(c.FSIsolation),
		NetworkIsolationModes: mapSlice(c.NetworkIsolationModes, func(m NetworkIsolationMode) pb.NetworkIsolationSpec_NetworkIsolationMode {
			return pb.NetworkIsolationSpec_NetworkIsolationMode(m)
		}),
		MustCreateNetwork:    c.MustCreateNetwork,
		MountConfigs:         pb.DriverCapabilities_MountConfigs(c.MountConfigs),
		DisableLogCollection: c.DisableLogCollection,
		DynamicWorkloadUsers: c.DynamicWorkloadUsers,
	}
}

func capabilitiesFromProto(p *pb.DriverCapabilities) Capabilities {
	return Capabilities{
		SendSignals: p.GetSendSignals(),
		Exec:        p.GetExec(),
		FSIsolation: FSIsolation(p.GetFsIsolation()),
		NetworkIsolationModes: mapSlice(p.GetNetworkIsolationModes(), func(m pb.NetworkIsolationSpec_NetworkIsolationMode) NetworkIsolationMode {
			return NetworkIsolationMode(m)
		}),
		MustCreateNetwork:    p.GetMustCreateNetwork(),
		MountConfigs:         MountConfigs(p.GetMountConfigs()),
		DisableLogCollection: p.GetDisableLogCollection(),
		DynamicWorkloadUsers: p.GetDynamicWorkloadUsers(),
	}
}

func fingerprintToProto(f Fingerprint) *pb.FingerprintResponse {
	p := &pb.FingerprintResponse{
		Health:            pb.FingerprintResponse_HealthState(f.Health),
		HealthDescription: f.HealthDescription,
	}
	if len(f.Attributes) > 0 {
		p.Attributes = make(map[string]*structspb.Attribute, len(f.Attributes))
		for k, a := range f.Attributes {
			p.Attributes[k] = attributeToProto(a)
		}
	}
	if f.Err != nil {
		p.Err = f.Err.Error()
	}
	return p
}

func fingerprintFromProto(p *pb.FingerprintResponse) Fingerprint {
	f := Fingerprint{
		Health:            HealthState(p.GetHealth()),
		HealthDescription: p.GetHealthDescription(),
	}
	if len(p.GetAttributes()) > 0 {
		f.Attributes = make(map[string]Attribute, len(p.GetAttributes()))
		for k, a := range p.GetAttributes() {
			f.Attributes[k] = attributeFromProto(a)
		}
	}
	if p.GetErr() != "" {
		f.Err = errors.New(p.GetErr())
	}
	return f
}

func attributeToProto(a Attribute) *structspb.Attribute {
	p := &structspb.Attribute{Unit: a.Unit}
	switch {
	case a.Float != nil:
		p.Value = &structspb.Attribute_FloatVal{FloatVal: *a.Float}
	case a.Int != nil:
		p.Value = &structspb.Attribute_IntVal{IntVal: *a.Int}
	case a.String != nil:
		p.Value = &structspb.Attribute_StringVal{StringVal: *a.String}
	case a.Bool != nil:
		p.Value = &structspb.Attribute_BoolVal{BoolVal: *a.Bool}
	}
	return p
}

func attributeFromProto(p *structspb.Attribute) Attribute {
	a := Attribute{Unit: p.GetUnit()}
	switch v := p.GetValue().(type) {
	case *structspb.Attribute_FloatVal:
		a.Float = &v.FloatVal
	case *structspb.Attribute_IntVal:
		a.Int = &v.IntVal
	case *structspb.Attribute_StringVal:
		a.String = &v.StringVal
	case *structspb.Attribute_BoolVal:
		a.Bool = &v.BoolVal
	}
	return a
}

func taskHandleToProto(h *TaskHandle) *pb.TaskHandle {
	if h == nil {
		return nil
	}
	return &pb.TaskHandle{
		Version:     int32(h.Version),
		Config:      taskConfigToProto(h.Config),
		State:       pb.TaskState(h.State),
		DriverState: h.DriverState,
	}
}

func taskHandleFromProto(p *pb.TaskHandle) *TaskHandle {
	if p == nil {
		return nil
	}
	return &TaskHandle{
		Version:     int(p.GetVersion()),
		Config:      taskConfigFromProto(p.GetConfig()),
		State:       TaskState(p.GetState()),
		DriverState: p.GetDriverState(),
	}
}

func networkOverrideToProto(n *NetworkOverride) *pb.NetworkOverride {
	if n == nil {
		return nil
	}
	p := &pb.NetworkOverride{Addr: n.IP, AutoAdvertise: n.AutoAdvertise}
	if len(n.PortMap) > 0 {
		p.PortMap = make(map[string]int32, len(n.PortMap))
		for k, v := range n.PortMap {
			p.PortMap[k] = int32(v)
		}
	}
	return p
}

func networkOverrideFromProto(p *pb.NetworkOverride) *NetworkOverride {
	if p == nil {
		return nil
	}
	n := &NetworkOverride{IP: p.GetAddr(), AutoAdvertise: p.GetAutoAdvertise()}
	if len(p.GetPortMap()) > 0 {
		n.PortMap = make(map[string]int, len(p.GetPortMap()))
		for k, v := range p.GetPortMap() {
			n.PortMap[k] = int(v)
		}
	}
	return n
}

func exitResultToProto(r ExitResult) *pb.ExitResult {
	return &pb.ExitResult{ExitCode: int32(r.ExitCode), Signal: int32(r.Signal), OomKilled: r.OOMKilled}
}

func exitResultFromProto(p *pb.ExitResult) ExitResult {
	return ExitResult{ExitCode: int(p.GetExitCode()), Signal: int(p.GetSignal()), OOMKilled: p.GetOomKilled()}
}

func waitResponseToProto(r ExitResult) *pb.WaitTaskResponse {
	resp := &pb.WaitTaskResponse{Result: exitResultToProto(r)}
	if r.Err != nil {
		resp.Err = r.Err.Error()
	}
	return resp
}

func waitResponseFromProto(p *pb.WaitTaskResponse) ExitResult {
	r := exitResultFromProto(p.GetResult())
	if p.GetErr() != "" {
		r.Err = errors.New(p.GetErr())
	}
	return r
}

// timestampToProto always yields a Timestamp: Nomad's client rejects a
// missing one, and encodes "never" as Go's zero time (seconds
// -62135596800), which is exactly what timestamppb.New(time.Time{}) gives.
func timestampToProto(t time.Time) *timestamppb.Timestamp {
	return timestamppb.New(t)
}

// timestampFromProto maps a missing or Go-zero timestamp to the zero time.
func timestampFromProto(p *timestamppb.Timestamp) time.Time {
	if p == nil {
		return time.Time{}
	}
	t := p.AsTime()
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t
}

func durationFromProto(p *durationpb.Duration) time.Duration {
	if p == nil {
		return 0
	}
	return p.AsDuration()
}

func taskStatusToProto(s *TaskStatus) *pb.InspectTaskResponse {
	resp := &pb.InspectTaskResponse{
		Task: &pb.TaskStatus{
			Id:          s.ID,
			Name:        s.Name,
			State:       pb.TaskState(s.State),
			StartedAt:   timestampToProto(s.StartedAt),
			CompletedAt: timestampToProto(s.CompletedAt),
		},
		Driver:          &pb.TaskDriverStatus{Attributes: s.DriverAttributes},
		NetworkOverride: networkOverrideToProto(s.NetworkOverride),
	}
	if s.ExitResult != nil {
		resp.Task.Result = exitResultToProto(*s.ExitResult)
	}
	return resp
}

func taskStatusFromProto(p *pb.InspectTaskResponse) *TaskStatus {
	t := p.GetTask()
	s := &TaskStatus{
		ID:               t.GetId(),
		Name:             t.GetName(),
		State:            TaskState(t.GetState()),
		StartedAt:        timestampFromProto(t.GetStartedAt()),
		CompletedAt:      timestampFromProto(t.GetCompletedAt()),
		DriverAttributes: p.GetDriver().GetAttributes(),
		NetworkOverride:  networkOverrideFromProto(p.GetNetworkOverride()),
	}
	if t.GetResult() != nil {
		r := exitResultFromProto(t.GetResult())
		s.ExitResult = &r
	}
	return s
}

// taskStatsToProto always sets the timestamp: the client drops samples
// without one. A zero Timestamp means the sample is taken now.
func taskStatsToProto(s TaskStats, now time.Time) *pb.TaskStatsResponse {
	ts := s.Timestamp
	if ts.IsZero() {
		ts = now
	}
	p := &pb.TaskStats{
		Id:               s.ID,
		Timestamp:        timestampToProto(ts),
		AggResourceUsage: resourceUsageToProto(s.Usage),
	}
	if len(s.ByPID) > 0 {
		p.ResourceUsageByPid = make(map[string]*pb.TaskResourceUsage, len(s.ByPID))
		for pid, u := range s.ByPID {
			p.ResourceUsageByPid[strconv.Itoa(pid)] = resourceUsageToProto(u)
		}
	}
	return &pb.TaskStatsResponse{Stats: p}
}

// taskStatsFromProto skips per-pid entries whose key is not a decimal pid.
func taskStatsFromProto(p *pb.TaskStatsResponse) TaskStats {
	st := p.GetStats()
	s := TaskStats{
		ID:        st.GetId(),
		Timestamp: timestampFromProto(st.GetTimestamp()),
		Usage:     resourceUsageFromProto(st.GetAggResourceUsage()),
	}
	if len(st.GetResourceUsageByPid()) > 0 {
		s.ByPID = make(map[int]ResourceUsage, len(st.GetResourceUsageByPid()))
		for key, u := range st.GetResourceUsageByPid() {
			if pid, err := strconv.Atoi(key); err == nil {
				s.ByPID[pid] = resourceUsageFromProto(u)
			}
		}
	}
	return s
}

func resourceUsageToProto(u ResourceUsage) *pb.TaskResourceUsage {
	return &pb.TaskResourceUsage{
		Cpu: &pb.CPUUsage{
			SystemMode:       u.CPU.SystemMode,
			UserMode:         u.CPU.UserMode,
			TotalTicks:       u.CPU.TotalTicks,
			ThrottledPeriods: u.CPU.ThrottledPeriods,
			ThrottledTime:    u.CPU.ThrottledTime,
			Percent:          u.CPU.Percent,
			MeasuredFields:   fieldsToProto[pb.CPUUsage_Fields](uint8(u.CPU.Measured)),
		},
		Memory: &pb.MemoryUsage{
			Rss:            u.Memory.RSS,
			Cache:          u.Memory.Cache,
			MaxUsage:       u.Memory.MaxUsage,
			KernelUsage:    u.Memory.KernelUsage,
			KernelMaxUsage: u.Memory.KernelMaxUsage,
			Usage:          u.Memory.Usage,
			Swap:           u.Memory.Swap,
			MeasuredFields: fieldsToProto[pb.MemoryUsage_Fields](uint8(u.Memory.Measured)),
		},
	}
}

func resourceUsageFromProto(p *pb.TaskResourceUsage) ResourceUsage {
	c, m := p.GetCpu(), p.GetMemory()
	return ResourceUsage{
		CPU: CPUUsage{
			SystemMode:       c.GetSystemMode(),
			UserMode:         c.GetUserMode(),
			TotalTicks:       c.GetTotalTicks(),
			ThrottledPeriods: c.GetThrottledPeriods(),
			ThrottledTime:    c.GetThrottledTime(),
			Percent:          c.GetPercent(),
			Measured:         CPUFields(fieldsFromProto(c.GetMeasuredFields())),
		},
		Memory: MemoryUsage{
			RSS:            m.GetRss(),
			Cache:          m.GetCache(),
			MaxUsage:       m.GetMaxUsage(),
			KernelUsage:    m.GetKernelUsage(),
			KernelMaxUsage: m.GetKernelMaxUsage(),
			Usage:          m.GetUsage(),
			Swap:           m.GetSwap(),
			Measured:       MemoryFields(fieldsFromProto(m.GetMeasuredFields())),
		},
	}
}

// fieldsToProto lists the set bits of a measured-fields set as wire enum
// values (bit i is enum value i), in ascending order.
func fieldsToProto[E ~int32](set uint8) []E {
	var out []E
	for i := range 8 {
		if set&(1<<i) != 0 {
			out = append(out, E(i))
		}
	}
	return out
}

// fieldsFromProto ignores enum values this package does not know.
func fieldsFromProto[E ~int32](fields []E) uint8 {
	var set uint8
	for _, f := range fields {
		if f >= 0 && f < 8 {
			set |= 1 << f
		}
	}
	return set
}

func taskEventToProto(e TaskEvent) *pb.DriverTaskEvent {
	return &pb.DriverTaskEvent{
		TaskId:      e.TaskID,
		AllocId:     e.AllocID,
		TaskName:    e.TaskName,
		Timestamp:   timestampToProto(e.Timestamp),
		Message:     e.Message,
		Annotations: e.Annotations,
	}
}

func taskEventFromProto(p *pb.DriverTaskEvent) TaskEvent {
	return TaskEvent{
		TaskID:      p.GetTaskId(),
		AllocID:     p.GetAllocId(),
		TaskName:    p.GetTaskName(),
		Timestamp:   timestampFromProto(p.GetTimestamp()),
		Message:     p.GetMessage(),
		Annotations: p.GetAnnotations(),
	}
}

func execResultToProto(r *ExecResult) *pb.ExecTaskResponse {
	return &pb.ExecTaskResponse{Stdout: r.Stdout, Stderr: r.Stderr, Result: exitResultToProto(r.Exit)}
}

func execResultFromProto(p *pb.ExecTaskResponse) *ExecResult {
	return &ExecResult{Stdout: p.GetStdout(), Stderr: p.GetStderr(), Exit: exitResultFromProto(p.GetResult())}
}
