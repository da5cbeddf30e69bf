package workload

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/rollgate/rollgate/gate/cluster"
	watchtools "k8s.io/client-go/tools/watch"
)

// waitReplicaSetAvailable watches one ReplicaSet until want of its replicas
// are available: how a gate verifies that an aborted Rollout's stable
// ReplicaSet serves again.
func waitReplicaSetAvailable(ctx context.Context, c cluster.Cluster, ns, name string, want int32) (Progress, error) {
	rss := c.Client.AppsV1().ReplicaSets(ns)
	lw := cluster.ListWatch(fields.OneTermEqualSelector("metadata.name", name).String(),
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return rss.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return rss.Watch(ctx, o) })
	var last Progress
	_, err := watchtools.UntilWithSync(ctx, lw, &appsv1.ReplicaSet{}, nil, func(e watch.Event) (bool, error) {
		rs, ok := e.Object.(*appsv1.ReplicaSet)
		if !ok {
			return false, nil
		}
		if e.Type == watch.Deleted {
			return false, fmt.Errorf("%w: replicaset %s/%s was deleted", ErrCannotAct, ns, name)
		}
		last = Progress{Message: fmt.Sprintf("replicaset %s: %d of %d replicas available", name, rs.Status.AvailableReplicas, want)}
		if rs.Status.AvailableReplicas >= want && rs.Status.ObservedGeneration >= rs.Generation {
			last.Done = true
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return last, fmt.Errorf("%w: %s", context.Cause(ctx), last.Message)
		}
		if errors.Is(err, ErrCannotAct) {
			return last, err
		}
		return last, cluster.Error(err, "watch", "replicasets.apps", ns, name)
	}
	return last, nil
}
