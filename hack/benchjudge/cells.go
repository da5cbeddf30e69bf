package main

// The grid of section 6.
var (
	baseRates = []float64{0.001, 0.005, 0.01}
	volumes   = []float64{50, 500, 1000, 5000}
	shares    = []float64{.1, .25, .5}
	effects   = []float64{1.5, 2, 5}
	// nullHorizons: false rollbacks under continuous monitoring are read
	// after 20, 100 and 300 intervals of the same simulated canaries.
	nullHorizons = []int{20, 100, 300}
)

// burstDispersion is the dispersion recommended for bursty errors: with
// geometric clusters of mean 3 the variance of a count is 5 times its
// mean (E[S^2]/E[S] = (6+9)/3), so phi = 5 restores the e-process.
const burstDispersion = 5

// bench is the list of cells plus where each table finds its cells.
type bench struct {
	cells []cell
	// null[g] and effect[g][e] index cells of grid point g.
	grid   []scenario
	null   []int
	effect [][]int
	// stress[s][0] is stress scenario s at ratio 1, [1] at ratio 2.
	stressNames      []string
	stress           [][2]int
	reps, effectReps int
}

func newBench(reps int) *bench {
	b := &bench{reps: reps, effectReps: max(100, reps/4)}
	base := methods(1)
	for _, q := range baseRates {
		for _, n := range volumes {
			for _, rho := range shares {
				s := scenario{requests: n, base: q, share: constant(rho), spike: constant(1), cluster: 1}
				b.grid = append(b.grid, s)
				b.null = append(b.null, b.add(cell{s, 1, reps, base, nullHorizons}))
				var idx []int
				for _, th := range effects {
					idx = append(idx, b.add(cell{s, th, b.effectReps, base, []int{20}}))
				}
				b.effect = append(b.effect, idx)
			}
		}
	}
	b.addStress()
	return b
}

func (b *bench) addStress() {
	both := methods(1, burstDispersion)
	for _, n := range []float64{1000, 5000} {
		step := scenario{requests: n, base: 0.005, share: steppedShare, spike: sharedSpike, cluster: 1}
		step.name = "share .1→.25→.5, shared x10 spike, N " + trimFloat(n)
		burst := scenario{requests: n, base: 0.005, share: constant(.25), spike: constant(1), cluster: 3}
		burst.name = "bursts of mean 3, share .25, N " + trimFloat(n)
		for _, s := range []scenario{step, burst} {
			b.stressNames = append(b.stressNames, s.name)
			b.stress = append(b.stress, [2]int{
				b.add(cell{s, 1, b.reps, both, []int{20}}),
				b.add(cell{s, 2, b.effectReps, both, []int{20}}),
			})
		}
	}
}

func (b *bench) add(c cell) int {
	b.cells = append(b.cells, c)
	return len(b.cells) - 1
}
