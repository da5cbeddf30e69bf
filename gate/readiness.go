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
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
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
	Preflight func(ctx context.Context, d *appsv1.Deployment) error
	Now       func() time.Time
}

// ReadinessResult is the outcome of watching a rollout.
type ReadinessResult struct {
	Progress Progress     `json:"progress"`
	Pin      *Pin         `json:"pin,omitempty"`
	Problems []PodProblem `json:"problems,omitempty"`
	// Diagnosis is filled on failure: per failing pod its events and logs.
	Diagnosis []PodDiagnosis `json:"diagnosis,omitempty"`
}

// deploymentWatch holds the informer caches of one gated Deployment: the
// Deployment itself (by name), and its ReplicaSets and pods (by selector).
type deploymentWatch struct {
	client   kubernetes.Interface
	ns, name string
	opts     ReadinessOptions
	deps     cache.Indexer
	rss      cache.Indexer
	pods     cache.Indexer
	changed  chan struct{}

	pin       *Pin
	last      Progress
	firstSeen map[string]time.Time // transient problem -> when first seen
	reported  map[string]bool      // problems already printed
}

// WatchDeployment waits until the Deployment's rollout completes (kubectl's
// rules), is doomed (DiagnosePod, ReplicaFailure), is superseded by a newer
// revision, or ctx ends. It watches through informers, which re-establish
// dropped watches themselves; it never polls and never writes.
func WatchDeployment(ctx context.Context, client kubernetes.Interface, ns, name string, opts ReadinessOptions) (ReadinessResult, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ReadinessResult{}, KubeError(err, "get", "deployments.apps", ns, name)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return ReadinessResult{}, Errorf(ExitBadInput, "deployment %s/%s has an invalid selector: %w", ns, name, err)
	}
	w := &deploymentWatch{client: client, ns: ns, name: name, opts: opts, changed: make(chan struct{}, 1),
		firstSeen: map[string]time.Time{}, reported: map[string]bool{}}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if err := w.start(ctx, sel.String()); err != nil {
		return ReadinessResult{}, err
	}
	return w.loop(ctx)
}

func (w *deploymentWatch) start(ctx context.Context, selector string) error {
	byName := informers.NewSharedInformerFactoryWithOptions(w.client, 0, informers.WithNamespace(w.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", w.name).String()
		}))
	bySel := informers.NewSharedInformerFactoryWithOptions(w.client, 0, informers.WithNamespace(w.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = selector }))
	type watched struct {
		inf      cache.SharedIndexInformer
		resource string
		dst      *cache.Indexer
	}
	all := []watched{
		{byName.Apps().V1().Deployments().Informer(), "deployments.apps", &w.deps},
		{bySel.Apps().V1().ReplicaSets().Informer(), "replicasets.apps", &w.rss},
		{bySel.Core().V1().Pods().Informer(), "pods", &w.pods},
	}
	poke := func(any) {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	var watchErr error
	for _, x := range all {
		*x.dst = x.inf.GetIndexer()
		if _, err := x.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: poke, UpdateFunc: func(_, o any) { poke(o) }, DeleteFunc: poke,
		}); err != nil {
			return WithCode(ExitRuntime, err)
		}
		resource := x.resource
		_ = x.inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
			if apierrors.IsForbidden(err) && watchErr == nil {
				watchErr = KubeError(err, "list/watch", resource, w.ns, "")
				poke(nil)
			}
		})
	}
	byName.Start(ctx.Done())
	bySel.Start(ctx.Done())
	for _, x := range all {
		if !cache.WaitForCacheSync(ctx.Done(), x.inf.HasSynced) {
			if watchErr != nil {
				return watchErr
			}
			return ctxError(ctx, "the watch caches did not sync")
		}
	}
	return nil
}

func (w *deploymentWatch) loop(ctx context.Context) (ReadinessResult, error) {
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
		case <-w.changed:
		case <-timer.C:
		}
	}
}

