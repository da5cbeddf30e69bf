// Package cluster is rollgate's connection to the Kubernetes API: the typed
// and dynamic clients the engine is given, the translation of API errors
// into messages that say what to grant or fix (with sentinels for the
// states callers branch on), and the small list/watch helpers every watch
// shares.
package cluster

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Cluster is the API the engine talks to: typed clients for the core kinds,
// the dynamic client for Argo Rollouts (rollgate needs neither the
// argo-rollouts Go module nor its CRDs to build).
type Cluster struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	// Watches, when set, are the namespace-wide informers the gates of a
	// release share; nil: each watch lists and watches its own objects.
	Watches *Watches
}

// ListWatch builds a ListWatch restricted by a field selector.
func ListWatch(fieldSelector string, list func(context.Context, metav1.ListOptions) (runtime.Object, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error)) *cache.ListWatch {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = fieldSelector
			return list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = fieldSelector
			return watchFn(ctx, o)
		},
	}
}

// Pointers returns pointers to the items of a List, in order.
func Pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
