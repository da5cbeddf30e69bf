package gate

import (
	"context"

	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// ReadinessOptions tune the readiness phase.
type ReadinessOptions struct {
	MaxRestarts int32
	Grace       time.Duration
	// Observe receives each change worth a line in the live view.
	Observe func(phase, msg string)
	// Preflight runs once, when the revision under gate is pinned (its
	// ReplicaSet exists and the spec is observed), before any pod is judged;
	// an error ends the watch.
	Preflight func(ctx context.Context, obj any) error
	// Pinned runs once, when the revision under gate is pinned, before
	// Preflight: a run records what it would roll back to here.
	Pinned func(ctx context.Context, pin *Pin) error
	// Snapshot, when set, receives the whole state after every change.
	Snapshot func(Snapshot)
	Now      func() time.Time
}

// ReadinessResult is the outcome of watching a rollout.
type ReadinessResult struct {
	Progress Progress `json:"progress"`
	// Outcome refines a done Rollout: ready-for-analysis or inconclusive.
	Outcome  string       `json:"outcome,omitempty"`
	Pin      *Pin         `json:"pin,omitempty"`
	Problems []PodProblem `json:"problems,omitempty"`
	// Diagnosis is filled on failure: per failing pod its events and logs.
	Diagnosis []PodDiagnosis `json:"diagnosis,omitempty"`
}

// workload is what the readiness watch needs to know of one kind of
// workload: how to read its progress, how to pin the revision under gate and
// spot a newer one, and which ReplicaSet holds the new pods.
type workload interface {
	// describe names the object in messages: "deployment shop/api".
	describe() string
	progress(obj any) (Progress, string)
	// pin returns the revision under gate once it can be known.
	pin(obj any, owned []*appsv1.ReplicaSet) (*Pin, bool)
	// supersededBy names a newer revision that replaced pin, or "".
	supersededBy(obj any, pin *Pin) string
	owned(obj any, rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet
	newReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet
}

// readinessWatch holds the informer caches of one gated workload: the object
// itself (by name) and its ReplicaSets and pods (by its selector).
type readinessWatch struct {
	client  kubernetes.Interface
	ns      string
	key     string
	kind    workload
	opts    ReadinessOptions
	objs    cache.Indexer
	rss     cache.Indexer
	pods    cache.Indexer
	changed chan struct{}
	fatal   chan error // a forbidden list/watch

	pin       *Pin
	last      Progress
	outcome   string
	firstSeen map[string]time.Time // transient problem -> when first seen
	reported  map[string]bool      // problems already printed
}

func newReadinessWatch(client kubernetes.Interface, ns, name string, kind workload, opts ReadinessOptions) *readinessWatch {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &readinessWatch{client: client, ns: ns, key: ns + "/" + name, kind: kind, opts: opts,
		changed: make(chan struct{}, 1), fatal: make(chan error, 1), firstSeen: map[string]time.Time{}, reported: map[string]bool{}}
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
func (w *readinessWatch) run(ctx context.Context, set informerSet, start func(stop <-chan struct{})) (ReadinessResult, error) {
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
		if _, err := x.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: poke, UpdateFunc: func(_, o any) { poke(o) }, DeleteFunc: poke,
		}); err != nil {
			return ReadinessResult{}, WithCode(ExitRuntime, err)
		}
		resource := x.resource
		_ = x.inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			if apierrors.IsForbidden(err) {
				select {
				case w.fatal <- KubeError(err, "list/watch", resource, w.ns, ""):
				default:
				}
			}
		})
		synced = append(synced, x.inf.HasSynced)
	}
	start(ctx.Done())
	syncCtx, syncDone := context.WithCancel(ctx)
	defer syncDone()
	ok := make(chan bool, 1)
	go func() { ok <- cache.WaitForCacheSync(syncCtx.Done(), synced...) }()
	select {
	case err := <-w.fatal:
		return ReadinessResult{}, err
	case synced := <-ok:
		if !synced {
			return ReadinessResult{}, ctxError(ctx, "the watch caches did not sync")
		}
	}
	return w.loop(ctx)
}

func (w *readinessWatch) loop(ctx context.Context) (ReadinessResult, error) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		res, done, err := w.evaluate(ctx)
		if done || err != nil {
			return res, err
		}
		if next, ok := w.nextGraceExpiry(); ok {
			timer.Reset(max(next.Sub(w.opts.Now()), 10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			res := w.result()
			return res, ctxError(ctx, w.missing(res))
		case err := <-w.fatal:
			return w.result(), err
		case <-w.changed:
		case <-timer.C:
		}
	}
}

