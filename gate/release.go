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
