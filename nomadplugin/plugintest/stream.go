package plugintest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Stream records every message of a server stream as it arrives. The
// Fingerprint and TaskEvents streams of a Plugin span plugin relaunches, as
// the agent re-opens them; stats streams belong to one call.
type Stream[T any] struct {
	method  string
	mu      sync.Mutex
	items   []T
	err     error
	open    bool
	changed chan struct{}
	cancel  context.CancelFunc
}

func newStream[T any](method string) *Stream[T] {
	return &Stream[T]{method: method, changed: make(chan struct{})}
}

// pump receives from recv until it fails, recording messages and the final
// status (nil for a clean end of stream).
func (s *Stream[T]) pump(recv func() (T, error)) {
	s.mu.Lock()
	s.open, s.err = true, nil
	s.mu.Unlock()
	for {
		m, err := recv()
		s.mu.Lock()
		if err != nil {
			s.open = false
			if !errors.Is(err, io.EOF) {
				s.err = rpcError(s.method, err)
			}
		} else {
			s.items = append(s.items, m)
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// All returns the messages received so far, oldest first.
func (s *Stream[T]) All() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]T(nil), s.items...)
}

// Len is the number of messages received so far.
func (s *Stream[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// Err is how the stream last ended: nil while it is open or after a clean
// end, else an *Error.
func (s *Stream[T]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Open reports whether the stream is currently receiving.
func (s *Stream[T]) Open() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// Wait returns the first message, from index from on (0: all received so
// far, Len(): only new ones), for which match is true; a nil match accepts
// any message. It waits up to timeout for one to arrive.
func (s *Stream[T]) Wait(from int, timeout time.Duration, match func(T) bool) (T, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for ; from < len(s.items); from++ {
			if match == nil || match(s.items[from]) {
				m := s.items[from]
				s.mu.Unlock()
				return m, nil
			}
		}
		changed, open, err := s.changed, s.open, s.err
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			var zero T
			return zero, fmt.Errorf("%s: no matching message within %v (stream open=%t, err=%v, %d received)", s.method, timeout, open, err, s.Len())
		}
	}
}

// Close cancels the stream's call, as the agent does when it stops
// collecting stats. Streams of a Plugin are closed by the harness.
func (s *Stream[T]) Close() {
	if s.cancel != nil {
		s.cancel()
	}
}
