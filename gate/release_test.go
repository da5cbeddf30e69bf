package gate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWorstRanksTroubleThenWhatTheClusterRuns(t *testing.T) {
	for _, tc := range []struct {
		codes []ExitCode
		want  ExitCode
	}{
		{nil, ExitPassed},
		{[]ExitCode{ExitPassed, ExitPassed}, ExitPassed},
		{[]ExitCode{ExitPassed, ExitSuperseded}, ExitSuperseded},
		{[]ExitCode{ExitSuperseded, ExitHeld, ExitPassed}, ExitHeld},
		{[]ExitCode{ExitHeld, ExitFailed}, ExitFailed},
		{[]ExitCode{ExitFailed, ExitCancelled}, ExitCancelled},
		{[]ExitCode{ExitFailed, ExitRuntime, ExitHeld}, ExitRuntime},
		{[]ExitCode{ExitRuntime, ExitBadInput}, ExitBadInput},
	} {
		if got := Worst(tc.codes...); got != tc.want {
			t.Errorf("Worst(%v) = %v, want %v", tc.codes, got, tc.want)
		}
	}
}

// target is one target's run as the coordinator sees it: it judges (ends
// with a verdict after delay, or when its judging is cancelled) and then
// decides.
type target struct {
	verdict   Verdict
	err       error
	delay     time.Duration
	pinned    bool
	rolledOut bool // already rolled out when the run began
}

type decided struct {
	v     Verdict
	why   string
	cause string
	leave bool
	err   error
}

// runTargets drives a coordinator the way RunRelease and gate do.
func runTargets(t *testing.T, p ReleasePolicy, ts []target) []decided {
	t.Helper()
	names := make([]string, len(ts))
	for i := range ts {
		names[i] = "deployment/t" + string(rune('0'+i))
	}
	c := newCoordinator(p, names)
	out := make([]decided, len(ts))
	var wg sync.WaitGroup
	for i, tg := range ts {
		wg.Go(func() {
			defer c.leave(i)
			if err := c.turn(context.Background(), i); err != nil {
				t.Error(err)
				return
			}
			c.pastLock(i)
			jctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			c.judging(i, cancel)
			v, err := tg.verdict, tg.err
			select {
			case <-time.After(tg.delay):
			case <-jctx.Done():
				v, err = VerdictCancelled, nil // what readiness says on a cancel
			}
			r, err := c.decide(jctx, i, member{pinned: tg.pinned, rolledOut: tg.rolledOut}, v, "own reason", err)
			out[i] = decided{v: r.verdict, why: r.why, cause: r.cause, leave: r.leave, err: err}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the release deadlocked")
	}
	return out
}

func TestAtomicReleaseFailsFastAndRollsBackEveryPinnedTarget(t *testing.T) {
	start := time.Now()
	out := runTargets(t, ReleaseAtomic, []target{
		{verdict: VerdictPassed, delay: 10 * time.Millisecond, pinned: true}, // passed early, waits at the barrier
		{verdict: VerdictFailed, delay: 50 * time.Millisecond, pinned: true}, // the doomed one
		{verdict: VerdictPassed, delay: time.Hour, pinned: true},             // still judging: cancelled
		{verdict: VerdictPassed, delay: time.Hour, pinned: false},            // cancelled before its pin
		{verdict: VerdictPassed, pinned: true, rolledOut: true},              // unchanged by the release
	})
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %s: the failure did not end the others' judging", el)
	}
	if out[1].v != VerdictFailed || out[1].cause != "" || out[1].why != "own reason" {
		t.Errorf("the failing target: %+v, want its own failure", out[1])
	}
	for _, i := range []int{0, 2} {
		if out[i].v != VerdictFailed || !strings.Contains(out[i].why, "deployment/t1 failed (own reason)") || out[i].cause == "" {
			t.Errorf("target %d: %+v, want failed with the release", i, out[i])
		}
	}
	if out[3].v != VerdictWaiting || !strings.Contains(out[3].why, "before this target's revision was pinned") {
		t.Errorf("unpinned target: %+v, want held: nothing of it to roll back", out[3])
	}
	if out[4].v == VerdictFailed || !out[4].leave || !strings.Contains(out[4].why, "already rolled out when the run began") {
		t.Errorf("a target already rolled out at the start: %+v, want left as it is, never rolled back", out[4])
	}
	for i, d := range out[:4] {
		if d.leave {
			t.Errorf("target %d is left alone: %+v", i, d)
		}
	}
}

func TestAtomicReleasePromotesOnlyWhenEveryTargetPassed(t *testing.T) {
	out := runTargets(t, ReleaseAtomic, []target{
		{verdict: VerdictPassed, pinned: true},
		{verdict: VerdictInconclusive, delay: 20 * time.Millisecond, pinned: true},
		{verdict: VerdictPassed, delay: 5 * time.Millisecond, pinned: true},
		{verdict: VerdictPassed, pinned: true, rolledOut: true},
	})
	if !out[3].leave || out[3].v == VerdictWaiting {
		t.Errorf("a target already rolled out at the start: %+v, want left as it is, not held (paused)", out[3])
	}
	for _, i := range []int{0, 2} {
		if out[i].v != VerdictWaiting || !strings.Contains(out[i].why, "deployment/t1 is inconclusive: not promoted") {
			t.Errorf("target %d: %+v, want held for its inconclusive sibling", i, out[i])
		}
	}
	if out[1].v != VerdictInconclusive || out[1].cause != "" {
		t.Errorf("the inconclusive target: %+v, want its own verdict", out[1])
	}

	all := runTargets(t, ReleaseAtomic, []target{{verdict: VerdictPassed, pinned: true}, {verdict: VerdictPassed, delay: 10 * time.Millisecond, pinned: true}})
	for i, d := range all {
		if d.v != VerdictPassed || d.cause != "" {
			t.Errorf("target %d of a passing release: %+v", i, d)
		}
	}
}

func TestAtomicReleaseHoldsWhenASiblingEndsInTrouble(t *testing.T) {
	boom := errors.New("prometheus unreachable")
	out := runTargets(t, ReleaseAtomic, []target{
		{verdict: VerdictPassed, pinned: true},
		{err: boom, delay: 10 * time.Millisecond, pinned: true},
	})
	if !errors.Is(out[1].err, boom) {
		t.Errorf("the target in trouble keeps its error: %+v", out[1])
	}
	if out[0].v != VerdictWaiting || !strings.Contains(out[0].why, "ended in trouble") {
		t.Errorf("the passing target: %+v, want held", out[0])
	}
}

func TestIndependentReleaseActsOnEachVerdictAlone(t *testing.T) {
	out := runTargets(t, ReleaseIndependent, []target{
		{verdict: VerdictPassed, delay: 30 * time.Millisecond, pinned: true},
		{verdict: VerdictFailed, pinned: true},
	})
	if out[0].v != VerdictPassed || out[1].v != VerdictFailed || out[0].cause != "" || out[1].cause != "" {
		t.Errorf("independent: %+v", out)
	}
}

func TestLeasesAreTakenInTheFixedOrder(t *testing.T) {
	c := newCoordinator(ReleaseAtomic, []string{"a", "b", "c"})
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for _, i := range []int{2, 1, 0} { // started in reverse
		wg.Go(func() {
			if err := c.turn(context.Background(), i); err != nil {
				t.Error(err)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			c.pastLock(i)
		})
	}
	wg.Wait()
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Errorf("leases taken in order %v, want [0 1 2]", order)
	}
}
