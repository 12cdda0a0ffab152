package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// TaskStats sends the task process's RSS every interval until the task
// exits or the client goes away.
func (d *driver) TaskStats(req *driverpb.TaskStatsRequest, stream driverpb.Driver_TaskStatsServer) error {
	journal("TaskStats")
	t, err := d.lookup(req.GetTaskId())
	if err != nil {
		return err
	}
	interval := req.GetCollectionInterval().AsDuration()
	if interval <= 0 {
		interval = time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		usage := &driverpb.TaskResourceUsage{Memory: &driverpb.MemoryUsage{
			Rss:            rssBytes(t.state.PID),
			MeasuredFields: []driverpb.MemoryUsage_Fields{driverpb.MemoryUsage_RSS},
		}}
		err := stream.Send(&driverpb.TaskStatsResponse{Stats: &driverpb.TaskStats{
			Id:                 t.cfg.GetId(),
			Timestamp:          timestamppb.Now(),
			AggResourceUsage:   usage,
			ResourceUsageByPid: map[string]*driverpb.TaskResourceUsage{strconv.Itoa(t.state.PID): usage},
		}})
		if err != nil {
			return err
		}
		select {
		case <-tick.C:
		case <-t.done:
			return nil
		case <-stream.Context().Done():
			return nil
		}
	}
}

// rssBytes reads VmRSS; 0 once the process is gone.
func rssBytes(pid int) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
