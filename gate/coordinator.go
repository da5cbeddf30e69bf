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
	trouble bool // left without a verdict (an error, superseded)
	done    bool // already done: nothing of this run to roll back
}

// member is what the coordinator needs to know of a target at its
// decision: whether its revision under gate was pinned, and whether it was
// already rolled out when the run began (so not part of what the run
// gates: a release that failed leaves it as it is).
type member struct {
	pinned, rolledOut bool
}

// released is the decision a target acts on: the verdict and its reason,
// the sibling's outcome that changed it (cause, "" when its own stands),
// and leave: act on nothing, the target stays as it is.
type released struct {
	verdict Verdict
	why     string
	cause   string
	leave   bool
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

// decide turns target i's own verdict (or trouble) into the one acted on.
// Independent: its own, at once. Atomic: a failure is acted on at once and
// ends every other target's waiting; any other verdict waits for the whole
// release: the release's failure rolls back a target whose revision this
// run pinned while it rolled out (one already rolled out when the run
// began is left as it is, one never pinned is held), a sibling held or in trouble
// makes a passed target held, and only a release that passed everywhere is
// promoted.
func (c *coordinator) decide(ctx context.Context, i int, m member, v Verdict, why string, err error) (released, error) {
	own := released{verdict: v, why: why}
	c.mu.Lock()
	if c.policy == ReleaseIndependent {
		c.settle(i, targetOutcome{verdict: v, trouble: err != nil})
		c.mu.Unlock()
		return own, err
	}
	cut := c.failure != "" && errors.Is(context.Cause(ctx), ErrReleaseFailed)
	switch {
	case err != nil && !cut:
		c.settle(i, targetOutcome{trouble: true})
		c.mu.Unlock()
		return own, err
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
		return own, nil
	case cut:
		c.settle(i, targetOutcome{verdict: VerdictFailed})
	default:
		c.settle(i, targetOutcome{verdict: v})
	}
	c.mu.Unlock()
	<-c.allIn // every other target has a verdict, or an atomic failure cancelled its judging
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failure != "" {
		switch {
		case m.rolledOut:
			return released{verdict: VerdictInconclusive, cause: c.failure, leave: true,
				why: "the atomic release failed (" + c.failure + "), but this target was already rolled out when the run began: not part of what it gated, left as it is"}, nil
		case !m.pinned: // its new revision not observed yet: held, never rolled back blind
			return released{verdict: VerdictWaiting, cause: c.failure,
				why: "the atomic release failed (" + c.failure + ") before this target's revision was pinned: nothing of it to roll back"}, nil
		}
		return released{verdict: VerdictFailed, why: "the release is atomic and " + c.failure, cause: c.failure}, nil
	}
	if v != VerdictPassed {
		return own, nil
	}
	for j, o := range c.outcome {
		var sibling string
		switch {
		case j == i || o.done:
		case o.trouble:
			sibling = c.names[j] + " ended in trouble"
		case o.verdict != VerdictPassed:
			sibling = fmt.Sprintf("%s is %s", c.names[j], o.verdict)
		}
		if sibling != "" && m.rolledOut { // nothing of it to hold: no pause on a rollout the release did not change
			return released{verdict: VerdictInconclusive, cause: sibling, leave: true,
				why: fmt.Sprintf("passed (%s), but the release is atomic and %s; this target was already rolled out when the run began: left as it is", why, sibling)}, nil
		}
		if sibling != "" {
			return released{verdict: VerdictWaiting, cause: sibling,
				why: fmt.Sprintf("passed (%s), but the release is atomic and %s: not promoted", why, sibling)}, nil
		}
	}
	return own, nil
}
