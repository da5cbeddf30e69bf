package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
)

// message is one Slack message: Text is the notification line (a mention
// there notifies people), Color the bar beside Blocks (empty: no bar).
type message struct {
	Text   string        `json:"text"`
	Color  string        `json:"color,omitempty"`
	Blocks []slack.Block `json:"blocks"`
}

// Colours of the bar beside a message.
const (
	colorGood    = "#2EB67D"
	colorWarning = "#ECB22E"
	colorDanger  = "#E01E5A"
	colorGrey    = "#9E9E9E"
	colorRunning = "#1D9BD1"
)

// verdict is how a decision looks.
type verdict struct {
	emoji, title, color string
	failure             bool // mentionOnFailure applies
	loud                bool // a failed rollback: the workload may be half rolled back
}

func verdictOf(r *gate.Report) verdict {
	if a := r.Action; a != nil && a.Error != "" {
		name := string(a.Action)
		if name == "" {
			name = "action"
		}
		loud := a.Action == workload.ActionRollback || a.Action == workload.ActionAbort
		return verdict{":rotating_light:", strings.ToUpper(name[:1]) + name[1:] + " FAILED", colorDanger, true, loud}
	}
	switch r.Decision {
	case gate.DecisionPromoted:
		return verdict{":white_check_mark:", "Promoted", colorGood, false, false}
	case gate.ExitPassed.String():
		return verdict{":white_check_mark:", "Passed", colorGood, false, false}
	case gate.DecisionHeld:
		if r.Analysis != nil && r.Analysis.Outcome == analysis.Inconclusive {
			return verdict{":double_vertical_bar:", "Held: analysis inconclusive", colorWarning, false, false}
		}
		return verdict{":double_vertical_bar:", "Held: a person decides", colorWarning, false, false}
	case gate.DecisionRolledBack:
		return verdict{":leftwards_arrow_with_hook:", "Rolled back", colorDanger, true, false}
	case gate.DecisionFailed:
		return verdict{":x:", "Failed", colorDanger, true, false}
	case gate.DecisionError, gate.ExitBadInput.String():
		return verdict{":warning:", "Error", colorDanger, true, false}
	case gate.DecisionCancelled:
		return verdict{":no_entry_sign:", "Cancelled", colorGrey, false, false}
	case gate.DecisionSuperseded:
		return verdict{":fast_forward:", "Superseded", colorGrey, false, false}
	case "":
		return verdict{":grey_question:", "Finished", colorGrey, false, false}
	}
	return verdict{":grey_question:", r.Decision, colorGrey, false, false}
}

var stageLabels = map[Stage]string{
	StageStart:     "starting",
	StagePreflight: "preflight: workload rules and quota",
	StageReadiness: "waiting for the new pods",
	StageAnalysis:  "analysing metrics",
}

// summary is the run's one message: at the verdict, or as it stands at a
// stage before it.
func summary(ev Event, ci CIRun, mention string) message {
	r := ev.Report
	where := r.Target.String()
	if r.Target.Namespace != "" {
		where += " in " + r.Target.Namespace
	}
	dry := ""
	if r.DryRun {
		dry = " (dry run: nothing changed)"
	}
	var m message
	var bs []slack.Block
	v := verdictOf(r)
	if ev.Stage == StageVerdict {
		m.Color = v.color
		m.Text = escape(fmt.Sprintf("rollgate: %s: %s%s", where, strings.ToLower(v.title), dry))
		if v.failure && mention != "" {
			m.Text = mention + " " + m.Text
		}
		bs = append(bs, header(fmt.Sprintf("%s %s: %s%s", v.emoji, v.title, r.Target, dry)))
	} else {
		label, ok := stageLabels[ev.Stage]
		if !ok {
			label = string(ev.Stage)
		}
		if ev.Stage == StageAnalysis && r.Analysis != nil {
			label += fmt.Sprintf(" (interval %d)", intervals(r.Analysis))
		}
		m.Color = colorRunning
		m.Text = escape(fmt.Sprintf("rollgate: gating %s: %s%s", where, label, dry))
		bs = append(bs, header(fmt.Sprintf(":hourglass_flowing_sand: Gating %s: %s%s", r.Target, label, dry)))
	}
	bs = append(bs, fields("Target", code(r.Target.String()), "Namespace", codeOrEmpty(r.Target.Namespace),
		"Context", codeOrEmpty(r.Context), "Revision", revision(r))...)
	bs = append(bs, section("%s", images(r.Pin))...)
	if ev.Stage == StageVerdict {
		bs = append(bs, why(r)...)
	} else if n := len(r.Timeline); n > 0 {
		e := r.Timeline[n-1]
		bs = append(bs, section("*Now:* %s %s", code(string(e.Phase)), escape(e.Message))...)
	}
	bs = append(bs, preflightBlocks(r)...)
	bs = append(bs, podProblems(r)...)
	if a := r.Analysis; a != nil && len(a.Checks) > 0 {
		bs = append(bs, section("*Checks*\n%s", checkTable(a))...)
	}
	if ev.Stage == StageVerdict {
		bs = append(bs, action(r.Action, v, mention)...)
	}
	bs = append(bs, smallPrint(ciLine(ci), timing(ev, r))...)
	m.Blocks = capBlocks(bs)
	return m
}

func codeOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return code(s)
}

