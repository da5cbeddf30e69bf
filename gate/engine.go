package gate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/lease"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// Engine runs gates. Everything it talks to is injected, so it runs the
// same under the CLI, in tests against fakes, and for several targets in
// one process.
type Engine struct {
	Cluster cluster.Cluster
	// Querier asks Prometheus; nil when no check is configured.
	Querier promql.Querier
	// Observer watches each run as it happens; nil watches nothing.
	Observer Observer
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// LeaseDuration is how long a crashed gate's lock outlives it; zero is
	// lease.DefaultDuration.
	LeaseDuration time.Duration
}

// run is one command on one target: the state its phases share.
type run struct {
	e       *Engine
	obs     Observer
	s       Settings
	w       workload.Workload
	rep     *Report
	pin     *workload.Pin
	restore *workload.Restore
	// lock is the lease held on the target; nil under dry run.
	lock *lease.Lock
	// step is where a plain Deployment's step canary stands; nil without one.
	step *stepping
	// carry keeps sequential checks' evidence across the analyses of the
	// revision under gate (canary steps): one test, never restarted.
	carry *analysis.Carry
	// rel is the release this run is target idx of; nil for one target.
	rel *coordinator
	idx int
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// start begins a run of command on s.Target.
func (e *Engine) start(command string, s Settings) (*run, error) {
	obs := e.Observer
	if obs == nil {
		obs = NopObserver{}
	}
	r := &run{e: e, obs: obs, s: s, rep: &Report{Command: command, Target: s.Target, Context: s.KubeContext, DryRun: s.DryRun,
		StartedAt: e.now().UTC(), Timeline: []Event{}}}
	for _, w := range s.Warnings {
		r.warn("%s", w)
	}
	w, err := workload.For(e.Cluster, s.Target)
	if err != nil {
		return r, Mark(ErrBadInput, err)
	}
	r.w = w
	return r, nil
}

// finish records how the run ended and hands the report over: from here on
// only renderers read it.
func (r *run) finish(err error) (*Report, error) {
	r.rep.Finish(err, r.e.now().UTC())
	return r.rep, err
}

// event records a timeline entry and shows it.
func (r *run) event(phase Phase, format string, args ...any) {
	e := Event{At: r.e.now().UTC(), Phase: phase, Message: fmt.Sprintf(format, args...)}
	r.rep.Timeline = append(r.rep.Timeline, e)
	r.obs.Event(e)
}

// warn records a trouble that does not change the decision.
func (r *run) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.rep.Warnings = append(r.rep.Warnings, msg)
	r.event(PhaseWarning, "%s", msg)
}

// stage shows a copy of the report so far: the observer may keep it while
// the run goes on appending.
func (r *run) stage(st Stage) {
	c := *r.rep
	c.Timeline, c.Preflight, c.Warnings = slices.Clone(c.Timeline), slices.Clone(c.Preflight), slices.Clone(c.Warnings)
	r.obs.Stage(st, &c)
}

// setPin records the revision under gate on the report.
func (r *run) setPin(p *workload.Pin) {
	if p.At.IsZero() {
		p.At = r.e.now().UTC()
	}
	r.pin = p
	r.rep.Pin, r.rep.Revision = p, fmt.Sprint(p.Revision)
}

// acquire takes the target's Lease unless this is a dry run (which writes
// nothing); release gives it back.
func (r *run) acquire(ctx context.Context, generation int64) (release func(), err error) {
	if r.s.DryRun {
		r.event(PhaseLock, "dry run: no lease taken, nothing will be written to the cluster")
		return func() {}, nil
	}
	d := r.e.LeaseDuration
	if d == 0 {
		d = lease.DefaultDuration
	}
	l, err := lease.Acquire(ctx, r.e.Cluster.Client, r.s.Target, lease.Holder{ID: r.s.Holder, Generation: generation}, d, r.e.Now)
	if err != nil {
		return nil, err
	}
	r.lock = l
	r.event(PhaseLock, "holding lease %s/%s", r.s.Target.Namespace, lease.Name(r.s.Target))
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := l.Release(rctx); err != nil {
			r.warn("lock: %v", err)
		}
	}, nil
}

// followUps are the copy-paste commands a hold leaves for a person.
func (r *run) followUps() []string {
	args := r.targetArgs()
	if r.step != nil {
		return []string{"rollgate promote " + args + "   # the next canary step", "rollgate promote " + args + " --full   # complete the rollout",
			"rollgate rollback " + args}
	}
	return []string{"rollgate promote " + args, "rollgate rollback " + args}
}

// targetArgs name the target on a rollgate command line.
func (r *run) targetArgs() string {
	t := r.s.Target
	args := fmt.Sprintf("%s -n %s", t, t.Namespace)
	if r.s.Context != "" {
		args += " --context " + r.s.Context
	}
	return args
}
