package promql

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type countingQuerier struct {
	calls atomic.Int32
	fail  bool
	ats   sync.Map
}

func (c *countingQuerier) Query(_ context.Context, q string, at time.Time) (Result, error) {
	c.calls.Add(1)
	c.ats.Store(at, true)
	time.Sleep(10 * time.Millisecond) // long enough for the other askers to arrive
	if c.fail {
		return Result{}, errors.New("prometheus down")
	}
	return Result{Samples: []Sample{{Value: float64(len(q))}}}, nil
}

func TestSharedAsksOncePerQueryAndSecond(t *testing.T) {
	c := &countingQuerier{}
	s := NewShared(c)
	at := time.Unix(1_700_000_000, 300_000_000)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			r, err := s.Query(context.Background(), "sum(rate(errors[1m]))", at.Add(time.Duration(i)*100*time.Millisecond))
			if err != nil || len(r.Samples) != 1 {
				t.Errorf("query: %v %v", r, err)
			}
		})
	}
	wg.Wait()
	if n := c.calls.Load(); n != 1 {
		t.Errorf("5 gates asking the same query in the same second made %d requests, want 1", n)
	}
	if _, ok := c.ats.Load(time.Unix(1_700_000_000, 0)); !ok {
		t.Error("the shared query was not evaluated at its whole second")
	}
	_, _ = s.Query(context.Background(), "other", at)
	_, _ = s.Query(context.Background(), "sum(rate(errors[1m]))", at.Add(time.Second))
	if n := c.calls.Load(); n != 3 {
		t.Errorf("another query and the next second: %d requests in all, want 3", n)
	}
}

func TestSharedDoesNotKeepAnError(t *testing.T) {
	c := &countingQuerier{fail: true}
	s := NewShared(c)
	at := time.Unix(1_700_000_000, 0)
	if _, err := s.Query(context.Background(), "up", at); err == nil {
		t.Fatal("want the error")
	}
	c.fail = false
	if _, err := s.Query(context.Background(), "up", at); err != nil {
		t.Fatalf("the error was kept: %v", err)
	}
	if n := c.calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
