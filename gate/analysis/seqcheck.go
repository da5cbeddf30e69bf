package analysis

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
	"github.com/rollgate/rollgate/promql"
)

// evaluator makes one check's measurement for one interval.
type evaluator interface {
	measure(ctx context.Context, q promql.Querier, at time.Time) promql.Measurement
}

// staticCheck is a threshold check: promql judges each interval alone.
type staticCheck struct {
	spec       promql.Spec
	baselineAt time.Time
}

func (c staticCheck) measure(ctx context.Context, q promql.Querier, at time.Time) promql.Measurement {
	return measure(ctx, q, c.spec, at, c.baselineAt)
}

// seqCheck is a sequential check's state through a run (design note,
// sections 3-4): every evaluation at t_i queries both sides'
// sum(increase(...[t_i - t0])) at the same instant; the cumulated integer
// counts' deltas feed the test. t0 is one interval before the first
// evaluation, so the first already has an interval of counts (as a
// static check's [1m] looks back) and a replay over the same window
// recomputes exactly the same windows.
type seqCheck struct {
	spec     seqSpec
	t0       time.Time
	cums     []sequential.Cumulator // one per bound
	test     *sequential.Multi
	unjudged string // why the check cannot be judged at all
}

func newSeqCheck(s seqSpec, t0 time.Time, unjudged string) (*seqCheck, error) {
	bounds := 1
	if s.latency != nil {
		bounds = len(s.latency.Above)
	}
	t, err := sequential.NewMulti(s.params, bounds)
	if err != nil {
		return nil, err
	}
	return &seqCheck{spec: s, t0: t0, cums: make([]sequential.Cumulator, bounds), test: t, unjudged: unjudged}, nil
}

func (c *seqCheck) measure(ctx context.Context, q promql.Querier, at time.Time) promql.Measurement {
	m := promql.Measurement{Check: c.spec.name, At: at, Canary: []promql.Sample{}}
	if c.unjudged != "" {
		m.Outcome, m.Reason = promql.Inconclusive, c.unjudged
		return m
	}
	if c.test.Decide() == sequential.Pending {
		raws, err := c.query(ctx, q, at, at.Sub(c.t0), &m)
		if err != nil {
			m.Outcome, m.Reason = promql.Error, err.Error()
			return m
		}
		ivs := make([]sequential.Interval, len(raws))
		for i, r := range raws {
			ivs[i] = c.cums[i].Next(r)
		}
		if _, err := c.test.Observe(ivs); err != nil {
			m.Outcome, m.Reason = promql.Error, err.Error()
			return m
		}
	}
	ev := c.evidence()
	m.Sequential = &ev
	m.Outcome, m.Reason = c.verdict(ev)
	return m
}

// query runs both sides' queries over window w at one instant and returns
// one Raw per bound. A failed query fails the whole interval: the next
// evaluation's anchored window counts this interval's requests too.
func (c *seqCheck) query(ctx context.Context, q promql.Querier, at time.Time, w time.Duration, m *promql.Measurement) ([]sequential.Raw, error) {
	sides := [2]struct {
		requests float64
		events   []float64
	}{}
	for i, sd := range []side{c.spec.canary, c.spec.stable} {
		req, events, err := c.spec.queries(sd, w)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			m.Query = events[0]
		} else {
			m.Baseline = events[0]
		}
		for j, query := range append([]string{req}, events...) {
			v, warns, err := value(ctx, q, query, at)
			if err != nil {
				return nil, err
			}
			m.Warnings = append(m.Warnings, warns...)
			if j == 0 {
				sides[i].requests = v
			} else {
				sides[i].events = append(sides[i].events, v)
			}
		}
	}
	raws := make([]sequential.Raw, len(c.cums))
	for b := range raws {
		raws[b] = sequential.Raw{CanaryEvents: sides[0].events[b], CanaryRequests: sides[0].requests,
			StableEvents: sides[1].events[b], StableRequests: sides[1].requests}
	}
	return raws, nil
}

// value is a sum() query's one number; NaN when it returned no series
// (no such counters yet), which the Cumulator keeps at its last count.
func value(ctx context.Context, q promql.Querier, query string, at time.Time) (float64, []string, error) {
	r, err := q.Query(ctx, query, at)
	if err != nil {
		return 0, nil, fmt.Errorf("query %s failed: %w", query, err)
	}
	if len(r.Samples) != 1 {
		return math.NaN(), r.Warnings, nil
	}
	return r.Samples[0].Value, r.Warnings, nil
}

// evidence is the test's state as data: the first bound's counts, ratio
// and interval, the combined e-values, and every bound's own when there
// are several.
func (c *seqCheck) evidence() promql.SequentialEvidence {
	p := c.spec.params
	ev := boundEvidence(c.test.Bound(0), c.bound(0))
	if n := c.test.Bounds(); n > 1 {
		for i := range n {
			ev.Bounds = append(ev.Bounds, boundEvidence(c.test.Bound(i), c.bound(i)))
		}
	}
	ev.LnFail, ev.LnPass = c.test.LnFail(), c.test.LnPass()
	ev.Threshold, ev.Alpha, ev.Tolerance = -math.Log(p.Alpha), p.Alpha, p.Tolerance
	ev.SettledAt = c.test.SettledAt()
	return ev
}

func (c *seqCheck) bound(i int) *float64 {
	if c.spec.latency == nil {
		return nil
	}
	return &c.spec.latency.Above[i]
}

func boundEvidence(t *sequential.Test, bound *float64) promql.SequentialEvidence {
	tot := t.Totals()
	lo, hi := t.ConfidenceSequence()
	p := t.Params()
	return promql.SequentialEvidence{Bound: bound,
		CanaryRequests: tot.CanaryRequests, CanaryEvents: tot.CanaryEvents, StableRequests: tot.StableRequests, StableEvents: tot.StableEvents,
		Share: promql.Finite(t.Share()), Ratio: promql.Finite(t.Estimate()), Low: promql.Finite(lo), High: promql.Finite(hi),
		LnFail: t.LnFail(), LnPass: t.LnPass(), Threshold: -math.Log(p.Alpha), Alpha: p.Alpha, Tolerance: p.Tolerance}
}

// verdict is the interval's outcome and its explanation line.
func (c *seqCheck) verdict(ev promql.SequentialEvidence) (promql.Outcome, string) {
	p := c.spec.params
	text := c.explain(ev)
	switch c.test.Decide() {
	case sequential.Fail:
		return promql.Fail, fmt.Sprintf("regression proven at interval %d (canary rate > %s x stable, alpha %s): %s",
			ev.SettledAt, num(p.FailRatio), num(p.Alpha), text)
	case sequential.Pass:
		return promql.Pass, fmt.Sprintf("no regression beyond %sx proven at interval %d (alpha %s): %s",
			num(p.Tolerance), ev.SettledAt, num(p.Alpha), text)
	}
	return promql.Pending, "pending: " + text
}

func (c *seqCheck) explain(ev promql.SequentialEvidence) string {
	if len(ev.Bounds) == 0 {
		what := "errors"
		if c.spec.latency != nil {
			what = "slow"
		}
		return ev.Explain(what)
	}
	parts := make([]string, len(ev.Bounds))
	for i, b := range ev.Bounds {
		parts[i] = b.Explain("slow")
	}
	return fmt.Sprintf("%s; combined ln e-value fail %s, pass %s of %s needed",
		strings.Join(parts, "; "), num(ev.LnFail), num(ev.LnPass), num(ev.Threshold))
}

func num(v float64) string { return fmt.Sprintf("%.4g", v) }
