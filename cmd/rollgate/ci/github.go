package ci

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// GitHubOutputs are the step outputs Publish writes; action.yml maps them.
var GitHubOutputs = []string{"decision", "exit-code", "report"}

// GitHub writes what a GitHub Actions runner reads from a step: masks,
// annotations and groups in the log, outputs in $GITHUB_OUTPUT and the
// summary in $GITHUB_STEP_SUMMARY. A nil *GitHub does nothing, so callers
// need not ask where they run.
type GitHub struct {
	action *githubactions.Action
	getenv func(string) string
}

// OnGitHub reports whether the process runs as a GitHub Actions step.
func OnGitHub(getenv func(string) string) bool { return getenv("GITHUB_ACTIONS") == "true" }

// NewGitHub returns the GitHub writer for log, or nil outside GitHub
// Actions. getenv is the process environment as rollgate reads it.
func NewGitHub(log io.Writer, getenv func(string) string) *GitHub {
	if !OnGitHub(getenv) {
		return nil
	}
	return &GitHub{action: githubactions.New(githubactions.WithWriter(log), githubactions.WithGetenv(getenv)), getenv: getenv}
}

// Mask tells the runner to hide each secret in every later log line. The
// runner matches line by line, so each line of a multi-line secret is
// masked on its own.
func (g *GitHub) Mask(secrets []string) {
	if g == nil {
		return
	}
	for _, s := range secrets {
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				_ = try(func() { g.action.AddMask(line) })
			}
		}
	}
}

// Annotate emits the report's annotations, most important first.
func (g *GitHub) Annotate(rep *gate.Report) {
	if g == nil {
		return
	}
	g.annotate(Annotations(rep))
}

func (g *GitHub) annotate(as []Annotation) {
	for _, a := range as {
		act := g.action.WithFieldsMap(map[string]string{"title": a.Title})
		_ = try(func() {
			switch a.Level {
			case "error":
				act.Errorf("%s", a.Message)
			case "warning":
				act.Warningf("%s", a.Message)
			default:
				act.Noticef("%s", a.Message)
			}
		})
	}
}

// Publish writes the step outputs and appends the summary to the step
// summary. A runner that names no GITHUB_OUTPUT or GITHUB_STEP_SUMMARY file
// (go-githubactions would panic on it) gets none, without error.
func (g *GitHub) Publish(rep *gate.Report, reportPath string) error {
	if g == nil {
		return nil
	}
	return g.publish(func() error { return g.setOutputs(rep.Decision, rep.ExitCode, reportPath) }, func() string { return Summary(rep) })
}

func (g *GitHub) publish(outputs func() error, summary func() string) error {
	var errs []error
	if g.getenv("GITHUB_OUTPUT") != "" {
		errs = append(errs, outputs())
	}
	if g.getenv("GITHUB_STEP_SUMMARY") != "" {
		if err := try(func() { g.action.AddStepSummary(summary()) }); err != nil {
			errs = append(errs, fmt.Errorf("github step summary: %w", err))
		}
	}
	return errors.Join(errs...)
}

// OutputGuard makes sure a step's outputs say how rollgate failed even when
// it failed before any report was made (bad input exits 2 before a
// reporter exists): it notes the size of $GITHUB_OUTPUT before a command
// runs, and Finish writes the outputs if the command did not. Successful
// commands without a report (version, validate, help) write none.
type OutputGuard struct {
	github *GitHub
	path   string
	size   int64
}

// GuardOutputs returns the guard, or nil outside GitHub Actions or without
// an output file.
func GuardOutputs(getenv func(string) string) *OutputGuard {
	path := getenv("GITHUB_OUTPUT")
	if !OnGitHub(getenv) || path == "" {
		return nil
	}
	return &OutputGuard{github: NewGitHub(io.Discard, getenv), path: path, size: fileSize(path)}
}

// Finish writes the outputs for a non-zero exit code unless the command
// wrote them: decision is the exit code's name and there is no report.
func (g *OutputGuard) Finish(code int) error {
	if g == nil || code == 0 || fileSize(g.path) != g.size {
		return nil
	}
	return g.github.setOutputs(gate.ExitCode(code).String(), code, "")
}

func (g *GitHub) setOutputs(decision string, code int, reportPath string) error {
	return g.set(GitHubOutputs, map[string]string{"decision": decision, "exit-code": strconv.Itoa(code), "report": reportPath})
}

// set writes the outputs keys names, in order.
func (g *GitHub) set(keys []string, values map[string]string) error {
	for _, k := range keys {
		if err := try(func() { g.action.SetOutput(k, values[k]) }); err != nil {
			return fmt.Errorf("github output %s: %w", k, err)
		}
	}
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// DefaultReportPath is where the JSON report goes under GitHub Actions when
// --report names no file, so the report output always points at one: the
// runner's temporary directory, one file per command and target. It is ""
// elsewhere.
func DefaultReportPath(getenv func(string) string, command string, t workload.Target) string {
	return runnerTemp(getenv, fmt.Sprintf("rollgate-%s-%s.json", command, t))
}

// DefaultReleaseReportPath is DefaultReportPath for a release: one file
// for all its targets.
func DefaultReleaseReportPath(getenv func(string) string, command string) string {
	return runnerTemp(getenv, fmt.Sprintf("rollgate-%s-release.json", command))
}

func runnerTemp(getenv func(string) string, file string) string {
	dir := getenv("RUNNER_TEMP")
	if !OnGitHub(getenv) || dir == "" {
		return ""
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '-'
		}
		return r
	}, file)
	return filepath.Join(dir, name)
}

// try turns go-githubactions' panics (an unwritable file or log) into errors.
func try(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}
