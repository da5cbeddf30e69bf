package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify"
)

// slowSlack takes its time over every send and records what it was sent.
type slowSlack struct {
	mu      sync.Mutex
	delay   time.Duration
	reasons []string
}

func (s *slowSlack) Notify(_ context.Context, ev notify.Event) error {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reasons = append(s.reasons, string(ev.Stage)+":"+ev.Report.Reason)
	return errors.New("no answer within the budget")
}

func (s *slowSlack) sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reasons)
}

func TestTellerNeverMakesTheRunWaitForSlack(t *testing.T) {
	slack := &slowSlack{delay: 300 * time.Millisecond}
	tl := newTeller(slack)
	ev := func(stage notify.Stage, reason string) notify.Event {
		return notify.Event{Stage: stage, Report: &gate.Report{Reason: reason}}
	}
	start := time.Now()
	tl.progress(ev(notify.StageStart, "start"))
	for _, r := range []string{"p1", "p2", "p3"} {
		tl.progress(ev(notify.StageReadiness, r))
	}
	if waited := time.Since(start); waited >= slack.delay {
		t.Fatalf("queuing four events took %s: the run waited for Slack", waited)
	}
	for deadline := time.Now().Add(5 * time.Second); slack.sent() < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	errs := tl.verdict(ev(notify.StageVerdict, "done"))
	slack.mu.Lock()
	defer slack.mu.Unlock()
	want := []string{"start:start", "readiness:p3", "verdict:done"}
	if len(slack.reasons) != len(want) {
		t.Fatalf("sent %v, want %v (older progress replaced by the latest)", slack.reasons, want)
	}
	for i := range want {
		if slack.reasons[i] != want[i] {
			t.Errorf("send %d = %s, want %s", i, slack.reasons[i], want[i])
		}
	}
	if len(errs) != 3 {
		t.Errorf("got %d troubles, want one per send: %v", len(errs), errs)
	}
}