// evaluate recomputes the verdict from the caches.
func (w *deploymentWatch) evaluate(ctx context.Context) (ReadinessResult, bool, error) {
	obj, ok, _ := w.deps.GetByKey(w.ns + "/" + w.name)
	if !ok {
		return w.result(), true, Errorf(ExitFailed, "deployment %s/%s was deleted while being gated", w.ns, w.name)
	}
	d := obj.(*appsv1.Deployment)
	owned := ownedReplicaSets(d, typed[*appsv1.ReplicaSet](w.rss.List()))
	rev := revisionOf(d)
	if w.pin == nil && d.Status.ObservedGeneration >= d.Generation && newReplicaSet(owned, rev) != nil {
		p := pinDeployment(d, owned, rev)
		w.pin = &p
		w.observe("pin", pinText(p))
		if w.opts.Preflight != nil {
			if err := w.opts.Preflight(ctx, d); err != nil {
				return w.result(), true, err
			}
		}
	}
	if w.pin != nil && rev > w.pin.Revision {
		return w.result(), true, Errorf(ExitSuperseded, "superseded: deployment %s/%s moved to revision %d while revision %d was under gate",
			w.ns, w.name, rev, w.pin.Revision)
	}
	p := DeploymentProgress(d)
	if d.Spec.Paused && !p.Done && !p.Failed {
		p.Message += " (the deployment is paused: resume it to continue)"
	}
	if p != w.last {
		w.last = p
		w.observe("readiness", p.Message)
	}
	if p.Done {
		return w.result(), true, nil
	}
	if p.Failed {
		return w.fail(ctx, d, owned, p.Message)
	}
	if w.pin == nil {
		return ReadinessResult{}, false, nil
	}
	rs := newReplicaSet(owned, w.pin.Revision)
	if c := replicaFailure(rs); c != "" {
		return w.fail(ctx, d, owned, fmt.Sprintf("replicaset %s cannot create pods: %s", rs.Name, c))
	}
	if doomed := w.doomed(rs); len(doomed) > 0 {
		return w.fail(ctx, d, owned, doomed[0].String())
	}
	return ReadinessResult{}, false, nil
}

func (w *deploymentWatch) observe(phase, msg string) {
	if w.opts.Observe != nil {
		w.opts.Observe(phase, msg)
	}
}

func pinText(p Pin) string {
	s := fmt.Sprintf("revision %d under gate (pod-template-hash %s, %s)", p.Revision, p.TemplateHash, strings.Join(p.Images, ", "))
	if p.Stable != nil {
		s += fmt.Sprintf("; stable revision %d (%s)", p.Stable.Revision, strings.Join(p.Stable.Images, ", "))
	}
	return s
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
func (w *deploymentWatch) podsOf(rs *appsv1.ReplicaSet) []*corev1.Pod {
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
func (w *deploymentWatch) doomed(rs *appsv1.ReplicaSet) []PodProblem {
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

func (w *deploymentWatch) nextGraceExpiry() (time.Time, bool) {
	var next time.Time
	for _, t := range w.firstSeen {
		if e := t.Add(w.opts.Grace); next.IsZero() || e.Before(next) {
			next = e
		}
	}
	return next, !next.IsZero()
}

// result is the current state, for reports.
func (w *deploymentWatch) result() ReadinessResult {
	r := ReadinessResult{Progress: w.last, Pin: w.pin}
	if w.pin != nil {
		if obj, ok, _ := w.deps.GetByKey(w.ns + "/" + w.name); ok {
			owned := ownedReplicaSets(obj.(*appsv1.Deployment), typed[*appsv1.ReplicaSet](w.rss.List()))
			for _, pod := range w.podsOf(newReplicaSet(owned, w.pin.Revision)) {
				r.Problems = append(r.Problems, DiagnosePod(pod, w.opts.MaxRestarts)...)
			}
		}
	}
	return r
}

// missing says what a timed-out rollout was still waiting for.
func (w *deploymentWatch) missing(r ReadinessResult) string {
	parts := []string{fmt.Sprintf("deployment %s/%s not complete: %s", w.ns, w.name, r.Progress.Message)}
	for _, p := range r.Problems {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// fail ends the gate with a diagnosis of the failing pods.
func (w *deploymentWatch) fail(ctx context.Context, d *appsv1.Deployment, owned []*appsv1.ReplicaSet, why string) (ReadinessResult, bool, error) {
	r := w.result()
	rev := revisionOf(d)
	if w.pin != nil {
		rev = w.pin.Revision
	}
	rs := newReplicaSet(owned, rev)
	r.Diagnosis = diagnose(ctx, w.client, w.ns, rs, w.podsOf(rs), r.Problems)
	return r, true, Errorf(ExitFailed, "deployment %s/%s revision %d failed: %s", w.ns, w.name, rev, why)
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
