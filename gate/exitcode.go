package gate

import (
	"errors"
	"fmt"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/lease"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
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

var (
	// ErrBadInput marks usage and configuration errors: exit 2, the cluster
	// untouched.
	ErrBadInput = errors.New("bad input")
	// ErrCancelled: the run was cancelled (SIGINT/SIGTERM).
	ErrCancelled = errors.New("cancelled")
	// ErrTimeout is the cause of the gate's own clock running out.
	ErrTimeout = errors.New("timed out")
)

// CodeOf maps an error to the exit code of the CI contract: the one place
// where sentinels become exit codes. Errors it does not know are runtime
// errors, because a bug or an outage must never look like success.
func CodeOf(err error) ExitCode {
	switch {
	case err == nil:
		return ExitPassed
	case errors.Is(err, ErrBadInput), errors.Is(err, cluster.ErrNotFound), errors.Is(err, workload.ErrInvalid),
		errors.Is(err, analysis.ErrInvalidCheck):
		return ExitBadInput
	case errors.Is(err, workload.ErrSuperseded):
		return ExitSuperseded
	case errors.Is(err, ErrCancelled), errors.Is(err, readiness.ErrCancelled):
		return ExitCancelled
	case errors.Is(err, lease.ErrHeld):
		return ExitRuntime
	}
	return ExitRuntime
}

// marked is an error that is also a sentinel, keeping its own message.
type marked struct {
	sentinel error
	err      error
}

func (m *marked) Error() string   { return m.err.Error() }
func (m *marked) Unwrap() []error { return []error{m.sentinel, m.err} }

// Mark makes err also match sentinel, without changing its message.
func Mark(sentinel, err error) error {
	if err == nil || errors.Is(err, sentinel) {
		return err
	}
	return &marked{sentinel: sentinel, err: err}
}

// BadInput is a usage or configuration error (exit 2) with the message given.
func BadInput(format string, args ...any) error {
	return Mark(ErrBadInput, fmt.Errorf(format, args...))
}
