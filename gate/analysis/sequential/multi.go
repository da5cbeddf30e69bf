package sequential

import (
	"fmt"
	"math"
)

// Multi judges latency at several histogram bounds L1..Lm at once, one
// Test per bound (design note, section 4). It fails when the average of
// the m Fail e-values reaches 1/alpha (an average of e-processes is one,
// so alpha still holds for the family) and passes when every Pass e-value
// does. Like Test, its verdict settles inside Observe.
type Multi struct {
	p         Params
	tests     []*Test
	verdict   Verdict
	settledAt int
	observed  int
}

// NewMulti starts a test over m bounds.
func NewMulti(p Params, m int) (*Multi, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("sequential judge: %w", err)
	}
	if m < 1 {
		return nil, fmt.Errorf("sequential judge: latency needs at least one bound, got %d", m)
	}
	mt := &Multi{p: p, tests: make([]*Test, m)}
	for i := range mt.tests {
		// The bounds must not settle one by one: averaging e-processes
		// stopped at different times is no longer an e-process.
		mt.tests[i] = newTest(p, false)
	}
	return mt, nil
}

// Observe adds one interval per bound, in the order the bounds were given.
func (mt *Multi) Observe(ivs []Interval) (Verdict, error) {
	if len(ivs) != len(mt.tests) {
		return mt.verdict, fmt.Errorf("sequential judge: %d intervals for %d bounds", len(ivs), len(mt.tests))
	}
	if mt.verdict != Pending {
		return mt.verdict, nil
	}
	mt.observed++
	for i, iv := range ivs {
		mt.tests[i].Observe(iv)
	}
	if v := decide(mt.LnFail(), mt.LnPass(), mt.p.threshold()); v != Pending {
		mt.verdict, mt.settledAt = v, mt.observed
	}
	return mt.verdict, nil
}

// LnFail is ln of the average Fail e-value over the bounds.
func (mt *Multi) LnFail() float64 {
	x := make([]float64, len(mt.tests))
	for i, t := range mt.tests {
		x[i] = t.LnFail()
	}
	return logSumExp(x) - math.Log(float64(len(x)))
}

// LnPass is ln of the smallest Pass e-value: Pass needs every bound.
func (mt *Multi) LnPass() float64 {
	m := math.Inf(1)
	for _, t := range mt.tests {
		m = math.Min(m, t.LnPass())
	}
	return m
}

// Decide is the combined verdict so far.
func (mt *Multi) Decide() Verdict { return mt.verdict }

// SettledAt is the 1-based interval that settled the verdict, 0 if none.
func (mt *Multi) SettledAt() int { return mt.settledAt }

// Bound is bound i's own test, for the per-bound lines of a report
// (counts, share, estimate, confidence sequence).
func (mt *Multi) Bound(i int) *Test { return mt.tests[i] }

// Bounds is the number of bounds.
func (mt *Multi) Bounds() int { return len(mt.tests) }
