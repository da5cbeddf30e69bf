// Package readiness is the readiness phase: it watches a workload, its
// ReplicaSets and pods through informers (watches, never polling) until the
// rollout completes by kubectl's rules, stands still for analysis (a
// Rollout's canary step), is doomed (krane-style fail-fast pod diagnosis,
// ReplicaFailure), is superseded, or the clock runs out. The verdict is
// data (Result); errors are only for trouble (a forbidden watch, a newer
// revision, a cancel).
package readiness

import (
	"context"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
)

// Settings tune the readiness phase.
type Settings struct {
	// ProgressTimeout bounds one wait for the new pods, whatever the
	// controller's progressDeadlineSeconds says.
	ProgressTimeout time.Duration
	// MaxRestarts of a new pod's container before the rollout is doomed.
	MaxRestarts int32
	// Grace is how long a transient bad state (ImagePullBackOff, a quota
	// rejection, a kubelet admission rejection) may last before it is a
	// failure.
	Grace time.Duration
	// UnschedulableGrace is Grace for an Unschedulable pod, counted again
	// from each scale-up the cluster autoscaler reports for it (the gate
	// file defaults it to Grace).
	UnschedulableGrace time.Duration
}

// Hooks are how the caller takes part in a watch.
type Hooks struct {
	// Event receives each change worth a line in the timeline.
	Event func(phase, msg string)
	// Pinned runs once, when the revision under gate is pinned (its
	// ReplicaSet exists and the spec is observed), before any pod is judged.
	// A non-empty failure ends the watch Failed with that reason.
	Pinned func(ctx context.Context, st *workload.State, owned []*appsv1.ReplicaSet, pin *workload.Pin) (failure string, err error)
	// Skip, when set, turns down a done progress the caller has already
	// judged (a timed canary step it waits for Argo to end).
	Skip func(workload.Progress) bool
	// Progress, when set, refines the kind's progress given the owned
	// ReplicaSets: a plain Deployment's canary step is done once its new
	// ReplicaSet reached the step, long before the rollout completes.
	Progress func(owned []*appsv1.ReplicaSet, p workload.Progress) workload.Progress
	// Snapshot, when set, receives the whole state after every change.
	Snapshot func(Snapshot)
	Now      func() time.Time
}

// Verdict is how a readiness phase ended.
type Verdict string

const (
	// Ready: the rollout completed, or a Rollout stands still for analysis
	// (Result.Progress.Outcome says why).
	Ready Verdict = "ready"
	// Failed: doomed pods, a failed preflight, a degraded or aborted
	// rollout, a progress deadline.
	Failed Verdict = "failed"
	// TimedOut: the clock ran out first; Result.Reason says what was missing.
	TimedOut Verdict = "timed-out"
)

// Result is the outcome of watching a rollout.
type Result struct {
	Verdict  Verdict           `json:"verdict"`
	Reason   string            `json:"reason,omitempty"`
	Progress workload.Progress `json:"progress"`
	// Paused is whether the workload stood paused by spec when the watch
	// ended: waiting on a human, not failing.
	Paused   bool          `json:"paused,omitempty"`
	Pin      *workload.Pin `json:"pin,omitempty"`
	Problems []PodProblem  `json:"problems,omitempty"`
	// Diagnosis is filled on failure: per failing pod its events and logs.
	Diagnosis []PodDiagnosis `json:"diagnosis,omitempty"`
}

// ErrCancelled is returned (wrapped) when the caller's context was cancelled
// rather than timed out.
var ErrCancelled = errors.New("cancelled")

