package driver

import (
	"context"
	"fmt"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// TaskEvents streams the driver's events of every task.
func (d *Driver) TaskEvents(ctx context.Context) (<-chan nomadplugin.TaskEvent, error) {
	return d.events.subscribe(ctx), nil
}

// taskEvent publishes a message about h, subject to h's rate limit.
func (d *Driver) taskEvent(h *taskHandle, msg string, annotations map[string]string) {
	now := time.Now()
	ok, suppressed := h.limiter.allow(now)
	if !ok {
		return
	}
	if suppressed > 0 {
		msg = fmt.Sprintf("%s (%d more events suppressed)", msg, suppressed)
	}
	d.events.publish(nomadplugin.TaskEvent{
		TaskID:      h.cfg.ID,
		AllocID:     h.cfg.AllocID,
		TaskName:    h.cfg.Name,
		Timestamp:   now,
		Message:     msg,
		Annotations: annotations,
	})
}
