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

// Holder is who takes a Lease: a gate of one generation of the workload.
type Holder struct {
	// ID names the gate for people (host, pid, CI job).
	ID string
	// Generation is the workload's metadata.generation the gate judges.
	Generation int64
}

// identity is how a holder is written in the Lease; generationOf reads it back.
func (h Holder) identity() string { return fmt.Sprintf("%s [generation %d]", h.ID, h.Generation) }

func generationOf(identity string) int64 {
	i := strings.LastIndex(identity, " [generation ")
	if i < 0 {
		return 0
	}
	var g int64
	if _, err := fmt.Sscanf(identity[i:], " [generation %d]", &g); err != nil {
		return 0
	}
	return g
}

// Acquire takes the target's Lease for h. A Lease held by a gate of an
// older generation (the previous pipeline, about to find itself
// superseded) is waited for, up to its duration and a few seconds; one
// held for the same generation is a duplicate job and refused at once
// (ErrHeld, exit 4). Expiry is measured on this gate's own clock, the way
// client-go's leaderelection does it (observedTime): a record that did not
// change for its whole duration while watched belongs to a gate that is
// gone, and is taken over. Another host's RenewTime is never compared
// with the local clock.
func Acquire(ctx context.Context, client kubernetes.Interface, t workload.Target, h Holder, duration time.Duration, now func() time.Time) (*Lock, error) {
	if now == nil {
		now = time.Now
	}
	id := h.identity()
	l := &Lock{duration: duration, now: now, lock: &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: t.Namespace, Name: Name(t)},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: id},
	}}
	deadline := now().Add(duration + 5*time.Second)
	var seen *resourcelock.LeaderElectionRecord
	var seenAt time.Time
	for {
		old, _, err := l.lock.Get(ctx)
		switch {
		case apierrors.IsNotFound(err):
			return l.take(ctx, id, nil)
		case err != nil:
			return nil, l.kubeError(err, "get")
		case old.HolderIdentity == "" || old.HolderIdentity == id:
			return l.take(ctx, id, old)
		case generationOf(old.HolderIdentity) == h.Generation:
			return nil, fmt.Errorf("%w: generation %d of %s is already under gate (a duplicate job?): %v", ErrHeld, h.Generation, t, l.held(old))
		}
		switch {
		case seen == nil:
			seen, seenAt = old, now()
		case !sameRecord(*seen, *old):
			// It was renewed: its holder is alive. Only an older
			// generation's gate is worth waiting for.
			if generationOf(old.HolderIdentity) >= h.Generation || generationOf(old.HolderIdentity) == 0 {
				return nil, l.held(old)
			}
			seen, seenAt = old, now()
		case now().Sub(seenAt) >= time.Duration(old.LeaseDurationSeconds)*time.Second:
			return l.take(ctx, id, old) // unchanged for its whole duration on our clock: expired
		}
		if now().After(deadline) {
			return nil, l.held(old)
		}
		select {
		case <-ctx.Done():
			return nil, l.held(old)
		case <-time.After(min(time.Second, duration/10)):
		}
	}
}

// take writes this gate into the Lease; a conflict means another gate
// took it at the same moment.
func (l *Lock) take(ctx context.Context, id string, old *resourcelock.LeaderElectionRecord) (*Lock, error) {
	ts := metav1.NewTime(l.now())
	rec := resourcelock.LeaderElectionRecord{HolderIdentity: id, LeaseDurationSeconds: int(l.duration.Seconds()), AcquireTime: ts, RenewTime: ts}
	var err error
	if old == nil {
		err = l.lock.Create(ctx, rec)
	} else {
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

func sameRecord(a, b resourcelock.LeaderElectionRecord) bool {
	return a.HolderIdentity == b.HolderIdentity && a.RenewTime.Equal(&b.RenewTime) && a.LeaseDurationSeconds == b.LeaseDurationSeconds
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