// Watch waits for a readiness verdict on w. pin, when not nil, is the
// revision already under gate (the next canary step of the same revision):
// it is not pinned again.
func Watch(ctx context.Context, c cluster.Cluster, w workload.Workload, s Settings, h Hooks, pin *workload.Pin) (Result, error) {
	st, err := w.Get(ctx)
	if err != nil {
		return Result{}, err
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	rw := &watch{c: c, w: w, s: s, h: h, pin: pin, key: w.Target().Namespace + "/" + w.Target().Name,
		changed: make(chan struct{}, 1), fatal: make(chan error, 1), graces: map[string]*grace{}, reported: map[string]bool{}}
	rw.pinned = pin != nil
	objInf, startObj := w.Informer()
	ns := w.Target().Namespace
	if c.Watches != nil {
		// A release: the namespace's shared informers, already started.
		set := informerSet{
			{objInf, w.Resource(), &rw.objs},
			{c.Watches.Typed(ns, replicaSets), "replicasets.apps", &rw.rss},
			{c.Watches.Typed(ns, pods), "pods", &rw.pods},
		}
		return rw.run(ctx, set, func(<-chan struct{}) {})
	}
	bySel := informers.NewSharedInformerFactoryWithOptions(c.Client, 0, informers.WithNamespace(ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = st.Selector.String() }))
	set := informerSet{
		{objInf, w.Resource(), &rw.objs},
		{replicaSets(bySel), "replicasets.apps", &rw.rss},
		{pods(bySel), "pods", &rw.pods},
	}
	return rw.run(ctx, set, func(stop <-chan struct{}) { startObj(stop); bySel.Start(stop) })
}

func replicaSets(f informers.SharedInformerFactory) cache.SharedIndexInformer {
	return f.Apps().V1().ReplicaSets().Informer()
}

func pods(f informers.SharedInformerFactory) cache.SharedIndexInformer {
	return f.Core().V1().Pods().Informer()
}

// informerSet is the informers of one watch and where their caches go.
type informerSet []struct {
	inf      cache.SharedIndexInformer
	resource string
	dst      *cache.Indexer
}

// run starts the informers, waits for their caches and evaluates on every
// change until a verdict. A forbidden list or watch ends it at once with the
// verb and resource named (informers would otherwise retry forever).
func (w *watch) run(ctx context.Context, set informerSet, start func(stop <-chan struct{})) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	poke := func(any) {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	synced := make([]cache.InformerSynced, 0, len(set))
	for _, x := range set {
		*x.dst = x.inf.GetIndexer()
		reg, err := x.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: poke, UpdateFunc: func(_, o any) { poke(o) }, DeleteFunc: poke,
		})
		if err != nil {
			return Result{}, err
		}
		// A shared informer outlives this watch: take the handler off.
		defer func() { _ = x.inf.RemoveEventHandler(reg) }()
		resource, ns := x.resource, w.w.Target().Namespace
		forbidden := func(err error) {
			select {
			case w.fatal <- cluster.Error(err, "list/watch", resource, ns, ""):
			default:
			}
		}
		if w.c.Watches != nil {
			defer w.c.Watches.OnRefused(x.inf, forbidden)()
		} else {
			_ = x.inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
				if apierrors.IsForbidden(err) {
					forbidden(err)
				}
			})
		}
		synced = append(synced, x.inf.HasSynced)
	}
	start(ctx.Done())
	if err := w.sync(ctx, synced); err != nil {
		return Result{}, err
	}
	if ctx.Err() != nil {
		return w.ended(ctx, "the watch caches did not sync")
	}
	return w.loop(ctx)
}

// sync waits for the caches' first lists. cache.WaitForCacheSync polls
// every 100 ms, which would be most of the time `check` takes on a rollout
// that is already complete; the informers' own events wake this wait, with
// a short poll as the fallback.
func (w *watch) sync(ctx context.Context, synced []cache.InformerSynced) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		all := true
		for _, s := range synced {
			all = all && s()
		}
		if all {
			select {
			case w.changed <- struct{}{}: // evaluate at once
			default:
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.fatal:
			return err
		case <-w.changed:
		case <-tick.C:
		}
	}
}

func (w *watch) loop(ctx context.Context) (Result, error) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		res, done, err := w.evaluate(ctx)
		if done || err != nil {
			return res, err
		}
		if next, ok := w.nextGraceExpiry(); ok {
			timer.Reset(max(next.Sub(w.h.Now()), 10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return w.ended(ctx, w.missing(w.result()))
		case err := <-w.fatal:
			return w.result(), err
		case <-w.changed:
		case <-timer.C:
		}
	}
}

// ended explains why the context ended: the clock ran out (a TimedOut
// verdict) or the caller cancelled (an error).
func (w *watch) ended(ctx context.Context, missing string) (Result, error) {
	res := w.result()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.Verdict = TimedOut
		res.Reason = missing
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
			res.Reason = cause.Error() + ": " + missing
		}
		return res, nil
	}
	return res, fmt.Errorf("%w: %s", ErrCancelled, missing)
}
