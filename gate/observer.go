package gate

import (
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/promql"
)

// Stage is where a run is when it tells people: the Slack teller sends a
// message (or updates it) at each.
type Stage string

const (
	StageStart     Stage = "start"
	StagePreflight Stage = "preflight"
	StageReadiness Stage = "readiness"
	StageAnalysis  Stage = "analysis"
	StageVerdict   Stage = "verdict"
)

// Observer is what watches a run as it happens: the CLI's reporter (live
// view, CI log lines) and the Slack teller. Calls come from the run's
// goroutine; an observer must not block it for long.
type Observer interface {
	// Event is a timeline entry, already on the report.
	Event(Event)
	// Snapshot is the readiness state after every change, for live views.
	Snapshot(readiness.Snapshot)
	// Measured is one analysis measurement of intervals planned.
	Measured(m promql.Measurement, intervals int)
	// Diagnosis is what a person needs to fix a failed rollout.
	Diagnosis([]readiness.PodDiagnosis)
	// Stage is a copy of the report so far, at a stage change.
	Stage(Stage, *Report)
}

// NopObserver watches nothing.
type NopObserver struct{}

func (NopObserver) Event(Event)                        {}
func (NopObserver) Snapshot(readiness.Snapshot)        {}
func (NopObserver) Measured(promql.Measurement, int)   {}
func (NopObserver) Diagnosis([]readiness.PodDiagnosis) {}
func (NopObserver) Stage(Stage, *Report)               {}
