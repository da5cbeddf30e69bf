package main

import (
	"math"
)

// wilcoxonZ is R's wilcox.test normal statistic for the shift mu with
// continuity correction, the wdiff of its conf.int code (and Kayenta's
// wilcoxonDiff) before the quantile is subtracted: x and y sorted. The
// ranks come from one merge, so a call is O(len(x)+len(y)).
func wilcoxonZ(x, y []float64, mu float64) float64 {
	nx, ny := float64(len(x)), float64(len(y))
	var rankSumX, ties float64
	i, j, rank := 0, 0, 0.0
	for i < len(x) || j < len(y) {
		v := math.Inf(1)
		if i < len(x) {
			v = x[i] - mu
		}
		if j < len(y) && y[j] < v {
			v = y[j]
		}
		// The tie group at v takes the average of its ranks.
		var cx, cy float64
		for i < len(x) && x[i]-mu == v {
			cx, i = cx+1, i+1
		}
		for j < len(y) && y[j] == v {
			cy, j = cy+1, j+1
		}
		t := cx + cy
		rankSumX += cx * (rank + (t+1)/2)
		ties += t*t*t - t
		rank += t
	}
	dz := rankSumX - nx*(nx+1)/2 - nx*ny/2
	sigma := math.Sqrt(nx * ny / 12 * ((nx + ny + 1) - ties/((nx+ny)*(nx+ny-1))))
	if sigma == 0 {
		return 0
	}
	correction := 0.0
	switch {
	case dz > 0:
		correction = 0.5
	case dz < 0:
		correction = -0.5
	}
	return (dz - correction) / sigma
}

// mannWhitneyCI is the two-sided confidence interval and estimate of the
// shift x - y the way Kayenta computes them: roots of wilcoxonZ(mu) - zq
// over [min x - max y, max x - min y], an end returned as is when the
// statistic does not cross there.
func mannWhitneyCI(x, y []float64, confidence float64) (lower, estimate float64) {
	lower, estimate, _ = mannWhitneyInterval(x, y, confidence)
	return lower, estimate
}

func mannWhitneyInterval(x, y []float64, confidence float64) (lower, estimate, upper float64) {
	muMin, muMax := x[0]-y[len(y)-1], x[len(x)-1]-y[0]
	zq := normalQuantile(1 - (1-confidence)/2)
	root := func(q float64) float64 {
		f := func(mu float64) float64 { return wilcoxonZ(x, y, mu) - q }
		if f(muMin) <= 0 {
			return muMin
		}
		if f(muMax) >= 0 {
			return muMax
		}
		return findRoot(f, muMin, muMax)
	}
	return root(zq), findRoot(func(mu float64) float64 { return wilcoxonZ(x, y, mu) }, muMin, muMax), root(-zq)
}

// findRoot bisects a decreasing function to where it changes sign,
// stopping at an exact zero (what makes the textbook example's estimate
// exactly 22.5) or at float resolution.
func findRoot(f func(float64) float64, a, b float64) float64 {
	for range 200 {
		mid := (a + b) / 2
		if mid == a || mid == b {
			break
		}
		switch v := f(mid); {
		case v == 0:
			return mid
		case v > 0:
			a = mid
		default:
			b = mid
		}
	}
	return (a + b) / 2
}

// normalQuantile inverts the standard normal CDF by bisection on erfc.
func normalQuantile(p float64) float64 {
	return findRoot(func(z float64) float64 { return p - 0.5*math.Erfc(-z/math.Sqrt2) }, -40, 40)
}
