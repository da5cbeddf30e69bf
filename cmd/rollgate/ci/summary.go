package ci

import (
	"fmt"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate"
)

// SummaryLimit keeps the Markdown summary under GitHub's 1 MiB per step
// (a bigger step summary is dropped whole), with room for the notes that
// say what was cut.
const SummaryLimit = 1<<20 - 4<<10

// Summary renders the report as Markdown: the verdict, a table of the
// checks with their last values and thresholds, a chart of each metric over
// the run, every phase's items, the diagnosis and the timeline. Sections
// that do not fit in SummaryLimit are cut, each with a note.
func Summary(rep *gate.Report) string { return summaryWithin(rep, SummaryLimit, 0) }

// summaryWithin renders the summary in limit bytes, its headings depth
// levels down (a release's targets are one level under the release).
func summaryWithin(rep *gate.Report, limit, depth int) string {
	phases := Phases(rep)
	h := heading(depth)
	return render([]section{
		header(rep, h),
		checksSection(rep, h),
		chartsSection(rep, h),
		phasesSection(phases, h),
		diagnosisSection(phases, h),
		actionSection(rep, h),
		warningsSection(rep, h),
		timelineSection(rep, h),
	}, limit)
}

// heading gives the Markdown heading marks of a level (2 is a summary's
// title), depth levels down.
type heading int

func (d heading) of(level int) string { return strings.Repeat("#", int(d)+level) }

// section is a Markdown block that can be cut between items: head, then
// as many items as fit, then tail (which closes tables and details). A
// section without items is left out unless it is always shown.
type section struct {
	head   string
	items  []string
	tail   string
	what   string // what the items are, for the note when some are cut
	always bool
}

const noteRoom = 200 // bytes kept per section for its "cut" note

func render(sections []section, limit int) string {
	var b strings.Builder
	reserve := noteRoom * len(sections)
	for _, s := range sections {
		if len(s.items) == 0 && !s.always {
			continue
		}
		room := limit - reserve - b.Len() // the reserve includes this section's own note
		reserve -= noteRoom
		if len(s.head)+len(s.tail) > room {
			fmt.Fprintf(&b, "\n_%d %s left out: the summary is limited to 1 MiB; the JSON report (--report) has everything._\n", max(1, len(s.items)), s.what)
			continue
		}
		b.WriteString(s.head)
		used, n := len(s.head)+len(s.tail), 0
		for _, it := range s.items {
			if used+len(it) > room {
				break
			}
			b.WriteString(it)
			used += len(it)
			n++
		}
		b.WriteString(s.tail)
		if n < len(s.items) {
			fmt.Fprintf(&b, "\n_%d of %d %s left out: the summary is limited to 1 MiB; the JSON report (--report) has everything._\n", len(s.items)-n, len(s.items), s.what)
		}
	}
	return b.String()
}

var marks = map[Verdict]string{Passed: "✅", Failed: "❌", Skipped: "⏸️", Errored: "🛑"}

func mark(it Item) string {
	if it.Warn {
		return "⚠️ warn"
	}
	return marks[it.Verdict] + " " + it.Verdict.String()
}

func header(rep *gate.Report, h heading) section {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s rollgate %s %s: %s\n\n", h.of(2), marks[VerdictOfExit(rep.ExitCode)], rep.Command, code(rep.Target.String()), rep.Decision)
	reason := rep.Reason
	if reason == "" {
		reason = "nothing to report"
	}
	fmt.Fprintf(&b, "**%s** (exit %d) — %s\n\n", rep.Decision, rep.ExitCode, cell(cut(reason, 4000)))
	b.WriteString("| | |\n|---|---|\n")
	target := code(rep.Target.String())
	if rep.Target.Namespace != "" {
		target += " in " + code(rep.Target.Namespace)
	}
	if rep.Context != "" {
		target += ", context " + code(rep.Context)
	}
	fmt.Fprintf(&b, "| target | %s |\n", target)
	if p := pinOf(rep); p != nil {
		rev := []string{fmt.Sprint(p.Revision)}
		if p.TemplateHash != "" {
			rev = append(rev, "pod-template-hash "+code(p.TemplateHash))
		}
		fmt.Fprintf(&b, "| revision | %s |\n", strings.Join(append(rev, cell(strings.Join(p.Images, ", "))), " · "))
		if s := p.Stable; s != nil {
			fmt.Fprintf(&b, "| stable | %d · %s |\n", s.Revision, cell(strings.Join(s.Images, ", ")))
		}
	} else if r := Revision(rep); r != "" {
		fmt.Fprintf(&b, "| revision | %s |\n", cell(r))
	}
	if !rep.StartedAt.IsZero() {
		fmt.Fprintf(&b, "| run | %s → %s UTC (%s) |\n", rep.StartedAt.UTC().Format("2006-01-02 15:04:05"),
			rep.FinishedAt.UTC().Format("15:04:05"), rep.FinishedAt.Sub(rep.StartedAt).Round(time.Second))
	}
	if rep.ReleaseCause != "" {
		fmt.Fprintf(&b, "| release | decided with the release: %s |\n", cell(cut(rep.ReleaseCause, 1000)))
	}
	if rep.DryRun {
		b.WriteString("| dry run | yes: nothing in the cluster was changed |\n")
	}
	return section{head: b.String(), what: "header", always: true}
}

