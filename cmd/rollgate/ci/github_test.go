package ci

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/test/golden"
)

func runner(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestGitHubStepFiles(t *testing.T) {
	dir := t.TempDir()
	out, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	var log bytes.Buffer
	g := NewGitHub(&log, runner(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": summary}))
	g.Mask([]string{"s3cr3t-token", "-----BEGIN KEY-----\nAAAA\n", ""})
	g.Annotate(reports.CIRolledBack())
	if err := g.Publish(reports.CIRolledBack(), "/runner/temp/rollgate-report.json"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "rolled-back.github-log.txt", log.Bytes())
	outputs, _ := os.ReadFile(out)
	golden.Check(t, "rolled-back.github-output.txt", outputs)
	md, _ := os.ReadFile(summary)
	if string(md) != Summary(reports.CIRolledBack())+"\n" {
		t.Errorf("the step summary is not the Markdown summary:\n%s", md)
	}
}

func TestGitHubWithoutRunnerFiles(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		wantErr string
	}{
		{"no GITHUB_OUTPUT or GITHUB_STEP_SUMMARY writes nothing and does not panic", map[string]string{"GITHUB_ACTIONS": "true"}, ""},
		{"an unwritable GITHUB_OUTPUT is an error naming the output", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": "/nonexistent/dir/output"},
			"github output decision"},
		{"outside GitHub Actions nothing happens at all", map[string]string{"GITHUB_OUTPUT": "/nonexistent/dir/output"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			g := NewGitHub(&log, runner(tt.vars))
			g.Mask([]string{"x"})
			g.Annotate(reports.CIRolledBack())
			err := g.Publish(reports.CIRolledBack(), "r.json")
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.vars["GITHUB_ACTIONS"] != "true" && log.Len() > 0 {
				t.Errorf("wrote to the log outside GitHub Actions: %q", log.String())
			}
		})
	}
}

func TestAnnotationsPutTheVerdictFirstAndStopAtTen(t *testing.T) {
	rep := reports.CIRolledBack()
	for i := range 20 {
		rep.Preflight = append(rep.Preflight, preflight.Finding{Rule: fmt.Sprintf("rule%d", i), Level: preflight.LevelFail, Message: "bad", Fix: "fix"})
	}
	as := Annotations(rep)
	if len(as) != MaxAnnotations {
		t.Fatalf("%d annotations, want %d", len(as), MaxAnnotations)
	}
	if as[0].Level != "error" || !strings.HasPrefix(as[0].Title, "rollgate run deployment/api: rolled-back") {
		t.Errorf("first annotation %+v, want the verdict", as[0])
	}
	if as[1].Title != "analysis: error-rate" {
		t.Errorf("second annotation %q, want the failed check before the preflight's findings", as[1].Title)
	}
	for _, a := range as {
		if a.Level != "error" {
			t.Errorf("a %s annotation made the cut while errors were left out: %+v", a.Level, a)
		}
	}
}

func TestDefaultReportPath(t *testing.T) {
	gh := runner(map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_TEMP": "/runner/temp"})
	if got := DefaultReportPath(gh, "run", reports.API); got != "/runner/temp/rollgate-run-deployment-api.json" {
		t.Errorf("under GitHub Actions: %q", got)
	}
	if got := DefaultReportPath(runner(map[string]string{"RUNNER_TEMP": "/tmp"}), "run", reports.API); got != "" {
		t.Errorf("elsewhere: %q, want none", got)
	}
}

func TestOutputGuard(t *testing.T) {
	tests := []struct {
		name     string
		already  string // what the command wrote to GITHUB_OUTPUT
		code     int
		wantDeci string // "" when the guard must write nothing
	}{
		{"bad input before any report still sets the outputs", "", 2, "bad-input"},
		{"outputs the command wrote are left alone", "decision<<EOF\nfailed\nEOF\n", 1, ""},
		{"a successful command without a report writes none", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "output")
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			g := GuardOutputs(runner(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": path}))
			if err := os.WriteFile(path, []byte(tt.already), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := g.Finish(tt.code); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			written := strings.TrimPrefix(string(got), tt.already)
			if tt.wantDeci == "" && written != "" || tt.wantDeci != "" && !strings.Contains(written, "\n"+tt.wantDeci+"\n") {
				t.Errorf("guard wrote %q, want decision %q", written, tt.wantDeci)
			}
		})
	}
	if GuardOutputs(runner(map[string]string{"GITHUB_OUTPUT": "/x"})) != nil {
		t.Error("a guard outside GitHub Actions")
	}
}
