package plugintest

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

func TestRPCError(t *testing.T) {
	withDetail := func(recoverable bool) error {
		st, err := status.New(codes.FailedPrecondition, "boom").WithDetails(&structspb.RecoverableError{Recoverable: recoverable})
		if err != nil {
			t.Fatal(err)
		}
		return st.Err()
	}
	tests := []struct {
		name      string
		err       error
		want      Error
		agentRecv bool
	}{
		{"recoverable", withDetail(true), Error{Method: "StartTask", Code: codes.FailedPrecondition, Message: "boom", HasRecoverable: true, Recoverable: true}, true},
		{"not recoverable", withDetail(false), Error{Method: "StartTask", Code: codes.FailedPrecondition, Message: "boom", HasRecoverable: true}, false},
		{"plain status", status.Error(codes.Internal, "bad"), Error{Method: "StartTask", Code: codes.Internal, Message: "bad"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *Error
			if !errors.As(rpcError("StartTask", tt.err), &e) {
				t.Fatalf("rpcError did not return *Error")
			}
			if *e != tt.want || e.AgentRecoverable() != tt.agentRecv {
				t.Errorf("got %+v (agent recoverable %t), want %+v (%t)", *e, e.AgentRecoverable(), tt.want, tt.agentRecv)
			}
		})
	}
	if rpcError("StartTask", nil) != nil {
		t.Error("rpcError(nil) must be nil")
	}
}
