package main

import (
	"math/rand/v2"
	"slices"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
)

// Kayenta's Mann-Whitney classifier as its NetflixACAJudge runs it
// (spinnaker/kayenta kayenta-judge MannWhitneyClassifier.scala): a
// two-sided Wilcoxon rank-sum confidence interval for the location shift
// experiment - control at 98 %, with R's normal approximation and
// continuity correction (mannwhitney/MannWhitney.scala). A metric is
// High when the interval's lower end exceeds tolerance (0.25) times the
// absolute Hodges-Lehmann estimate AND the effect size (mean ratio
// experiment/control, 1 when the control mean is 0) is at least 1.
// Identical data, or a single distinct value across both sides, is Pass;
// when each side is constant Kayenta adds Gaussian noise of sd
// value*1e-5 to break the ties. Samples are the per-interval error ratios
// since the canary started (intervals without requests are dropped, its
// NaN strategy "remove").
//
// How often it is judged follows Spinnaker's canary stage
// (spinnaker/orca orca-kayenta RunCanaryIntervalsStage.kt and
// MonitorKayentaCanaryTask.kt): the lifetime is cut into
// lifetime/canaryAnalysisInterval judgments, each over the window from
// the canary's start to the end of that interval (lookback 0), and a
// score at or below the marginal threshold ends the stage TERMINAL at
// once. With one metric the score is 0 when the metric is High, so the
// canary fails at the first High judgment. every is the analysis
// interval in gate intervals (one metric point per gate interval);
// every 0 is a stage whose analysis interval is its lifetime, judged
// once at the end. Judging after every single point is degenerate, not
// merely peeked: with one ratio per side the interval collapses to
// [x-y, x-y] and the classifier says High whenever the canary's first
// ratio is the larger one (about half of all A/A canaries), so the
// benchmark's continuous-monitoring row uses 5.
const (
	kayentaConfidence = 0.98
	kayentaTolerance  = 0.25
	kayentaEffectSize = 1.0
)

type kayenta struct {
	r                    *rand.Rand
	every, seen          int
	canary, stable       []float64 // sorted error ratios
	canarySum, stableSum float64
}

func newKayenta(r *rand.Rand, every int) *kayenta { return &kayenta{r: r, every: every} }

func (k *kayenta) observe(iv sequential.Interval) outcome {
	if iv.CanaryRequests > 0 {
		k.canary, k.canarySum = insertSorted(k.canary, float64(iv.CanaryEvents)/float64(iv.CanaryRequests)), k.canarySum+float64(iv.CanaryEvents)/float64(iv.CanaryRequests)
	}
	if iv.StableRequests > 0 {
		k.stable, k.stableSum = insertSorted(k.stable, float64(iv.StableEvents)/float64(iv.StableRequests)), k.stableSum+float64(iv.StableEvents)/float64(iv.StableRequests)
	}
	k.seen++
	if k.every > 0 && k.seen%k.every == 0 && k.high() {
		return failed
	}
	return pending
}

// end is the stage's verdict when the analysis ends. A stage judged at
// intervals has already judged its last whole interval in observe, and
// Spinnaker never judges a remainder shorter than an interval.
func (k *kayenta) end() outcome {
	if k.every == 0 && k.high() {
		return failed
	}
	return passed
}

func insertSorted(s []float64, v float64) []float64 {
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}

// high is the classifier's "High" for an increase-direction metric.
func (k *kayenta) high() bool {
	x, y := k.canary, k.stable
	if len(x) == 0 || len(y) == 0 || slices.Equal(x, y) || (x[0] == x[len(x)-1] && x[0] == y[0] && y[0] == y[len(y)-1]) {
		return false
	}
	if x[0] == x[len(x)-1] && y[0] == y[len(y)-1] {
		x, y = k.jitter(x), k.jitter(y)
	}
	// Cheap necessary condition first: the lower end can only be positive
	// if the shift-0 statistic is beyond the quantile (it decreases in
	// the shift). Under A/A this skips the root finding almost always.
	if x[0]-y[len(y)-1] < 0 && wilcoxonZ(x, y, 0) <= zCritical {
		return false
	}
	lower, estimate := mannWhitneyCI(x, y, kayentaConfidence)
	effect := 1.0
	if k.stableSum != 0 {
		effect = (k.canarySum / float64(len(k.canary))) / (k.stableSum / float64(len(k.stable)))
	}
	return lower > kayentaTolerance*abs(estimate) && effect >= kayentaEffectSize
}

func (k *kayenta) jitter(s []float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = v + k.r.NormFloat64()*v*1e-5
	}
	slices.Sort(out)
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
