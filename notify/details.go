package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/promql"
)

// Kinds of thread replies: one each per run, posted at the verdict.
const (
	replyPods   = "pods"
	replyChecks = "checks"
	replyAction = "action"
	replyAlert  = "alert"
)

// reply is one detail of the verdict, for the thread.
type reply struct {
	Kind string `json:"kind"`
	message
	// Broadcast also shows the reply in the channel.
	Broadcast bool `json:"broadcast,omitempty"`
}

// details are the verdict's thread replies: failing pods, the checks, what
// the gate did, and the mention a failure asks for (a mention edited into
// the parent message notifies nobody, so it goes in a reply).
func details(r *gate.Report, mention string) []reply {
	var out []reply
	if bs := podDetails(r); len(bs) > 0 {
		out = append(out, reply{Kind: replyPods, message: message{Text: "Failing pods of " + escape(r.Target.String()), Blocks: capBlocks(bs)}})
	}
	if bs := checkDetails(r.Analysis, true); len(bs) > 0 {
		out = append(out, reply{Kind: replyChecks, message: message{Text: "Checks of " + escape(r.Target.String()), Blocks: capBlocks(bs)}})
	}
	v := verdictOf(r)
	if bs := actionDetails(r.Action); len(bs) > 0 {
		out = append(out, reply{Kind: replyAction, message: message{Text: "What rollgate did to " + escape(r.Target.String()), Blocks: bs}})
	}
	if v.failure && mention != "" {
		text := fmt.Sprintf("%s %s: %s", mention, escape(r.Target.String()), escape(strings.ToLower(v.title)))
		if r.Reason != "" {
			text += ": " + escape(r.Reason)
		}
		out = append(out, reply{Kind: replyAlert, Broadcast: v.loud,
			message: message{Text: clip(text, maxMessageText), Blocks: section("%s %s", v.emoji, text)}})
	}
	return out
}

// podDetails are the failing pods with their problems, events and last
// log lines, then those of the rollback's own watch.
func podDetails(r *gate.Report) []slack.Block {
	var bs []slack.Block
	if rr := r.Readiness; rr != nil {
		if len(rr.Diagnosis) > 0 {
			bs = append(bs, diagnosis("", rr.Diagnosis)...)
		} else if len(rr.Problems) > 0 {
			var lines []string
			for _, p := range rr.Problems {
				lines = append(lines, p.String())
			}
			bs = append(bs, section("*Pod problems*\n%s", bullets(lines, 20))...)
		}
	}
	if a := r.Action; a != nil && a.Verify != nil && len(a.Verify.Diagnosis) > 0 {
		bs = append(bs, diagnosis("after the "+string(a.Action)+": ", a.Verify.Diagnosis)...)
	}
	return bs
}

func diagnosis(prefix string, ds []readiness.PodDiagnosis) []slack.Block {
	var bs []slack.Block
	for _, d := range ds {
		var lines []string
		for _, p := range d.Problems {
			lines = append(lines, p.String())
		}
		text := "*" + escape(prefix+d.Object) + "*"
		if len(lines) > 0 {
			text += "\n" + bullets(lines, 10)
		}
		if len(d.Events) > 0 {
			text += "\n*Events*\n" + bullets(d.Events, 10)
		}
		bs = append(bs, section("%s", text)...)
		switch {
		case len(d.Logs) > 0:
			bs = append(bs, section("*Last log lines*\n%s", codeBlock(tail(d.Logs, maxSectionText-100)...))...)
		case d.LogsUnavailable != "":
			bs = append(bs, smallPrint("logs unavailable: "+escape(d.LogsUnavailable))...)
		}
	}
	return bs
}

// tail keeps the last lines that fit in n characters once escaped: the end
// of a log is where the crash is.
func tail(lines []string, n int) []string {
	start, size := len(lines), 0
	for start > 0 {
		size += utf8.RuneCountInString(escape(lines[start-1])) + 1
		if size > n && start < len(lines) {
			break
		}
		start--
	}
	return lines[start:]
}

