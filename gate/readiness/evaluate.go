package readiness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
)

// watch holds the informer caches of one gated workload: the object itself
// (by name) and its ReplicaSets and pods (by its selector).
type watch struct {
	c       cluster.Cluster
	w       workload.Workload
	s       Settings
	h       Hooks
	key     string
	objs    cache.Indexer
	rss     cache.Indexer
	pods    cache.Indexer
	changed chan struct{}
	fatal   chan error // a forbidden list/watch

	pin      *workload.Pin
	pinned   bool // the Pinned hook ran (or was not needed)
	last     workload.Progress
	paused   bool
	graces   map[string]*grace // transient problem -> its running grace period
	reported map[string]bool   // problems already printed
}

// state decodes the cached object and lists its ReplicaSets.
func (w *watch) state() (*workload.State, []*appsv1.ReplicaSet, error) {
	obj, ok, _ := w.objs.GetByKey(w.key)
	if !ok {
		return nil, nil, nil
	}
	ro, ok := obj.(runtime.Object)
	if !ok {
		return nil, nil, fmt.Errorf("readiness: unexpected %T in the cache", obj)
	}
	st, err := w.w.Decode(ro)
	if err != nil {
		return nil, nil, err
	}
	return st, w.w.Owned(st, typed[*appsv1.ReplicaSet](w.rss.List())), nil
}

// evaluate recomputes the verdict from the caches.
func (w *watch) evaluate(ctx context.Context) (Result, bool, error) {
	st, owned, err := w.state()
	if err != nil {
		return w.result(), true, err
	}
	if st == nil {
		return w.failed(ctx, nil, fmt.Sprintf("%s was deleted while being gated", w.w.Target().Describe()))
	}
	if w.pin == nil {
		if p, ok := w.w.Pin(st, owned); ok {
			w.pin = p
			w.event("pin", "under gate: "+p.String())
		}
	}
	if w.pin != nil && w.pin.At.IsZero() {
		w.recordBaseline(w.w.NewReplicaSet(owned, w.pin))
	}
	if w.pin != nil && !w.pinned {
		w.pinned = true
		if w.h.Pinned != nil {
			failure, err := w.h.Pinned(ctx, st, owned, w.pin)
			if err != nil {
				return w.result(), true, err
			}
			if failure != "" {
				return w.failed(ctx, owned, failure)
			}
		}
	}
	if w.pin != nil {
		if newer := w.w.SupersededBy(st, w.pin); newer != "" {
			return w.result(), true, fmt.Errorf("%w: %s moved to %s while revision %d was under gate",
				workload.ErrSuperseded, w.w.Target(), newer, w.pin.Revision)
		}
	}
	p := w.w.Progress(st)
	if w.h.Progress != nil {
		p = w.h.Progress(owned, p)
	}
	w.paused = st.Paused
	if p != w.last {
		w.last = p
		w.event("readiness", p.Message)
	}
	if w.h.Snapshot != nil {
		w.h.Snapshot(w.snapshot(owned))
	}
	return w.judge(ctx, p, owned)
}

// judge turns the progress and the new pods into a verdict, or none yet.
func (w *watch) judge(ctx context.Context, p workload.Progress, owned []*appsv1.ReplicaSet) (Result, bool, error) {
	if p.Failed {
		return w.failed(ctx, owned, p.Message)
	}
	if p.Done && (w.h.Skip == nil || !w.h.Skip(p)) {
		res := w.result()
		res.Verdict = Ready
		return res, true, nil
	}
	if w.pin == nil || p.Done {
		return Result{}, false, nil
	}
	rs := w.w.NewReplicaSet(owned, w.pin)
	if doomed := w.doomed(ctx, rs); len(doomed) > 0 {
		return w.failed(ctx, owned, doomed[0].String())
	}
	return Result{}, false, nil
}

func (w *watch) event(phase, msg string) {
	if w.h.Event != nil {
		w.h.Event(phase, msg)
	}
}

// podsOf returns the pods controlled by rs, by name.
func (w *watch) podsOf(rs *appsv1.ReplicaSet) []*corev1.Pod {
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
// transient ones whose grace has run out (an Unschedulable pod's only once
// the cluster autoscaler has not reported a scale-up for it within its
// grace either). New problems are printed once.
func (w *watch) doomed(ctx context.Context, rs *appsv1.ReplicaSet) []PodProblem {
	now := w.h.Now()
	problems := w.podProblems(rs)
	if p, ok := ReplicaSetProblem(rs); ok {
		problems = append([]PodProblem{p}, problems...)
	}
	seen := map[string]bool{}
	var out []PodProblem
	for _, p := range problems {
		k := p.key()
		seen[k] = true
		g := w.grace(k, p, now)
		if !w.reported[k] {
			w.reported[k] = true
			w.event("pods", p.String())
		}
		switch {
		case p.Doomed:
		case !g.over(now):
			continue
		case p.Reason == ReasonUnschedulable && w.scalingUp(ctx, p, g, now):
			continue
		}
		out = append(out, p)
	}
	for k := range w.graces {
		if !seen[k] {
			delete(w.graces, k) // recovered: the grace starts anew next time
			delete(w.reported, k)
		}
	}
	return out
}

// podProblems diagnoses the pods of rs against the pin's baseline; an
// admission rejection the controller has already replaced with a running
// pod is history.
func (w *watch) podProblems(rs *appsv1.ReplicaSet) []PodProblem {
	pods := w.podsOf(rs)
	var out []PodProblem
	for _, pod := range pods {
		for _, p := range DiagnosePod(pod, w.s.MaxRestarts, w.baseline(pod)) {
			if !p.rejected || !Replaced(pod, pods) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (w *watch) nextGraceExpiry() (time.Time, bool) {
	var next time.Time
	for _, g := range w.graces {
		if e := g.since.Add(g.length); next.IsZero() || e.Before(next) {
			next = e
		}
	}
	return next, !next.IsZero()
}

// result is the current state, for reports.
func (w *watch) result() Result {
	r := Result{Progress: w.last, Pin: w.pin, Paused: w.paused}
	if w.pin == nil {
		return r
	}
	if _, owned, err := w.state(); err == nil {
		r.Problems = w.podProblems(w.w.NewReplicaSet(owned, w.pin))
	}
	return r
}

// missing says what a timed-out rollout was still waiting for.
func (w *watch) missing(r Result) string {
	parts := []string{fmt.Sprintf("%s not complete: %s", w.w.Target().Describe(), r.Progress.Message)}
	for _, p := range r.Problems {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// failed ends the watch Failed with a diagnosis of the failing pods.
func (w *watch) failed(ctx context.Context, owned []*appsv1.ReplicaSet, why string) (Result, bool, error) {
	r := w.result()
	what := w.w.Target().Describe()
	var rs *appsv1.ReplicaSet
	if w.pin != nil {
		rs = w.w.NewReplicaSet(owned, w.pin)
		what += fmt.Sprintf(" revision %d", w.pin.Revision)
	}
	r.Verdict, r.Reason = Failed, fmt.Sprintf("%s failed: %s", what, why)
	r.Diagnosis = diagnose(ctx, w.c.Client, w.w.Target().Namespace, rs, w.podsOf(rs), r.Problems)
	return r, true, nil
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
