package workload

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

// WatchSuperseded watches w while a gate analyses pin and returns an
// ErrSuperseded error as soon as a newer revision replaces it, so the gate
// stops at once instead of judging (and acting on) a release that is no
// longer there. It returns nil when ctx ends first.
func WatchSuperseded(ctx context.Context, w Workload, pin *Pin) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inf, start := w.Informer()
	found := make(chan string, 1)
	check := func(obj any) {
		o, ok := obj.(runtime.Object)
		if m, err := meta.Accessor(obj); !ok || err != nil || m.GetName() != w.Target().Name {
			return // a shared informer sees the namespace's other workloads too
		}
		if st, err := w.Decode(o); err == nil {
			if newer := w.SupersededBy(st, pin); newer != "" {
				select {
				case found <- newer:
				default:
				}
			}
		}
	}
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: check, UpdateFunc: func(_, o any) { check(o) }})
	if err != nil {
		return err
	}
	defer func() { _ = inf.RemoveEventHandler(reg) }() // the informer may be shared and outlive this watch
	start(ctx.Done())
	select {
	case <-ctx.Done():
		return nil
	case newer := <-found:
		return fmt.Errorf("%w: %s moved to %s while revision %d was under gate; nothing was changed", ErrSuperseded, w.Target(), newer, pin.Revision)
	}
}
