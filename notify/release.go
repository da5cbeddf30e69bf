package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/rollgate/rollgate/gate"
)

// A release is told as one message, like one run: posted at its start,
// updated as its targets move on, and finished at the release's verdict
// with a line per target; each target's own account goes in the thread.

// maxReleaseReplies bounds a release's thread: Slack takes about one
// message a second in a channel, and the verdict's budget is shared.
const maxReleaseReplies = 20

// replyTarget is a release thread's reply with one target's account.
const replyTarget = "target"

// about says whether ev has anything to tell.
func (ev Event) about() bool { return ev.Report != nil || ev.Release != nil }

// message is ev's one message: a run's or a release's.
func (ev Event) message(ci CIRun, mention string) message {
	if ev.Release != nil {
		return releaseSummary(ev, ci, mention)
	}
	return summary(ev, ci, mention)
}

// thread is the verdict's replies: a run's details, or each target's.
func (ev Event) thread(mention string) []reply {
	if ev.Release != nil {
		return releaseDetails(ev.Release, mention)
	}
	return details(ev.Report, mention)
}

// releaseVerdict is how the release's decision looks: as its first
// worst target's (a failed rollback stays the loudest).
func releaseVerdict(rel *gate.ReleaseReport) verdict {
	for _, t := range rel.Targets {
		if t.ExitCode == rel.ExitCode && t.Decision == rel.Decision {
			return verdictOf(t)
		}
	}
	return verdictOf(&gate.Report{Decision: rel.Decision})
}

// releaseWhere names a release: "release of 3 targets in shop".
func releaseWhere(rel *gate.ReleaseReport) string {
	where := fmt.Sprintf("release of %d targets", len(rel.Targets))
	if len(rel.Targets) == 1 {
		where = "release of 1 target"
	}
	var nss []string
	for _, t := range rel.Targets {
		if ns := t.Target.Namespace; ns != "" && !slices.Contains(nss, ns) {
			nss = append(nss, ns)
		}
	}
	if len(nss) > 0 {
		where += " in " + strings.Join(nss, ", ")
	}
	return where
}

func releaseSummary(ev Event, ci CIRun, mention string) message {
	rel := ev.Release
	where := releaseWhere(rel)
	dry := ""
	if slices.ContainsFunc(rel.Targets, func(t *gate.Report) bool { return t.DryRun }) {
		dry = " (dry run: nothing changed)"
	}
	var m message
	var bs []slack.Block
	verdict := ev.Stage == StageVerdict
	if verdict {
		v := releaseVerdict(rel)
		m.Color = v.color
		m.Text = escape(fmt.Sprintf("rollgate: %s: %s%s", where, strings.ToLower(v.title), dry))
		if v.failure && mention != "" {
			m.Text = mention + " " + m.Text
		}
		bs = append(bs, header(fmt.Sprintf("%s %s: %s%s", v.emoji, v.title, where, dry)))
	} else {
		m.Color = colorRunning
		m.Text = escape(fmt.Sprintf("rollgate: gating %s%s", where, dry))
		bs = append(bs, header(fmt.Sprintf(":hourglass_flowing_sand: Gating %s%s", where, dry)))
	}
	kubeContext := ""
	if len(rel.Targets) > 0 {
		kubeContext = rel.Targets[0].Context
	}
	bs = append(bs, fields("Targets", fmt.Sprint(len(rel.Targets)), "Policy", code(string(rel.Policy)), "Context", codeOrEmpty(kubeContext))...)
	if verdict && rel.Reason != "" {
		bs = append(bs, section("*Why:* %s", escape(rel.Reason))...)
	}
	bs = append(bs, targetLines(rel, verdict)...)
	bs = append(bs, smallPrint(ciLine(ci), releaseTiming(ev, rel))...)
	m.Blocks = capBlocks(bs)
	return m
}

// targetLines are a line per target, 20 to a section: its verdict and
// why, or, before the verdict, what it is doing.
func targetLines(rel *gate.ReleaseReport, verdict bool) []slack.Block {
	var lines []string
	for _, t := range rel.Targets {
		switch n := len(t.Timeline); {
		case verdict:
			line := fmt.Sprintf("%s *%s* %s", verdictOf(t).emoji, escape(t.Decision), code(t.Target.String()))
			if t.Reason != "" {
				line += " — " + escape(brief(t.Reason, 140))
			}
			lines = append(lines, line)
		case n > 0:
			e := t.Timeline[n-1]
			lines = append(lines, fmt.Sprintf(":hourglass_flowing_sand: %s %s %s", code(t.Target.String()), code(string(e.Phase)), escape(brief(e.Message, 140))))
		default:
			lines = append(lines, ":hourglass_flowing_sand: "+code(t.Target.String())+" waiting to start")
		}
	}
	var bs []slack.Block
	for chunk := range slices.Chunk(lines, 20) {
		bs = append(bs, section("%s", strings.Join(chunk, "\n"))...)
	}
	return bs
}

// brief cuts s to n runes with an ellipsis, before it is escaped.
func brief(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func releaseTiming(ev Event, rel *gate.ReleaseReport) string {
	parts := []string{code("rollgate " + rel.Command)}
	if !rel.StartedAt.IsZero() {
		parts = append(parts, "started "+rel.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if ev.Stage == StageVerdict && !rel.FinishedAt.IsZero() && !rel.StartedAt.IsZero() {
		parts = append(parts, "took "+rel.FinishedAt.Sub(rel.StartedAt).Round(time.Second).String())
	}
	return strings.Join(parts, " · ")
}

// releaseDetails are a release's thread: per target, the targets that
// did not pass first, its own message and its details (pods, checks,
// action), at most maxReleaseReplies of them; then the mention a failure
// asks for, once for the release.
func releaseDetails(rel *gate.ReleaseReport, mention string) []reply {
	targets := slices.Clone(rel.Targets)
	slices.SortStableFunc(targets, func(a, b *gate.Report) int { return boolRank(a.ExitCode == 0) - boolRank(b.ExitCode == 0) })
	var out []reply
	left := 0
	for _, t := range targets {
		rs := append([]reply{{Kind: replyTarget, message: summary(Event{Stage: StageVerdict, Report: t}, CIRun{}, "")}}, details(t, "")...)
		if len(out)+len(rs) > maxReleaseReplies-2 { // room for the note and the alert
			left++
			continue
		}
		out = append(out, rs...)
	}
	if left > 0 {
		text := fmt.Sprintf("… and %d more targets: their accounts are in the rollgate report", left)
		out = append(out, reply{Kind: replyTarget, message: message{Text: text, Blocks: smallPrint(text)}})
	}
	if v := releaseVerdict(rel); v.failure && mention != "" {
		text := fmt.Sprintf("%s %s: %s", mention, escape(releaseWhere(rel)), escape(strings.ToLower(v.title)))
		if rel.Reason != "" {
			text += ": " + escape(rel.Reason)
		}
		out = append(out, reply{Kind: replyAlert, Broadcast: v.loud,
			message: message{Text: clip(text, maxMessageText), Blocks: section("%s %s", v.emoji, text)}})
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// releaseWebhookBlocks are what a webhook's one verdict message adds for
// a release: the pods and checks of each target that did not pass.
func releaseWebhookBlocks(rel *gate.ReleaseReport) []slack.Block {
	var bs []slack.Block
	for _, t := range rel.Targets {
		if t.ExitCode == 0 {
			continue
		}
		more := append(podDetails(t), checkDetails(t.Analysis, true)...)
		if len(more) > 0 {
			bs = append(bs, section("*%s*", escape(t.Target.String()))...)
			bs = append(bs, more...)
		}
	}
	return bs
}
