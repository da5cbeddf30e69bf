package app

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/rollgate/rollgate/cmd/rollgate/ci"
	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/readiness"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/notify"
	"github.com/rollgate/rollgate/promql"
)

// releaseReporter is the reporter of a release: it prints the release as
// it happens, a line per event with its target named (or, on a terminal,
// redraws a line per target under them), tells Slack one message for the
// release, and renders the release report at the end as reporter does
// for one run: verdict lines or JSON, the report file, the CI files.
type releaseReporter struct {
	opts    Options
	stdout  io.Writer
	log     io.Writer
	now     func() time.Time
	command string
	policy  gate.ReleasePolicy
	width   int
	// names are how lines name each target: kind/name, or
	// namespace/kind/name when the release spans namespaces.
	names map[workload.Target]string
	// targets are in the release report's order.
	targets       []workload.Target
	github        *ci.GitHub
	sections      *ci.Sections
	defaultReport string
	teller        *teller
	// warnings are the CLI's own troubles before the release ran.
	warnings []string

	mu   sync.Mutex
	live *releaseLive // nil unless text output on a terminal
	// phase ranks the open log section's phase: a release's targets
	// interleave, so a section follows the furthest target (phaseRank).
	phase   int
	stages  map[workload.Target]*gate.Report // each target's report at its last stage
	started time.Time
	told    bool // the release's start was told
}

