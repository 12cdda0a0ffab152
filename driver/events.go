package driver

import (
	"context"
	"sync"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

// eventBus fans driver task events out to every TaskEvents stream. The
// agent keeps one stream open; a relaunched or reconnecting agent opens a new
// one, so there can briefly be several.
type eventBus struct {
	mu   sync.Mutex
	subs map[chan nomadplugin.TaskEvent]struct{}
}

// eventBuffer is how many events a slow stream may lag behind before new
// ones are dropped for it: events are advisory, and a stuck stream must
// never block a task's supervisor.
const eventBuffer = 64

func newEventBus() *eventBus {
	return &eventBus{subs: map[chan nomadplugin.TaskEvent]struct{}{}}
}

// subscribe returns a stream of events that ends when ctx is done.
func (b *eventBus) subscribe(ctx context.Context) <-chan nomadplugin.TaskEvent {
	ch := make(chan nomadplugin.TaskEvent, eventBuffer)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		close(ch)
		b.mu.Unlock()
	}()
	return ch
}

// publish delivers ev to every stream that has room.
func (b *eventBus) publish(ev nomadplugin.TaskEvent) {
	if ev.Timestamp.IsZero() {
		ev.Timestamp = time.Now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// eventLimiter is a token bucket per task: a burst of violations is shown,
// a task that hammers a denied syscall in a loop is not allowed to flood the
// agent's event log. Suppressed events are counted and mentioned in the next
// one that passes.
type eventLimiter struct {
	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
	burst      float64
	perSecond  float64
}

// Violation events: 10 at once, then one every 6 seconds.
func newEventLimiter() *eventLimiter {
	return &eventLimiter{tokens: 10, burst: 10, perSecond: 1.0 / 6}
}

// allow reports whether an event may be sent at now, and how many were
// suppressed since the last one that was.
func (l *eventLimiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.perSecond)
	}
	l.last = now
	if l.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}
