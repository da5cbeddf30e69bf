package ci

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate"
)

// ReleaseSummary renders a release as Markdown: the release's verdict, a
// table with a row per target, then each target's own summary one heading
// level down. Each target gets an equal share of what SummaryLimit leaves
// after the table, so one noisy target cannot crowd out the others.
func ReleaseSummary(rep *gate.ReleaseReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s rollgate %s: release of %s: %s\n\n", marks[VerdictOfExit(rep.ExitCode)], rep.Command,
		plural(len(rep.Targets), "target"), rep.Decision)
	fmt.Fprintf(&b, "**%s** (exit %d) — %s\n\n", rep.Decision, rep.ExitCode, cell(cut(rep.Reason, 4000)))
	fmt.Fprintf(&b, "Policy **%s**", rep.Policy)
	if !rep.StartedAt.IsZero() {
		fmt.Fprintf(&b, " · %s → %s UTC (%s)", rep.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			rep.FinishedAt.UTC().Format("15:04:05"), rep.FinishedAt.Sub(rep.StartedAt).Round(time.Second))
	}
	b.WriteString("\n\n| target | decision | exit | decided by | reason |\n|---|---|--:|---|---|\n")
	for _, t := range rep.Targets {
		fmt.Fprintf(&b, "| %s | %s %s | %d | %s | %s |\n", code(TargetName(t)), marks[VerdictOfExit(t.ExitCode)], t.Decision,
			t.ExitCode, decidedBy(t), cell(cut(t.Reason, 200)))
	}
	for i, w := range rep.Warnings {
		if i == 0 {
			b.WriteString("\n**Warnings**\n\n")
		}
		b.WriteString("- " + cell(cut(w, 1000)) + "\n")
	}
	if len(rep.Targets) == 0 {
		return b.String()
	}
	share := (SummaryLimit - b.Len()) / len(rep.Targets)
	for _, t := range rep.Targets {
		b.WriteString("\n")
		b.WriteString(summaryWithin(t, share-1, 1))
	}
	return b.String()
}

// decidedBy is the phase whose verdict a target's decision follows, or
// the release when the policy made it follow a sibling.
func decidedBy(t *gate.Report) string {
	switch {
	case t.ReleaseCause != "":
		return "release"
	case t.DecidedBy != "":
		return string(t.DecidedBy)
	}
	return "–"
}

// TargetName names a target of a release where several namespaces may
// meet: shop/deployment/api.
func TargetName(r *gate.Report) string {
	if r.Target.Namespace == "" {
		return r.Target.String()
	}
	return r.Target.Namespace + "/" + r.Target.String()
}