func newReleaseReporter(o Options, env Env, cfgs []*config.Config, targets []workload.Target, stdout, stderr io.Writer) *releaseReporter {
	ts := slices.Clone(targets)
	slices.SortFunc(ts, func(a, b workload.Target) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	r := &releaseReporter{opts: o, stdout: stdout, log: stdout, now: time.Now, command: "run", policy: gate.ReleaseAtomic,
		targets: ts, phase: -1, stages: map[workload.Target]*gate.Report{}}
	r.started = r.now().UTC()
	r.names = targetNames(ts)
	for _, n := range r.names {
		r.width = max(r.width, len(n))
	}
	if o.Output == OutputJSON {
		r.log = stderr
	} else if isTerminal(stdout, env) {
		r.live = newReleaseLive(stdout, ts, r.names, r.now)
	}
	getenv := func(name string) string { return env[name] }
	if r.github = ci.NewGitHub(r.log, getenv); r.github != nil {
		var all []string
		for _, c := range cfgs {
			all = append(all, secrets(c, env)...)
		}
		slices.Sort(all)
		r.github.Mask(slices.Compact(all)) // before anything else is printed
	}
	r.sections = ci.NewSections(r.log, getenv)
	r.defaultReport = ci.DefaultReleaseReportPath(getenv, r.command)
	return r
}

// startNotifier builds the release's notifier, as for one run.
func (r *releaseReporter) startNotifier(cfg *config.Config, env Env) (warning error) {
	n, err := notify.New(cfg.SlackSettings(), env.Lookup, notify.Options{})
	if n != nil && n != notify.Nop {
		r.teller = newTeller(n)
	}
	return err
}

// stop ends the teller of a release that never ran.
func (r *releaseReporter) stop() {
	if r.teller != nil {
		r.teller.verdict(notify.Event{}) // an empty event tells nothing
	}
}

func (r *releaseReporter) observer(t workload.Target) gate.Observer {
	return &targetObserver{r: r, target: t, name: cmp.Or(r.names[t], t.String())}
}

// print writes timeline text above the live lines, in the log section of
// the furthest phase.
func (r *releaseReporter) print(phase gate.Phase, at time.Time, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live.clear()
	if rank := phaseRank(phase); rank > r.phase {
		r.phase = rank
		r.sections.Enter(string(phase), at)
	}
	fmt.Fprint(r.log, text)
	r.live.draw()
}

// targetNames name each target in the lines of a release: kind/name, or
// namespace/kind/name when not all targets share a namespace.
func targetNames(ts []workload.Target) map[workload.Target]string {
	names := map[workload.Target]string{}
	spread := slices.ContainsFunc(ts, func(t workload.Target) bool { return t.Namespace != ts[0].Namespace })
	for _, t := range ts {
		names[t] = t.String()
		if spread {
			names[t] = t.Namespace + "/" + t.String()
		}
	}
	return names
}

// phaseOrder is the order of the phases a run passes; an action's own
// line (promote, rollback...) ranks as the action.
var phaseOrder = []gate.Phase{gate.PhaseResolve, gate.PhaseState, gate.PhaseLock, gate.PhasePin, gate.PhaseQuota, gate.PhasePreflight,
	gate.PhaseReadiness, gate.PhasePods, gate.PhaseAnalysis, gate.PhaseCanary, gate.PhaseDecide, gate.PhaseAction, gate.PhaseNext, gate.PhaseVerify}

// phaseRank places a phase in phaseOrder; a warning opens no section.
func phaseRank(p gate.Phase) int {
	if p == gate.PhaseWarning {
		return -1
	}
	if i := slices.Index(phaseOrder, p); i >= 0 {
		return i
	}
	return slices.Index(phaseOrder, gate.PhaseAction)
}

// stage tells Slack the release as it stands after one target's stage:
// the first target to start starts the release's message, the others
// update it.
func (r *releaseReporter) stage(t workload.Target, st gate.Stage, rep *gate.Report) {
	if r.teller == nil {
		return
	}
	r.mu.Lock()
	r.stages[t] = rep
	snap := &gate.ReleaseReport{Command: r.command, Policy: r.policy, StartedAt: r.started}
	for _, tt := range r.targets {
		tr := r.stages[tt]
		if tr == nil {
			tr = &gate.Report{Command: r.command, Target: tt}
		}
		snap.Targets = append(snap.Targets, tr)
	}
	if st == gate.StageStart && r.told {
		st = gate.StagePreflight // the message is posted: the others' starts are progress
	}
	r.told = true
	r.mu.Unlock()
	r.teller.progress(notify.Event{Stage: st, Release: snap})
}

// finish renders the release report the engine returned, as
// reporter.finish does one run's: Slack told, the live lines cleared, the
// log section closed before the verdict, the annotations, the verdict
// lines or JSON document, the report file and the CI files. It returns
// what the exit status follows: the release's code, or a report that
// could not be written for a release that passed.
func (r *releaseReporter) finish(rep *gate.ReleaseReport) error {
	rep.Warnings = append(r.warnings, rep.Warnings...)
	r.tellVerdict(rep)
	r.mu.Lock()
	r.live.clear()
	r.live = nil
	r.mu.Unlock()
	r.sections.Close(rep.FinishedAt) // the verdict stays outside the folded phases
	r.github.AnnotateRelease(rep)
	var err error
	if r.opts.Output == OutputText {
		for _, t := range rep.Targets {
			fmt.Fprintf(r.stdout, "verdict: %-*s %s (exit %d) — %s\n", r.width, cmp.Or(r.names[t.Target], t.Target.String()), t.Decision, t.ExitCode, verdictText(t))
		}
		fmt.Fprintf(r.stdout, "verdict: %-*s %s (exit %d) — %s\n", r.width, "release", rep.Decision, rep.ExitCode, rep.Reason)
	} else if werr := writeJSON(r.stdout, rep); werr != nil {
		err = fmt.Errorf("write report to stdout: %w", werr)
	}
	reportPath := cmp.Or(r.opts.Report, r.defaultReport)
	if reportPath != "" {
		if werr := writeReportFile(reportPath, rep); werr != nil {
			reportPath = ""
			err = cmp.Or(err, werr)
		}
	}
	if werr := r.writeCI(rep, reportPath); werr != nil {
		err = cmp.Or(err, werr)
	}
	switch {
	case err != nil && rep.ExitCode == 0:
		return err
	case rep.ExitCode != 0:
		return &exitStatus{code: gate.ExitCode(rep.ExitCode), reason: rep.Reason, printed: r.opts.Output == OutputText}
	}
	return nil
}

// tellVerdict sends the release's outcome; troubles are the release's
// warnings, printed.
func (r *releaseReporter) tellVerdict(rep *gate.ReleaseReport) {
	if r.teller == nil {
		return
	}
	c := *rep
	c.Targets, c.Warnings = slices.Clone(rep.Targets), slices.Clone(rep.Warnings)
	for _, w := range r.teller.verdict(notify.Event{Stage: notify.StageVerdict, Release: &c}) {
		rep.Warnings = append(rep.Warnings, "slack: "+w.Error())
		r.printWarning("slack: " + w.Error())
	}
}

// warn prints a trouble of the CLI's own before the release ran and
// keeps it for the release's report.
func (r *releaseReporter) warn(msg string) {
	r.warnings = append(r.warnings, msg)
	r.printWarning(msg)
}

func (r *releaseReporter) printWarning(msg string) {
	now := r.now()
	r.print(gate.PhaseWarning, now, fmt.Sprintf("%s %-*s %-9s %s\n", now.Format("15:04:05"), r.width, "release", gate.PhaseWarning, msg))
}

// writeCI writes the release's CI artefacts, as reporter.writeCI.
func (r *releaseReporter) writeCI(rep *gate.ReleaseReport, reportPath string) error {
	return ciTrouble(ciFiles(r.opts).WriteRelease(rep), r.github.PublishRelease(rep, absPath(reportPath)))
}

// targetObserver is one target's view of the release reporter.
type targetObserver struct {
	r      *releaseReporter
	target workload.Target
	name   string
}

func (o *targetObserver) Event(e gate.Event) {
	o.r.mu.Lock()
	o.r.live.event(o.target, e)
	o.r.mu.Unlock()
	o.r.print(e.Phase, e.At, fmt.Sprintf("%s %-*s %-9s %s\n", e.At.Format("15:04:05"), o.r.width, o.name, e.Phase, e.Message))
}

func (o *targetObserver) Diagnosis(ds []readiness.PodDiagnosis) {
	if text := diagnosisText(o.name+" ", ds); text != "" {
		o.r.print(gate.PhaseWarning, time.Time{}, text) // in the open section
	}
}

func (o *targetObserver) Snapshot(s readiness.Snapshot) {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	o.r.live.snapshot(o.target, s)
}

func (o *targetObserver) Measured(m promql.Measurement, intervals int) {
	o.r.mu.Lock()
	defer o.r.mu.Unlock()
	o.r.live.measure(o.target, m, intervals)
}

func (o *targetObserver) Stage(st gate.Stage, rep *gate.Report) { o.r.stage(o.target, st, rep) }
