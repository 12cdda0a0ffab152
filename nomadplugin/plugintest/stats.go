package plugintest

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	driverpb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/drivers"
)

// Stats opens a TaskStats stream with the given collection interval (the
// agent uses 1 s) and records what arrives; Close it when done (the
// plugin's cleanup or death ends it too). gRPC reports a server stream's
// failure to open (e.g. FailedPrecondition for an unknown task) on the first
// receive, so such errors show up in the Stream's Err, not here. The agent
// drops messages without a timestamp: check TaskStats.Timestamp.
func (t *Task) Stats(interval time.Duration) (*Stream[*driverpb.TaskStats], error) {
	proc, err := t.p.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(proc.ctx)
	client, err := proc.driver.TaskStats(ctx, &driverpb.TaskStatsRequest{TaskId: t.ID(), CollectionInterval: durationpb.New(interval)})
	if err != nil {
		cancel()
		return nil, rpcError("TaskStats", err)
	}
	s := newStream[*driverpb.TaskStats]("TaskStats")
	s.cancel = cancel
	go s.pump(func() (*driverpb.TaskStats, error) {
		m, err := client.Recv()
		return m.GetStats(), err
	})
	return s, nil
}
