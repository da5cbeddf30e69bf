package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify/slacktest"
	"github.com/rollgate/rollgate/test/golden"
	"github.com/rollgate/rollgate/test/reports"
)

var releaseCases = []struct {
	name    string
	file    string
	stage   Stage
	release func() *gate.ReleaseReport
}{
	{"a release's start names its targets", "release-start", StageStart, reports.ReleaseStarted},
	{"an update shows each target's latest step", "release-progress", StageAnalysis, reports.ReleaseAnalysing},
	{"an atomic rollback is red, a line per target, each target's account in the thread", "release-atomic", StageVerdict, reports.ReleaseAtomic},
	{"an independent release says how each target went", "release-independent", StageVerdict, reports.ReleaseIndependent},
	{"a release that passed everywhere is green and mentions nobody", "release-promoted", StageVerdict, reports.ReleasePromoted},
}

func TestReleaseMessagesMatchTheGoldenFiles(t *testing.T) {
	ci := CIFrom(reports.Lookup(reports.CIEnv))
	for _, tc := range releaseCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Stage: tc.stage, Release: tc.release()}
			out := struct {
				Message message `json:"message"`
				Thread  []reply `json:"thread,omitempty"`
			}{Message: ev.message(ci, mention)}
			if tc.stage == StageVerdict {
				out.Thread = ev.thread(mention)
			}
			golden.Check(t, tc.file+".json", goldenJSON(t, out))
		})
	}
}

// bigRelease is a release of n failed targets, each with a long reason.
func bigRelease(n int) *gate.ReleaseReport {
	rel := reports.ReleaseAtomic()
	rel.Targets = nil
	for i := range n {
		r := reports.Retarget(reports.ReadinessFailure(), fmt.Sprintf("api-%03d", i))
		r.ExitCode, r.Reason = 1, strings.Repeat("a long reason & <more> ", 40)
		rel.Targets = append(rel.Targets, r)
	}
	return rel
}

func TestEveryReleaseMessageIsOneSlackAccepts(t *testing.T) {
	ci := CIFrom(reports.Lookup(reports.CIEnv))
	cases := append(releaseCases[:len(releaseCases):len(releaseCases)], struct {
		name    string
		file    string
		stage   Stage
		release func() *gate.ReleaseReport
	}{"a release of 100 failed targets is cut to Slack's limits", "", StageVerdict, func() *gate.ReleaseReport { return bigRelease(100) }})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := Event{Stage: tc.stage, Release: tc.release()}
			check := func(what string, m message) {
				t.Helper()
				att, _ := json.Marshal([]slack.Attachment{{Color: m.Color, Blocks: slack.Blocks{BlockSet: m.Blocks}}})
				if err := slacktest.Validate(m.Text, nil, att); err != nil {
					t.Errorf("%s: Slack would refuse it: %v", what, err)
				}
			}
			check("message", ev.message(ci, mention))
			thread := ev.thread(mention)
			if len(thread) > maxReleaseReplies {
				t.Errorf("%d thread replies, at most %d", len(thread), maxReleaseReplies)
			}
			for _, r := range thread {
				check("thread reply "+r.Kind, r.message)
			}
			w := &webhook{settings: settings{ci: ci, mention: mention}}
			check("webhook message", w.message(ev))
		})
	}
}

func TestABotReleasePostsOneMessageAndThreadsEachTarget(t *testing.T) {
	srv := slacktest.New(t)
	srv.RequireToken(testToken)
	n := botFor(t, srv, Options{})
	for _, ev := range []Event{{Stage: StageStart, Release: reports.ReleaseStarted()}, {Stage: StageAnalysis, Release: reports.ReleaseAnalysing()},
		{Stage: StageVerdict, Release: reports.ReleaseAtomic()}} {
		if err := n.Notify(t.Context(), ev); err != nil {
			t.Fatalf("Notify(%s): %v", ev.Stage, err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the channel, want the release's one", len(msgs))
	}
	m := msgs[0]
	att := string(m.Attachments)
	if m.Updates != 1 || !strings.Contains(att, "Rolled back: release of 3 targets in shop") {
		t.Errorf("updated %d times, reads %s; want the start updated to the release's verdict (the progress is throttled)", m.Updates, att)
	}
	for _, target := range []string{"`deployment/api`", "`deployment/web`", "`deployment/worker`"} {
		if !strings.Contains(att, target) {
			t.Errorf("the message has no line for %s", target)
		}
	}
	var got []string
	for _, r := range m.Replies {
		got = append(got, strings.SplitN(r.Text, ":", 2)[0])
	}
	want := "rollgate|Failing pods of deployment/api|What rollgate did to deployment/api|rollgate|Checks of deployment/web|What rollgate did to deployment/web|rollgate|" + mention + " release of 3 targets in shop"
	if strings.Join(got, "|") != want {
		t.Errorf("thread:\n  %s\nwant\n  %s", strings.Join(got, "|"), want)
	}
	for _, r := range m.Replies[:1] {
		if !strings.Contains(r.Text, "deployment/api") {
			t.Errorf("the first reply is %q, want api's own message", r.Text)
		}
	}
}

func TestAWebhookReleaseSendsOneMessageAtTheVerdict(t *testing.T) {
	srv := slacktest.New(t)
	n := webhookFor(t, srv.WebhookURL(), Options{})
	for _, ev := range []Event{{Stage: StageStart, Release: reports.ReleaseStarted()}, {Stage: StageVerdict, Release: reports.ReleaseAtomic()}} {
		if err := n.Notify(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	calls := srv.Calls()
	if len(calls) != 1 || !calls[0].OK() {
		t.Fatalf("%d webhook calls, want the verdict's one", len(calls))
	}
	att := string(calls[0].Attachments)
	for _, want := range []string{"Rolled back: release of 3 targets in shop", "`deployment/worker`", "Last log lines"} {
		if !strings.Contains(att, want) {
			t.Errorf("the webhook message lacks %q", want)
		}
	}
}