// checkDetails is the check table (unless the message has it already),
// then per check its intervals, its last reason and its query.
func checkDetails(a *analysis.Result, table bool) []slack.Block {
	if a == nil || len(a.Checks) == 0 {
		return nil
	}
	var bs []slack.Block
	if table {
		title := "*Checks*"
		if a.Outcome != "" {
			title += " " + escape(string(a.Outcome)+": "+a.Rule.Text)
		}
		bs = section("%s\n%s", title, checkTable(a))
	}
	for _, t := range a.Checks {
		text := "*" + escape(t.Name) + "*"
		if t.Threshold != "" {
			text += " (threshold " + code(t.Threshold) + ")"
		}
		if n := len(t.Measurements); n > 0 {
			outcomes := make([]string, 0, 20)
			for _, m := range t.Measurements[max(0, n-20):] {
				outcomes = append(outcomes, string(m.Outcome))
			}
			last := t.Measurements[n-1]
			text += fmt.Sprintf("\nintervals: %s\nlast: %s", escape(strings.Join(outcomes, " · ")), escape(last.Reason))
			text += "\n" + codeBlock(clip(last.Query, 600))
			if last.Baseline != "" {
				text += "\nbaseline:\n" + codeBlock(clip(last.Baseline, 600))
			}
		}
		bs = append(bs, section("%s", text)...)
	}
	return bs
}

// checkTable is one aligned row per check: last value, threshold, result.
func checkTable(a *analysis.Result) string {
	rows := [][]string{{"check", "last value", "threshold", "result"}}
	for _, t := range a.Checks {
		rows = append(rows, []string{t.Name, lastValue(t), t.Threshold, tallyLine(t)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]string, len(rows))
	for j, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		lines[j] = strings.TrimRight(b.String(), " ")
	}
	return codeBlock(lines...)
}

func lastValue(t *analysis.CheckTally) string {
	if len(t.Measurements) == 0 {
		return "-"
	}
	m := t.Measurements[len(t.Measurements)-1]
	var v string
	switch {
	case m.Outcome == promql.Error:
		return "query error"
	case m.Sequential != nil:
		return "ratio " + m.Sequential.RatioText()
	case len(m.Canary) == 0:
		v = "no data"
	case len(m.Canary) == 1:
		v = num(m.Canary[0].Value)
	default:
		hi := m.Canary[0].Value
		for _, s := range m.Canary[1:] {
			hi = max(hi, s.Value)
		}
		v = fmt.Sprintf("max %s of %d series", num(hi), len(m.Canary))
	}
	if len(m.Stable) == 1 {
		v += " vs stable " + num(m.Stable[0].Value)
	}
	return v
}

// tallyLine is the last outcome and the counts: "fail (1 pass, 2 fail of 3)".
func tallyLine(t *analysis.CheckTally) string {
	n := len(t.Measurements)
	if n == 0 {
		return "waiting"
	}
	return fmt.Sprintf("%s (%s)", t.Measurements[n-1].Outcome, t.Summary())
}

func num(v float64) string { return fmt.Sprintf("%.4g", v) }

// actionDetails is the action's full account: state, message, error, the
// rollback's own readiness, and the follow-up commands.
func actionDetails(a *gate.ActionResult) []slack.Block {
	if a == nil || a.Action == "" {
		return nil
	}
	text := "*Action:* " + actionLine(a)
	if a.Error != "" {
		text += "\n*Error:* " + escape(a.Error)
	}
	if v := a.Verify; v != nil {
		state := "in progress"
		switch {
		case v.Progress.Failed:
			state = "failed"
		case v.Progress.Done:
			state = "healthy"
		}
		text += fmt.Sprintf("\n*After the %s:* %s: %s", escape(string(a.Action)), state, escape(v.Progress.Message))
	}
	bs := section("%s", text)
	if len(a.Commands) > 0 {
		bs = append(bs, section("*Commands*\n%s", codeBlock(a.Commands...))...)
	}
	return bs
}
