package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/slack-go/slack"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/notify/slacktest"
	"github.com/rollgate/rollgate/test/golden"
)

// renderCase is one message to render: a report at a stage.
type renderCase struct {
	name   string
	file   string // its golden file under testdata/
	stage  Stage
	report func() *gate.Report
}

var renderCases = []renderCase{
	{"a start says which revision and images are under gate", "start", StageStart, reports.Started},
	{"an analysis update shows the check table so far", "analysis-progress", StageAnalysis, reports.Analysing},
	{"a promotion is green and names the rule", "promoted", StageVerdict, reports.Promoted},
	{"a hold is yellow and gives the commands to copy", "held-with-commands", StageVerdict, reports.HeldWithCommands},
	{"an inconclusive analysis is a hold that says not enough data", "inconclusive", StageVerdict, reports.Inconclusive},
	{"a rollback is red with the failing check", "rolled-back", StageVerdict, reports.RolledBack},
	{"a dry run says so and that nothing was applied", "dry-run", StageVerdict, reports.DryRun},
	{"a failed rollback is the loudest: red, mentioned, broadcast", "failed-rollback", StageVerdict, reports.FailedRollback},
	{"a runtime error is red and says what to do", "error", StageVerdict, reports.RuntimeError},
	{"a cancelled run is grey and still gives the commands", "cancelled", StageVerdict, reports.Cancelled},
	{"a superseded run is grey and names the newer revision", "superseded", StageVerdict, reports.Superseded},
	{"a readiness failure names the pods, their events and logs", "readiness-failure", StageVerdict, reports.ReadinessFailure},
	{"a quota preflight failure names the resource, need and headroom", "quota-failure", StageVerdict, reports.QuotaFailure},
}

const mention = "<!subteam^S0DEPLOYERS>"

func TestRenderedBlocksMatchTheGoldenFiles(t *testing.T) {
	ci := CIFrom(reports.Lookup(reports.CIEnv))
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Stage: tc.stage, Report: tc.report()}
			out := struct {
				Message message `json:"message"`
				Thread  []reply `json:"thread,omitempty"`
			}{Message: summary(ev, ci, mention)}
			if tc.stage == StageVerdict {
				out.Thread = details(ev.Report, mention)
			}
			golden.Check(t, tc.file+".json", goldenJSON(t, out))
		})
	}
}

// goldenJSON is v as its golden file holds it.
func goldenJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // golden files people can read: <, > and & as Slack gets them
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestEveryRenderedMessageIsOneSlackAccepts(t *testing.T) {
	ci := CIFrom(reports.Lookup(reports.CIEnv))
	for _, tc := range append(renderCases, renderCase{"a huge report is cut to Slack's limits", "", StageVerdict, huge}) {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Stage: tc.stage, Report: tc.report()}
			check := func(what string, m message) {
				t.Helper()
				att, _ := json.Marshal([]slack.Attachment{{Color: m.Color, Blocks: slack.Blocks{BlockSet: m.Blocks}}})
				if err := slacktest.Validate(m.Text, nil, att); err != nil {
					t.Errorf("%s: Slack would refuse it: %v", what, err)
				}
			}
			check("message", summary(ev, ci, mention))
			for _, r := range details(ev.Report, mention) {
				check("thread reply "+r.Kind, r.message)
			}
			w := &webhook{settings: settings{ci: ci, mention: mention}}
			check("webhook message", w.message(ev))
		})
	}
}

// huge is a report bigger than any message: many checks, long reasons,
// long logs.
func huge() *gate.Report {
	r := reports.ReadinessFailure()
	r.Reason = strings.Repeat("a very long reason & <more> ", 400)
	a := reports.Analysis(analysis.Failed, strings.Repeat("rule ", 1000), reports.P, reports.F, reports.F)
	for i := 0; i < 60; i++ {
		c := *a.Checks[0]
		c.Name = strings.Repeat("x", 40) + string(rune('a'+i%26))
		a.Checks = append(a.Checks, &c)
	}
	r.Analysis = a
	d := &r.Readiness.Diagnosis[1]
	for i := 0; i < 500; i++ {
		d.Logs = append(d.Logs, strings.Repeat("log line with ``` and <tags> & more ", 3))
	}
	for i := 0; i < 30; i++ {
		r.Readiness.Diagnosis = append(r.Readiness.Diagnosis, r.Readiness.Diagnosis[1])
	}
	return r
}

func TestClipKeepsMrkdwnWhole(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		n     int
		check func(string) bool
	}{
		{"text within the limit is untouched", "short", 10, func(s string) bool { return s == "short" }},
		{"a long text is cut to the limit and says so", strings.Repeat("é", 5000), 3000,
			func(s string) bool { return utf8.RuneCountInString(s) <= 3000 && strings.HasSuffix(s, "(truncated)") }},
		{"a cut inside a code block closes the block", "```\n" + strings.Repeat("x", 5000) + "\n```", 100,
			func(s string) bool { return strings.Count(s, "```") == 2 && utf8.RuneCountInString(s) <= 100 }},
		{"a cut never splits an escaped entity", strings.Repeat("a", 80) + strings.Repeat("&amp;", 20), 90,
			func(s string) bool {
				return !strings.Contains(strings.TrimSuffix(s, truncated), "&am\n") && strings.Count(s, "&") == strings.Count(s, "&amp;")
			}},
		{"a cut never splits a link", strings.Repeat("a", 80) + "<https://example.com/run/1|run 1>", 90,
			func(s string) bool { return !strings.Contains(s, "<https") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.n); !tt.check(got) {
				t.Errorf("clip(…, %d) = %q", tt.n, got)
			}
		})
	}
}

func TestUserTextCannotBreakTheMarkup(t *testing.T) {
	r := reports.Finished(gate.DecisionFailed, "<!channel> & <https://evil.example|click>")
	m := summary(Event{Stage: StageVerdict, Report: r}, CIRun{}, "")
	b, _ := json.Marshal(m)
	if bytes.Contains(b, []byte("<!channel>")) || bytes.Contains(b, []byte("<https://evil")) {
		t.Errorf("the reason went into the message unescaped: %s", b)
	}
}

func TestCIVariablesGiveTheRunLinkActorAndCommit(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want CIRun
	}{
		{"GitHub Actions links the run and the commit", reports.CIEnv, CIRun{Name: "GitHub Actions run 7311",
			URL: "https://github.com/shop/api/actions/runs/7311", Actor: "octocat", Commit: "4f2a9c1",
			CommitURL: "https://github.com/shop/api/commit/4f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"}},
		{"GitLab CI links the job", map[string]string{"GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example.com/shop/api/-/jobs/99",
			"GITLAB_USER_LOGIN": "dev", "CI_COMMIT_SHORT_SHA": "4f2a9c1d"}, CIRun{Name: "GitLab CI job",
			URL: "https://gitlab.example.com/shop/api/-/jobs/99", Actor: "dev", Commit: "4f2a9c1d"}},
		{"GitLab CI without a job URL links the pipeline", map[string]string{"GITLAB_CI": "true", "CI_PIPELINE_URL": "https://gitlab.example.com/p/1"},
			CIRun{Name: "GitLab CI pipeline", URL: "https://gitlab.example.com/p/1"}},
		{"outside CI there is nothing to say", map[string]string{"HOME": "/root"}, CIRun{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CIFrom(reports.Lookup(tt.env)); got != tt.want {
				t.Errorf("ciFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}
