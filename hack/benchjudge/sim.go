package main

import (
	"math/rand/v2"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
)

// scenario is one simulated canary (design note, section 6): requests per
// interval ~ Poisson(N), each to the canary with probability share(i),
// each failing with probability rate(i) (times theta on the canary).
// Errors are Bernoulli per request, so the judge's Poisson model is
// deliberately misspecified.
type scenario struct {
	name     string
	requests float64 // N
	base     float64 // q
	share    func(i int) float64
	spike    func(i int) float64 // shared error multiplier, 1 outside a spike
	cluster  float64             // mean errors per failing client; 1 = independent
}

// interval draws interval i (0-based) at ratio theta. Poisson thinning
// makes errors and successes on each side independent Poisson counts,
// which is the same process as per-request Bernoulli draws.
func (s scenario) interval(r *rand.Rand, i int, theta float64) sequential.Interval {
	rho, q := s.share(i), s.base*s.spike(i)
	ce := s.errors(r, s.requests*rho*q*theta)
	se := s.errors(r, s.requests*(1-rho)*q)
	return sequential.Interval{
		CanaryEvents: ce, CanaryRequests: ce + poisson(r, s.requests*rho*(1-q*theta)),
		StableEvents: se, StableRequests: se + poisson(r, s.requests*(1-rho)*(1-q)),
	}
}

// errors draws the errors of one side with expected count mean: single
// failures, or clusters of mean size s.cluster at mean/s.cluster clusters.
func (s scenario) errors(r *rand.Rand, mean float64) int64 {
	if s.cluster <= 1 {
		return poisson(r, mean)
	}
	var n int64
	for range poisson(r, mean/s.cluster) {
		n += clusterSize(r, s.cluster)
	}
	return n
}

func constant(v float64) func(int) float64 { return func(int) float64 { return v } }

// steppedShare is a rollout that moves traffic .1 -> .25 -> .5 over 20
// intervals, the case where a test pooling counts over intervals breaks.
func steppedShare(i int) float64 {
	switch {
	case i < 5:
		return .1
	case i < 10:
		return .25
	default:
		return .5
	}
}

// sharedSpike multiplies both sides' error rate by 10 in intervals 14 and
// 15, while the canary holds half the traffic: an incident downstream.
func sharedSpike(i int) float64 {
	if i == 13 || i == 14 {
		return 10
	}
	return 1
}
