package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/rollgate/rollgate/gate/analysis/sequential"
)

const alpha = 0.01

func pct(n, of int) string { return fmt.Sprintf("%.1f", 100*float64(n)/float64(of)) }

func (b *bench) report(w io.Writer, t []*tally, command string) {
	fmt.Fprintf(w, "# Sequential judge benchmark\n\nMade by `%s` (`make bench-judge`). Deterministic: the same seed prints the same numbers.\n", command)
	fmt.Fprintf(w, "Replicates: %d simulated canaries per cell at ratio 1, %d per cell at the other ratios. All percentages.\n\n", b.reps, b.effectReps)
	b.headline(w, t)
	b.nullTable(w, t)
	b.powerTable(w, t)
	b.stressTable(w, t)
	b.checks(w, t)
}

func (b *bench) methodNames() []string {
	var names []string
	for _, m := range b.cells[b.null[0]].methods {
		names = append(names, m.name)
	}
	return names
}

func row(w io.Writer, cols ...string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cols, " | ")) }

func header(w io.Writer, cols ...string) {
	row(w, cols...)
	row(w, strings.Split(strings.Repeat("---,", len(cols)-1)+"---", ",")...)
}

// headline is one line per method over the whole grid.
func (b *bench) headline(w io.Writer, t []*tally) {
	fmt.Fprintln(w, "## Headline (36 grid cells)")
	fmt.Fprintln(w)
	header(w, "method", "worst false rollback at 1.0: 20 / 100 / 300 intervals", "cells with ≥ 95 % power at 2x", "median intervals to Fail at 2x", "Pass at 1.0 within 20 intervals (mean over cells)")
	for m, name := range b.methodNames() {
		worst := make([]float64, len(nullHorizons))
		var passShare float64
		for _, c := range b.null {
			for h := range nullHorizons {
				worst[h] = math.Max(worst[h], 100*float64(t[c].failed[m][h])/float64(b.reps))
			}
			passShare += float64(t[c].passed[m][0]) / float64(b.reps)
		}
		strong, var2x := 0, []int{}
		for g := range b.grid {
			c := b.effect[g][1]
			if float64(t[c].failed[m][0]) >= 0.95*float64(b.effectReps) {
				strong++
			}
			var2x = append(var2x, t[c].failAt[m]...)
		}
		row(w, name, fmt.Sprintf("%.1f / %.1f / %.1f", worst[0], worst[1], worst[2]),
			fmt.Sprintf("%d", strong), fmt.Sprintf("%d", median(var2x)), fmt.Sprintf("%.1f", 100*passShare/float64(len(b.null))))
	}
	fmt.Fprintln(w)
}

func gridCols(s scenario) []string {
	rho := s.share(0)
	return []string{trimFloat(100 * s.base), trimFloat(s.requests), trimFloat(rho), fmt.Sprintf("%.0f", s.requests*rho)}
}

func (b *bench) nullTable(w io.Writer, t []*tally) {
	fmt.Fprintln(w, "## False rollbacks at ratio 1.0 (20 / 100 / 300 intervals, checked after every interval)")
	fmt.Fprintln(w)
	cols := append([]string{"q %", "N", "share", "canary req/interval"}, b.methodNames()...)
	header(w, append(cols, "sequential Pass by 20 (median interval)")...)
	for g, s := range b.grid {
		c := t[b.null[g]]
		cols := gridCols(s)
		for m := range b.methodNames() {
			cols = append(cols, pct(c.failed[m][0], b.reps)+" / "+pct(c.failed[m][1], b.reps)+" / "+pct(c.failed[m][2], b.reps))
		}
		cols = append(cols, fmt.Sprintf("%s (%d)", pct(c.passed[0][0], b.reps), median(c.passAt[0])))
		row(w, cols...)
	}
	fmt.Fprintln(w)
}

func (b *bench) powerTable(w io.Writer, t []*tally) {
	fmt.Fprintln(w, "## Power within 20 intervals at ratio 1.5x / 2x / 5x")
	fmt.Fprintln(w)
	cols := append([]string{"q %", "N", "share", "canary req/interval", "plan: ELLR at 2x, detectable ratio"}, b.methodNames()...)
	header(w, append(cols, "sequential median intervals to Fail at 2x")...)
	for g, s := range b.grid {
		cols := gridCols(s)
		rho := s.share(0)
		tr := sequential.TrafficFromTotal(s.requests, rho, s.base, 20)
		p := sequential.DefaultParams()
		d := sequential.Plan(tr, p)
		cols = append(cols, fmt.Sprintf("%.1f, %s", sequential.ExpectedEvidence(tr, 2, p), ratioOrNone(d.Ratio)))
		for m := range b.methodNames() {
			var ps []string
			for e := range effects {
				ps = append(ps, pct(t[b.effect[g][e]].failed[m][0], b.effectReps))
			}
			cols = append(cols, strings.Join(ps, " / "))
		}
		cols = append(cols, fmt.Sprintf("%d", median(t[b.effect[g][1]].failAt[0])))
		row(w, cols...)
	}
	fmt.Fprintln(w)
}

func ratioOrNone(r float64) string {
	if math.IsInf(r, 1) {
		return "none ≤ 33x"
	}
	return trimFloat(r) + "x"
}

func (b *bench) stressTable(w io.Writer, t []*tally) {
	fmt.Fprintln(w, "## Stress cells (q 0.5 %, 20 intervals): false rollbacks at 1.0 / power at 2x")
	fmt.Fprintln(w)
	var names []string
	for _, m := range b.cells[b.stress[0][0]].methods {
		names = append(names, m.name)
	}
	header(w, append([]string{"cell"}, names...)...)
	for s, name := range b.stressNames {
		cols := []string{name}
		null, eff := t[b.stress[s][0]], t[b.stress[s][1]]
		for m := range names {
			cols = append(cols, pct(null.failed[m][0], b.reps)+" / "+pct(eff.failed[m][0], b.effectReps))
		}
		row(w, cols...)
	}
	fmt.Fprintln(w)
}