func checksSection(rep *gate.Report, h heading) section {
	a := rep.Analysis
	if a == nil || len(a.Checks) == 0 {
		return section{}
	}
	s := section{what: "checks",
		head: "\n" + h.of(3) + " Checks\n\n| check | last value | stable | threshold | intervals | outcome |\n|---|--:|--:|---|---|---|\n"}
	for _, t := range a.Checks {
		value, stable := "–", "–"
		if p, ok := Last(t); ok {
			value = Num(*p.Canary)
			if p.Stable != nil {
				stable = Num(*p.Stable)
			}
		}
		threshold := t.Threshold
		if threshold == "" {
			threshold = "–"
		}
		s.items = append(s.items, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", code(t.Name), value, stable, cell(threshold),
			t.Summary(), mark(Item{Verdict: CheckVerdict(a, t)})))
	}
	if a.Rule.Text != "" {
		s.tail = fmt.Sprintf("\nAnalysis **%s**: %s\n", a.Outcome, cell(a.Rule.Text))
	}
	return s
}

func chartsSection(rep *gate.Report, h heading) section {
	if rep.Analysis == nil {
		return section{}
	}
	s := section{what: "charts", head: "\n" + h.of(3) + " Metrics over the run\n"}
	for _, t := range rep.Analysis.Checks {
		if c, ok := Chart(t); ok {
			s.items = append(s.items, fmt.Sprintf("\n%s %s\n\n%s", h.of(4), cell(t.Name), c))
		}
	}
	return s
}

// phasesSection lists every item of the phases other than the analysis
// (which has its own table) and the verdict (which is the header).
func phasesSection(phases []Phase, h heading) section {
	s := section{what: "items", head: "\n" + h.of(3) + " Phases\n\n| phase | item | outcome | why |\n|---|---|---|---|\n"}
	for _, p := range phases {
		if p.Name == PhaseAnalysis || p.Name == PhaseGate {
			continue
		}
		for _, it := range p.Items {
			s.items = append(s.items, fmt.Sprintf("| %s | %s | %s | %s |\n", p.Name, cell(it.Name), mark(it), cell(cut(it.Message, 2000))))
		}
	}
	return s
}

func diagnosisSection(phases []Phase, h heading) section {
	s := section{what: "diagnoses", head: "\n" + h.of(3) + " Diagnosis\n"}
	for _, p := range phases {
		if p.Name != PhaseReadiness {
			continue
		}
		for _, it := range p.Items {
			if it.Detail != "" && it.Verdict != Passed {
				s.items = append(s.items, fmt.Sprintf("\n<details><summary>%s</summary>\n\n%s\n</details>\n", cell(it.Name), fence("text", it.Detail)))
			}
		}
	}
	return s
}

func actionSection(rep *gate.Report, h heading) section {
	a := rep.Action
	if a == nil || len(a.Commands) == 0 {
		return section{}
	}
	return section{what: "commands", head: "\n" + h.of(3) + " Follow-up\n\n", items: []string{fence("sh", strings.Join(a.Commands, "\n"))}}
}

func warningsSection(rep *gate.Report, h heading) section {
	s := section{what: "warnings", head: "\n" + h.of(3) + " Warnings\n\n"}
	for _, w := range rep.Warnings {
		s.items = append(s.items, "- "+cell(w)+"\n")
	}
	return s
}

func timelineSection(rep *gate.Report, h heading) section {
	if len(rep.Timeline) == 0 {
		return section{}
	}
	open := ""
	if len(rep.Timeline) <= 40 {
		open = " open"
	}
	s := section{what: "timeline events",
		head: fmt.Sprintf("\n%s Timeline\n\n<details%s><summary>%s</summary>\n\n| time (UTC) | phase | event |\n|---|---|---|\n", h.of(3), open, plural(len(rep.Timeline), "event")),
		tail: "\n</details>\n"}
	for _, e := range rep.Timeline {
		s.items = append(s.items, fmt.Sprintf("| %s | %s | %s |\n", e.At.UTC().Format("15:04:05"), cell(string(e.Phase)), cell(cut(e.Message, 2000))))
	}
	return s
}

// cell makes text safe in a Markdown table cell and in HTML: no pipes, no
// tags, line breaks as <br>.
func cell(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "\r\n", "<br>", "\n", "<br>", "\r", "")
	return r.Replace(s)
}

// code is an inline code span that survives any backticks in s.
func code(s string) string {
	if s == "" {
		return ""
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return ticks + pad + strings.ReplaceAll(s, "|", `\|`) + pad + ticks
}

// fence is a fenced code block longer than any backtick run inside it.
func fence(lang, body string) string {
	ticks := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	return ticks + lang + "\n" + strings.TrimSuffix(body, "\n") + "\n" + ticks + "\n"
}

func longestRun(s string, c rune) int {
	best, n := 0, 0
	for _, r := range s {
		if r == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
