package plugintest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// logSink collects the stderr (hclog JSON lines) of all launches of a
// plugin for Plugin.Log and copies each line into the test log while the
// test runs.
type logSink struct {
	t      testing.TB
	mu     sync.Mutex
	all    strings.Builder
	closed bool
}

// processLog is one process's stderr. go-plugin writes a line and its
// newline in separate calls, so lines are assembled here.
type processLog struct {
	sink   *logSink
	mu     sync.Mutex
	prefix string
	line   []byte
}

func (s *logSink) process(role string) *processLog {
	return &processLog{sink: s, prefix: role}
}

// setPrefix names the process once its pid is known, e.g. "runtime[1234]".
func (l *processLog) setPrefix(prefix string) {
	l.mu.Lock()
	l.prefix = prefix
	l.mu.Unlock()
}

func (l *processLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.line = append(l.line, p...)
	for {
		i := bytes.IndexByte(l.line, '\n')
		if i < 0 {
			break
		}
		l.sink.writeLine(l.prefix, l.line[:i+1])
		l.line = l.line[i+1:]
	}
	return len(p), nil
}

func (s *logSink) writeLine(prefix string, line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all.Write(line)
	if !s.closed {
		s.t.Logf("plugin %s: %s", prefix, bytes.TrimSuffix(line, []byte{'\n'}))
	}
}

// close stops copying into the test log, which must not be written after
// the test ends.
func (s *logSink) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all.String()
}
