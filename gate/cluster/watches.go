package cluster

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// Watches shares one informer per resource per namespace among the gates
// of one run, so a release of many workloads costs one list and one watch
// per kind per namespace, not one per workload. Informers start on first
// use and stop when the context given to NewWatches ends. Each gate reads
// the shared caches and picks its own objects (by name, by controller
// UID), as it does from the per-gate informers it uses without Watches.
type Watches struct {
	c    Cluster
	stop <-chan struct{}

	mu    sync.Mutex
	typed map[string]informers.SharedInformerFactory
	dyn   map[string]dynamicinformer.DynamicSharedInformerFactory
	// forbidden fans a refused list or watch out to the gates that read
	// the informer: an informer retries forever, a gate must not wait.
	forbidden map[cache.SharedIndexInformer]*fanout
}

// NewWatches returns the shared informers of one run.
func NewWatches(ctx context.Context, c Cluster) *Watches {
	return &Watches{c: c, stop: ctx.Done(), typed: map[string]informers.SharedInformerFactory{},
		dyn: map[string]dynamicinformer.DynamicSharedInformerFactory{}, forbidden: map[cache.SharedIndexInformer]*fanout{}}
}

// Typed returns the namespace's started informer that pick chooses from
// the typed factory (Deployments, ReplicaSets, Pods).
func (w *Watches) Typed(ns string, pick func(informers.SharedInformerFactory) cache.SharedIndexInformer) cache.SharedIndexInformer {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.typed[ns]
	if !ok {
		f = informers.NewSharedInformerFactoryWithOptions(w.c.Client, 0, informers.WithNamespace(ns))
		w.typed[ns] = f
	}
	inf := pick(f)
	w.watchErrors(inf)
	f.Start(w.stop) // starts only the informers not started yet
	return inf
}

// Dynamic returns the namespace's started informer for a custom resource
// (Argo Rollouts).
func (w *Watches) Dynamic(ns string, gvr schema.GroupVersionResource) cache.SharedIndexInformer {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.dyn[ns]
	if !ok {
		f = dynamicinformer.NewFilteredDynamicSharedInformerFactory(w.c.Dynamic, 0, ns, nil)
		w.dyn[ns] = f
	}
	inf := f.ForResource(gvr).Informer()
	w.watchErrors(inf)
	f.Start(w.stop)
	return inf
}

// watchErrors installs the fan-out of forbidden errors on an informer
// before it starts (client-go accepts the handler only then).
func (w *Watches) watchErrors(inf cache.SharedIndexInformer) {
	if _, ok := w.forbidden[inf]; ok {
		return
	}
	f := &fanout{subs: map[int]func(error){}}
	w.forbidden[inf] = f
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			f.send(err) // forbidden, or no such resource (a CRD not installed)
		}
	})
}

// OnRefused calls fn with the error each time the informer's list or
// watch is refused (forbidden, or the resource does not exist), and at
// once if it already was; remove stops that.
func (w *Watches) OnRefused(inf cache.SharedIndexInformer, fn func(error)) (remove func()) {
	w.mu.Lock()
	f, ok := w.forbidden[inf]
	w.mu.Unlock()
	if !ok {
		return func() {}
	}
	return f.add(fn)
}

type fanout struct {
	mu   sync.Mutex
	next int
	last error
	subs map[int]func(error)
}

func (f *fanout) send(err error) {
	f.mu.Lock()
	f.last = err
	subs := make([]func(error), 0, len(f.subs))
	for _, s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		s(err)
	}
}

func (f *fanout) add(fn func(error)) func() {
	f.mu.Lock()
	id, last := f.next, f.last
	f.next++
	f.subs[id] = fn
	f.mu.Unlock()
	if last != nil {
		fn(last)
	}
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

// Synced waits until the informer's cache holds its first list; a refused
// list ends the wait with that error (resource names what was listed).
func (w *Watches) Synced(ctx context.Context, inf cache.SharedIndexInformer, resource, ns string) error {
	refused := make(chan error, 1)
	defer w.OnRefused(inf, func(err error) {
		select {
		case refused <- Error(err, "list/watch", resource, ns, ""):
		default:
		}
	})()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !inf.HasSynced() {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case err := <-refused:
			return err
		case <-tick.C:
		}
	}
	return nil
}
