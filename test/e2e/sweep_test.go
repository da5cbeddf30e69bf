package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/notify/slacktest"
)

// The secret sweep: every run of the binary gets each secret variable
// rollgate can be told to read set to a unique marker (unless the test sets
// that variable itself), every output a run leaves (stdout, stderr, each
// report file) is recorded, and TestMain fails when any marker, or any
// secret a test registered, shows up in any of them.
//
// The variables are the names the gate file's *Env and *_ref fields use in
// rollgate's docs and examples (gate/config: notify.slack.tokenEnv and
// webhookEnv, analysis.prometheus.bearerTokenEnv, basicAuth.passwordEnv,
// http.*_ref, sigv4's AWS variables) and the tokens CI systems put in every
// job's environment. rollgate reads no other secret from the environment.
var markerVars = []string{
	"SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", // notify.slack.tokenEnv / webhookEnv
	"PROM_TOKEN", "PROM_PASSWORD", "MIMIR_PASSWORD", // analysis.prometheus.bearerTokenEnv, basicAuth.passwordEnv, http.*_ref
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", // analysis.prometheus.sigv4
	"PROM_CLIENT_SECRET",                                                                            // analysis.prometheus.http.oauth2.client_secret_ref
	"GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD", // in CI jobs' environment
}

// reportFlags name files a run writes; reportVars the variables that do.
var (
	reportFlags = []string{"--report", "--junit", "--dotenv", "--summary"}
	reportVars  = []string{"ROLLGATE_REPORT", "ROLLGATE_JUNIT", "ROLLGATE_DOTENV", "ROLLGATE_SUMMARY", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV"}
)

// secretWords mark a variable a test passes as holding a secret; its value
// is then swept for too. (The same words rollgate's last-resort scrub uses.)
var secretWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "_KEY", "WEBHOOK", "CREDENTIAL", "AUTH"}

type sweepOutput struct{ test, what, content string }

type secretSweep struct {
	mu      sync.Mutex
	markers map[string]string // marker or secret -> what it is, for the failure message
	outputs []sweepOutput
	runs    int
}

var sweep = newSweep()

func newSweep() *secretSweep {
	s := &secretSweep{markers: map[string]string{}}
	return s
}

// markerEnv is the environment every run gets: each marker variable the
// test's own extra variables do not set (a test unsets one with "NAME=").
func (s *secretSweep) markerEnv(extra []string) []string {
	set := map[string]bool{}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		set[k] = true
	}
	var out []string
	for _, name := range markerVars {
		if !set[name] {
			out = append(out, name+"="+s.marker(name))
		}
	}
	return out
}

// marker is the value of the marker variable name, made once per process.
func (s *secretSweep) marker(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for v, what := range s.markers {
		if what == "the marker value of $"+name {
			return v
		}
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	v := "rgmarker-" + strings.ToLower(name) + "-" + hex.EncodeToString(b)
	if name == "SLACK_WEBHOOK_URL" {
		v = "https://hooks.invalid/services/" + v // a webhook variable holds a URL
	}
	s.markers[v] = "the marker value of $" + name
	return v
}

// secret registers a value a test hands rollgate (in a file, a variable):
// it must never be in any output either.
func (s *secretSweep) secret(what string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(strings.TrimSpace(v)) >= 6 {
			s.markers[strings.TrimSpace(v)] = what
		}
	}
}

// secretsIn registers the values of the secret-looking variables a test
// passes.
func (s *secretSweep) secretsIn(test string, extra []string) {
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(k, "_ENV") && !config.LooksLikeCredential(v) {
			continue // ROLLGATE_SLACK_TOKEN_ENV holds a variable's name, which messages must show
		}
		for _, w := range secretWords {
			if strings.Contains(strings.ToUpper(k), w) {
				s.secret(fmt.Sprintf("$%s as %s sets it", k, test), v)
				break
			}
		}
	}
}

