package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify/slacktest"
)

const testToken = "xoxb-1234567890-0987654321-SECRETTOKENVALUE"

// clock is a settable Now for the throttle.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = reports.T0.Add(d)
}

// botFor builds a bot-token notifier talking to srv.
func botFor(t *testing.T, srv *slacktest.Server, opts Options, edit ...func(*Slack)) Notifier {
	t.Helper()
	s := &Slack{Channel: "#deploys", TokenEnv: "SLACK_BOT_TOKEN", APIURL: srv.APIURL(), MentionOnFailure: mention,
		UpdateInterval: 10 * time.Second}
	for _, e := range edit {
		e(s)
	}
	env := map[string]string{"SLACK_BOT_TOKEN": testToken}
	for k, v := range reports.CIEnv {
		env[k] = v
	}
	n, err := New(s, reports.Lookup(env), opts)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func notify(t *testing.T, n Notifier, stage Stage, r *gate.Report) {
	t.Helper()
	if err := n.Notify(context.Background(), Event{Stage: stage, Report: r}); err != nil {
		t.Fatalf("Notify(%s): %v", stage, err)
	}
}

func methods(calls []slacktest.Call) string {
	var out []string
	for _, c := range calls {
		m := c.Method
		if c.ThreadTS != "" {
			m += "(thread)"
		}
		out = append(out, m)
	}
	return strings.Join(out, " ")
}

// aFullRun is a verdict with every detail: failing pods, checks, an action.
func aFullRun() *gate.Report {
	r := reports.RolledBack()
	r.Readiness = reports.ReadinessFailure().Readiness
	return r
}

func TestABotRunPostsOnceUpdatesTheSameMessageAndThreadsTheDetails(t *testing.T) {
	srv := slacktest.New(t)
	srv.RequireToken(testToken)
	n := botFor(t, srv, Options{})
	notify(t, n, StageStart, reports.Started())
	pre := reports.Started()
	pre.Timeline = append(pre.Timeline, gate.Event{Phase: "preflight", Message: "quota ok"})
	notify(t, n, StagePreflight, pre)
	ready := reports.Started()
	ready.Timeline = append(ready.Timeline, gate.Event{Phase: "readiness", Message: "2 of 3 updated replicas are available"})
	notify(t, n, StageReadiness, ready)
	notify(t, n, StageAnalysis, reports.Analysing())
	notify(t, n, StageVerdict, aFullRun())

	want := "chat.postMessage chat.update chat.update chat.update chat.update " +
		"chat.postMessage(thread) chat.postMessage(thread) chat.postMessage(thread) chat.postMessage(thread)"
	calls := srv.Calls()
	if got := methods(calls); got != want {
		t.Fatalf("calls:\n  %s\nwant\n  %s", got, want)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the channel, want exactly one", len(msgs))
	}
	m := msgs[0]
	for _, c := range calls[1:5] {
		if c.TS != m.TS || c.Channel != m.Channel {
			t.Errorf("chat.update of %s in %s, want the run's message %s in %s", c.TS, c.Channel, m.TS, m.Channel)
		}
	}
	for _, c := range calls {
		if c.Token != testToken {
			t.Errorf("%s carried token %q, want the bot token", c.Method, c.Token)
		}
	}
	if m.Updates != 4 || !strings.Contains(string(m.Attachments), "Rolled back: deployment/api") ||
		!strings.Contains(string(m.Attachments), colorDanger) {
		t.Errorf("the message was updated %d times and reads %s; want 4 updates ending red and rolled back", m.Updates, m.Attachments)
	}
	var kinds []string
	for _, r := range m.Replies {
		kinds = append(kinds, strings.Fields(r.Text)[0])
		if r.Broadcast {
			t.Errorf("reply %q was broadcast; only a failed rollback is", r.Text)
		}
	}
	if got := strings.Join(kinds, " "); got != "Failing Checks What "+mention {
		t.Errorf("thread replies begin %q, want pods, checks, action, then the mention", got)
	}
}

func TestProgressUpdatesAreThrottledToTheUpdateInterval(t *testing.T) {
	srv := slacktest.New(t)
	c := &clock{t: reports.T0}
	n := botFor(t, srv, Options{Now: c.Now})
	steps := []struct {
		name  string
		at    time.Duration
		stage Stage
		sent  bool
	}{
		{"the start is posted", 0, StageStart, true},
		{"the first readiness update is sent: a new stage", 0, StageReadiness, true},
		{"a readiness update right after it waits", 500 * time.Millisecond, StageReadiness, false},
		{"the first analysis update is sent: a new stage", time.Second, StageAnalysis, true},
		{"an update 4s later waits", 5 * time.Second, StageAnalysis, false},
		{"an update 8s later still waits", 9 * time.Second, StageAnalysis, false},
		{"an update 10s after the last one sent is sent", 11 * time.Second, StageAnalysis, true},
		{"an update right after it waits", 12 * time.Second, StageAnalysis, false},
		{"half an interval waits for the other checks, however late", 30 * time.Second, StageAnalysis, false},
		{"the verdict is never throttled", 31 * time.Second, StageVerdict, true},
	}
	for i, st := range steps {
		c.set(st.at)
		r := reports.Started()
		switch st.stage {
		case StageVerdict:
			r = reports.Promoted()
		case StageReadiness:
			r.Timeline = append(r.Timeline, gate.Event{Phase: "readiness", Message: st.name})
		}
		if st.stage == StageAnalysis {
			r = reports.Analysing()
			r.Timeline = append(r.Timeline, gate.Event{Phase: "analysis", Message: "measurement " + string(rune('a'+i))})
			if strings.HasPrefix(st.name, "half") {
				lat := r.Analysis.Checks[1]
				lat.Measurements = lat.Measurements[:1] // error-rate measured, p99-vs-stable not yet
			}
		}
		before := len(srv.Calls())
		notify(t, n, st.stage, r)
		if sent := len(srv.Calls()) > before; sent != st.sent {
			t.Errorf("%s: sent = %v, want %v", st.name, sent, st.sent)
		}
	}
}

func TestAnUpdateThatChangesNothingIsNotSent(t *testing.T) {
	srv := slacktest.New(t)
	n := botFor(t, srv, Options{})
	notify(t, n, StageReadiness, reports.Started())
	notify(t, n, StageReadiness, reports.Started())
	if got := methods(srv.Calls()); got != "chat.postMessage" {
		t.Errorf("calls %q, want one post and no update", got)
	}
}

func TestTheVerdictIsNeverLost(t *testing.T) {
	tests := []struct {
		name     string
		start    []slacktest.Fault // answers to the start post
		verdict  []slacktest.Fault // answers before the verdict
		messages int
		wantErr  bool // from the start
	}{
		{"a failed first post leaves the verdict to be posted as a new message", []slacktest.Fault{slacktest.Status(500)}, nil, 1, true},
		{"a deleted message gets the verdict posted anew", nil, []slacktest.Fault{slacktest.SlackError("message_not_found")}, 2, false},
		{"a message too old to edit gets the verdict posted anew", nil, []slacktest.Fault{slacktest.SlackError("cant_update_message")}, 2, false},
		{"a Slack stumbling on the verdict's update gets it posted anew", nil, []slacktest.Fault{slacktest.Status(503)}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slacktest.New(t)
			n := botFor(t, srv, Options{})
			srv.Inject(tt.start...)
			if err := n.Notify(context.Background(), Event{Stage: StageStart, Report: reports.Started()}); (err != nil) != tt.wantErr {
				t.Fatalf("start: err = %v, want error %v", err, tt.wantErr)
			}
			srv.Inject(tt.verdict...)
			notify(t, n, StageVerdict, reports.FailedRollback())
			msgs := srv.Messages()
			if len(msgs) != tt.messages {
				t.Fatalf("%d messages, want %d", len(msgs), tt.messages)
			}
			last := msgs[len(msgs)-1]
			if !strings.Contains(string(last.Attachments), "Rollback FAILED") || !strings.HasPrefix(last.Text, mention) {
				t.Errorf("the last message is not the loud verdict: %s %s", last.Text, last.Attachments)
			}
			if len(last.Replies) == 0 {
				t.Errorf("no details in the verdict's thread")
			}
		})
	}
}

