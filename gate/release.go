package gate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

// ReleasePolicy says what one target's failure does to the other targets
// of a release.
type ReleasePolicy string

const (
	// ReleaseAtomic: the release moves as one. One target failing rolls
	// back every target whose revision this run gated; while any target
	// is held, undecided or in trouble, no target is promoted.
	ReleaseAtomic ReleasePolicy = "atomic"
	// ReleaseIndependent: each target is judged and acted on alone.
	ReleaseIndependent ReleasePolicy = "independent"
)

// Release is several workloads gated by one run: a Helm release or a
// kustomize overlay shipping api, worker and web together.
type Release struct {
	// Targets are the settings of each target, one run each.
	Targets []Settings
	Policy  ReleasePolicy
	// Observe gives the observer of each target's run; nil: the engine's
	// Observer watches them all.
	Observe func(workload.Target) Observer
}

// ReleaseReport is the account of a release: a report per target and the
// overall verdict.
type ReleaseReport struct {
	Command string        `json:"command"`
	Policy  ReleasePolicy `json:"release"`
	// Decision, ExitCode and Reason are the worst target's (worstFirst).
	Decision   string    `json:"decision"`
	ExitCode   int       `json:"exitCode"`
	Reason     string    `json:"reason"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Targets    []*Report `json:"targets"`
	// Warnings are the release's own troubles that did not change its
	// decision, such as its Slack message that could not be sent.
	Warnings []string `json:"warnings,omitempty"`
}

// worstFirst is the order in which a release's exit code is the worst of
// its targets': trouble before verdicts, then what the cluster was left
// running. A rolled-back target outranks a held one: the release did not
// ship.
var worstFirst = []ExitCode{ExitBadInput, ExitRuntime, ExitCancelled, ExitFailed, ExitHeld, ExitSuperseded, ExitPassed}

// Worst returns the exit code that ranks first by worstFirst.
func Worst(codes ...ExitCode) ExitCode {
	rank := func(c ExitCode) int {
		if i := slices.Index(worstFirst, c); i >= 0 {
			return i
		}
		return 1 // an unknown code is trouble
	}
	worst := ExitPassed
	for _, c := range codes {
		if rank(c) < rank(worst) {
			worst = c
		}
	}
	return worst
}

// ErrReleaseFailed is the cause a target's judging is cancelled with when
// another target of an atomic release failed.
var ErrReleaseFailed = errors.New("another target of the atomic release failed")

// RunRelease is `rollgate run` on several targets: each target's gate runs
// concurrently over the namespace-wide informers the release shares, its
// Lease taken in a fixed order (namespace, kind, name) so two runs with
// overlapping targets never deadlock, and the release policy decides what
// one target's verdict does to the others. The error is only for trouble
// before any target ran; each target's trouble is on its report.
func (e *Engine) RunRelease(ctx context.Context, rel Release) (*ReleaseReport, error) {
	rep := &ReleaseReport{Command: "run", Policy: cmp.Or(rel.Policy, ReleaseAtomic), StartedAt: e.now().UTC()}
	if len(rel.Targets) == 0 {
		return nil, BadInput("no target to gate")
	}
	targets := slices.Clone(rel.Targets)
	slices.SortFunc(targets, func(a, b Settings) int { return compareTargets(a.Target, b.Target) })
	for i := 1; i < len(targets); i++ {
		if compareTargets(targets[i-1].Target, targets[i].Target) == 0 {
			return nil, BadInput("%s in namespace %s is named twice", targets[i].Target, targets[i].Target.Namespace)
		}
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	shared := *e
	shared.Cluster.Watches = cluster.NewWatches(wctx, e.Cluster)
	if e.Querier != nil {
		shared.Querier = promql.NewShared(e.Querier) // a query the targets share: once per interval
	}
	names := make([]string, len(targets))
	for i, s := range targets {
		names[i] = s.Target.String()
	}
	if err := exist(ctx, shared.Cluster, targets); err != nil {
		return nil, err
	}
	co := newCoordinator(rep.Policy, names)
	rep.Targets = make([]*Report, len(targets))
	var wg sync.WaitGroup
	for i, s := range targets {
		te := shared
		if rel.Observe != nil {
			te.Observer = rel.Observe(s.Target)
		}
		wg.Go(func() {
			r, err := te.start("run", s)
			if err == nil {
				r.rel, r.idx = co, i
				r.event(PhaseResolve, "%s in namespace %s, context %q (release of %d, %s)", s.Target, s.Target.Namespace, s.KubeContext, len(targets), rep.Policy)
				err = r.gate(ctx)
			}
			co.leave(i) // every way out, so no other target waits for this one
			rep.Targets[i], _ = r.finish(err)
		})
	}
	wg.Wait()
	rep.finish(e.now().UTC())
	return rep, nil
}

// exist checks that every target is there before any target is gated: a
// misspelt name is bad input that touches nothing, not one target in
// trouble that holds the others. It reads the release's shared caches,
// which the gates read next anyway.
func exist(ctx context.Context, c cluster.Cluster, targets []Settings) error {
	var missing []string
	for _, s := range targets {
		w, err := workload.For(c, s.Target)
		if err != nil {
			return Mark(ErrBadInput, err)
		}
		inf, _ := w.Informer()
		if err := c.Watches.Synced(ctx, inf, w.Resource(), s.Target.Namespace); err != nil {
			return err
		}
		if _, ok, _ := inf.GetIndexer().GetByKey(s.Target.Namespace + "/" + s.Target.Name); !ok {
			missing = append(missing, fmt.Sprintf("%s in namespace %s", s.Target, s.Target.Namespace))
		}
	}
	if len(missing) > 0 {
		return BadInput("not found: %s (nothing was gated or changed; check the names with kubectl get deploy,rollouts)", strings.Join(missing, ", "))
	}
	return nil
}

func compareTargets(a, b workload.Target) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
}

// finish sets the release's verdict: the worst target's.
func (rep *ReleaseReport) finish(now time.Time) {
	codes := make([]ExitCode, len(rep.Targets))
	for i, t := range rep.Targets {
		codes[i] = ExitCode(t.ExitCode)
	}
	rep.ExitCode = int(Worst(codes...))
	var worst []string
	for _, t := range rep.Targets {
		if t.ExitCode == rep.ExitCode {
			worst = append(worst, t.Target.String())
		}
	}
	rep.Decision = ExitCode(rep.ExitCode).String()
	for _, t := range rep.Targets {
		if t.ExitCode == rep.ExitCode {
			rep.Decision = t.Decision // the first worst target's decision (rolled-back, held...)
			break
		}
	}
	rep.Reason = fmt.Sprintf("%d target(s), %s release: %s %s", len(rep.Targets), rep.Policy, rep.Decision, strings.Join(worst, ", "))
	var own, with []string // the targets whose own verdict this is, and those the policy brought along
	for _, t := range rep.Targets {
		if t.ExitCode != rep.ExitCode {
			continue
		}
		if t.ReleaseCause != "" {
			with = append(with, t.Target.String())
		} else {
			own = append(own, t.Target.String())
		}
	}
	if len(with) > 0 && len(own) > 0 {
		rep.Reason = fmt.Sprintf("%d target(s), %s release: %s %s; %s with it: %s", len(rep.Targets), rep.Policy, strings.Join(own, ", "), rep.Decision, rep.Decision, strings.Join(with, ", "))
	}
	if rep.ExitCode == int(ExitPassed) {
		rep.Reason = fmt.Sprintf("%d target(s), %s release: all passed", len(rep.Targets), rep.Policy)
	}
	rep.FinishedAt = now
}

// coordinator is where the targets of one release meet: the fixed order
// of their Leases and, under the atomic policy, the barrier before any
// action.
type coordinator struct {
	policy ReleasePolicy

	mu sync.Mutex
	// locked[i] is closed once target i is past its Lease (held, or out).
	locked []chan struct{}
	// decided[i]: target i has a verdict or left; outcome[i] says which.
	decided []bool
	outcome []targetOutcome
	left    int
	// failure is the first target that failed, and why.
	failure string
	cancels []context.CancelCauseFunc
	allIn   chan struct{}
	names   []string
}

type targetOutcome struct {
	verdict Verdict
	trouble bool // left without a verdict (error, superseded, already done)
	done    bool // already done: nothing of this run to roll back
}

func newCoordinator(p ReleasePolicy, names []string) *coordinator {
	n := len(names)
	c := &coordinator{policy: p, locked: make([]chan struct{}, n), decided: make([]bool, n), outcome: make([]targetOutcome, n),
		cancels: make([]context.CancelCauseFunc, n), allIn: make(chan struct{}), names: names}
	for i := range c.locked {
		c.locked[i] = make(chan struct{})
	}
	return c
}

// turn waits until every target before i in the fixed order is past its
// Lease: Leases are taken one after the other, in the same order by every
// run.
func (c *coordinator) turn(ctx context.Context, i int) error {
	for j := range i {
		select {
		case <-c.locked[j]:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// pastLock marks target i past its Lease.
func (c *coordinator) pastLock(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.locked[i]:
	default:
		close(c.locked[i])
	}
}

// judging registers the cancel of target i's judging, so an atomic
// failure elsewhere ends its waiting at once.
func (c *coordinator) judging(i int, cancel context.CancelCauseFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancels[i] = cancel
	if c.failure != "" {
		cancel(ErrReleaseFailed)
	}
}

// settle records target i's outcome once; the last one in opens the
// barrier.
func (c *coordinator) settle(i int, o targetOutcome) {
	if c.decided[i] {
		return
	}
	c.decided[i], c.outcome[i] = true, o
	c.left++
	if c.left == len(c.decided) {
		close(c.allIn)
	}
}

// leave marks target i out of the release whatever state it is in: the
// last call of every target's goroutine.
func (c *coordinator) leave(i int) {
	c.pastLock(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle(i, targetOutcome{trouble: true})
}

// ended records how target i ended without coming to decide: settled by
// an earlier run (done: it takes part in no action of this one), or held
// before any judging (a pause that is not rollgate's).
func (c *coordinator) ended(i int, o targetOutcome) {
	c.pastLock(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle(i, o)
}

// decide turns target i's own verdict (or trouble) into the one acted on,
// with the sibling's outcome that changed it ("" when its own stands).
// Independent: its own, at once. Atomic: a failure is acted on at once and
// ends every other target's waiting; any other verdict waits for the whole
// release: the release's failure makes it a failure, a sibling held or in
// trouble makes it waiting (held), and only a release that passed
// everywhere is promoted.
func (c *coordinator) decide(ctx context.Context, i int, pinned bool, v Verdict, why string, err error) (Verdict, string, string, error) {
	c.mu.Lock()
	if c.policy == ReleaseIndependent {
		c.settle(i, targetOutcome{verdict: v, trouble: err != nil})
		c.mu.Unlock()
		return v, why, "", err
	}
	released := c.failure != "" && errors.Is(context.Cause(ctx), ErrReleaseFailed)
	switch {
	case err != nil && !released:
		c.settle(i, targetOutcome{trouble: true})
		c.mu.Unlock()
		return v, why, "", err
	case err == nil && v == VerdictFailed:
		if c.failure == "" {
			c.failure = fmt.Sprintf("%s failed (%s)", c.names[i], why)
			for j, cancel := range c.cancels {
				if j != i && cancel != nil {
					cancel(ErrReleaseFailed)
				}
			}
		}
		c.settle(i, targetOutcome{verdict: v})
		c.mu.Unlock()
		return v, why, "", nil
	case released:
		c.settle(i, targetOutcome{verdict: VerdictFailed})
	default:
		c.settle(i, targetOutcome{verdict: v})
	}
	c.mu.Unlock()
	<-c.allIn // every other target has a verdict, or an atomic failure cancelled its judging
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failure != "" {
		if !pinned {
			return VerdictWaiting, "the atomic release failed (" + c.failure + ") before this target's revision was pinned: nothing of it to roll back", c.failure, nil
		}
		return VerdictFailed, "the release is atomic and " + c.failure, c.failure, nil
	}
	if v != VerdictPassed {
		return v, why, "", nil
	}
	for j, o := range c.outcome {
		switch {
		case j == i || o.done:
		case o.trouble:
			return VerdictWaiting, fmt.Sprintf("passed (%s), but the release is atomic and %s ended in trouble: not promoted", why, c.names[j]), c.names[j] + " ended in trouble", nil
		case o.verdict != VerdictPassed:
			return VerdictWaiting, fmt.Sprintf("passed (%s), but the release is atomic and %s is %s: not promoted", why, c.names[j], o.verdict), fmt.Sprintf("%s is %s", c.names[j], o.verdict), nil
		}
	}
	return v, why, "", nil
}
