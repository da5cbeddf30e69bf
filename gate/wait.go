package gate

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// ErrTimeout is returned (wrapped) when the gate's own clock runs out.
var ErrTimeout = errors.New("timed out")

// WaitDeployment watches one Deployment until kubectl's rules call it
// complete or failed, reporting every change of progress to observe. It
// watches (one LIST, then a WATCH re-established on drops), never polls.
// When ctx ends, the error says what was still missing.
func WaitDeployment(ctx context.Context, client kubernetes.Interface, ns, name string, observe func(Progress)) (Progress, error) {
	deps := client.AppsV1().Deployments(ns)
	if _, err := deps.Get(ctx, name, metav1.GetOptions{}); err != nil {
		return Progress{}, KubeError(err, "get", "deployments.apps", ns, name)
	}
	byName := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListFunc: func(o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return deps.List(ctx, o)
		},
		WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return deps.Watch(ctx, o)
		},
	}
	var last Progress
	_, err := watchtools.UntilWithSync(ctx, lw, &appsv1.Deployment{}, nil, func(ev watch.Event) (bool, error) {
		if ev.Type == watch.Deleted {
			return false, Errorf(ExitFailed, "deployment %s/%s was deleted while being gated", ns, name)
		}
		d, ok := ev.Object.(*appsv1.Deployment)
		if !ok {
			return false, nil
		}
		p := DeploymentProgress(d)
		if p != last {
			last = p
			observe(p)
		}
		return p.Done || p.Failed, nil
	})
	switch {
	case err == nil && last.Failed:
		return last, Errorf(ExitFailed, "deployment %s/%s failed: %s", ns, name, last.Message)
	case err == nil:
		return last, nil
	case ctx.Err() != nil:
		return last, ctxError(ctx, fmt.Sprintf("deployment %s/%s not complete: %s", ns, name, last.Message))
	}
	return last, WithCode(ExitRuntime, fmt.Errorf("watch deployment %s/%s: %w", ns, name, err))
}

// ctxError explains why the context ended: the gate's clock ran out (a
// failed rollout) or rollgate was cancelled.
func ctxError(ctx context.Context, missing string) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Code: ExitFailed, Err: fmt.Errorf("%w: %s", context.Cause(ctx), missing)}
	}
	return Errorf(ExitCancelled, "cancelled: %s", missing)
}
