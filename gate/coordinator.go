package gate

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// coordinator is where the targets of one release meet: the fixed order
// of their Leases and, under the atomic policy, the barrier before any
// action.
type coordinator struct {
	policy ReleasePolicy

	mu sync.Mutex
	// locked[i] is closed once target i is past its Lease (held, or out).
	locked []chan struct{}
	// decided[i]: target i has a verdict or left; outcome[i] says which.
	decided []bool
	outcome []targetOutcome
	left    int
	// failure is the first target that failed, and why.
	failure string
	cancels []context.CancelCauseFunc
	allIn   chan struct{}
	names   []string
}

type targetOutcome struct {
	verdict Verdict
	trouble bool // left without a verdict (error, superseded, already done)
	done    bool // already done: nothing of this run to roll back
}

func newCoordinator(p ReleasePolicy, names []string) *coordinator {
	n := len(names)
	c := &coordinator{policy: p, locked: make([]chan struct{}, n), decided: make([]bool, n), outcome: make([]targetOutcome, n),
		cancels: make([]context.CancelCauseFunc, n), allIn: make(chan struct{}), names: names}
	for i := range c.locked {
		c.locked[i] = make(chan struct{})
	}
	return c
}

// turn waits until every target before i in the fixed order is past its
// Lease: Leases are taken one after the other, in the same order by every
// run.
func (c *coordinator) turn(ctx context.Context, i int) error {
	for j := range i {
		select {
		case <-c.locked[j]:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// pastLock marks target i past its Lease.
func (c *coordinator) pastLock(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.locked[i]:
	default:
		close(c.locked[i])
	}
}

// judging registers the cancel of target i's judging, so an atomic
// failure elsewhere ends its waiting at once.
func (c *coordinator) judging(i int, cancel context.CancelCauseFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancels[i] = cancel
	if c.failure != "" {
		cancel(ErrReleaseFailed)
	}
}

// settle records target i's outcome once; the last one in opens the
// barrier.
func (c *coordinator) settle(i int, o targetOutcome) {
	if c.decided[i] {
		return
	}
	c.decided[i], c.outcome[i] = true, o
	c.left++
	if c.left == len(c.decided) {
		close(c.allIn)
	}
}

// leave marks target i out of the release whatever state it is in: the
// last call of every target's goroutine.
func (c *coordinator) leave(i int) {
	c.pastLock(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle(i, targetOutcome{trouble: true})
}

// ended records how target i ended without coming to decide: settled by
// an earlier run (done: it takes part in no action of this one), or held
// before any judging (a pause that is not rollgate's).
func (c *coordinator) ended(i int, o targetOutcome) {
	c.pastLock(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle(i, o)
}

// decide turns target i's own verdict (or trouble) into the one acted on,
// with the sibling's outcome that changed it ("" when its own stands).
// Independent: its own, at once. Atomic: a failure is acted on at once and
// ends every other target's waiting; any other verdict waits for the whole
// release: the release's failure makes it a failure, a sibling held or in
// trouble makes it waiting (held), and only a release that passed
// everywhere is promoted.
func (c *coordinator) decide(ctx context.Context, i int, pinned bool, v Verdict, why string, err error) (Verdict, string, string, error) {
	c.mu.Lock()
	if c.policy == ReleaseIndependent {
		c.settle(i, targetOutcome{verdict: v, trouble: err != nil})
		c.mu.Unlock()
		return v, why, "", err
	}
	released := c.failure != "" && errors.Is(context.Cause(ctx), ErrReleaseFailed)
	switch {
	case err != nil && !released:
		c.settle(i, targetOutcome{trouble: true})
		c.mu.Unlock()
		return v, why, "", err
	case err == nil && v == VerdictFailed:
		if c.failure == "" {
			c.failure = fmt.Sprintf("%s failed (%s)", c.names[i], why)
			for j, cancel := range c.cancels {
				if j != i && cancel != nil {
					cancel(ErrReleaseFailed)
				}
			}
		}
		c.settle(i, targetOutcome{verdict: v})
		c.mu.Unlock()
		return v, why, "", nil
	case released:
		c.settle(i, targetOutcome{verdict: VerdictFailed})
	default:
		c.settle(i, targetOutcome{verdict: v})
	}
	c.mu.Unlock()
	<-c.allIn // every other target has a verdict, or an atomic failure cancelled its judging
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failure != "" {
		if !pinned {
			return VerdictWaiting, "the atomic release failed (" + c.failure + ") before this target's revision was pinned: nothing of it to roll back", c.failure, nil
		}
		return VerdictFailed, "the release is atomic and " + c.failure, c.failure, nil
	}
	if v != VerdictPassed {
		return v, why, "", nil
	}
	for j, o := range c.outcome {
		switch {
		case j == i || o.done:
		case o.trouble:
			return VerdictWaiting, fmt.Sprintf("passed (%s), but the release is atomic and %s ended in trouble: not promoted", why, c.names[j]), c.names[j] + " ended in trouble", nil
		case o.verdict != VerdictPassed:
			return VerdictWaiting, fmt.Sprintf("passed (%s), but the release is atomic and %s is %s: not promoted", why, c.names[j], o.verdict), fmt.Sprintf("%s is %s", c.names[j], o.verdict), nil
		}
	}
	return v, why, "", nil
}
