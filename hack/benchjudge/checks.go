package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// checks states the acceptance points against this run's numbers,
// pass or not: a benchmark that hides a miss is worse than none.
func (b *bench) checks(w io.Writer, t []*tally) {
	fmt.Fprintln(w, "## Acceptance checks (computed by this run)")
	fmt.Fprintln(w)
	// Simulation error: two binomial standard errors above alpha.
	limit := alpha + 2*math.Sqrt(alpha*(1-alpha)/float64(b.reps))
	var over []string
	for g, s := range b.grid {
		for h, hz := range nullHorizons {
			if r := rate(t[b.null[g]].failed[0][h], b.reps); r > limit {
				over = append(over, fmt.Sprintf("q %s%% N %s share %s at %d intervals: %.2f%%", trimFloat(100*s.base), trimFloat(s.requests), trimFloat(s.share(0)), hz, 100*r))
			}
		}
	}
	for s, name := range b.stressNames {
		if r := rate(t[b.stress[s][0]].failed[b.recommended(s)][0], b.reps); r > limit {
			over = append(over, fmt.Sprintf("%s: %.2f%%", name, 100*r))
		}
	}
	verdict(w, len(over) == 0, fmt.Sprintf("sequential false rollbacks ≤ alpha + 2 SE (%.2f %%) in every grid and stress cell (bursts with φ=%d)", 100*limit, burstDispersion), over)

	var weak []string
	for g, s := range b.grid {
		if s.base == 0.005 && s.requests*s.share(0) >= 1000 {
			if r := rate(t[b.effect[g][1]].failed[0][0], b.effectReps); r < 0.95 {
				weak = append(weak, fmt.Sprintf("N %s share %s: %.1f%%", trimFloat(s.requests), trimFloat(s.share(0)), 100*r))
			}
		}
	}
	verdict(w, len(weak) == 0, "sequential power ≥ 95 % at 2x within 20 intervals wherever q = 0.5 % and the canary gets ≥ 1000 requests/interval", weak)

	var worse []string
	for s, name := range b.stressNames {
		mine, c := b.recommended(s), t[b.stress[s][0]]
		for m, meth := range b.cells[b.stress[s][0]].methods {
			if strings.HasPrefix(meth.name, "sequential") {
				continue
			}
			if c.failed[mine][0] >= c.failed[m][0] {
				worse = append(worse, fmt.Sprintf("%s: %s %.1f%% vs %s %.1f%%", name, b.cells[b.stress[s][0]].methods[mine].name,
					100*rate(c.failed[mine][0], b.reps), meth.name, 100*rate(c.failed[m][0], b.reps)))
			}
		}
	}
	verdict(w, len(worse) == 0, "sequential has fewer false rollbacks than every competitor in every stress cell", worse)
	b.nobody(w, t, limit)
}

// recommended is the sequential column judged in stress scenario s:
// dispersion 1 for the share steps, burstDispersion for bursts.
func (b *bench) recommended(s int) int {
	if b.cells[b.stress[s][0]].cluster > 1 {
		return 1
	}
	return 0
}

// nobody lists the grid cells where no method reaches 95 % power while
// keeping its false rollbacks in that cell within alpha + 2 SE: a method
// that fails every canary has full power and is no answer.
func (b *bench) nobody(w io.Writer, t []*tally, limit float64) {
	for e, th := range effects {
		var cells []string
		for g, s := range b.grid {
			best := 0
			for m := range b.methodNames() {
				if rate(t[b.null[g]].failed[m][0], b.reps) <= limit {
					best = max(best, t[b.effect[g][e]].failed[m][0])
				}
			}
			if float64(best) < 0.95*float64(b.effectReps) {
				cells = append(cells, fmt.Sprintf("q %s%%·N %s·share %s", trimFloat(100*s.base), trimFloat(s.requests), trimFloat(s.share(0))))
			}
		}
		fmt.Fprintf(w, "- No method with false rollbacks ≤ alpha + 2 SE (20 intervals) reaches 95 %% power at %sx in %d of %d cells: %s.\n", trimFloat(th), len(cells), len(b.grid), strings.Join(cells, ", "))
	}
	fmt.Fprintln(w)
}

func rate(n, of int) float64 { return float64(n) / float64(of) }

func verdict(w io.Writer, ok bool, claim string, misses []string) {
	mark := "holds"
	if !ok {
		mark = "DOES NOT HOLD"
	}
	fmt.Fprintf(w, "- %s: **%s**", claim, mark)
	if len(misses) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(misses, "; "))
	}
	fmt.Fprintln(w, ".")
}
