package ci

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/test/golden"
	"github.com/rollgate/rollgate/test/reports"
)

func TestReleaseGolden(t *testing.T) {
	for _, fx := range reports.ReleaseFixtures {
		t.Run(fx.Name, func(t *testing.T) {
			data, err := ReleaseJUnit(fx.Release())
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, fx.Name+".junit.xml", data)
			golden.Check(t, fx.Name+".env", ReleaseDotenv(fx.Release()))
			golden.Check(t, fx.Name+".summary.md", []byte(ReleaseSummary(fx.Release())))
		})
	}
}

func TestReleaseJUnitHasASuitePerTargetWithItsOwnCases(t *testing.T) {
	rel := reports.ReleaseAtomic()
	data, err := ReleaseJUnit(rel)
	if err != nil {
		t.Fatal(err)
	}
	p := parseJUnit(t, data)
	if len(p.Suites) != len(rel.Targets) {
		t.Fatalf("%d suites, want one per target (%d)", len(p.Suites), len(rel.Targets))
	}
	var total Counts
	for i, s := range p.Suites {
		target := rel.Targets[i]
		if s.Name != TargetName(target) {
			t.Errorf("suite %d is %q, want %q", i, s.Name, TargetName(target))
		}
		own := parseJUnit(t, must(JUnit(target)))
		want := Counts{Tests: own.Tests, Failures: own.Failures, Errors: own.Errors, Skipped: own.Skipped}
		if got := (Counts{Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped}); got != want || len(s.Cases) != want.Tests {
			t.Errorf("suite %s counts %+v with %d cases; the target's own JUnit has %+v", s.Name, got, len(s.Cases), want)
		}
		total = total.add(want)
	}
	if got := (Counts{Tests: p.Tests, Failures: p.Failures, Errors: p.Errors, Skipped: p.Skipped}); got != total {
		t.Errorf("totals %+v, suites add up to %+v", got, total)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

var targetKey = regexp.MustCompile(`^ROLLGATE_[A-Z0-9_]+_DECISION$`)

// checkReleaseDotenv asserts GitLab's rules on a release's dotenv.
func checkReleaseDotenv(t *testing.T, data []byte) map[string]string {
	t.Helper()
	if len(data) >= DotenvLimit {
		t.Errorf("dotenv is %d bytes, limit %d", len(data), DotenvLimit)
	}
	vals := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) > DotenvMaxVariables {
		t.Errorf("%d variables, GitLab takes %d", len(lines), DotenvMaxVariables)
	}
	for _, line := range lines {
		k, v, ok := strings.Cut(line, "=")
		switch {
		case !ok || v == "":
			t.Errorf("line %q is not KEY=value", line)
		case !slices.Contains(ReleaseDotenvKeys, k) && !targetKey.MatchString(k):
			t.Errorf("unknown key %s", k)
		case strings.ContainsAny(v, "\r\n#") || strings.TrimSpace(v) != v:
			t.Errorf("%s=%q is not a safe single-line value", k, v)
		}
		if _, dup := vals[k]; dup {
			t.Errorf("%s twice", k)
		}
		vals[k] = v
	}
	return vals
}

// manyTargets is a release of n Deployments named like the ones a Helm
// chart makes, in two namespaces when split.
func manyTargets(n int, split bool) *gate.ReleaseReport {
	rel := reports.ReleasePromoted()
	rel.Targets = nil
	for i := range n {
		r := reports.Retarget(reports.Promoted(), "shop-api-"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)))
		if split && i%2 == 1 {
			r.Target.Namespace = "shop-canary"
		}
		rel.Targets = append(rel.Targets, r)
	}
	return rel
}

