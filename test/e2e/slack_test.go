package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rollgate/rollgate/notify/slacktest"
)

const slackToken = "xoxb-e2e-secret-token-4242"

// slackGate is the run fixture's gate file telling Slack.
func (f *runFixture) slackGate(t testing.TB, slack string) string {
	t.Helper()
	return f.gate(t, "notify:\n  slack: "+slack)
}

func TestRunTellsSlackOneLivingMessagePerRun(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	slack := slackServer(t)
	slack.RequireToken(slackToken)
	gateFile := f.slackGate(t, fmt.Sprintf(`{channel: "#deploys", tokenEnv: SLACK_BOT_TOKEN, webhookEnv: SLACK_WEBHOOK_URL, apiURL: %q, updateInterval: 1s}`, slack.APIURL()))
	secrets := []string{"SLACK_BOT_TOKEN=" + slackToken, "SLACK_WEBHOOK_URL=" + slack.WebhookURL()}

	f.release(t, "v2", healthy)
	rollgateEnv(t, env.kubeconfig, secrets, "run", "deployment/api", "-n", f.ns, "-f", gateFile).expect(t, 0, "promote revision 2")
	msgs := slack.Messages()
	if len(msgs) != 1 {
		t.Fatalf("the promoted run posted %d top-level messages, want 1: %+v", len(msgs), msgs)
	}
	promoted := msgs[0]
	if promoted.Updates < 2 || !strings.Contains(strings.ToLower(promoted.Text), "promoted") {
		t.Errorf("promoted run: %d updates, final text %q; want the start message updated to the verdict", promoted.Updates, promoted.Text)
	}
	if len(promoted.Replies) == 0 {
		t.Error("the promoted run put no details in the thread")
	}

	waitAvailable(t, f.ns, "api")
	f.release(t, "v3", profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	rollgateEnv(t, env.kubeconfig, secrets, "run", "deployment/api", "-n", f.ns, "-f", gateFile).expect(t, 1, "roll back deployment")
	msgs = slack.Messages()
	if len(msgs) != 2 {
		t.Fatalf("after two runs there are %d top-level messages, want 2", len(msgs))
	}
	rolled := msgs[1]
	thread := ""
	for _, r := range rolled.Replies {
		thread += string(r.Blocks) + string(r.Attachments) + r.Text
	}
	if !strings.Contains(strings.ToLower(rolled.Text), "rolled back") || !strings.Contains(thread, "error-rate") {
		t.Errorf("rolled-back run: text %q, thread without the check table: %s", rolled.Text, thread)
	}
	hooks := 0
	for _, c := range slack.Calls() {
		if c.Method == "webhook" {
			hooks++
		}
	}
	if hooks != 2 {
		t.Errorf("the webhook was called %d times, want once per run at the verdict", hooks)
	}
}

func TestSlackTroubleChangesNothingAndLeaksNoSecret(t *testing.T) {
	t.Parallel()
	f := newRunFixture(t)
	slack := slackServer(t)
	// Every Slack call fails: rate limited first, then server errors.
	slack.Inject(slacktest.RateLimited(1), slacktest.Status(500))
	for range 50 {
		slack.Inject(slacktest.Status(500))
	}
	gateFile := f.slackGate(t, fmt.Sprintf(`{channel: "#deploys", tokenEnv: SLACK_BOT_TOKEN, webhookEnv: SLACK_WEBHOOK_URL, apiURL: %q}`, slack.APIURL()))
	secrets := []string{"SLACK_BOT_TOKEN=" + slackToken, "SLACK_WEBHOOK_URL=" + slack.WebhookURL()}
	f.release(t, "v2", profile{RPS: 40, ErrorRatio: 0.5, Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	for _, name := range []string{"step-summary.md", "github-output"} {
		writeFile(t, filepath.Join(dir, name), "")
	}
	github := []string{"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "step-summary.md"), "GITHUB_OUTPUT=" + filepath.Join(dir, "github-output")}
	r := rollgateEnv(t, env.kubeconfig, append(secrets, github...), "run", "deployment/api", "-n", f.ns, "-f", gateFile, "--report", report,
		"--junit", filepath.Join(dir, "junit.xml"), "--summary", filepath.Join(dir, "summary.md"), "--dotenv", filepath.Join(dir, "rollgate.env"))
	r.expect(t, 1, "analysis failed", "roll back deployment", "slack:")
	body := readFile(t, report)
	var rep struct{ Warnings []string }
	if err := json.Unmarshal([]byte(body), &rep); err != nil || len(rep.Warnings) == 0 {
		t.Errorf("the report has no Slack warning: %v %v", rep.Warnings, err)
	}
	// ::add-mask::VALUE is how a secret is masked: the runner consumes the
	// line and hides VALUE everywhere after it; every other line must not
	// carry it.
	var stdout []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			stdout = append(stdout, line)
		}
	}
	files := map[string]string{"stdout": strings.Join(stdout, "\n"), "stderr": r.stderr, "report": body}
	for _, name := range []string{"junit.xml", "summary.md", "rollgate.env", "step-summary.md", "github-output"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 {
			t.Errorf("%s was not written: %v", name, err)
		}
		files[name] = string(b)
	}
	// Under GitHub Actions the secrets are masked before anything is printed.
	if !strings.Contains(r.stdout, "::add-mask::") {
		t.Error("no ::add-mask:: for the secrets under GitHub Actions")
	}
	hookPath := slack.WebhookURL()[strings.Index(slack.WebhookURL(), "/services/"):]
	for name, content := range files {
		for _, secret := range []string{slackToken, slack.WebhookURL(), hookPath} {
			if strings.Contains(content, secret) {
				t.Errorf("%s contains the secret %q", name, secret)
			}
		}
	}
}
