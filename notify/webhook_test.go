package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify/slacktest"
)

func webhookFor(t *testing.T, url string, opts Options, events ...string) Notifier {
	t.Helper()
	s := &Slack{WebhookEnv: "SLACK_WEBHOOK_URL", Events: events, MentionOnFailure: mention}
	n, err := New(s, reports.Lookup(map[string]string{"SLACK_WEBHOOK_URL": url}), opts)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// run notifies every stage of a run that ends in verdict.
func run(t *testing.T, n Notifier, verdict *gate.Report) {
	t.Helper()
	notify(t, n, StageStart, reports.Started())
	notify(t, n, StagePreflight, reports.Started())
	notify(t, n, StageReadiness, reports.Started())
	notify(t, n, StageAnalysis, reports.Analysing())
	notify(t, n, StageVerdict, verdict)
}

func TestAWebhookRunSendsOneMessageAtTheVerdict(t *testing.T) {
	tests := []struct {
		name   string
		events []string
		want   []string // what each message says, in order
	}{
		{"by default only the verdict is sent", nil, []string{"Rolled back: deployment/api"}},
		{"with start in the events the start is sent too", []string{"start", "verdict"},
			[]string{"Gating deployment/api: starting", "Rolled back: deployment/api"}},
		{"progress cannot be sent: there is no message to update", []string{"progress", "verdict"}, []string{"Rolled back: deployment/api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slacktest.New(t)
			run(t, webhookFor(t, srv.WebhookURL(), Options{}, tt.events...), aFullRun())
			calls := srv.Calls()
			if len(calls) != len(tt.want) {
				t.Fatalf("%d webhook calls, want %d", len(calls), len(tt.want))
			}
			for i, c := range calls {
				if c.Method != "webhook" || !c.OK() || !strings.Contains(string(c.Attachments), tt.want[i]) {
					t.Errorf("call %d: %s %d %s, want a webhook message saying %q", i, c.Method, c.Status, c.Attachments, tt.want[i])
				}
			}
			last := string(calls[len(calls)-1].Attachments)
			for _, detail := range []string{"Last log lines", "intervals: pass · fail · fail", "rolled back to revision 2"} {
				if !strings.Contains(last, detail) {
					t.Errorf("the verdict lacks %q: a webhook has no thread, so the details go in the message", detail)
				}
			}
			if !strings.HasPrefix(calls[len(calls)-1].Text, mention) {
				t.Errorf("verdict text %q does not start with the mention", calls[len(calls)-1].Text)
			}
		})
	}
}

func TestAWebhookWaitsOutA429WithinTheBudget(t *testing.T) {
	srv := slacktest.New(t)
	n := webhookFor(t, srv.WebhookURL(), Options{Budget: 3 * time.Second})
	srv.Inject(slacktest.RateLimited(1))
	notify(t, n, StageVerdict, reports.Promoted())
	if calls := srv.Calls(); len(calls) != 2 || !calls[1].OK() {
		t.Errorf("calls %+v, want a 429 then a success", calls)
	}
}

func TestBothATokenAndAWebhookAreTold(t *testing.T) {
	srv := slacktest.New(t)
	s := &Slack{Channel: "#deploys", TokenEnv: "SLACK_BOT_TOKEN", WebhookEnv: "SLACK_WEBHOOK_URL", APIURL: srv.APIURL()}
	n, err := New(s, reports.Lookup(map[string]string{"SLACK_BOT_TOKEN": testToken, "SLACK_WEBHOOK_URL": srv.WebhookURL()}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, n, reports.Promoted())
	var bot, hook int
	for _, c := range srv.Calls() {
		switch c.Method {
		case "webhook":
			hook++
		case "chat.postMessage", "chat.update":
			bot++
		}
	}
	if hook != 1 || bot < 2 || len(srv.Messages()) != 1 {
		t.Errorf("%d webhook and %d bot calls, %d bot messages; want 1 webhook message and one bot message updated", hook, bot, len(srv.Messages()))
	}
}

func TestNewReportsWhatItCannotSetUp(t *testing.T) {
	tests := []struct {
		name    string
		slack   *Slack
		env     map[string]string
		wantErr string
		nop     bool
	}{
		{"no slack section tells nobody", nil, nil, "", true},
		{"a token variable that is not set is named", &Slack{Channel: "#d", TokenEnv: "SLACK_BOT_TOKEN"}, nil,
			"notify.slack.tokenEnv: $SLACK_BOT_TOKEN is not set", true},
		{"a webhook variable holding no URL is refused without echoing it", &Slack{WebhookEnv: "HOOK"},
			map[string]string{"HOOK": "xoxb-not-a-url"}, "notify.slack.webhookEnv: $HOOK does not hold an http(s) URL", true},
		{"a missing webhook still leaves the bot working", &Slack{Channel: "#d", TokenEnv: "T", WebhookEnv: "HOOK"},
			map[string]string{"T": testToken}, "$HOOK is not set", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := New(tt.slack, reports.Lookup(tt.env), Options{})
			if n == nil {
				t.Fatal("New returned a nil Notifier")
			}
			if (n == Nop) != tt.nop {
				t.Errorf("Notifier %T, want Nop: %v", n, tt.nop)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "xoxb-not-a-url") || strings.Contains(err.Error(), testToken)) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

// stuck never answers before ctx ends.
type stuck struct{ budget time.Duration }

func (s stuck) Notify(ctx context.Context, _ Event) error {
	ctx, cancel := budgeted(ctx, s.budget)
	defer cancel()
	<-ctx.Done()
	return ctx.Err()
}

func TestFanoutTellsEveryoneWithinOneBudget(t *testing.T) {
	budget := 200 * time.Millisecond
	n := Fanout(stuck{budget}, nil, Nop, stuck{budget}, stuck{budget})
	start := time.Now()
	err := n.Notify(context.Background(), Event{Stage: StageVerdict, Report: reports.Promoted()})
	if took := time.Since(start); took > 2*budget {
		t.Errorf("Fanout took %s for three notifiers of %s each: they must run side by side", took, budget)
	}
	if err == nil || strings.Count(err.Error(), "deadline") != 3 {
		t.Errorf("err = %v, want the three errors joined", err)
	}
	if Fanout() != Nop || Fanout(nil, Nop) != Nop {
		t.Error("an empty Fanout is not Nop")
	}
}
