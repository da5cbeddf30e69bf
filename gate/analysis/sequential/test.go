package sequential

import (
	"fmt"
	"math"
)

// The mixture grid of the design note, section 2: u_j = j*gridStep for
// j = 1..gridSize, ratios up to e^3.5 (about 33x) away from the null.
const (
	gridStep = 0.05
	gridSize = 70
)

// gridU[j] = u_{j+1} and gridExp[j] = e^{u_{j+1}}, computed once.
var gridU, gridExp = func() (u, e [gridSize]float64) {
	for j := range u {
		u[j] = float64(j+1) * gridStep
		e[j] = math.Exp(u[j])
	}
	return u, e
}()

// Interval is one interval's integer counts per side: events (errors, or
// requests slower than a bound) and requests. Cumulator produces them
// from Prometheus' increase() values.
type Interval struct {
	CanaryEvents, CanaryRequests, StableEvents, StableRequests int64
}

// Verdict is a test's outcome after an interval.
type Verdict int

const (
	// Pending means neither e-process has crossed ln(1/alpha) yet; it
	// counts toward no failure or inconclusive limit.
	Pending Verdict = iota
	// Pass means "canary rate < Tolerance * stable rate" was shown.
	Pass
	// Fail means "canary rate > FailRatio * stable rate" was shown.
	Fail
)

func (v Verdict) String() string {
	switch v {
	case Pass:
		return "Pass"
	case Fail:
		return "Fail"
	default:
		return "Pending"
	}
}

// sample is what the likelihood keeps of an informative interval.
type sample struct{ events, share float64 }

// Test is the state of one check's sequential test. Observe it once per
// interval, in order, from the analysis start t0; everything else reads
// the state and never queries anything again.
//
// A verdict is evaluated inside Observe and then settles: a Fail or Pass
// test ignores later intervals, so its numbers stay the ones that decided
// it and the verdict does not depend on how often Decide is called. This
// is what keeps Pass sticky.
type Test struct {
	p     Params
	scale float64 // 1/Dispersion, applied to every interval's increment

	lnWFail, lnWPass [gridSize]float64
	// k is K = sum of canary events; sFail[j] and sPass[j] are S at
	// FailRatio*e^{u_j} and Tolerance*e^{-u_j}; sF0 and sT0 at the nulls.
	k            float64
	sFail, sPass [gridSize]float64
	sF0, sT0     float64
	samples      []sample

	observed int      // intervals fed, informative or not
	totals   Interval // counts of every interval fed before settling

	latch     bool
	verdict   Verdict
	settledAt int // 1-based interval that settled the verdict, 0 if none
}

// NewTest starts a test with validated parameters.
func NewTest(p Params) (*Test, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("sequential judge: %w", err)
	}
	return newTest(p, true), nil
}

func newTest(p Params, latch bool) *Test {
	t := &Test{p: p, scale: 1 / p.Dispersion, latch: latch}
	t.lnWFail = gaussianLogWeights(p.TauFail)
	t.lnWPass = gaussianLogWeights(p.TauPass)
	return t
}

// gaussianLogWeights are ln w_j, w_j ∝ exp(-u_j^2/(2 tau^2)), sum w_j = 1.
func gaussianLogWeights(tau float64) [gridSize]float64 {
	var w [gridSize]float64
	for j, u := range gridU {
		w[j] = -u * u / (2 * tau * tau)
	}
	norm := logSumExp(w[:])
	for j := range w {
		w[j] -= norm
	}
	return w
}

// Observe adds one interval and returns the verdict after it. An interval
// with no requests on either side, or no events at all, carries no
// information about theta and changes nothing but the counts.
func (t *Test) Observe(iv Interval) Verdict {
	if t.verdict != Pending {
		return t.verdict
	}
	t.observed++
	t.totals.CanaryEvents += iv.CanaryEvents
	t.totals.CanaryRequests += iv.CanaryRequests
	t.totals.StableEvents += iv.StableEvents
	t.totals.StableRequests += iv.StableRequests
	e := iv.CanaryEvents + iv.StableEvents
	if iv.CanaryRequests <= 0 || iv.StableRequests <= 0 || e <= 0 || iv.CanaryEvents < 0 || iv.StableEvents < 0 {
		return t.verdict
	}
	rho := float64(iv.CanaryRequests) / float64(iv.CanaryRequests+iv.StableRequests)
	t.add(float64(iv.CanaryEvents), float64(e), rho)
	if t.latch {
		if v := decide(t.LnFail(), t.LnPass(), t.p.threshold()); v != Pending {
			t.verdict, t.settledAt = v, t.observed
		}
	}
	return t.verdict
}

// add accumulates K and the S sums: O(gridSize) logs per interval.
func (t *Test) add(kc, e, rho float64) {
	t.k += kc
	t.samples = append(t.samples, sample{events: e, share: rho})
	t.sF0 += e * logMix(rho, t.p.FailRatio)
	t.sT0 += e * logMix(rho, t.p.Tolerance)
	for j, x := range gridExp {
		t.sFail[j] += e * logMix(rho, t.p.FailRatio*x)
		t.sPass[j] += e * logMix(rho, t.p.Tolerance/x)
	}
}

// logMix is ln(rho*theta + 1 - rho), written to stay exact near theta = 1.
func logMix(rho, theta float64) float64 { return math.Log1p(rho * (theta - 1)) }

// LnFail is ln of the Fail e-value: evidence that theta > FailRatio.
func (t *Test) LnFail() float64 {
	var terms [gridSize]float64
	for j, u := range gridU {
		terms[j] = t.lnWFail[j] + t.scale*(t.k*u-(t.sFail[j]-t.sF0))
	}
	return logSumExp(terms[:])
}

// LnPass is ln of the Pass e-value: evidence that theta < Tolerance.
func (t *Test) LnPass() float64 {
	var terms [gridSize]float64
	for j, u := range gridU {
		terms[j] = t.lnWPass[j] + t.scale*(-t.k*u-(t.sPass[j]-t.sT0))
	}
	return logSumExp(terms[:])
}

// Decide is the verdict after the intervals observed so far.
func (t *Test) Decide() Verdict { return t.verdict }

// SettledAt is the 1-based interval whose Observe settled the verdict, 0
// while Pending.
func (t *Test) SettledAt() int { return t.settledAt }

// Observed is the number of intervals fed before the verdict settled.
func (t *Test) Observed() int { return t.observed }

// Informative is the number of those intervals that moved the test.
func (t *Test) Informative() int { return len(t.samples) }

// Totals are the summed counts of the observed intervals.
func (t *Test) Totals() Interval { return t.totals }

// Share is the canary's share of all observed requests, for reports only:
// the test itself uses each interval's own share.
func (t *Test) Share() float64 {
	n := t.totals.CanaryRequests + t.totals.StableRequests
	if n == 0 {
		return math.NaN()
	}
	return float64(t.totals.CanaryRequests) / float64(n)
}

// Params are the settings the test runs with.
func (t *Test) Params() Params { return t.p }

// decide is section 2's rule: Fail first, then Pass, else Pending.
func decide(lnFail, lnPass, threshold float64) Verdict {
	switch {
	case lnFail >= threshold:
		return Fail
	case lnPass >= threshold:
		return Pass
	default:
		return Pending
	}
}

// logSumExp is ln(sum exp(x)) with the maximum subtracted first.
func logSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}