func TestAFailedRollbackIsBroadcastWithTheMention(t *testing.T) {
	srv := slacktest.New(t)
	n := botFor(t, srv, Options{})
	notify(t, n, StageStart, reports.Started())
	notify(t, n, StageVerdict, reports.FailedRollback())
	replies := srv.Messages()[0].Replies
	alert := replies[len(replies)-1]
	if !alert.Broadcast || !strings.HasPrefix(alert.Text, mention) {
		t.Errorf("last reply %+v, want the mention broadcast to the channel", alert)
	}
}

func TestACancelledRunStillSaysSo(t *testing.T) {
	srv := slacktest.New(t)
	n := botFor(t, srv, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // SIGINT cancelled the run's context before the verdict
	if err := n.Notify(ctx, Event{Stage: StageVerdict, Report: reports.Cancelled()}); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || !strings.Contains(string(msgs[0].Attachments), "Cancelled") {
		t.Errorf("messages %+v, want the cancelled verdict", msgs)
	}
}

func TestEventsLimitWhatABotSends(t *testing.T) {
	srv := slacktest.New(t)
	n := botFor(t, srv, Options{}, func(s *Slack) { s.Events = []string{"verdict"} })
	notify(t, n, StageStart, reports.Started())
	notify(t, n, StageAnalysis, reports.Analysing())
	notify(t, n, StageVerdict, reports.Promoted())
	if got := methods(srv.Calls()); got != "chat.postMessage chat.postMessage(thread) chat.postMessage(thread)" {
		t.Errorf("calls %q, want only the verdict and its thread", got)
	}
}

func TestSlackTroubleStaysWithinTheBudget(t *testing.T) {
	tests := []struct {
		name    string
		faults  []slacktest.Fault
		budget  time.Duration
		wantErr string // "" for success
		minTime time.Duration
	}{
		{"a 429 within the budget is waited out and retried", []slacktest.Fault{slacktest.RateLimited(1)}, 5 * time.Second, "", time.Second},
		{"a 429 beyond the budget is given up at once", []slacktest.Fault{slacktest.RateLimited(30)}, 2 * time.Second,
			"rate limited: slack asked to retry after 30s, beyond the 2s budget", 0},
		{"a 429 without Retry-After waits a second", []slacktest.Fault{slacktest.Status(429)}, 5 * time.Second, "", time.Second},
		{"a 500 is a warning at once", []slacktest.Fault{slacktest.Status(500)}, 5 * time.Second, "slack answered HTTP 500 Internal Server Error", 0},
		{"a Slack error says what to do", []slacktest.Fault{slacktest.SlackError("not_in_channel")}, 5 * time.Second, "invite the bot to the channel", 0},
		{"a Slack that does not answer is given up at the budget", []slacktest.Fault{slacktest.Slow(time.Minute)}, 300 * time.Millisecond,
			"no answer within the 300ms budget", 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slacktest.New(t)
			n := botFor(t, srv, Options{Budget: tt.budget})
			srv.Inject(tt.faults...)
			start := time.Now()
			err := n.Notify(context.Background(), Event{Stage: StageStart, Report: reports.Started()})
			took := time.Since(start)
			if took > tt.budget+250*time.Millisecond || took < tt.minTime {
				t.Errorf("Notify took %s, want between %s and the %s budget", took, tt.minTime, tt.budget)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v, want success after the retry", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && len(srv.Messages()) != 1 {
				t.Errorf("%d messages after the retry, want 1", len(srv.Messages()))
			}
		})
	}
}

func TestAGatewayThatGivesNoTimestampGetsNoUpdatesButTheVerdict(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok": true}`) // no channel, no ts
	}))
	defer srv.Close()
	s := &Slack{Channel: "#deploys", TokenEnv: "T", APIURL: srv.URL + "/api"}
	n, err := New(s, reports.Lookup(map[string]string{"T": testToken}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, n, reports.RolledBack())
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(paths, " "); got != "/api/chat.postMessage /api/chat.postMessage" {
		t.Errorf("requests %q, want the start and the verdict posted, nothing to update or thread under", got)
	}
}

func TestAFailedProgressUpdateIsAWarningAndPostsNothingNew(t *testing.T) {
	srv := slacktest.New(t)
	n := botFor(t, srv, Options{})
	notify(t, n, StageStart, reports.Started())
	srv.Inject(slacktest.Status(503))
	err := n.Notify(context.Background(), Event{Stage: StageAnalysis, Report: reports.Analysing()})
	if err == nil || !strings.Contains(err.Error(), "chat.update") || !strings.Contains(err.Error(), "503") {
		t.Errorf("err = %v, want a warning naming chat.update and the 503", err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 {
		t.Errorf("%d messages, want still one: only the verdict is posted anew", len(msgs))
	}
}
