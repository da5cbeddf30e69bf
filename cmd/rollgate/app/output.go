package app

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rollgate/rollgate/cmd/rollgate/ci"
	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/notify"
	"github.com/rollgate/rollgate/promql"
)

// reporter prints a run as it happens (it is the engine's Observer) and,
// once the engine returned the report, renders it: the verdict line or the
// JSON document, the report file, the CI files. In text mode progress goes
// to stdout; in json mode stdout carries only the final report document,
// so progress goes to stderr.
type reporter struct {
	opts   Options
	stdout io.Writer
	log    io.Writer
	now    func() time.Time
	live   *liveView // nil unless text output on a terminal
	// github and sections add what a CI log understands: masks,
	// annotations, outputs, collapsible phases. Both are nil outside CI.
	github   *ci.GitHub
	sections *ci.Sections
	// defaultReport is where the JSON report goes when --report names no
	// file: a runner temp file under GitHub Actions, else nowhere.
	defaultReport string
	// teller tells Slack; nil when nobody is to be told.
	teller *teller
}

func newReporter(command string, o Options, env Env, cfg *config.Config, t workload.Target, stdout, stderr io.Writer) *reporter {
	r := &reporter{opts: o, stdout: stdout, log: stdout, now: time.Now}
	if o.Output == OutputJSON {
		r.log = stderr
	} else {
		r.live = newLiveView(stdout, env)
	}
	getenv := func(name string) string { return env[name] }
	if r.github = ci.NewGitHub(r.log, getenv); r.github != nil {
		r.github.Mask(secrets(cfg, env)) // before anything else is printed
	}
	r.sections = ci.NewSections(r.log, getenv)
	r.defaultReport = ci.DefaultReportPath(getenv, command, t)
	return r
}

// secrets are the credentials rollgate reads from the environment variables
// and files the resolved config names (gate file and flags alike).
func secrets(cfg *config.Config, env Env) []string {
	out := cfg.Analysis.Prometheus.Secrets(env.Lookup)
	if s := cfg.Notify.Slack; s != nil {
		for _, n := range []string{s.TokenEnv, s.WebhookEnv} {
			if v, ok := env.Lookup(n); ok && n != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// Event prints a timeline entry as one timestamped line.
func (r *reporter) Event(e gate.Event) {
	if r.live != nil {
		r.live.clear()
	}
	r.sections.Enter(string(e.Phase), e.At)
	fmt.Fprintf(r.log, "%s %-9s %s\n", e.At.Format("15:04:05"), e.Phase, e.Message)
	if r.live != nil {
		r.live.draw()
	}
}

// Measured feeds an analysis measurement to the live view, when there is one.
func (r *reporter) Measured(m promql.Measurement, intervals int) {
	if r.live != nil {
		r.live.measure(m, intervals)
	}
}

// Snapshot feeds the live view, when there is one.
func (r *reporter) Snapshot(s readiness.Snapshot) {
	if r.live != nil {
		r.live.update(s)
	}
}

// Stage tells Slack in the background; it never waits for Slack.
func (r *reporter) Stage(st gate.Stage, rep *gate.Report) {
	if r.teller != nil {
		r.teller.progress(notify.Event{Stage: st, Report: rep})
	}
}

// finish renders the report the engine returned: the verdict told to
// Slack, the verdict line or JSON document, the report file and the CI
// files. It returns what the exit status follows: err (trouble), a
// non-zero verdict, or a report that could not be written.
func (r *reporter) finish(rep *gate.Report, err error) error {
	r.tellVerdict(rep)
	if r.live != nil {
		r.live.clear()
		r.live = nil
	}
	r.sections.Close(rep.FinishedAt) // the verdict stays outside the folded phases
	r.github.Annotate(rep)
	if r.opts.Output == OutputText {
		fmt.Fprintf(r.stdout, "verdict: %s (exit %d) — %s\n", rep.Decision, rep.ExitCode, verdictText(rep))
	} else if werr := writeJSON(r.stdout, rep); werr != nil && err == nil && rep.ExitCode == 0 {
		err = fmt.Errorf("write report to stdout: %w", werr)
	}
	reportPath := cmp.Or(r.opts.Report, r.defaultReport)
	if reportPath != "" {
		if werr := writeReportFile(reportPath, rep); werr != nil {
			reportPath = ""
			if err == nil && rep.ExitCode == 0 {
				err = werr
			}
		}
	}
	if werr := r.writeCI(rep, reportPath); werr != nil && err == nil && rep.ExitCode == 0 {
		err = werr
	}
	printed := r.opts.Output == OutputText
	switch {
	case err != nil && printed && rep.Reason == err.Error():
		return reported{err}
	case err != nil:
		return err
	case rep.ExitCode != 0:
		return &exitStatus{code: gate.ExitCode(rep.ExitCode), reason: rep.Reason, printed: printed}
	}
	return nil
}

// warn records a trouble of the CLI's own (a Slack message that could not
// be sent) on the finished report and prints it.
func (r *reporter) warn(rep *gate.Report, format string, args ...any) {
	e := gate.Event{At: r.now().UTC(), Phase: gate.PhaseWarning, Message: fmt.Sprintf(format, args...)}
	rep.Warnings = append(rep.Warnings, e.Message)
	rep.Timeline = append(rep.Timeline, e)
	r.Event(e)
}

// writeCI writes the CI artefacts: the files asked for (--junit, --dotenv,
// --summary) and, under GitHub Actions, the step outputs and summary.
func (r *reporter) writeCI(rep *gate.Report, reportPath string) error {
	return ciTrouble(ciFiles(r.opts).Write(rep), r.github.Publish(rep, absPath(reportPath)))
}

// ciFiles are the CI files the options ask for.
func ciFiles(o Options) ci.Files {
	return ci.Files{JUnit: o.JUnit, Dotenv: o.Dotenv, Summary: o.Summary}
}

// ciTrouble is every trouble of writing the CI artefacts, as one error.
func ciTrouble(errs ...error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write CI reports: %w", err)
	}
	return nil
}

// absPath is the report's path as a later step finds it: absolute.
func absPath(path string) string {
	if path == "" {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// reported marks an error whose explanation is already on stdout, so Run
// does not print it a second time.
type reported struct{ error }

func (r reported) Unwrap() error { return r.error }

// Diagnosis prints what a person needs to fix a failed rollout.
func (r *reporter) Diagnosis(ds []readiness.PodDiagnosis) {
	fmt.Fprint(r.log, diagnosisText("", ds))
}

// diagnosisText is the diagnosis as log lines, each object's first line
// led by prefix (a release's target).
func diagnosisText(prefix string, ds []readiness.PodDiagnosis) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "diagnosis %s%s\n", prefix, d.Object)
		for _, p := range d.Problems {
			fmt.Fprintf(&b, "  problem: %s\n", p)
		}
		for _, e := range d.Events {
			fmt.Fprintf(&b, "  event:   %s\n", e)
		}
		for _, l := range d.Logs {
			fmt.Fprintf(&b, "  log:     %s\n", l)
		}
		if d.LogsUnavailable != "" {
			fmt.Fprintf(&b, "  log:     (%s)\n", d.LogsUnavailable)
		}
	}
	return b.String()
}

func verdictText(rep *gate.Report) string {
	if rep.Reason != "" {
		return rep.Reason
	}
	return fmt.Sprintf("%s is ready", rep.Target)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // reports are read by people and CI tools, not browsers: keep "<=" as is
	return enc.Encode(v)
}

func writeReportFile(path string, rep any) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := writeJSON(f, rep); err != nil {
		f.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
