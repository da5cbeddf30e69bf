package sequential

import (
	"math"
	"testing"
)

// lnBeta is ln B(x, y) = lgamma(x) + lgamma(y) - lgamma(x+y).
func lnBeta(x, y float64) float64 {
	a, _ := math.Lgamma(x)
	b, _ := math.Lgamma(y)
	c, _ := math.Lgamma(x + y)
	return a + b - c
}

// closedFormLnBF is the design note's oracle: constant share rho, a
// Beta(k*rho, k*(1-rho)) prior on the canary's share of events, against
// the null share rho.
func closedFormLnBF(rho, canary, events, k float64) float64 {
	return lnBeta(k*rho+canary, k*(1-rho)+events-canary) - lnBeta(k*rho, k*(1-rho)) -
		canary*math.Log(rho) - (events-canary)*math.Log(1-rho)
}

// interval builds an Interval with e_c canary events out of E, at share
// rho of 1000 requests (the likelihood only sees E, e_c and rho).
func interval(ec, e int64, rho float64) Interval {
	nc := int64(math.Round(rho * 1000))
	return Interval{CanaryEvents: ec, CanaryRequests: nc, StableEvents: e - ec, StableRequests: 1000 - nc}
}

func designVectors() []Interval {
	return []Interval{interval(3, 10, .25), interval(6, 12, .30), interval(9, 20, .50)}
}

func TestDesignNoteVectors(t *testing.T) {
	tst, err := NewTest(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range designVectors() {
		tst.Observe(iv)
	}
	lo, hi := tst.ConfidenceSequence()
	tests := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"the closed-form Bayes factor at rho .25, K 30, E 80, k 2 is 0.848478", closedFormLnBF(.25, 30, 80, 2), 0.848478, 1e-6},
		{"the grid Fail e-value with defaults is -0.1565", tst.LnFail(), -0.1565, 1e-4},
		{"the grid Pass e-value at tolerance 1.5 is -0.1241", tst.LnPass(), -0.1241, 1e-4},
		{"the 99% confidence sequence starts at 0.412", lo, 0.412, 1e-3},
		{"the 99% confidence sequence ends at 3.445", hi, 3.445, 1e-3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > tc.tol {
				t.Errorf("got %.6f, want %.6f (±%g)", tc.got, tc.want, tc.tol)
			}
		})
	}
	t.Logf("lnEF %.6f lnEP %.6f CS [%.6f, %.6f] estimate %.6f", tst.LnFail(), tst.LnPass(), lo, hi, tst.Estimate())
	if v := tst.Decide(); v != Pending {
		t.Errorf("three small intervals decided %v, want Pending", v)
	}
}
