package gate

import (
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// Report is the machine-readable account of one rollgate invocation: what
// was gated, what was seen, what was decided and why. The engine fills it;
// renderers only read it once the run returned it.
type Report struct {
	Command string          `json:"command"`
	Target  workload.Target `json:"target"`
	Context string          `json:"context,omitempty"`
	// Decision is what happened, for people and CI conditions: one of the
	// Decision* constants for run and the manual actions, otherwise the exit
	// code's name (passed, failed, held, error...).
	Decision string `json:"decision"`
	ExitCode int    `json:"exitCode"`
	Reason   string `json:"reason"`
	// DecidedBy is the phase whose verdict the decision follows: readiness,
	// analysis, or state (a rerun that found the work done).
	DecidedBy  Phase               `json:"decidedBy,omitempty"`
	DryRun     bool                `json:"dryRun,omitempty"`
	StartedAt  time.Time           `json:"startedAt"`
	FinishedAt time.Time           `json:"finishedAt"`
	Timeline   []Event             `json:"timeline"`
	Revision   string              `json:"revision,omitempty"`
	Pin        *workload.Pin       `json:"pin,omitempty"`
	Quota      *quota.Result       `json:"quota,omitempty"`
	Preflight  []preflight.Finding `json:"preflight,omitempty"`
	Readiness  *readiness.Result   `json:"readiness,omitempty"`
	Analysis   *analysis.Result    `json:"analysis,omitempty"`
	// Canary is each canary step of a plain Deployment: the new and old
	// pods its analysis saw, and its verdict.
	Canary []StepReport  `json:"canarySteps,omitempty"`
	Action *ActionResult `json:"action,omitempty"`
	// ReleaseCause, in a release, is the other target's outcome that the
	// release policy made this target's decision follow (an atomic
	// release rolled back with a failed sibling); "" when its own stands.
	ReleaseCause string `json:"releaseCause,omitempty"`
	// Warnings are troubles that did not change the decision, such as a
	// Slack message that could not be sent.
	Warnings []string `json:"warnings,omitempty"`
}

// ActionResult is what the gate did (or, under --dry-run, would have done)
// to the workload, and how the workload came out of it.
type ActionResult struct {
	Action workload.Action `json:"action"`
	// Applied is false under --dry-run and when the workload was already in
	// the wanted state (a rerun after a completed rollback).
	Applied bool   `json:"applied"`
	Message string `json:"message"`
	// Error is set when the action itself failed (a failed rollback).
	Error string `json:"error,omitempty"`
	// Verify is the readiness watch of the workload after a rollback or abort.
	Verify *readiness.Result `json:"verify,omitempty"`
	// Commands are copy-paste follow-ups for a person, given on hold.
	Commands []string `json:"commands,omitempty"`
}

// Phase is the part of a run a timeline entry belongs to; CI log sections
// and the live view group by it.
type Phase string

// The phases, in the order a run passes them.
const (
	PhaseResolve   Phase = "resolve"
	PhaseState     Phase = "state"
	PhaseLock      Phase = "lock"
	PhasePin       Phase = "pin"
	PhaseQuota     Phase = "quota"
	PhasePreflight Phase = "preflight"
	PhaseReadiness Phase = "readiness"
	PhasePods      Phase = "pods"
	PhaseAnalysis  Phase = "analysis"
	PhaseCanary    Phase = "canary"
	PhaseDecide    Phase = "decide"
	PhaseAction    Phase = "action" // the action's own line uses the action's name
	PhaseNext      Phase = "next"
	PhaseVerify    Phase = "verify"
	PhaseWarning   Phase = "warning"
)

// Event is one line of a run's timeline.
type Event struct {
	At      time.Time `json:"at"`
	Phase   Phase     `json:"phase"`
	Message string    `json:"message"`
}

// Finish records the outcome on the report: err's exit code when the run
// ended in trouble, otherwise the code the verdict's plan set. A Decision
// already set is kept.
func (r *Report) Finish(err error, now time.Time) {
	if err != nil {
		r.ExitCode = int(CodeOf(err))
		r.Reason = err.Error()
	}
	if r.Decision == "" {
		r.Decision = ExitCode(r.ExitCode).String()
	}
	r.FinishedAt = now
}

// resultOf is the report's account of a change.
func resultOf(c workload.Change) ActionResult {
	return ActionResult{Action: c.Action, Applied: c.Applied, Message: c.Message}
}
