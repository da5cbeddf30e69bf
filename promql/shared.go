package promql

import (
	"context"
	"sync"
	"time"
)

// Shared asks Prometheus once for a query that several gates of a release
// ask at the same second: a check whose query names nothing of its target
// (a cluster-wide error budget, a shared dependency's latency) is
// evaluated once per interval for the whole release, not once per target.
// Every query is evaluated at its whole second, so the gates that share a
// result were given exactly the same evaluation time; results are kept
// for a minute. An error is not kept: the next asker tries again.
type Shared struct {
	q   Querier
	mu  sync.Mutex
	got map[sharedKey]*sharedCall
}

type sharedKey struct {
	query string
	at    int64 // Unix seconds
}

type sharedCall struct {
	done chan struct{}
	res  Result
	err  error
}

// NewShared wraps q.
func NewShared(q Querier) *Shared {
	return &Shared{q: q, got: map[sharedKey]*sharedCall{}}
}

// Query implements Querier.
func (s *Shared) Query(ctx context.Context, query string, at time.Time) (Result, error) {
	at = at.Truncate(time.Second)
	k := sharedKey{query, at.Unix()}
	s.mu.Lock()
	c, ok := s.got[k]
	if !ok {
		s.forget(at)
		c = &sharedCall{done: make(chan struct{})}
		s.got[k] = c
	}
	s.mu.Unlock()
	if !ok {
		c.res, c.err = s.q.Query(ctx, query, at)
		if c.err != nil {
			s.mu.Lock()
			delete(s.got, k)
			s.mu.Unlock()
		}
		close(c.done)
		return c.res, c.err
	}
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// forget drops results older than a minute before at; s.mu is held.
func (s *Shared) forget(at time.Time) {
	for k, c := range s.got {
		if k.at < at.Add(-time.Minute).Unix() {
			select {
			case <-c.done:
				delete(s.got, k)
			default:
			}
		}
	}
}
