// Package ci turns a finished gate.Report into what CI systems read: JUnit
// XML, a dotenv file, a Markdown summary, GitHub Actions outputs,
// annotations and masks, and collapsible log sections for GitHub Actions and
// GitLab CI. Everything is rendered from the report by pure functions; the
// few writers that touch files or the log say so in their names.
package ci

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// Verdict is how one item of a report came out, in the terms every CI
// artefact shares.
type Verdict int

const (
	Passed  Verdict = iota
	Failed          // the item broke the gate
	Skipped         // not judged: inconclusive, not evaluated, held
	Errored         // could not be judged: a query, the cluster or the input failed
)

func (v Verdict) String() string {
	return [...]string{"passed", "failed", "skipped", "error"}[v]
}

// Phase is one phase of a gate as the CI artefacts show it.
type Phase struct {
	Name  gate.Phase
	Items []Item
	// Start and Took are when the phase began and how long it ran, from
	// the timeline; zero when unknown.
	Start time.Time
	Took  time.Duration
}

// Item is one judged thing: a check, a preflight finding, a quota, a pod.
type Item struct {
	Name    string
	Verdict Verdict
	// Warn marks a passed item that still deserves a look (a preflight
	// rule at warn).
	Warn bool
	// Message is one line saying why; Detail is the whole explanation
	// (measurements, events, log lines).
	Message string
	Detail  string
}

// Phase names, in the order a gate runs them.
const (
	PhasePreflight            = gate.PhasePreflight
	PhaseQuota                = gate.PhaseQuota
	PhaseReadiness            = gate.PhaseReadiness
	PhaseAnalysis             = gate.PhaseAnalysis
	PhaseAction               = gate.PhaseAction
	PhaseGate      gate.Phase = "gate" // the verdict itself, so an early error still shows
)

// Phases judges every item of a report, phase by phase. Phases that did not
// run are left out; the gate's own verdict is always last.
func Phases(rep *gate.Report) []Phase {
	var out []Phase
	add := func(name gate.Phase, items []Item) {
		if len(items) > 0 {
			start, took := phaseSpan(rep, name)
			out = append(out, Phase{Name: name, Items: items, Start: start, Took: took})
		}
	}
	add(PhasePreflight, preflightItems(rep))
	add(PhaseQuota, quotaItems(rep))
	add(PhaseReadiness, readinessItems(rep))
	add(PhaseAnalysis, analysisItems(rep))
	add(PhaseAction, actionItems(rep))
	out = append(out, Phase{Name: PhaseGate, Items: []Item{gateItem(rep)}, Start: rep.StartedAt, Took: rep.FinishedAt.Sub(rep.StartedAt)})
	return out
}

// VerdictOfExit maps the exit-code contract onto the shared verdicts.
func VerdictOfExit(code int) Verdict {
	switch gate.ExitCode(code) {
	case gate.ExitPassed:
		return Passed
	case gate.ExitHeld:
		return Skipped
	case gate.ExitBadInput, gate.ExitRuntime:
		return Errored
	}
	return Failed
}

func gateItem(rep *gate.Report) Item {
	msg := fmt.Sprintf("%s (exit %d)", rep.Decision, rep.ExitCode)
	if rep.Reason != "" {
		msg += ": " + rep.Reason
	}
	return Item{Name: rep.Command + " " + rep.Target.String(), Verdict: VerdictOfExit(rep.ExitCode), Message: msg,
		Detail: strings.Join(rep.Warnings, "\n")}
}

func preflightItems(rep *gate.Report) []Item {
	var items []Item
	for _, f := range rep.Preflight {
		name := f.Rule
		if f.Container != "" {
			name += " (container " + f.Container + ")"
		}
		it := Item{Name: name, Message: f.Message + " (fix: " + f.Fix + ")"}
		switch f.Level {
		case preflight.LevelFail:
			it.Verdict = Failed
		case preflight.LevelWarn:
			it.Warn = true
		}
		items = append(items, it)
	}
	if len(items) == 0 && ranPhase(rep, PhasePreflight) {
		items = append(items, Item{Name: "workload rules", Message: "no findings"})
	}
	return items
}

func quotaItems(rep *gate.Report) []Item {
	q := rep.Quota
	if q == nil {
		return nil
	}
	var items []Item
	for _, s := range q.Shortfalls {
		items = append(items, Item{Name: fmt.Sprintf("%s %s", s.Quota, s.Resource), Verdict: Failed, Message: s.Error()})
	}
	for _, m := range q.Missing {
		items = append(items, Item{Name: fmt.Sprintf("%s %s", m.Quota, m.Resource), Verdict: Failed, Message: m.Error()})
	}
	for _, n := range q.NotEvaluated {
		items = append(items, Item{Name: n.Quota, Verdict: Skipped, Message: n.String()})
	}
	for _, t := range q.Tight { // a note: the rollout proceeds as old pods go
		items = append(items, Item{Name: fmt.Sprintf("%s %s", t.Quota, t.Resource), Message: t.String()})
	}
	if q.OK() && len(q.Tight) == 0 {
		items = append(items, Item{Name: "headroom", Message: "every applicable ResourceQuota has room for the rollout's peak"})
	}
	return items
}

