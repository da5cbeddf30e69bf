package sequential

import (
	"fmt"
	"math"
	"strconv"
)

// Planning constants (design note, section 5). In simulation at alpha
// 0.01, expected log-evidence ELLR >= 15 gave >= 97.5 % power and ~8.5
// about 83 %; ~95 % sits near 14, i.e. ln(1/alpha) plus a margin of about
// 9.4 for the mixture's cost and the evidence's spread. The margin is a
// calibration at alpha 0.01, not a theorem.
const (
	evidenceMargin = 9.4
	// maxRatio is the largest ratio the grid resolves (e^3.5).
	maxRatio = 33
	// usefulRatio: an analysis that only detects worse than this is
	// reported as unable to catch a realistic regression.
	usefulRatio = 5
)

// Traffic is what an analysis expects per interval: requests on each side
// and the stable side's event rate (0.005 = 0.5 % errors).
type Traffic struct {
	CanaryRequests, StableRequests float64
	BaseRate                       float64
	Intervals                      int
}

// TrafficFromTotal splits total requests per interval by the canary share.
func TrafficFromTotal(total, share, baseRate float64, intervals int) Traffic {
	return Traffic{CanaryRequests: total * share, StableRequests: total * (1 - share), BaseRate: baseRate, Intervals: intervals}
}

// ExpectedEvidence is ELLR = T * E[E_i] * KL(Bern(p(theta)) || Bern(p(thetaF)))
// divided by the dispersion: the log-evidence the Fail test expects to
// have gathered after the analysis when the true ratio is theta.
func ExpectedEvidence(tr Traffic, theta float64, p Params) float64 {
	n := tr.CanaryRequests + tr.StableRequests
	if n <= 0 || tr.CanaryRequests <= 0 || tr.StableRequests <= 0 || tr.BaseRate <= 0 || tr.Intervals <= 0 {
		return 0
	}
	rho := tr.CanaryRequests / n
	events := tr.BaseRate * (tr.CanaryRequests*theta + tr.StableRequests)
	return float64(tr.Intervals) * events * klBernoulli(share(rho, theta), share(rho, p.FailRatio)) / p.Dispersion
}

// share is p(theta), the canary's expected share of the events.
func share(rho, theta float64) float64 { return rho * theta / (rho*theta + 1 - rho) }

func klBernoulli(a, b float64) float64 {
	kl := 0.0
	if a > 0 {
		kl += a * math.Log(a/b)
	}
	if a < 1 {
		kl += (1 - a) * math.Log((1-a)/(1-b))
	}
	return kl
}

// Detection is what Plan found.
type Detection struct {
	// Ratio is the smallest canary/stable ratio detected with ~95 %
	// probability within the analysis; +Inf when even maxRatio is not.
	Ratio float64
	// Useful is false when only a ratio above usefulRatio is detectable.
	Useful bool
	// Sentence is the one line to print at analysis start.
	Sentence string
}

// Plan says which regression the analysis can catch: the smallest theta
// whose expected evidence reaches ln(1/alpha) + evidenceMargin.
func Plan(tr Traffic, p Params) Detection {
	target := p.threshold() + evidenceMargin
	enough := func(x float64) bool { return ExpectedEvidence(tr, math.Exp(x), p) >= target }
	lo, hi := math.Log(p.FailRatio), math.Log(maxRatio)
	d := Detection{Ratio: math.Inf(1)}
	if enough(hi) {
		// Round up to a tenth so the sentence never promises more.
		d.Ratio = math.Ceil(math.Exp(bisect(func(x float64) bool { return !enough(x) }, lo, hi))*10) / 10
	}
	d.Useful = d.Ratio <= usefulRatio
	d.Sentence = planSentence(tr, d)
	return d
}

func planSentence(tr Traffic, d Detection) string {
	who := fmt.Sprintf("with ~%s canary and ~%s stable requests/interval at %s %% errors",
		roughly(tr.CanaryRequests), roughly(tr.StableRequests), strconv.FormatFloat(100*tr.BaseRate, 'g', 2, 64))
	switch {
	case math.IsInf(d.Ratio, 1):
		return fmt.Sprintf("%s this analysis cannot detect even a %dx regression within %d intervals: "+
			"lengthen it, raise the canary share or judge a busier metric", who, maxRatio, tr.Intervals)
	case !d.Useful:
		return fmt.Sprintf("%s this analysis only detects a %sx regression or worse within %d intervals (~95 %% probability): "+
			"lengthen it, raise the canary share or judge a busier metric", who, ratioText(d.Ratio), tr.Intervals)
	default:
		return fmt.Sprintf("%s this analysis detects a %sx regression within %d intervals with ~95 %% probability",
			who, ratioText(d.Ratio), tr.Intervals)
	}
}

// roughly rounds a request count to two significant digits: a plan is an
// estimate and should read like one.
func roughly(x float64) string {
	if x <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(math.Max(1, roundSig(x, 2))), 10)
}

func roundSig(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits)-math.Ceil(math.Log10(x)))
	return math.Round(x*p) / p
}

func ratioText(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }
