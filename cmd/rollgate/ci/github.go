package ci

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/rollgate/rollgate/gate"
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
	for _, a := range Annotations(rep) {
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
	var errs []error
	if g.getenv("GITHUB_OUTPUT") != "" {
		values := map[string]string{"decision": rep.Decision, "exit-code": strconv.Itoa(rep.ExitCode), "report": reportPath}
		for _, k := range GitHubOutputs {
			if err := try(func() { g.action.SetOutput(k, values[k]) }); err != nil {
				errs = append(errs, fmt.Errorf("github output %s: %w", k, err))
				break
			}
		}
	}
	if g.getenv("GITHUB_STEP_SUMMARY") != "" {
		if err := try(func() { g.action.AddStepSummary(Summary(rep)) }); err != nil {
			errs = append(errs, fmt.Errorf("github step summary: %w", err))
		}
	}
	return errors.Join(errs...)
}

// DefaultReportPath is where the JSON report goes under GitHub Actions when
// --report names no file, so the report output always points at one: the
// runner's temporary directory, one file per command and target. It is ""
// elsewhere.
func DefaultReportPath(getenv func(string) string, command string, t gate.Target) string {
	dir := getenv("RUNNER_TEMP")
	if !OnGitHub(getenv) || dir == "" {
		return ""
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '-'
		}
		return r
	}, fmt.Sprintf("rollgate-%s-%s.json", command, t))
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