// record keeps what one finished run left: its output streams and every
// report file its arguments or variables name.
func (s *secretSweep) record(test string, args, extra []string, stdout, stderr string) {
	outs := []sweepOutput{{test, "stdout", withoutMasks(stdout)}, {test, "stderr", stderr}}
	for _, path := range reportPaths(args, extra) {
		if b, err := os.ReadFile(path); err == nil {
			outs = append(outs, sweepOutput{test, path, string(b)})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outputs = append(s.outputs, outs...)
	s.runs++
}

// withoutMasks drops GitHub's ::add-mask::VALUE lines: the runner
// consumes each and hides VALUE everywhere after it, so that is the one
// line that must carry the secret.
func withoutMasks(stdout string) string {
	lines := strings.Split(stdout, "\n")
	out := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "::add-mask::") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func reportPaths(args, extra []string) []string {
	var out []string
	for i, a := range args {
		for _, f := range reportFlags {
			if a == f && i+1 < len(args) {
				out = append(out, args[i+1])
			} else if v, ok := strings.CutPrefix(a, f+"="); ok {
				out = append(out, v)
			}
		}
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		for _, name := range reportVars {
			if k == name && v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// slackServer is a fake Slack whose every message the sweep reads when the
// test ends: what rollgate tells Slack is output too (the token each call
// carries is its credential, not output).
func slackServer(t *testing.T) *slacktest.Server {
	t.Helper()
	srv := slacktest.New(t)
	t.Cleanup(func() {
		var b strings.Builder
		for _, c := range srv.Calls() {
			fmt.Fprintf(&b, "%s %s %s\n%s\n%s\n", c.Method, c.Channel, c.Text, c.Blocks, c.Attachments)
		}
		sweep.mu.Lock()
		sweep.outputs = append(sweep.outputs, sweepOutput{t.Name(), "the messages to Slack", b.String()})
		sweep.mu.Unlock()
	})
	return srv
}

// leaks are the markers and secrets found, one line each.
func (s *secretSweep) leaks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.outputs {
		for v, what := range s.markers {
			if strings.Contains(o.content, v) {
				out = append(out, fmt.Sprintf("%s: %s shows %s", o.test, o.what, what))
			}
		}
	}
	sort.Strings(out)
	return out
}

// report says what the sweep checked and what it found; false when a
// secret leaked.
func (s *secretSweep) report() bool {
	leaks := s.leaks()
	s.mu.Lock()
	runs, outputs, markers := s.runs, len(s.outputs), len(s.markers)
	s.mu.Unlock()
	if len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: secret sweep: %d secret(s) in the output of rollgate:\n  %s\n", len(leaks), strings.Join(leaks, "\n  "))
		return false
	}
	if runs > 0 {
		fmt.Fprintf(os.Stderr, "e2e: secret sweep: %d outputs of %d rollgate runs hold none of %d markers and secrets\n", outputs, runs, markers)
	}
	return true
}

func TestTheSecretSweepFindsAMarkerInAReportFile(t *testing.T) {
	s := newSweep()
	marker := s.marker("PROM_TOKEN")
	env := s.markerEnv([]string{"SLACK_BOT_TOKEN=mine-xoxb-4242"})
	if !strings.Contains(strings.Join(env, "\n"), "PROM_TOKEN="+marker) || strings.Contains(strings.Join(env, "\n"), "SLACK_BOT_TOKEN=") {
		t.Fatalf("every marker variable but the one the test sets gets its marker: %v", env)
	}
	s.secretsIn(t.Name(), []string{"SLACK_BOT_TOKEN=mine-xoxb-4242", "ROLLGATE_NAMESPACE=shop"})
	report := t.TempDir() + "/report.json"
	writeFile(t, report, `{"error":"token `+marker+` refused"}`)
	s.record(t.Name(), []string{"run", "--report", report}, nil, "clean", "also clean, shop")
	s.record(t.Name(), nil, nil, "::add-mask::"+marker+"\nmasked", "slack said mine-xoxb-4242")
	leaks := s.leaks()
	if len(leaks) != 2 || !strings.Contains(leaks[0]+leaks[1], report+" shows the marker value of $PROM_TOKEN") ||
		!strings.Contains(leaks[0]+leaks[1], "stderr shows $SLACK_BOT_TOKEN") {
		t.Errorf("leaks %q; want the marker in the report file and the test's own token in stderr", leaks)
	}
}