func revision(r *gate.Report) string {
	p := r.Pin
	if p == nil {
		return escape(r.Revision)
	}
	s := fmt.Sprintf("%d", p.Revision)
	if p.Stable != nil {
		s += fmt.Sprintf(" (stable %d)", p.Stable.Revision)
	}
	return s
}

// images pairs each container's stable image with its new one.
func images(p *workload.Pin) string {
	if p == nil || len(p.Images) == 0 {
		return ""
	}
	old := map[string]string{}
	if p.Stable != nil {
		for _, s := range p.Stable.Images {
			name, img, _ := strings.Cut(s, "=")
			old[name] = img
		}
	}
	lines := []string{"*Images*"}
	for _, s := range p.Images {
		name, img, _ := strings.Cut(s, "=")
		switch prev, ok := old[name]; {
		case p.Stable == nil:
			lines = append(lines, fmt.Sprintf("%s: %s", escape(name), code(img)))
		case !ok:
			lines = append(lines, fmt.Sprintf("%s: %s (new container)", escape(name), code(img)))
		case prev == img:
			lines = append(lines, fmt.Sprintf("%s: %s (unchanged)", escape(name), code(img)))
		default:
			lines = append(lines, fmt.Sprintf("%s: %s → %s", escape(name), code(prev), code(img)))
		}
	}
	return strings.Join(lines, "\n")
}

// why is the reason of the verdict and the analysis rule that fired.
func why(r *gate.Report) []slack.Block {
	text := ""
	if r.Reason != "" {
		text = "*Why:* " + escape(r.Reason)
	}
	if a := r.Analysis; a != nil && a.Rule.Text != "" && r.DecidedBy != gate.PhaseAnalysis {
		text += fmt.Sprintf("\n*Analysis %s:* %s", escape(string(a.Outcome)), escape(a.Rule.Text))
	}
	return section("%s", strings.TrimPrefix(text, "\n"))
}

// preflightBlocks shows the failed workload rules and the quota shortfalls.
func preflightBlocks(r *gate.Report) []slack.Block {
	var lines []string
	for _, f := range preflight.FailedFindings(r.Preflight) {
		lines = append(lines, f.String())
	}
	if q := r.Quota; q != nil {
		for _, s := range q.Shortfalls {
			lines = append(lines, s.Error())
		}
		for _, m := range q.Missing {
			lines = append(lines, m.Error())
		}
		for _, n := range q.NotEvaluated {
			lines = append(lines, n.String())
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return section("*Preflight*\n%s", bullets(lines, 10))
}

// podProblems is one line per problem of the new pods; the thread has
// their events and logs.
func podProblems(r *gate.Report) []slack.Block {
	var lines []string
	for _, p := range problems(r.Readiness) {
		lines = append(lines, p.String())
	}
	if len(lines) == 0 {
		return nil
	}
	return section("*Pods*\n%s", bullets(lines, 5))
}

func problems(rr *readiness.Result) []readiness.PodProblem {
	if rr == nil {
		return nil
	}
	if len(rr.Diagnosis) == 0 {
		return rr.Problems
	}
	var out []readiness.PodProblem
	for _, d := range rr.Diagnosis {
		out = append(out, d.Problems...)
	}
	return out
}

// action is what the gate did, the alarm when a rollback failed, and the
// copy-paste commands of a hold.
func action(a *gate.ActionResult, v verdict, mention string) []slack.Block {
	if a == nil {
		return nil
	}
	var bs []slack.Block
	if a.Error != "" {
		alarm := ""
		if v.loud {
			alarm = "The workload may be half rolled back: look at it now."
		}
		if alarm = strings.TrimSpace(mention + " " + alarm); alarm != "" {
			alarm = "\n" + alarm
		}
		bs = append(bs, section(":rotating_light: *%s failed:* %s%s", escape(string(a.Action)), escape(a.Error), alarm)...)
	} else if a.Action != "" {
		bs = append(bs, section("*Action:* %s", actionLine(a))...)
	}
	if len(a.Commands) > 0 {
		bs = append(bs, section("*Next step: run one of*\n%s", codeBlock(a.Commands...))...)
	}
	return bs
}

func actionLine(a *gate.ActionResult) string {
	state := "applied"
	if !a.Applied {
		state = "not applied"
	}
	s := escape(string(a.Action)) + ", " + state
	if a.Message != "" {
		s += ": " + escape(a.Message)
	}
	return s
}

func ciLine(ci CIRun) string {
	if ci.Name == "" {
		return ""
	}
	parts := []string{link(ci.URL, ci.Name)}
	if ci.Actor != "" {
		parts = append(parts, "by "+escape(ci.Actor))
	}
	if ci.Commit != "" {
		parts = append(parts, "commit "+link(ci.CommitURL, ci.Commit))
	}
	return strings.Join(parts, " · ")
}

func timing(ev Event, r *gate.Report) string {
	var parts []string
	if r.Command != "" {
		parts = append(parts, code("rollgate "+r.Command))
	}
	if !r.StartedAt.IsZero() {
		parts = append(parts, "started "+r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if ev.Stage == StageVerdict && !r.FinishedAt.IsZero() && !r.StartedAt.IsZero() {
		parts = append(parts, "took "+r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String())
	}
	return strings.Join(parts, " · ")
}

// intervals is how many intervals the analysis has measured so far.
func intervals(a *analysis.Result) int {
	n := 0
	for _, t := range a.Checks {
		n = max(n, len(t.Measurements))
	}
	return n
}
