package main

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// cell is one simulated condition: a scenario at one effect, repeated.
type cell struct {
	scenario
	theta    float64
	reps     int
	methods  []method
	horizons []int // intervals at which verdicts are read, ascending
}

// tally is a cell's outcome per method: index [method][horizon].
type tally struct {
	failed, passed [][]int
	// failAt and passAt are the intervals of early verdicts within the
	// first horizon, for medians.
	failAt, passAt [][]int
}

func newTally(methods, horizons int) *tally {
	t := &tally{failAt: make([][]int, methods), passAt: make([][]int, methods)}
	for range methods {
		t.failed = append(t.failed, make([]int, horizons))
		t.passed = append(t.passed, make([]int, horizons))
	}
	return t
}

// runAll simulates every cell on all cores. Each cell draws from its own
// PCG stream keyed by (seed, cell index), so results do not depend on
// scheduling: the same seed prints the same table.
func runAll(cells []cell, seed uint64) []*tally {
	out := make([]*tally, len(cells))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range jobs {
				out[i] = runCell(cells[i], rand.New(rand.NewPCG(seed, uint64(i))))
			}
		})
	}
	// Longest cells first keeps both cores busy to the end.
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cells[b].reps*cells[b].horizons[len(cells[b].horizons)-1] - cells[a].reps*cells[a].horizons[len(cells[a].horizons)-1]
	})
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

func runCell(c cell, r *rand.Rand) *tally {
	t := newTally(len(c.methods), len(c.horizons))
	for range c.reps {
		runCanary(c, r, t)
	}
	return t
}

// runCanary feeds one simulated canary to every method, interval by
// interval, until all have settled or the last horizon is reached.
func runCanary(c cell, r *rand.Rand, t *tally) {
	judges := make([]judge, len(c.methods))
	verdict := make([]outcome, len(c.methods))
	at := make([]int, len(c.methods))
	for m, meth := range c.methods {
		judges[m] = meth.make(r)
	}
	last := c.horizons[len(c.horizons)-1]
	h := 0
	for i := 1; i <= last && h < len(c.horizons); i++ {
		iv := c.interval(r, i-1, c.theta)
		for m, j := range judges {
			if verdict[m] == pending {
				if verdict[m] = j.observe(iv); verdict[m] != pending {
					at[m] = i
				}
			}
		}
		for h < len(c.horizons) && i == c.horizons[h] {
			record(t, judges, verdict, at, h, c.horizons[0])
			h++
		}
	}
}

// record reads every method's verdict at horizon h: its early verdict, or
// what it says when the analysis ends there.
func record(t *tally, judges []judge, verdict []outcome, at []int, h, first int) {
	for m, j := range judges {
		v := verdict[m]
		if v == pending {
			v = j.end()
		}
		switch v {
		case failed:
			t.failed[m][h]++
		case passed:
			t.passed[m][h]++
		}
		if h != 0 {
			continue
		}
		// A verdict given only at the end is given at the first horizon.
		when := first
		if verdict[m] != pending {
			when = at[m]
		}
		switch v {
		case failed:
			t.failAt[m] = append(t.failAt[m], when)
		case passed:
			t.passAt[m] = append(t.passAt[m], when)
		}
	}
}

func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
