package sequential

import "math"

// The confidence sequence mixes over u_j = j*gridStep, |j| <= gridSize,
// with v_j ∝ exp(-u_j^2/csPriorScale) (a Gaussian of sd 0.5 over ln theta).
const csPriorScale = 0.5

// lnRange bounds the searches over ln(theta): e^±30 is far beyond any
// ratio the counts can resolve.
const lnRange = 30

// logLik is l(e^x) = scale*(K*x - sum_i E_i ln(rho_i e^x + 1 - rho_i)),
// from the kept samples: the report-time statistics need l at arbitrary
// theta, not only on the grid.
func (t *Test) logLik(x float64) float64 {
	theta := math.Exp(x)
	var s float64
	for _, o := range t.samples {
		s += o.events * logMix(o.share, theta)
	}
	return t.scale * (t.k*x - s)
}

// slope is dl(e^x)/dx up to the positive scale; it decreases in x, which
// makes l concave in ln(theta) and the MLE a bisection away.
func (t *Test) slope(x float64) float64 {
	theta := math.Exp(x)
	d := t.k
	for _, o := range t.samples {
		d -= o.events * o.share * theta / (o.share*theta + 1 - o.share)
	}
	return d
}

// Estimate is the maximum-likelihood ratio canary rate / stable rate: NaN
// before any informative interval, 0 with no canary events and +Inf with
// no stable ones.
func (t *Test) Estimate() float64 {
	var e float64
	for _, o := range t.samples {
		e += o.events
	}
	switch {
	case len(t.samples) == 0:
		return math.NaN()
	case t.k == 0:
		return 0
	case t.k == e:
		return math.Inf(1)
	}
	return math.Exp(bisect(func(x float64) bool { return t.slope(x) > 0 }, -lnRange, lnRange))
}

// ConfidenceSequence is the anytime-valid 1-alpha interval for theta:
// {theta : M - l(theta) < ln(1/alpha)}, M the mixture over the symmetric
// grid. Ends that the data cannot bound are 0 and +Inf.
func (t *Test) ConfidenceSequence() (lo, hi float64) {
	if len(t.samples) == 0 {
		return 0, math.Inf(1)
	}
	terms := make([]float64, 0, 2*gridSize+1)
	var norm []float64
	for j := -gridSize; j <= gridSize; j++ {
		u := float64(j) * gridStep
		terms = append(terms, -u*u/csPriorScale+t.logLik(u))
		norm = append(norm, -u*u/csPriorScale)
	}
	m := logSumExp(terms) - logSumExp(norm)
	out := func(x float64) bool { return m-t.logLik(x) >= t.p.threshold() }

	mode := math.Log(t.Estimate())
	mode = math.Max(-lnRange, math.Min(lnRange, mode))
	lo, hi = 0, math.Inf(1)
	if out(-lnRange) {
		// out is true below the set and false from its lower end up.
		lo = math.Exp(bisect(out, -lnRange, mode))
	}
	if out(lnRange) {
		hi = math.Exp(bisect(func(x float64) bool { return !out(x) }, mode, lnRange))
	}
	return lo, hi
}

// bisect returns the point in [a, b] where pred turns from true to false,
// pred(a) true and pred(b) false assumed; 100 halvings reach float64
// resolution.
func bisect(pred func(float64) bool, a, b float64) float64 {
	for range 100 {
		mid := (a + b) / 2
		if mid == a || mid == b {
			break
		}
		if pred(mid) {
			a = mid
		} else {
			b = mid
		}
	}
	return (a + b) / 2
}