// readinessItems are the rollout's completion and one item per problem of
// a new pod, each with the diagnosis (events, log lines) of its object.
func readinessItems(rep *gate.Report) []Item {
	r := rep.Readiness
	if r == nil {
		return nil
	}
	done := Item{Name: "rollout completes", Message: r.Progress.Message}
	switch {
	case r.Progress.Outcome == workload.OutcomeInconclusive:
		done.Verdict = Skipped
	case r.Progress.Failed || !r.Progress.Done:
		done.Verdict = Failed
		if !r.Progress.Done && !r.Progress.Failed {
			done.Message = "not complete: " + r.Progress.Message
		}
	}
	diag := map[string]readiness.PodDiagnosis{}
	var rsEvents []string
	for _, d := range r.Diagnosis {
		diag[d.Object] = d
		if strings.HasPrefix(d.Object, "replicaset/") {
			rsEvents = append(rsEvents, diagnosisText(d))
		}
	}
	done.Detail = strings.Join(rsEvents, "\n")
	items := []Item{done}
	for _, p := range r.Problems {
		it := Item{Name: "pod " + p.Pod, Message: p.String(), Detail: diagnosisText(diag["pod/"+p.Pod])}
		if p.Container != "" {
			it.Name += " container " + p.Container
		}
		if p.Doomed || done.Verdict == Failed {
			it.Verdict = Failed
		}
		items = append(items, it)
	}
	return items
}

func diagnosisText(d readiness.PodDiagnosis) string {
	if d.Object == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", d.Object)
	for _, e := range d.Events {
		fmt.Fprintf(&b, "  event: %s\n", e)
	}
	for _, l := range d.Logs {
		fmt.Fprintf(&b, "  log:   %s\n", l)
	}
	if d.LogsUnavailable != "" {
		fmt.Fprintf(&b, "  log:   (%s)\n", d.LogsUnavailable)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func actionItems(rep *gate.Report) []Item {
	a := rep.Action
	if a == nil {
		return nil
	}
	it := Item{Name: string(a.Action), Message: a.Message}
	if !a.Applied && a.Message == "" {
		it.Message = "not applied"
	}
	if a.Error != "" {
		it.Verdict, it.Message = Failed, a.Error
	}
	if v := a.Verify; v != nil && (v.Progress.Failed || !v.Progress.Done) && it.Verdict == Passed {
		it.Verdict, it.Message = Failed, fmt.Sprintf("%s did not become healthy: %s", a.Action, v.Progress.Message)
	}
	it.Detail = strings.Join(a.Commands, "\n")
	return []Item{it}
}

// ranPhase reports whether the timeline has an event of the phase.
func ranPhase(rep *gate.Report, phase gate.Phase) bool {
	for _, e := range rep.Timeline {
		if e.Phase == phase {
			return true
		}
	}
	return false
}

// phaseSpan is the phase's first event and the time from it to the first
// event of a later, different phase (or the end of the run).
func phaseSpan(rep *gate.Report, phase gate.Phase) (start time.Time, took time.Duration) {
	for _, e := range rep.Timeline {
		switch {
		case e.Phase == phase && start.IsZero():
			start = e.At
		case e.Phase != phase && !start.IsZero():
			return start, e.At.Sub(start)
		}
	}
	if start.IsZero() || rep.FinishedAt.Before(start) {
		return start, 0
	}
	return start, rep.FinishedAt.Sub(start)
}

// Revision is the revision under gate, as reports show it: the report's
// own, else the pinned one.
func Revision(rep *gate.Report) string {
	if rep.Revision != "" {
		return rep.Revision
	}
	if p := pinOf(rep); p != nil {
		return fmt.Sprint(p.Revision)
	}
	return ""
}

func pinOf(rep *gate.Report) *workload.Pin {
	if rep.Pin != nil {
		return rep.Pin
	}
	if rep.Readiness != nil {
		return rep.Readiness.Pin
	}
	return nil
}

// Counts is how many items a set of phases holds per verdict.
type Counts struct{ Tests, Failures, Errors, Skipped int }

// Count adds up the items of the phases.
func Count(ps ...Phase) Counts {
	var c Counts
	for _, p := range ps {
		for _, it := range p.Items {
			c.Tests++
			switch it.Verdict {
			case Failed:
				c.Failures++
			case Errored:
				c.Errors++
			case Skipped:
				c.Skipped++
			}
		}
	}
	return c
}
