package main

import (
	"math"
	"math/rand/v2"
)

// poisson draws from Poisson(mu): inversion for small means, Hörmann's
// transformed rejection (PTRS, 1993; the algorithm numpy uses) above, so
// a 5000-request interval costs a handful of uniforms, not 5000.
func poisson(r *rand.Rand, mu float64) int64 {
	if mu <= 0 {
		return 0
	}
	if mu < 10 {
		// Sequential search from 0 over the cumulative distribution.
		u, p := r.Float64(), math.Exp(-mu)
		var k int64
		for c := p; u > c && k < 1000; c += p {
			k++
			p *= mu / float64(k)
		}
		return k
	}
	return poissonPTRS(r, mu)
}

func poissonPTRS(r *rand.Rand, mu float64) int64 {
	slam, loglam := math.Sqrt(mu), math.Log(mu)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mu + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -mu+k*loglam-lg {
			return int64(k)
		}
	}
}

// clusterSize draws a geometric size on 1, 2, ... with the given mean:
// the retries of one failing client that all land on the same side.
func clusterSize(r *rand.Rand, mean float64) int64 {
	if mean <= 1 {
		return 1
	}
	q := 1 - 1/mean
	return 1 + int64(math.Floor(math.Log(1-r.Float64())/math.Log(q)))
}
