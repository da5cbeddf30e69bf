package main

import (
	"math"
	"math/rand/v2"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
)

// outcome is a method's state after an interval.
type outcome int

const (
	pending outcome = iota
	passed
	failed
)

// judge is one method under test. observe sees every interval in order
// until it returns passed or failed; end asks a method that waits for the
// end of the analysis (the z-test looked at once) for its verdict there.
type judge interface {
	observe(iv sequential.Interval) outcome
	end() outcome
}

// method names a judge and builds a fresh one per simulated canary.
type method struct {
	name string
	make func(r *rand.Rand) judge
}

func methods(dispersions ...float64) []method {
	var ms []method
	for _, phi := range dispersions {
		name := "sequential"
		if phi != 1 {
			name = "sequential φ=" + trimFloat(phi)
		}
		ms = append(ms, method{name, func(*rand.Rand) judge { return newSeqJudge(phi) }})
	}
	return append(ms,
		method{"z-test peeked", func(*rand.Rand) judge { return &zTest{peek: true} }},
		method{"z-test at end", func(*rand.Rand) judge { return &zTest{} }},
		method{"Kayenta MW every 5", func(r *rand.Rand) judge { return newKayenta(r, 5) }},
		method{"Kayenta MW at end", func(r *rand.Rand) judge { return newKayenta(r, 0) }},
		method{"static 1 %", func(*rand.Rand) judge { return &static{} }},
	)
}

// seqJudge is rollgate's judge with the design note's defaults.
type seqJudge struct{ t *sequential.Test }

func newSeqJudge(phi float64) *seqJudge {
	p := sequential.DefaultParams()
	p.Dispersion = phi
	t, err := sequential.NewTest(p)
	if err != nil {
		panic(err)
	}
	return &seqJudge{t}
}

func (s *seqJudge) observe(iv sequential.Interval) outcome {
	switch s.t.Observe(iv) {
	case sequential.Fail:
		return failed
	case sequential.Pass:
		return passed
	}
	return pending
}

// end: still Pending at the end is Inconclusive, which rolls nothing back.
func (s *seqJudge) end() outcome { return pending }

// zCritical is the one-sided 1 % point of the standard normal.
const zCritical = 2.3263478740408408

// zTest is the pooled two-proportion z-test on cumulative counts, one
// sided at alpha 0.01: looked at every interval (peek) or once at the end.
type zTest struct {
	peek bool
	c    sequential.Interval
}

func (z *zTest) observe(iv sequential.Interval) outcome {
	z.c.CanaryEvents += iv.CanaryEvents
	z.c.CanaryRequests += iv.CanaryRequests
	z.c.StableEvents += iv.StableEvents
	z.c.StableRequests += iv.StableRequests
	if z.peek && zScore(z.c) > zCritical {
		return failed
	}
	return pending
}

func (z *zTest) end() outcome {
	if zScore(z.c) > zCritical {
		return failed
	}
	return passed
}

// zScore is (p_c - p_s) / sqrt(p(1-p)(1/n_c + 1/n_s)), p pooled; 0 when
// undefined (no requests on a side, or no events at all).
func zScore(c sequential.Interval) float64 {
	nc, ns := float64(c.CanaryRequests), float64(c.StableRequests)
	if nc == 0 || ns == 0 {
		return 0
	}
	p := float64(c.CanaryEvents+c.StableEvents) / (nc + ns)
	if p <= 0 || p >= 1 {
		return 0
	}
	return (float64(c.CanaryEvents)/nc - float64(c.StableEvents)/ns) / math.Sqrt(p*(1-p)*(1/nc+1/ns))
}

// static is Flagger/Argo's threshold: an interval fails when the canary's
// error rate exceeds 1 %, and the analysis fails when failures exceed
// failureLimit 1, i.e. on the second failed interval. An interval without
// canary requests has no data and fails nothing.
type static struct{ failures int }

func (s *static) observe(iv sequential.Interval) outcome {
	if iv.CanaryRequests > 0 && float64(iv.CanaryEvents) > 0.01*float64(iv.CanaryRequests) {
		s.failures++
	}
	if s.failures > 1 {
		return failed
	}
	return pending
}

func (s *static) end() outcome { return passed }