func TestReleaseDotenv(t *testing.T) {
	tests := []struct {
		name    string
		release *gate.ReleaseReport
		want    map[string]string
		absent  []string
	}{
		{"an atomic release gives its verdict, its targets and a decision per target", reports.ReleaseAtomic(),
			map[string]string{"ROLLGATE_DECISION": "rolled-back", "ROLLGATE_EXIT_CODE": "1", "ROLLGATE_RELEASE": "atomic",
				"ROLLGATE_TARGETS": "deployment/api deployment/web deployment/worker", "ROLLGATE_TARGET_NAMESPACE": "shop",
				"ROLLGATE_DEPLOYMENT_API_DECISION": "rolled-back", "ROLLGATE_DEPLOYMENT_WEB_DECISION": "rolled-back",
				"ROLLGATE_DEPLOYMENT_WORKER_DECISION": "held"}, nil},
		{"names are upper-cased with every other character an underscore", manyTargets(2, false),
			map[string]string{"ROLLGATE_DEPLOYMENT_SHOP_API_AA_DECISION": "promoted", "ROLLGATE_DEPLOYMENT_SHOP_API_XBA_DECISION": "promoted"}, nil},
		{"targets in several namespaces are named with theirs, and no namespace variable is set", manyTargets(2, true),
			map[string]string{"ROLLGATE_TARGETS": "shop/deployment/shop-api-aa shop-canary/deployment/shop-api-xba",
				"ROLLGATE_SHOP_CANARY_DEPLOYMENT_SHOP_API_XBA_DECISION": "promoted"}, []string{"ROLLGATE_TARGET_NAMESPACE"}},
		{"a hundred targets keep GitLab's variable limit, the reason included", manyTargets(100, false),
			map[string]string{"ROLLGATE_REASON": "3 target(s), atomic release: all passed"}, []string{"ROLLGATE_DEPLOYMENT_SHOP_API_XVD_DECISION"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := checkReleaseDotenv(t, ReleaseDotenv(tt.release))
			for k, v := range tt.want {
				if vals[k] != v {
					t.Errorf("%s=%q, want %q", k, vals[k], v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := vals[k]; ok {
					t.Errorf("%s is set", k)
				}
			}
		})
	}
}

func TestReleaseSummary(t *testing.T) {
	md := ReleaseSummary(reports.ReleaseAtomic())
	for _, want := range []string{
		"## ❌ rollgate run: release of 3 targets: rolled-back\n",
		"| `shop/deployment/web` | ❌ rolled-back | 1 | release | the release is atomic and deployment/api failed",
		"| `shop/deployment/worker` | ⏸️ held | 3 | release |",
		"\n### ❌ rollgate run `deployment/api`: rolled-back\n",
		"\n#### Diagnosis\n",
		"| release | decided with the release: deployment/api failed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(md, "\n## ❌ rollgate run `") {
		t.Error("a target's summary is at the release's heading level")
	}
	big := manyTargets(100, false)
	for _, r := range big.Targets {
		r.Timeline = timelineOf(200).Timeline
	}
	if md := ReleaseSummary(big); len(md) > SummaryLimit || strings.Count(md, "\n### ") != 100 {
		t.Errorf("a release of 100 long targets: %d bytes (limit %d), %d target sections", len(md), SummaryLimit, strings.Count(md, "\n### "))
	}
}

func TestReleaseAnnotationsNameTheTargetsThatFailed(t *testing.T) {
	as := ReleaseAnnotations(reports.ReleaseAtomic())
	first := as[0]
	if first.Level != "error" || first.Title != "rollgate run release of 3 targets: rolled-back" ||
		!strings.HasPrefix(first.Message, "3 of 3 targets did not pass: shop/deployment/api rolled-back, shop/deployment/web rolled-back, shop/deployment/worker held.") {
		t.Errorf("first annotation %+v, want the release's verdict naming the failed targets", first)
	}
	var titles []string
	for _, a := range as[1:4] {
		titles = append(titles, a.Title)
	}
	if want := "rollgate run deployment/api: rolled-back|rollgate run deployment/web: rolled-back|rollgate run deployment/worker: held"; strings.Join(titles, "|") != want {
		t.Errorf("then %q, want each failed target's verdict %q", strings.Join(titles, "|"), want)
	}
	if len(as) > MaxAnnotations {
		t.Errorf("%d annotations", len(as))
	}
	if as := ReleaseAnnotations(reports.ReleasePromoted()); len(as) != 1 || as[0].Level != "notice" {
		t.Errorf("a release that passed: %+v, want one notice", as)
	}
	warned := reports.ReleasePromoted()
	warned.Warnings = []string{"slack: chat.postMessage: channel_not_found"}
	if as := ReleaseAnnotations(warned); len(as) != 2 || as[1].Level != "warning" || !strings.Contains(as[1].Message, "channel_not_found") {
		t.Errorf("a release's own warning: %+v", as)
	}
	if md := ReleaseSummary(warned); !strings.Contains(md, "**Warnings**\n\n- slack: chat.postMessage: channel_not_found\n") {
		t.Errorf("the summary lacks the release's warning")
	}
}

func TestGitHubReleaseStepFiles(t *testing.T) {
	dir := t.TempDir()
	out, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	var log bytes.Buffer
	g := NewGitHub(&log, runner(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": summary}))
	g.AnnotateRelease(reports.ReleaseAtomic())
	if err := g.PublishRelease(reports.ReleaseAtomic(), "/runner/temp/rollgate-run-release.json"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "release-atomic.github-log.txt", log.Bytes())
	outputs, _ := os.ReadFile(out)
	golden.Check(t, "release-atomic.github-output.txt", outputs)
	md, _ := os.ReadFile(summary)
	if string(md) != ReleaseSummary(reports.ReleaseAtomic())+"\n" {
		t.Errorf("the step summary is not the release's Markdown summary")
	}
	keys, values := ReleaseOutputs(reports.ReleaseAtomic(), "r.json")
	var decisions map[string]string
	if err := json.Unmarshal([]byte(values["decisions"]), &decisions); err != nil || decisions["deployment/worker"] != "held" {
		t.Errorf("decisions %q: %v", values["decisions"], err)
	}
	if !slices.Contains(keys, "deployment-worker-decision") || values["deployment-worker-decision"] != "held" {
		t.Errorf("no per-target output in %v", keys)
	}
}

func TestDefaultReleaseReportPath(t *testing.T) {
	gh := runner(map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_TEMP": "/runner/temp"})
	if got := DefaultReleaseReportPath(gh, "run"); got != "/runner/temp/rollgate-run-release.json" {
		t.Errorf("under GitHub Actions: %q", got)
	}
}
