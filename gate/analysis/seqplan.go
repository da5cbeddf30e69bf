package analysis

import (
	"context"
	"fmt"
	"time"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
)

// plan says up front which regression a sequential check can catch
// (design note, section 5), from one interval of recent traffic: each
// side's requests and the stable side's events at the instant at. It
// fails with the reason when that traffic cannot be had.
func (c *seqCheck) plan(ctx context.Context, o Options, at time.Time, interval time.Duration, intervals int) (sequential.Detection, error) {
	cReq, _, err := c.spec.queries(c.spec.canary, interval)
	if err != nil {
		return sequential.Detection{}, err
	}
	sReq, sEvents, err := c.spec.queries(c.spec.stable, interval)
	if err != nil {
		return sequential.Detection{}, err
	}
	var v [3]float64
	for i, q := range []string{cReq, sReq, sEvents[0]} {
		if v[i], _, err = value(ctx, o.Querier, q, at); err != nil {
			return sequential.Detection{}, err
		}
	}
	switch {
	case !(v[0] > 0):
		return sequential.Detection{}, fmt.Errorf("the canary pods served no requests in the last %s", interval)
	case !(v[1] > 0):
		return sequential.Detection{}, fmt.Errorf("the stable pods served no requests in the last %s", interval)
	case !(v[2] > 0):
		return sequential.Detection{}, fmt.Errorf("the stable pods had no events in the last %s to estimate the base rate from", interval)
	}
	tr := sequential.Traffic{CanaryRequests: v[0], StableRequests: v[1], BaseRate: v[2] / v[1], Intervals: intervals}
	return sequential.Plan(tr, c.spec.params), nil
}

// announcePlans puts every sequential check's plan on the tally and tells
// o.Notice, a warning when the analysis cannot catch a useful regression.
func announcePlans(ctx context.Context, o Options, evals []evaluator, tallies []*CheckTally, at time.Time, s Settings, n int) {
	for i, e := range evals {
		c, ok := e.(*seqCheck)
		if !ok || c.unjudged != "" {
			continue // an unjudged check says why at every interval
		}
		d, err := c.plan(ctx, o, at, s.Interval, n)
		msg, warn := "", false
		if err != nil {
			msg = fmt.Sprintf("%s: no plan: %v", c.spec.name, err)
		} else {
			msg, warn = c.spec.name+": "+d.Sentence, !d.Useful
		}
		tallies[i].Plan = msg
		if o.Notice != nil {
			o.Notice(msg, warn)
		}
	}
}
