package sequential

import (
	"math/rand/v2"
	"testing"
)

// simulate runs one canary for intervals intervals of n requests, each to
// the canary with probability rho and failing with probability q (times
// theta on the canary), and reports whether the Fail e-process ever
// reached ln(1/alpha). The test does not settle on Pass here: the claim is
// about the e-process itself under continuous monitoring.
func simulate(r *rand.Rand, p Params, n, intervals int, rho, q, theta float64) bool {
	t := newTest(p, false)
	for range intervals {
		var iv Interval
		for range n {
			if r.Float64() < rho {
				iv.CanaryRequests++
				if r.Float64() < q*theta {
					iv.CanaryEvents++
				}
			} else {
				iv.StableRequests++
				if r.Float64() < q {
					iv.StableEvents++
				}
			}
		}
		t.Observe(iv)
		if t.LnFail() >= p.threshold() {
			return true
		}
	}
	return false
}

func crossingRate(seed uint64, runs, n, intervals int, rho, q, theta float64) float64 {
	r := rand.New(rand.NewPCG(seed, 0x5e91))
	p := DefaultParams()
	crossed := 0
	for range runs {
		if simulate(r, p, n, intervals, rho, q, theta) {
			crossed++
		}
	}
	return float64(crossed) / float64(runs)
}

func TestFailNeverCrossesBeyondAlphaUnderAA(t *testing.T) {
	runs := 4000
	if testing.Short() {
		runs = 1000
	}
	// 1 % errors at a 25 % share, checked after each of 40 intervals:
	// ~4 events per interval, the regime where peeking hurts most.
	got := crossingRate(1, runs, 400, 40, .25, .01, 1)
	t.Logf("A/A crossing rate over %d runs: %.4f", runs, got)
	if got > 0.015 {
		t.Errorf("Fail crossed in %.2f %% of A/A runs, want <= 1.5 %% at alpha 1 %%", 100*got)
	}
}

func TestPowerGrowsWithTheEffect(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 100
	}
	prev := -1.0
	for i, theta := range []float64{1, 1.5, 2, 3, 5} {
		got := crossingRate(uint64(10+i), runs, 400, 20, .25, .01, theta)
		t.Logf("theta %.1f: Fail in %.3f of runs", theta, got)
		if got < prev {
			t.Errorf("theta %.1f failed less often (%.3f) than a smaller effect (%.3f)", theta, got, prev)
		}
		prev = got
	}
	if prev < 0.9 {
		t.Errorf("a 5x regression failed only %.2f of runs", prev)
	}
}
