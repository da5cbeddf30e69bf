package main

import (
	"math"
	"testing"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
)

func TestMannWhitneyMatchesKayentasSuite(t *testing.T) {
	// kayenta-judge MannWhitneySuite "returns expected values", the same
	// numbers R's wilcox.test(x, y, conf.int=TRUE) gives.
	x := []float64{10, 20, 30, 40}
	y := []float64{1, 2, 3, 4}
	lower, est, upper := mannWhitneyInterval(x, y, 0.95)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"lower end", lower, 6}, {"estimate", est, 22.5}, {"upper end", upper, 39}} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestWilcoxonZWithTies(t *testing.T) {
	// x = {0, 0, 1}, y = {0, 0, 0, 2}: ranks of the zeros 3 (average of
	// 1..5), x's 1 is rank 6, y's 2 rank 7. W = 3+3+6 = 12, dz = 12 - 6 - 6
	// = 0, so the statistic is exactly 0.
	if z := wilcoxonZ([]float64{0, 0, 1}, []float64{0, 0, 0, 2}, 0); z != 0 {
		t.Errorf("got %v, want 0", z)
	}
	// x = {2, 3}, y = {1}: W = 2+3 = 5, dz = 5 - 3 - 1 = 1, sigma =
	// sqrt(2/12*4), z = (1-0.5)/sigma.
	want := 0.5 / math.Sqrt(2.0/12*4)
	if z := wilcoxonZ([]float64{2, 3}, []float64{1}, 0); math.Abs(z-want) > 1e-12 {
		t.Errorf("got %v, want %v", z, want)
	}
}

func TestZScoreByHand(t *testing.T) {
	// 30/1000 vs 20/1000: p = 0.025, se = sqrt(0.025*0.975*0.002) =
	// 0.0069821, z = 0.01/0.0069821 = 1.43223.
	c := sequential.Interval{CanaryEvents: 30, CanaryRequests: 1000, StableEvents: 20, StableRequests: 1000}
	if z := zScore(c); math.Abs(z-1.43223) > 1e-5 {
		t.Errorf("got %v, want 1.43223", z)
	}
	if z := zScore(sequential.Interval{CanaryRequests: 10, StableRequests: 10}); z != 0 {
		t.Errorf("no events: got %v, want 0", z)
	}
}

func TestStaticFailsOnTheSecondBadInterval(t *testing.T) {
	s := &static{}
	bad := sequential.Interval{CanaryEvents: 2, CanaryRequests: 100}
	if s.observe(bad) != pending || s.observe(sequential.Interval{}) != pending || s.observe(bad) != failed {
		t.Error("want pending, pending (no data), failed")
	}
}

func TestNormalQuantile(t *testing.T) {
	if q := normalQuantile(0.975); math.Abs(q-1.959964) > 1e-6 {
		t.Errorf("got %v", q)
	}
	if q := normalQuantile(0.99); math.Abs(q-zCritical) > 1e-9 {
		t.Errorf("got %v", q)
	}
}
