package gate

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// WatchSuperseded watches the target while a gate analyses it and returns
// an ExitSuperseded error as soon as a newer revision replaces the pinned
// one, so the gate stops at once instead of judging (and acting on) a
// release that is no longer there. It returns nil when ctx ends first.
func WatchSuperseded(ctx context.Context, client kubernetes.Interface, dyn dynamic.Interface, t Target, pin *Pin) error {
	sel := fields.OneTermEqualSelector("metadata.name", t.Name).String()
	var lw *cache.ListWatch
	var example runtime.Object
	var newer func(runtime.Object) string
	if t.Kind == KindRollout {
		r := dyn.Resource(RolloutGVR).Namespace(t.Namespace)
		lw = listWatch(sel, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return r.List(ctx, o) },
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return r.Watch(ctx, o) })
		example = &unstructured.Unstructured{}
		newer = func(obj runtime.Object) string {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				return rolloutKind{}.supersededBy(u, pin)
			}
			return ""
		}
	} else {
		d := client.AppsV1().Deployments(t.Namespace)
		lw = listWatch(sel, func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return d.List(ctx, o) },
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return d.Watch(ctx, o) })
		example = &appsv1.Deployment{}
		newer = func(obj runtime.Object) string {
			if d, ok := obj.(*appsv1.Deployment); ok {
				return deploymentKind{}.supersededBy(d, pin)
			}
			return ""
		}
	}
	var found string
	_, err := watchtools.UntilWithSync(ctx, lw, example, nil, func(e watch.Event) (bool, error) {
		found = newer(e.Object)
		return found != "", nil
	})
	if found != "" {
		return Errorf(ExitSuperseded, "superseded: %s moved to %s while revision %d was under gate; nothing was changed", t, found, pin.Revision)
	}
	if ctx.Err() != nil {
		return nil
	}
	return KubeError(err, "watch", string(t.Kind), t.Namespace, t.Name)
}

func listWatch(fieldSelector string, list func(context.Context, metav1.ListOptions) (runtime.Object, error),
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
