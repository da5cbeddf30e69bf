package sequential

import "math"

// Raw is one evaluation's four increase() values over the anchored window
// [t0, t_i], as Prometheus returns them: fractional, and occasionally
// lower than the last one (a late scrape, a pod gone between queries).
type Raw struct {
	CanaryEvents, CanaryRequests, StableEvents, StableRequests float64
}

// Cumulator turns the anchored increase() values of successive
// evaluations into integer per-interval counts (design note, section 3):
// C_i = max(C_{i-1}, round-half-even(v_i)), delta_i = C_i - C_{i-1}.
// Deltas never go negative and add up exactly to the last cumulative
// count, so the likelihood only ever sees integers. Never feed it
// per-interval rate*interval values: those are extrapolated and do not add
// up.
type Cumulator struct {
	c [4]int64
}

// Next takes evaluation i's raw values and returns interval i's counts. A
// missing value (NaN: no series yet) keeps the previous count.
func (c *Cumulator) Next(r Raw) Interval {
	v := [4]float64{r.CanaryEvents, r.CanaryRequests, r.StableEvents, r.StableRequests}
	var d [4]int64
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		n := max(c.c[i], int64(math.RoundToEven(x)))
		d[i], c.c[i] = n-c.c[i], n
	}
	return Interval{CanaryEvents: d[0], CanaryRequests: d[1], StableEvents: d[2], StableRequests: d[3]}
}

// Totals are the cumulative counts so far.
func (c *Cumulator) Totals() Interval {
	return Interval{CanaryEvents: c.c[0], CanaryRequests: c.c[1], StableEvents: c.c[2], StableRequests: c.c[3]}
}

// Intervals converts a whole series of evaluations, oldest first.
func Intervals(raws []Raw) []Interval {
	var c Cumulator
	out := make([]Interval, len(raws))
	for i, r := range raws {
		out[i] = c.Next(r)
	}
	return out
}

// Replay rebuilds a test from t0 over every evaluation so far. A replay
// (analyze --from/--to) must start at t0 rather than resume midway:
// restarting a sequential test is peeking, and throws its guarantee away.
// The same raws always give the same test.
func Replay(p Params, raws []Raw) (*Test, error) {
	t, err := NewTest(p)
	if err != nil {
		return nil, err
	}
	for _, iv := range Intervals(raws) {
		t.Observe(iv)
	}
	return t, nil
}
