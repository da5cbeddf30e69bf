package gate

import (
	"time"

	"github.com/rollgate/rollgate/gate/quota"
)

// Report is the machine-readable account of one rollgate invocation: what
// was gated, what was seen, what was decided and why.
type Report struct {
	Command string `json:"command"`
	Target  Target `json:"target"`
	Context string `json:"context,omitempty"`
	// Decision is what happened, for people and CI conditions: one of the
	// Decision* constants for run and the manual actions, otherwise the exit
	// code's name (passed, failed, held, error...).
	Decision   string           `json:"decision"`
	ExitCode   int              `json:"exitCode"`
	Reason     string           `json:"reason"`
	DryRun     bool             `json:"dryRun,omitempty"`
	StartedAt  time.Time        `json:"startedAt"`
	FinishedAt time.Time        `json:"finishedAt"`
	Timeline   []Event          `json:"timeline"`
	Revision   string           `json:"revision,omitempty"`
	Pin        *Pin             `json:"pin,omitempty"`
	Quota      *quota.Result    `json:"quota,omitempty"`
	Preflight  []Finding        `json:"preflight,omitempty"`
	Readiness  *ReadinessResult `json:"readiness,omitempty"`
	Analysis   *AnalysisResult  `json:"analysis,omitempty"`
	Action     *ActionResult    `json:"action,omitempty"`
	// Warnings are troubles that did not change the decision, such as a
	// Slack message that could not be sent.
	Warnings []string `json:"warnings,omitempty"`
}

// Decisions of run and the manual actions.
const (
	DecisionPromoted   = "promoted"
	DecisionRolledBack = "rolled-back"
	DecisionHeld       = "held"
	DecisionFailed     = "failed" // failed, and policy said not to roll back
	DecisionCancelled  = "cancelled"
	DecisionSuperseded = "superseded"
	DecisionError      = "error"
)

// ActionResult is what the gate did (or, under --dry-run, would have done)
// to the workload.
type ActionResult struct {
	// Action is promote, promote-full, hold, rollback, abort or none.
	Action string `json:"action"`
	// Applied is false under --dry-run and when the workload was already in
	// the wanted state (a rerun after a completed rollback).
	Applied bool   `json:"applied"`
	Message string `json:"message"`
	// Error is set when the action itself failed (a failed rollback).
	Error string `json:"error,omitempty"`
	// Verify is the readiness watch of the workload after a rollback or abort.
	Verify *ReadinessResult `json:"verify,omitempty"`
	// Commands are copy-paste follow-ups for a person, given on hold.
	Commands []string `json:"commands,omitempty"`
}

// Event is one line of a run's timeline.
type Event struct {
	At      time.Time `json:"at"`
	Phase   string    `json:"phase"`
	Message string    `json:"message"`
}

// Finish records the outcome of err on the report. A Decision already set
// by the command is kept.
func (r *Report) Finish(err error, now time.Time) {
	code := CodeOf(err)
	r.ExitCode = int(code)
	if r.Decision == "" {
		r.Decision = code.String()
	}
	if err != nil {
		r.Reason = err.Error()
	}
	r.FinishedAt = now
}
