package driver

import (
	"context"
	"testing"
	"time"

	"github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin"
)

func TestEventLimiter(t *testing.T) {
	l := newEventLimiter()
	now := time.Unix(1000, 0)
	for i := 0; i < 10; i++ {
		if ok, _ := l.allow(now); !ok {
			t.Fatalf("event %d of the burst suppressed", i)
		}
	}
	for i := 0; i < 5; i++ {
		if ok, _ := l.allow(now); ok {
			t.Fatalf("event %d beyond the burst allowed", i)
		}
	}
	ok, suppressed := l.allow(now.Add(6 * time.Second))
	if !ok || suppressed != 5 {
		t.Fatalf("after refill: ok=%v suppressed=%d, want true 5", ok, suppressed)
	}
	if ok, _ := l.allow(now.Add(7 * time.Second)); ok {
		t.Fatal("second event within the refill period allowed")
	}
}

func TestEventBus(t *testing.T) {
	b := newEventBus()
	ctx, cancel := context.WithCancel(context.Background())
	a := b.subscribe(ctx)
	c := b.subscribe(context.Background())
	b.publish(nomadplugin.TaskEvent{TaskID: "t", Message: "m"})
	for _, ch := range []<-chan nomadplugin.TaskEvent{a, c} {
		ev := <-ch
		if ev.Message != "m" || ev.Timestamp.IsZero() {
			t.Fatalf("event = %+v", ev)
		}
	}
	cancel()
	if _, open := <-a; open {
		t.Fatal("stream still open after its context ended")
	}
	for i := 0; i < eventBuffer+10; i++ {
		b.publish(nomadplugin.TaskEvent{Message: "flood"})
	}
	if len(c) != eventBuffer {
		t.Fatalf("slow stream holds %d events, want the buffer size %d", len(c), eventBuffer)
	}
}
