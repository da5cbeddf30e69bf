package app

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/cmd/rollgate/ci"
	"github.com/rollgate/rollgate/gate"
)

// ciGate names secrets the way a real gate file does: by environment
// variable. Only the preflight runs in these tests.
const ciGate = `apiVersion: rollgate.dev/v1alpha1
kind: Gate
preflight: {missingRequests: off, missingLimits: off, missingReadinessProbe: off, serviceAccountToken: off}
analysis:
  prometheus: {url: http://prometheus:9090, bearerTokenEnv: PROM_TOKEN, basicAuth: {usernameEnv: PROM_USER, passwordEnv: PROM_PASSWORD}}
notify:
  slack: {channel: "#deploys", webhookEnv: SLACK_WEBHOOK_URL}
`

const ciManifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: app, image: "shop/api:%s"}]
`

// ciRun runs `rollgate check --preflight-only --manifest` (no cluster
// needed) in dir with the given extra environment and arguments.
func ciRun(t *testing.T, dir, tag string, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manifest := write("deploy.yaml", strings.Replace(ciManifest, "%s", tag, 1))
	config := write("gate.yaml", ciGate)
	var out, errOut bytes.Buffer
	argv := append([]string{"rollgate", "check", "--preflight-only", "--manifest", manifest, "-f", config}, args...)
	code = Run(context.Background(), argv, append([]string{"HOME=" + dir}, environ...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckUnderGitHubActions(t *testing.T) {
	dir := t.TempDir()
	output, summary := filepath.Join(dir, "github_output"), filepath.Join(dir, "step_summary")
	env := []string{"GITHUB_ACTIONS=true", "CI=true", "GITHUB_OUTPUT=" + output, "GITHUB_STEP_SUMMARY=" + summary, "RUNNER_TEMP=" + dir,
		"PROM_TOKEN=prom-s3cret", "PROM_USER=reader", "PROM_PASSWORD=pass\nword", "SLACK_BOT_TOKEN=xoxb-unused", "SLACK_WEBHOOK_URL=https://hooks.example/T0/B0",
		"ROLLGATE_JUNIT=" + filepath.Join(dir, "junit.xml"), "INPUT_NAMESPACE="}
	code, stdout, _ := ciRun(t, dir, "latest", env, "--dotenv", filepath.Join(dir, "gate.env"), "--summary", filepath.Join(dir, "summary.md"))
	if code != 1 {
		t.Fatalf("exit %d, want 1 (mutable tag)\n%s", code, stdout)
	}
	lines := strings.Split(stdout, "\n")
	wantMasks := []string{"::add-mask::prom-s3cret", "::add-mask::pass", "::add-mask::word", "::add-mask::https://hooks.example/T0/B0"}
	if got := lines[:len(wantMasks)]; !slices.Equal(got, wantMasks) {
		t.Errorf("the log must start with the masks, before anything else:\n%s", strings.Join(got, "\n"))
	}
	if strings.Contains(stdout, "xoxb-unused") {
		t.Error("only the variables the gate file names hold its secrets")
	}
	if strings.Contains(stdout, "::add-mask::reader") {
		t.Error("a user name is not a secret: masking it would garble every log line that mentions it")
	}
	group, end, verdict := strings.Index(stdout, "::group::rollgate preflight"), strings.Index(stdout, "::endgroup::"), strings.Index(stdout, "verdict: failed")
	if group < 0 || !(group < end && end < verdict) {
		t.Errorf("want the preflight folded in a group that closes before the verdict:\n%s", stdout)
	}
	if !strings.Contains(stdout, "::error title=preflight%3A mutableImage (container app)::container app image shop/api:latest") {
		t.Errorf("no error annotation for the failed rule:\n%s", stdout)
	}

	outputs := readFile(t, output)
	report := filepath.Join(dir, "rollgate-check-deployment-api.json")
	for _, want := range []string{"decision<<", "\nfailed\n", "exit-code<<", "\n1\n", "report<<", "\n" + report + "\n"} {
		if !strings.Contains(outputs, want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, outputs)
		}
	}
	var rep gate.Report
	if err := json.Unmarshal([]byte(readFile(t, report)), &rep); err != nil || rep.ExitCode != 1 {
		t.Errorf("the report output must point at the JSON report: %v, exit %d", err, rep.ExitCode)
	}
	md := readFile(t, summary)
	if !strings.HasPrefix(md, "## ❌ rollgate check `deployment/api`: failed") || readFile(t, filepath.Join(dir, "summary.md"))+"\n" != md {
		t.Errorf("step summary and --summary must be the same Markdown:\n%s", md)
	}
	for _, secret := range []string{"prom-s3cret", "hooks.example"} {
		for _, f := range []string{output, summary, report, filepath.Join(dir, "junit.xml"), filepath.Join(dir, "gate.env")} {
			if strings.Contains(readFile(t, f), secret) {
				t.Errorf("%s leaks %s", filepath.Base(f), secret)
			}
		}
	}
	checkJUnitFile(t, filepath.Join(dir, "junit.xml"), 2, 2)
	checkDotenvFile(t, filepath.Join(dir, "gate.env"), map[string]string{"ROLLGATE_DECISION": "failed", "ROLLGATE_EXIT_CODE": "1", "ROLLGATE_TARGET": "deployment/api"})
}

func TestCheckUnderGitLabCI(t *testing.T) {
	dir := t.TempDir()
	code, stdout, _ := ciRun(t, dir, "v2", []string{"GITLAB_CI=true", "CI=true"}, "--dotenv", filepath.Join(dir, "gate.env"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	start := strings.Index(stdout, "\x1b[0Ksection_start:")
	end := strings.Index(stdout, "\x1b[0Ksection_end:")
	if start < 0 || end < start || !strings.Contains(stdout, ":rollgate_1_preflight[collapsed=true]\r\x1b[0Krollgate preflight\n") ||
		end > strings.Index(stdout, "verdict: passed") {
		t.Errorf("want one collapsed preflight section ending before the verdict:\n%q", stdout)
	}
	if strings.Contains(stdout, "::") {
		t.Errorf("GitHub commands in a GitLab log:\n%s", stdout)
	}
	checkDotenvFile(t, filepath.Join(dir, "gate.env"), map[string]string{"ROLLGATE_DECISION": "passed", "ROLLGATE_EXIT_CODE": "0"})
}

// A report path that cannot be written is bad input found before the
// cluster is touched, whatever the gate would have decided.
func TestUnwritableCIReports(t *testing.T) {
	tests := []struct {
		name     string
		tag      string
		wantCode int
		wantErr  string
	}{
		{"a report that cannot be written stops a passing gate before it starts", "v2", 2, "--junit /nonexistent/junit.xml: cannot write it"},
		{"and a failing one too", "latest", 2, "--junit /nonexistent/junit.xml: cannot write it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := ciRun(t, t.TempDir(), tt.tag, nil, "--junit", "/nonexistent/junit.xml")
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// No dotenv variable may read as a flag's setting in a later job: GitLab
// exports them to every job after the gate, rollgate's included.
func TestDotenvKeysAreNoSettings(t *testing.T) {
	a := newApp(Env{}, &bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range a.Commands {
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if k := envName(n); slices.Contains(ci.DotenvKeys, k) || slices.Contains(ci.ReleaseDotenvKeys, k) || strings.HasSuffix(k, "_DECISION") {
					t.Errorf("dotenv key %s is the setting of %s --%s", k, c.Name, n)
				}
			}
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkJUnitFile(t *testing.T, path string, tests, failures int) {
	t.Helper()
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Failure *struct{} `xml:"failure"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal([]byte(readFile(t, path)), &doc); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	failed := 0
	for _, c := range doc.Cases {
		if c.Failure != nil {
			failed++
		}
	}
	if doc.Tests != tests || doc.Failures != failures || len(doc.Cases) != tests || failed != failures {
		t.Errorf("JUnit says %d tests %d failures and holds %d cases %d failed; want %d and %d",
			doc.Tests, doc.Failures, len(doc.Cases), failed, tests, failures)
	}
}

func checkDotenvFile(t *testing.T, path string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(v, "\r\n") {
			t.Errorf("not a single-line KEY=value: %q", line)
		}
		got[k] = v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
}

func TestBadInputUnderGitHubActionsStillSetsTheOutputs(t *testing.T) {
	dir := t.TempDir()
	output := filepath.Join(dir, "github_output")
	if err := os.WriteFile(output, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"rollgate", "check", "deployment/api", "--timeout", "soon"},
		[]string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + output}, &stdout, &stderr)
	got := readFile(t, output)
	if code != 2 || !strings.Contains(got, "\nbad-input\n") || !strings.Contains(got, "exit-code<<") {
		t.Errorf("exit %d, outputs:\n%s", code, got)
	}
}
