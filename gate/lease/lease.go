// Package lease is the lock that keeps two gates off one workload: a
// coordination.k8s.io/v1 Lease per target, taken through client-go's
// resourcelock.LeaseLock (k8s.io/client-go/tools/leaderelection/resourcelock),
// renewed in the background and released at the end.
package lease

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/workload"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// ErrHeld: another gate holds the target's Lease.
var ErrHeld = errors.New("lease held by another gate")

// DefaultDuration is how long a crashed gate's lock outlives it.
const DefaultDuration = 30 * time.Second

// Lock is a coordination.k8s.io/v1 Lease held by one gate run on one
// target, renewed in the background until Release. Two pipelines never gate
// (or roll back) the same workload at once.
type Lock struct {
	lock     *resourcelock.LeaseLock
	duration time.Duration
	now      func() time.Time

	mu     sync.Mutex
	record resourcelock.LeaderElectionRecord
	stop   context.CancelFunc
	done   chan struct{}
	lost   error
}

// Name is the Lease a gate on t takes, in t's namespace.
func Name(t workload.Target) string {
	return "rollgate-" + strings.ToLower(string(t.Kind)) + "-" + t.Name
}

// Acquire takes the target's Lease for holder, or fails at once (exit
// 4) naming the gate that holds it. An expired Lease (its holder crashed or
// was killed) is taken over.
func Acquire(ctx context.Context, client kubernetes.Interface, t workload.Target, holder string, duration time.Duration, now func() time.Time) (*Lock, error) {
	if now == nil {
		now = time.Now
	}
	l := &Lock{duration: duration, now: now, lock: &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: t.Namespace, Name: Name(t)},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: holder},
	}}
	ts := metav1.NewMicroTime(now())
	rec := resourcelock.LeaderElectionRecord{HolderIdentity: holder, LeaseDurationSeconds: int(duration.Seconds()),
		AcquireTime: metav1.NewTime(ts.Time), RenewTime: metav1.NewTime(ts.Time)}
	old, _, err := l.lock.Get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		err = l.lock.Create(ctx, rec)
	case err != nil:
		return nil, l.kubeError(err, "get")
	case old.HolderIdentity != "" && old.HolderIdentity != holder && old.RenewTime.Add(time.Duration(old.LeaseDurationSeconds)*time.Second).After(now()):
		return nil, l.held(old)
	default:
		rec.LeaderTransitions = old.LeaderTransitions + 1
		err = l.lock.Update(ctx, rec)
	}
	if apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
		if cur, _, gerr := l.lock.Get(ctx); gerr == nil {
			return nil, l.held(cur)
		}
		return nil, fmt.Errorf("%w: lease %s: another gate took it at the same moment: %v", ErrHeld, l.lock.Describe(), err)
	}
	if err != nil {
		return nil, l.kubeError(err, "create/update")
	}
	l.record = rec
	rctx, stop := context.WithCancel(context.Background())
	l.stop, l.done = stop, make(chan struct{})
	go l.renew(rctx)
	return l, nil
}

func (l *Lock) held(r *resourcelock.LeaderElectionRecord) error {
	return fmt.Errorf("%w: another gate holds lease %s: %s (since %s, renewed %s); wait for it to finish, or delete the lease if that job is gone",
		ErrHeld, l.lock.Describe(), r.HolderIdentity, r.AcquireTime.UTC().Format(time.RFC3339), r.RenewTime.UTC().Format(time.RFC3339))
}

func (l *Lock) kubeError(err error, verb string) error {
	return cluster.Error(err, verb, "leases.coordination.k8s.io", l.lock.LeaseMeta.Namespace, l.lock.LeaseMeta.Name)
}

// renew refreshes the Lease every third of its duration.
func (l *Lock) renew(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.duration / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		l.record.RenewTime = metav1.NewTime(l.now())
		rctx, cancel := context.WithTimeout(ctx, l.duration/3)
		err := l.lock.Update(rctx, l.record)
		cancel()
		switch {
		case err == nil:
			l.lost = nil // a passing hiccup: the lease is still ours
		case ctx.Err() == nil:
			// A conflict means someone else wrote it: every later
			// update conflicts too, so this stays set.
			l.lost = fmt.Errorf("renew lease %s: %w", l.lock.Describe(), err)
		}
		l.mu.Unlock()
	}
}

// Lost returns the failure of the last renewal, if it failed.
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops renewing and gives the Lease up (holder cleared), so the
// next gate need not wait for it to expire.
func (l *Lock) Release(ctx context.Context) error {
	l.stop()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := l.record
	rec.HolderIdentity = ""
	rec.RenewTime = metav1.NewTime(l.now())
	rec.LeaseDurationSeconds = 1
	if err := l.lock.Update(ctx, rec); err != nil {
		return l.kubeError(err, "update")
	}
	return nil
}
