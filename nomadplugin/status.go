package nomadplugin

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	structspb "github.com/nomad-pledge-driver/nomad-pledge-driver/nomadplugin/proto/structs"
)

// statusError maps a driver error to the gRPC status the agent expects. The
// agent mostly uses only the message; codes matter for cancellation (which
// it must not mistake for a dead plugin) and for recoverable errors.
func statusError(err error) error {
	if err == nil {
		return nil
	}
	var re *RecoverableError
	switch {
	case errors.As(err, &re):
		return recoverableStatus(err, re.Recoverable)
	case errors.Is(err, ErrTaskNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Unknown, err.Error())
}

// startError maps a StartTask error: always FailedPrecondition with a
// RecoverableError detail, so the agent retries recoverable errors under the
// job's restart policy and fails the task for every other one.
func startError(err error) error {
	return recoverableStatus(err, IsRecoverable(err))
}

func recoverableStatus(err error, recoverable bool) error {
	st := status.New(codes.FailedPrecondition, err.Error())
	withDetail, derr := st.WithDetails(&structspb.RecoverableError{Recoverable: recoverable})
	if derr != nil {
		return st.Err()
	}
	return withDetail.Err()
}

// errorFromStatus is the client-side inverse: a FailedPrecondition status
// with a RecoverableError detail becomes a *RecoverableError, NotFound wraps
// ErrTaskNotFound, anything else keeps its message.
func errorFromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return err
	}
	for _, d := range st.Details() {
		if re, ok := d.(*structspb.RecoverableError); ok {
			return &RecoverableError{Err: errors.New(st.Message()), Recoverable: re.GetRecoverable()}
		}
	}
	if st.Code() == codes.NotFound {
		return &notFoundError{msg: st.Message()}
	}
	return err
}

// notFoundError keeps the plugin's message but matches ErrTaskNotFound.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrTaskNotFound }
