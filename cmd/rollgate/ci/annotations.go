package ci

import (
	"fmt"

	"github.com/rollgate/rollgate/gate"
)

// Annotation is a message GitHub Actions pins to the run's summary page
// (and to a pull request's checks).
type Annotation struct {
	Level   string // error, warning or notice
	Title   string
	Message string
}

// MaxAnnotations: GitHub shows at most 10 annotations of a kind per step
// and drops the rest, so rollgate sends its 10 most important.
const MaxAnnotations = 10

// annotationOrder is the phases by how much their failure matters once the
// gate is over: a failed rollback first, the preflight's advice last.
var annotationOrder = []gate.Phase{PhaseAction, PhaseAnalysis, PhaseReadiness, PhaseQuota, PhasePreflight}

// Annotations picks what deserves an annotation, most important first: the
// verdict, then failures and errors, then inconclusive items, then
// warnings; at most MaxAnnotations.
func Annotations(rep *gate.Report) []Annotation {
	byName := map[gate.Phase]Phase{}
	for _, p := range Phases(rep) {
		byName[p.Name] = p
	}
	verdict := VerdictOfExit(rep.ExitCode)
	level := map[Verdict]string{Passed: "notice", Failed: "error", Errored: "error", Skipped: "warning"}[verdict]
	out := []Annotation{{Level: level, Title: fmt.Sprintf("rollgate %s %s: %s", rep.Command, rep.Target, rep.Decision),
		Message: cut(gateItem(rep).Message, 1000)}}
	pass := func(level string, want func(Item) bool) {
		for _, name := range annotationOrder {
			for _, it := range byName[name].Items {
				if want(it) {
					out = append(out, Annotation{Level: level, Title: string(name) + ": " + it.Name, Message: cut(it.Message, 1000)})
				}
			}
		}
	}
	pass("error", func(it Item) bool { return it.Verdict == Failed || it.Verdict == Errored })
	pass("warning", func(it Item) bool { return it.Verdict == Skipped })
	pass("warning", func(it Item) bool { return it.Warn })
	for _, w := range rep.Warnings {
		out = append(out, Annotation{Level: "warning", Title: "rollgate warning", Message: cut(w, 1000)})
	}
	if len(out) > MaxAnnotations {
		out = out[:MaxAnnotations]
	}
	return out
}
