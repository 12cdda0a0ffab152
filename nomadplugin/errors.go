package nomadplugin

import "errors"

// ErrTaskNotFound is returned by drivers for unknown task ids; Serve maps it
// to gRPC NotFound.
var ErrTaskNotFound = errors.New("task not found for given id")

// RecoverableError tells the agent whether a failed StartTask may succeed on
// retry: recoverable errors follow the job's restart policy, all other start
// errors fail the task for good.
type RecoverableError struct {
	Err         error
	Recoverable bool
}

// NewRecoverableError wraps err, marking whether retrying may help. A nil err
// stays nil.
func NewRecoverableError(err error, recoverable bool) error {
	if err == nil {
		return nil
	}
	return &RecoverableError{Err: err, Recoverable: recoverable}
}

func (e *RecoverableError) Error() string { return e.Err.Error() }

func (e *RecoverableError) Unwrap() error { return e.Err }

// IsRecoverable reports whether err carries a RecoverableError that allows a
// retry.
func IsRecoverable(err error) bool {
	var re *RecoverableError
	return errors.As(err, &re) && re.Recoverable
}
