package plugintest

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

// Error is a failed RPC as the agent receives it: the gRPC status and, if
// present, the RecoverableError detail Nomad uses for start errors. Use
// errors.As to inspect it.
type Error struct {
	// Method is the RPC, e.g. "StartTask".
	Method  string
	Code    codes.Code
	Message string
	// HasRecoverable reports whether details[] carried a RecoverableError;
	// Recoverable is its value.
	HasRecoverable bool
	Recoverable    bool
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s: %s", e.Method, e.Code, e.Message)
	if e.HasRecoverable {
		s += fmt.Sprintf(" (recoverable=%t)", e.Recoverable)
	}
	return s
}

// AgentRecoverable is the agent's verdict: only an error with a
// RecoverableError detail saying so is retried under the restart policy.
func (e *Error) AgentRecoverable() bool {
	return e.HasRecoverable && e.Recoverable
}

// rpcError converts a gRPC client error into *Error; nil stays nil and
// errors that carry no status (which gRPC does not produce) pass through.
func rpcError(method string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", method, err)
	}
	e := &Error{Method: method, Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		if re, ok := d.(*structspb.RecoverableError); ok {
			e.HasRecoverable = true
			e.Recoverable = re.GetRecoverable()
		}
	}
	return e
}