// evaluate recomputes the verdict from the caches.
func (w *readinessWatch) evaluate(ctx context.Context) (ReadinessResult, bool, error) {
	obj, ok, _ := w.objs.GetByKey(w.key)
	if !ok {
		return w.result(), true, Errorf(ExitFailed, "%s was deleted while being gated", w.kind.describe())
	}
	owned := w.kind.owned(obj, typed[*appsv1.ReplicaSet](w.rss.List()))
	if w.pin == nil {
		if p, ok := w.kind.pin(obj, owned); ok {
			w.pin = p
			w.observe("pin", "under gate: "+p.String())
			if w.opts.Pinned != nil {
				if err := w.opts.Pinned(ctx, p); err != nil {
					return w.result(), true, err
				}
			}
			if w.opts.Preflight != nil {
				if err := w.opts.Preflight(ctx, obj); err != nil {
					return w.result(), true, err
				}
			}
		}
	}
	if w.pin != nil {
		if newer := w.kind.supersededBy(obj, w.pin); newer != "" {
			return w.result(), true, Errorf(ExitSuperseded, "superseded: %s moved to %s while revision %d was under gate",
				w.kind.describe(), newer, w.pin.Revision)
		}
	}
	p, outcome := w.kind.progress(obj)
	w.outcome = outcome
	if p != w.last {
		w.last = p
		w.observe("readiness", p.Message)
	}
	if w.opts.Snapshot != nil {
		w.opts.Snapshot(w.snapshot(obj, owned))
	}
	if p.Failed {
		return w.fail(ctx, owned, p.Message)
	}
	if p.Done {
		return w.result(), true, nil
	}
	if w.pin == nil {
		return ReadinessResult{}, false, nil
	}
	rs := w.kind.newReplicaSet(owned, w.pin)
	if c := replicaFailure(rs); c != "" {
		return w.fail(ctx, owned, fmt.Sprintf("replicaset %s cannot create pods: %s", rs.Name, c))
	}
	if doomed := w.doomed(rs); len(doomed) > 0 {
		return w.fail(ctx, owned, doomed[0].String())
	}
	return ReadinessResult{}, false, nil
}

func (w *readinessWatch) observe(phase, msg string) {
	if w.opts.Observe != nil {
		w.opts.Observe(phase, msg)
	}
}

// replicaFailure returns the message of a ReplicaFailure=True condition,
// which is how the ReplicaSet controller reports FailedCreate (quota
// exceeded, admission denied).
func replicaFailure(rs *appsv1.ReplicaSet) string {
	if rs == nil {
		return ""
	}
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return c.Reason + ": " + c.Message
		}
	}
	return ""
}

// podsOf returns the pods controlled by rs, by name.
func (w *readinessWatch) podsOf(rs *appsv1.ReplicaSet) []*corev1.Pod {
	var out []*corev1.Pod
	if rs == nil {
		return out
	}
	for _, p := range typed[*corev1.Pod](w.pods.List()) {
		if ref := metav1.GetControllerOf(p); ref != nil && ref.UID == rs.UID && p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// doomed returns the problems that fail the gate now: doomed ones, and
// transient ones older than the grace period. New problems are printed once.
func (w *readinessWatch) doomed(rs *appsv1.ReplicaSet) []PodProblem {
	now := w.opts.Now()
	seen := map[string]bool{}
	var out []PodProblem
	for _, pod := range w.podsOf(rs) {
		for _, p := range DiagnosePod(pod, w.opts.MaxRestarts) {
			k := p.key()
			seen[k] = true
			if _, ok := w.firstSeen[k]; !ok {
				w.firstSeen[k] = now
				if !p.Since.IsZero() && p.Since.Before(now) {
					w.firstSeen[k] = p.Since
				}
			}
			if !w.reported[k] {
				w.reported[k] = true
				w.observe("pods", p.String())
			}
			if p.Doomed || now.Sub(w.firstSeen[k]) >= w.opts.Grace {
				out = append(out, p)
			}
		}
	}
	for k := range w.firstSeen {
		if !seen[k] {
			delete(w.firstSeen, k) // recovered: the grace starts anew next time
			delete(w.reported, k)
		}
	}
	return out
}

func (w *readinessWatch) nextGraceExpiry() (time.Time, bool) {
	var next time.Time
	for _, t := range w.firstSeen {
		if e := t.Add(w.opts.Grace); next.IsZero() || e.Before(next) {
			next = e
		}
	}
	return next, !next.IsZero()
}

// result is the current state, for reports.
func (w *readinessWatch) result() ReadinessResult {
	r := ReadinessResult{Progress: w.last, Outcome: w.outcome, Pin: w.pin}
	if w.pin == nil {
		return r
	}
	if obj, ok, _ := w.objs.GetByKey(w.key); ok {
		owned := w.kind.owned(obj, typed[*appsv1.ReplicaSet](w.rss.List()))
		for _, pod := range w.podsOf(w.kind.newReplicaSet(owned, w.pin)) {
			r.Problems = append(r.Problems, DiagnosePod(pod, w.opts.MaxRestarts)...)
		}
	}
	return r
}

// missing says what a timed-out rollout was still waiting for.
func (w *readinessWatch) missing(r ReadinessResult) string {
	parts := []string{fmt.Sprintf("%s not complete: %s", w.kind.describe(), r.Progress.Message)}
	for _, p := range r.Problems {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// fail ends the gate with a diagnosis of the failing pods.
func (w *readinessWatch) fail(ctx context.Context, owned []*appsv1.ReplicaSet, why string) (ReadinessResult, bool, error) {
	r := w.result()
	what := w.kind.describe()
	var rs *appsv1.ReplicaSet
	if w.pin != nil {
		rs = w.kind.newReplicaSet(owned, w.pin)
		what += fmt.Sprintf(" revision %d", w.pin.Revision)
	}
	r.Diagnosis = diagnose(ctx, w.client, w.ns, rs, w.podsOf(rs), r.Problems)
	return r, true, Errorf(ExitFailed, "%s failed: %s", what, why)
}

func typed[T any](objs []any) []T {
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
