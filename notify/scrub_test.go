package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/notify/slacktest"
)

const hookSecret = "T0LOCAL/B0LOCAL/WEBHOOKSECRETPART"

func TestScrubRemovesEverySpellingOfASecret(t *testing.T) {
	hook := "https://hooks.slack.com/services/" + hookSecret
	tests := []struct {
		name string
		err  error
	}{
		{"a url.Error quotes the webhook URL", &url.Error{Op: "Post", URL: hook, Err: errors.New("dial tcp: connection refused")}},
		{"slack-go wraps it once more", fmt.Errorf("failed to post webhook: %w", &url.Error{Op: "Post", URL: hook, Err: context.DeadlineExceeded})},
		{"a token in a form body", fmt.Errorf("bad request: token=%s&channel=C1", url.QueryEscape(testToken))},
		{"a token as is", fmt.Errorf("invalid token %s", testToken)},
		{"the webhook path behind another host", fmt.Errorf("redirected to http://proxy.internal:8080/services/%s", hookSecret)},
		{"a JSON-escaped URL", fmt.Errorf(`{"url":"%s"}`, strings.ReplaceAll(hook, "/", `\/`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Scrub(tt.err, testToken, hook)
			assertNoSecret(t, got, "SECRETTOKEN", "WEBHOOKSECRETPART")
			if !strings.Contains(got.Error(), Redacted) {
				t.Errorf("%q does not say what was redacted", got)
			}
		})
	}
	if Scrub(nil, testToken) != nil {
		t.Error("Scrub(nil) is not nil")
	}
	if got := Scrub(errors.New("plain"), "", " "); got.Error() != "plain" {
		t.Errorf("empty secrets changed the text: %q", got)
	}
}

func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		for _, text := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("error text shows a secret: %s", text)
				}
			}
		}
	}
}

// TestNoSecretInAnyReturnedError drives every failure a run can meet with
// a token and a webhook URL set and checks no error shows either.
func TestNoSecretInAnyReturnedError(t *testing.T) {
	srv := slacktest.New(t)
	srv.RequireToken("xoxb-the-right-one")
	unreachable := "http://127.0.0.1:1/services/" + hookSecret // nothing listens on port 1
	wrongPath := strings.TrimSuffix(srv.WebhookURL(), "/") + "x/" + hookSecret
	var errs []error
	try := func(n Notifier, stage Stage) {
		err := n.Notify(context.Background(), Event{Stage: stage, Report: reports.FailedRollback()})
		if err == nil {
			t.Errorf("%s: no error, want one", stage)
		}
		errs = append(errs, err)
	}
	for _, hook := range []string{unreachable, wrongPath} {
		s := &Slack{Channel: "#deploys", TokenEnv: "SLACK_BOT_TOKEN", WebhookEnv: "SLACK_WEBHOOK_URL", APIURL: srv.APIURL(),
			Events: []string{"start", "progress", "verdict"}}
		n, err := New(s, reports.Lookup(map[string]string{"SLACK_BOT_TOKEN": testToken, "SLACK_WEBHOOK_URL": hook}), Options{Budget: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		try(n, StageStart)                // invalid_auth from the bot, a dead or wrong webhook
		srv.Inject(slacktest.Status(500)) // for whichever asks first
		try(n, StageVerdict)
	}
	// A webhook URL that is not even a URL is refused without being shown.
	_, err := New(&Slack{WebhookEnv: "H"}, reports.Lookup(map[string]string{"H": "ht!tp://" + hookSecret + " " + testToken}), Options{})
	errs = append(errs, err)
	for _, err := range errs {
		assertNoSecret(t, err, testToken, "SECRETTOKEN", hookSecret, "WEBHOOKSECRETPART", unreachable, wrongPath)
	}
	if all := errors.Join(errs...).Error(); !strings.Contains(all, "invalid_auth") || !strings.Contains(all, "connection refused") ||
		!strings.Contains(all, "404") {
		t.Errorf("the errors do not say what went wrong:\n%s", all)
	}
}
