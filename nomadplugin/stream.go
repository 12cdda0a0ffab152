package nomadplugin

import (
	"context"
	"errors"
	"io"
)

// Stream is the receiving end of a server stream: values arrive on C, which
// is closed when the stream ends; Err then tells why.
type Stream[T any] struct {
	C    <-chan T
	done chan struct{}
	err  error
}

// Err waits for C to be closed and returns the stream's error: nil when the
// plugin ended it normally.
func (s *Stream[T]) Err() error {
	<-s.done
	return s.err
}

// receive pumps recv into a Stream, converting each message, until the
// stream fails or ctx (the call's context) is cancelled.
func receive[M, T any](ctx context.Context, recv func() (M, error), conv func(M) T) *Stream[T] {
	ch := make(chan T)
	s := &Stream[T]{C: ch, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(ch)
		for {
			m, err := recv()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					s.err = errorFromStatus(err)
				}
				return
			}
			select {
			case ch <- conv(m):
			case <-ctx.Done():
				s.err = ctx.Err()
				return
			}
		}
	}()
	return s
}
