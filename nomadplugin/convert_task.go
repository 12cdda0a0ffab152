package nomadplugin

import (
	pb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// This file and convert.go are the only places that translate between the
// package's Go types and the wire messages. Every conversion has both
// directions: the server needs requests in and responses out, a client
// (test harness) the reverse.

func taskConfigFromProto(p *pb.TaskConfig) *TaskConfig {
	if p == nil {
		return nil
	}
	return &TaskConfig{
		ID:               p.GetId(),
		Name:             p.GetName(),
		DriverConfig:     p.GetMsgpackDriverConfig(),
		Env:              p.GetEnv(),
		DeviceEnv:        p.GetDeviceEnv(),
		Resources:        resourcesFromProto(p.GetResources()),
		Mounts:           mapSlice(p.GetMounts(), mountFromProto),
		Devices:          mapSlice(p.GetDevices(), deviceFromProto),
		User:             p.GetUser(),
		AllocDir:         p.GetAllocDir(),
		StdoutPath:       p.GetStdoutPath(),
		StderrPath:       p.GetStderrPath(),
		TaskGroupName:    p.GetTaskGroupName(),
		JobName:          p.GetJobName(),
		JobID:            p.GetJobId(),
		ParentJobID:      p.GetParentJobId(),
		AllocID:          p.GetAllocId(),
		Namespace:        p.GetNamespace(),
		NodeName:         p.GetNodeName(),
		NodeID:           p.GetNodeId(),
		NetworkIsolation: networkIsolationFromProto(p.GetNetworkIsolationSpec()),
		DNS:              dnsFromProto(p.GetDns()),
	}
}

func taskConfigToProto(c *TaskConfig) *pb.TaskConfig {
	if c == nil {
		return nil
	}
	return &pb.TaskConfig{
		Id:                   c.ID,
		Name:                 c.Name,
		MsgpackDriverConfig:  c.DriverConfig,
		Env:                  c.Env,
		DeviceEnv:            c.DeviceEnv,
		Resources:            resourcesToProto(c.Resources),
		Mounts:               mapSlice(c.Mounts, mountToProto),
		Devices:              mapSlice(c.Devices, deviceToProto),
		User:                 c.User,
		AllocDir:             c.AllocDir,
		StdoutPath:           c.StdoutPath,
		StderrPath:           c.StderrPath,
		TaskGroupName:        c.TaskGroupName,
		JobName:              c.JobName,
		JobId:                c.JobID,
		ParentJobId:          c.ParentJobID,
		AllocId:              c.AllocID,
		Namespace:            c.Namespace,
		NodeName:             c.NodeName,
		NodeId:               c.NodeID,
		NetworkIsolationSpec: networkIsolationToProto(c.NetworkIsolation),
		Dns:                  dnsToProto(c.DNS),
	}
}

func resourcesFromProto(p *pb.Resources) *Resources {
	if p == nil {
		return nil
	}
	alloc := p.GetAllocatedResources()
	return &Resources{
		CPUShares:   alloc.GetCpu().GetCpuShares(),
		MemoryMB:    alloc.GetMemory().GetMemoryMb(),
		MemoryMaxMB: alloc.GetMemory().GetMemoryMaxMb(),
		Networks:    mapSlice(alloc.GetNetworks(), networkResourceFromProto),
		Linux:       linuxResourcesFromProto(p.GetLinuxResources()),
		Ports:       mapSlice(p.GetPorts(), portMappingFromProto),
	}
}

// resourcesToProto always sends the cpu and memory messages, as Nomad's own
// SDK does.
func resourcesToProto(r *Resources) *pb.Resources {
	if r == nil {
		return nil
	}
	return &pb.Resources{
		AllocatedResources: &pb.AllocatedTaskResources{
			Cpu:      &pb.AllocatedCpuResources{CpuShares: r.CPUShares},
			Memory:   &pb.AllocatedMemoryResources{MemoryMb: r.MemoryMB, MemoryMaxMb: r.MemoryMaxMB},
			Networks: mapSlice(r.Networks, networkResourceToProto),
		},
		LinuxResources: linuxResourcesToProto(r.Linux),
		Ports:          mapSlice(r.Ports, portMappingToProto),
	}
}

func linuxResourcesFromProto(p *pb.LinuxResources) *LinuxResources {
	if p == nil {
		return nil
	}
	return &LinuxResources{
		CPUPeriod:        p.GetCpuPeriod(),
		CPUQuota:         p.GetCpuQuota(),
		CPUShares:        p.GetCpuShares(),
		MemoryLimitBytes: p.GetMemoryLimitBytes(),
		OOMScoreAdj:      p.GetOomScoreAdj(),
		CpusetCPUs:       p.GetCpusetCpus(),
		PercentTicks:     p.GetPercentTicks(),
		CpusetCgroup:     p.GetCpusetCgroup(),
	}
}

func linuxResourcesToProto(r *LinuxResources) *pb.LinuxResources {
	if r == nil {
		return nil
	}
	return &pb.LinuxResources{
		CpuPeriod:        r.CPUPeriod,
		CpuQuota:         r.CPUQuota,
		CpuShares:        r.CPUShares,
		MemoryLimitBytes: r.MemoryLimitBytes,
		OomScoreAdj:      r.OOMScoreAdj,
		CpusetCpus:       r.CpusetCPUs,
		PercentTicks:     r.PercentTicks,
		CpusetCgroup:     r.CpusetCgroup,
	}
}

func networkResourceFromProto(p *pb.NetworkResource) NetworkResource {
	return NetworkResource{
		Device:        p.GetDevice(),
		CIDR:          p.GetCidr(),
		IP:            p.GetIp(),
		MBits:         int(p.GetMbits()),
		ReservedPorts: mapSlice(p.GetReservedPorts(), networkPortFromProto),
		DynamicPorts:  mapSlice(p.GetDynamicPorts(), networkPortFromProto),
	}
}

func networkResourceToProto(n NetworkResource) *pb.NetworkResource {
	return &pb.NetworkResource{
		Device:        n.Device,
		Cidr:          n.CIDR,
		Ip:            n.IP,
		Mbits:         int32(n.MBits),
		ReservedPorts: mapSlice(n.ReservedPorts, networkPortToProto),
		DynamicPorts:  mapSlice(n.DynamicPorts, networkPortToProto),
	}
}

func networkPortFromProto(p *pb.NetworkPort) NetworkPort {
	return NetworkPort{Label: p.GetLabel(), Value: int(p.GetValue())}
}

func networkPortToProto(n NetworkPort) *pb.NetworkPort {
	return &pb.NetworkPort{Label: n.Label, Value: int32(n.Value)}
}

func portMappingFromProto(p *pb.PortMapping) PortMapping {
	return PortMapping{Label: p.GetLabel(), Value: int(p.GetValue()), To: int(p.GetTo()), HostIP: p.GetHostIp()}
}

func portMappingToProto(m PortMapping) *pb.PortMapping {
	return &pb.PortMapping{Label: m.Label, Value: int32(m.Value), To: int32(m.To), HostIp: m.HostIP}
}

func mountFromProto(p *pb.Mount) Mount {
	return Mount{
		TaskPath:        p.GetTaskPath(),
		HostPath:        p.GetHostPath(),
		ReadOnly:        p.GetReadonly(),
		PropagationMode: p.GetPropagationMode(),
		SELinuxLabel:    p.GetSelinuxLabel(),
		RequestName:     p.GetRequestName(),
	}
}

func mountToProto(m Mount) *pb.Mount {
	return &pb.Mount{
		TaskPath:        m.TaskPath,
		HostPath:        m.HostPath,
		Readonly:        m.ReadOnly,
		PropagationMode: m.PropagationMode,
		SelinuxLabel:    m.SELinuxLabel,
		RequestName:     m.RequestName,
	}
}

func deviceFromProto(p *pb.Device) Device {
	return Device{TaskPath: p.GetTaskPath(), HostPath: p.GetHostPath(), CgroupPermissions: p.GetCgroupPermissions()}
}

func deviceToProto(d Device) *pb.Device {
	return &pb.Device{TaskPath: d.TaskPath, HostPath: d.HostPath, CgroupPermissions: d.CgroupPermissions}
}

func networkIsolationFromProto(p *pb.NetworkIsolationSpec) *NetworkIsolationSpec {
	if p == nil {
		return nil
	}
	spec := &NetworkIsolationSpec{
		Mode:   NetworkIsolationMode(p.GetMode()),
		Path:   p.GetPath(),
		Labels: p.GetLabels(),
	}
	if h := p.GetHostsConfig(); h != nil {
		spec.Hosts = &HostsConfig{Hostname: h.GetHostname(), Address: h.GetAddress()}
	}
	return spec
}

func networkIsolationToProto(s *NetworkIsolationSpec) *pb.NetworkIsolationSpec {
	if s == nil {
		return nil
	}
	p := &pb.NetworkIsolationSpec{
		Mode:   pb.NetworkIsolationSpec_NetworkIsolationMode(s.Mode),
		Path:   s.Path,
		Labels: s.Labels,
	}
	if s.Hosts != nil {
		p.HostsConfig = &pb.HostsConfig{Hostname: s.Hosts.Hostname, Address: s.Hosts.Address}
	}
	return p
}

func dnsFromProto(p *pb.DNSConfig) *DNSConfig {
	if p == nil {
		return nil
	}
	return &DNSConfig{Servers: p.GetServers(), Searches: p.GetSearches(), Options: p.GetOptions()}
}

func dnsToProto(d *DNSConfig) *pb.DNSConfig {
	if d == nil {
		return nil
	}
	return &pb.DNSConfig{Servers: d.Servers, Searches: d.Searches, Options: d.Options}
}

// mapSlice converts each element of in; a nil or empty input stays nil so
// that absent repeated fields compare equal after a round trip.
func mapSlice[T, U any](in []T, f func(T) U) []U {
	if len(in) == 0 {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
