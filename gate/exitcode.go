package gate

import (
	"errors"
	"fmt"
)

// ExitCode is the CI contract of SPEC section 2: every way a gate can end
// maps to exactly one of these, and only the CLI turns it into a process
// exit status.
type ExitCode int

const (
	ExitPassed     ExitCode = 0 // promoted / passed
	ExitFailed     ExitCode = 1 // failed: rolled back, or would have been
	ExitBadInput   ExitCode = 2 // usage, config, target not found; cluster untouched
	ExitHeld       ExitCode = 3 // inconclusive or held by policy; a human decides
	ExitRuntime    ExitCode = 4 // cluster, Prometheus or permission trouble
	ExitCancelled  ExitCode = 5 // SIGINT/SIGTERM; onCancel was applied
	ExitSuperseded ExitCode = 6 // another revision replaced the one under gate
)

var exitNames = map[ExitCode]string{
	ExitPassed:     "passed",
	ExitFailed:     "failed",
	ExitBadInput:   "bad-input",
	ExitHeld:       "held",
	ExitRuntime:    "error",
	ExitCancelled:  "cancelled",
	ExitSuperseded: "superseded",
}

// String is the machine-readable name used in reports and CI outputs.
func (c ExitCode) String() string {
	if s, ok := exitNames[c]; ok {
		return s
	}
	return fmt.Sprintf("exit-%d", int(c))
}

// Error carries an exit code with the error that explains it.
type Error struct {
	Code ExitCode
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message (supports %w).
func Errorf(code ExitCode, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// WithCode attaches code to err unless err already carries one.
func WithCode(code ExitCode, err error) error {
	if err == nil {
		return nil
	}
	var ge *Error
	if errors.As(err, &ge) {
		return err
	}
	return &Error{Code: code, Err: err}
}

// CodeOf returns the exit code an error carries; errors without one are
// runtime errors, because a bug or an outage must never look like success.
func CodeOf(err error) ExitCode {
	if err == nil {
		return ExitPassed
	}
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return ExitRuntime
}
