// Package workload is the one place that knows each kind of workload
// rollgate gates. For(target) is the only switch on the kind; the value it
// returns reads the object (progress, the revision under gate and its
// pods, the template a rollback restores, template variables, quota need,
// hygiene input) and writes it (promote, hold, roll back or abort) with the
// patches the official CLIs send. Everything above this package talks to a
// Workload, never to a *appsv1.Deployment or an unstructured Rollout.
package workload

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/gate/quota"
)

// Workload is one gated object of a known kind.
type Workload interface {
	Target() Target
	// Resource is the API resource, for messages: "deployments.apps".
	Resource() string
	// Get reads the object now and decodes it.
	Get(ctx context.Context) (*State, error)
	// Informer watches the object alone (by name); Decode reads what it caches.
	Informer() (inf cache.SharedIndexInformer, start func(stop <-chan struct{}))
	Decode(obj runtime.Object) (*State, error)

	// Owned are the ReplicaSets the object controls, newest revision first.
	Owned(st *State, rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet
	// Progress applies the kind's completion rules.
	Progress(st *State) Progress
	// Pin returns the revision under gate once it can be known.
	Pin(st *State, owned []*appsv1.ReplicaSet) (*Pin, bool)
	// SupersededBy names a newer revision that replaced pin, or "".
	SupersededBy(st *State, pin *Pin) string
	// NewReplicaSet is the pinned revision's ReplicaSet among owned.
	NewReplicaSet(owned []*appsv1.ReplicaSet, pin *Pin) *appsv1.ReplicaSet
	// Restore reads what a rollback of pin would restore; nil when the
	// kind restores by itself (a Rollout's abort) or nothing is recorded.
	Restore(ctx context.Context, st *State, pin *Pin) (*Restore, error)
	// RollbackPlan says what a rollback of pin would do, given what
	// Restore read, for the timeline.
	RollbackPlan(pin *Pin, to *Restore) string
	// Quota is the rollout's need for the quota preflight.
	Quota(st *State) (quota.Rollout, error)
	// Hygiene is what the preflight rules look at.
	Hygiene(st *State) (preflight.Workload, error)

	// Blocked says whether the template in the spec cannot roll out
	// because the object is paused before its ReplicaSet exists, and
	// whether rollgate's own hold is what pauses it.
	Blocked(st *State, owned []*appsv1.ReplicaSet) (blocked, ours bool)

	// Promote records pin verified and lets the rollout go on (full:
	// every remaining step at once).
	Promote(ctx context.Context, pin *Pin, full bool, g Guard) (Change, error)
	// Hold leaves the rollout paused for a person.
	Hold(ctx context.Context, g Guard) (Change, error)
	// Resume lifts rollgate's own hold.
	Resume(ctx context.Context, g Guard) (Change, error)
	// Rollback returns to the pre-deploy state: the restored template, or
	// a Rollout's abort.
	Rollback(ctx context.Context, pin *Pin, to *Restore, g Guard) (Change, error)
	// VerifyStable waits, after a Rollout's abort, until the stable pods
	// serve again; nil for kinds whose rollback is a new rollout to watch.
	VerifyStable() func(ctx context.Context) (Progress, error)

	// replicaSets lists the ReplicaSets the object's selector matches.
	replicaSets(ctx context.Context, st *State) ([]*appsv1.ReplicaSet, error)
}

// For returns the model of t's kind: the only switch on the kind outside
// parsing.
func For(c cluster.Cluster, t Target) (Workload, error) {
	switch t.Kind {
	case KindDeployment:
		return &deployment{base{c: c, t: t}}, nil
	case KindRollout:
		return &rollout{base: base{c: c, t: t}}, nil
	}
	return nil, fmt.Errorf("unknown kind %q: use Deployment or Rollout", t.Kind)
}

// CurrentPin reads the workload as it is now and pins its current revision,
// for commands that act on what runs now.
func CurrentPin(ctx context.Context, w Workload) (*State, *Pin, error) {
	st, err := w.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	rss, err := ReplicaSets(ctx, w, st)
	if err != nil {
		return st, nil, err
	}
	p, ok := w.Pin(st, w.Owned(st, rss))
	if !ok {
		return st, nil, fmt.Errorf("%s has no current revision yet: wait for its controller", w.Target().Describe())
	}
	return st, p, nil
}

// base is what every kind shares: the cluster and the target.
type base struct {
	c cluster.Cluster
	t Target
}

func (b *base) Target() Target { return b.t }

func (b *base) replicaSets(ctx context.Context, st *State) ([]*appsv1.ReplicaSet, error) {
	l, err := b.c.Client.AppsV1().ReplicaSets(b.t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: st.Selector.String()})
	if err != nil {
		return nil, cluster.Error(err, "list", "replicasets.apps", b.t.Namespace, "")
	}
	return cluster.Pointers(l.Items), nil
}

// ReplicaSets lists the ReplicaSets w's selector matches.
func ReplicaSets(ctx context.Context, w Workload, st *State) ([]*appsv1.ReplicaSet, error) {
	return w.replicaSets(ctx, st)
}
