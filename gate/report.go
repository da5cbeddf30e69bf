package gate

import (
	"time"

	"github.com/rollgate/rollgate/gate/quota"
)

// Report is the machine-readable account of one rollgate invocation: what
// was gated, what was seen, what was decided and why.
type Report struct {
	Command    string           `json:"command"`
	Target     Target           `json:"target"`
	Context    string           `json:"context,omitempty"`
	Decision   string           `json:"decision"`
	ExitCode   int              `json:"exitCode"`
	Reason     string           `json:"reason"`
	DryRun     bool             `json:"dryRun,omitempty"`
	StartedAt  time.Time        `json:"startedAt"`
	FinishedAt time.Time        `json:"finishedAt"`
	Timeline   []Event          `json:"timeline"`
	Revision   string           `json:"revision,omitempty"`
	Quota      *quota.Result    `json:"quota,omitempty"`
	Preflight  []Finding        `json:"preflight,omitempty"`
	Readiness  *ReadinessResult `json:"readiness,omitempty"`
	Analysis   *AnalysisResult  `json:"analysis,omitempty"`
}

// Event is one line of a run's timeline.
type Event struct {
	At      time.Time `json:"at"`
	Phase   string    `json:"phase"`
	Message string    `json:"message"`
}

// Finish records the outcome of err on the report.
func (r *Report) Finish(err error, now time.Time) {
	code := CodeOf(err)
	r.ExitCode = int(code)
	r.Decision = code.String()
	if err != nil {
		r.Reason = err.Error()
	}
	r.FinishedAt = now
}
