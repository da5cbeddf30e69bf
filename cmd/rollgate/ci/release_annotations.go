package ci

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rollgate/rollgate/gate"
)

// ReleaseAnnotations picks a release's annotations, at most
// MaxAnnotations: first the release's verdict naming the targets that did
// not pass, then every such target's own verdict, then the targets'
// failures, inconclusive items and warnings, each titled with its target,
// errors before warnings.
func ReleaseAnnotations(rep *gate.ReleaseReport) []Annotation {
	level := map[Verdict]string{Passed: "notice", Failed: "error", Errored: "error", Skipped: "warning"}
	var bad []string
	for _, t := range rep.Targets {
		if t.ExitCode != 0 {
			bad = append(bad, fmt.Sprintf("%s %s", TargetName(t), t.Decision))
		}
	}
	msg := rep.Reason
	if len(bad) > 0 {
		msg = fmt.Sprintf("%d of %d targets did not pass: %s. %s", len(bad), len(rep.Targets), strings.Join(bad, ", "), rep.Reason)
	}
	out := []Annotation{{Level: level[VerdictOfExit(rep.ExitCode)],
		Title:   fmt.Sprintf("rollgate %s release of %s: %s", rep.Command, plural(len(rep.Targets), "target"), rep.Decision),
		Message: cut(msg, 1000)}}
	var items []Annotation
	for _, t := range rep.Targets {
		as := Annotations(t)
		if t.ExitCode != 0 {
			out = append(out, as[0])
		}
		for _, a := range as[1:] {
			a.Title = TargetName(t) + ": " + a.Title
			items = append(items, a)
		}
	}
	for _, w := range rep.Warnings {
		items = append(items, Annotation{Level: "warning", Title: "rollgate warning", Message: cut(w, 1000)})
	}
	rank := map[string]int{"error": 0, "warning": 1, "notice": 2}
	slices.SortStableFunc(items, func(a, b Annotation) int { return cmp.Compare(rank[a.Level], rank[b.Level]) })
	out = append(out, items...)
	if len(out) > MaxAnnotations {
		out = out[:MaxAnnotations]
	}
	return out
}
