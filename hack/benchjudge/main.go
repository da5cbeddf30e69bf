// Command benchjudge is the simulation of the sequential-judge design note,
// section 6: rollgate's sequential judge against the pooled z-test (looked
// at every interval, and once at the end), Kayenta's Mann-Whitney
// classifier and a static 1 % threshold, on seeded simulated canaries. It
// prints a Markdown report; `make bench-judge` runs it and
// docs/judge-benchmark.md holds its output.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchjudge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "seed of every random stream")
	reps := fs.Int("reps", 2000, "simulated canaries per cell at ratio 1 (effects get a quarter, at least 100)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *reps < 10 {
		fmt.Fprintln(stderr, "benchjudge: -reps must be at least 10")
		return 2
	}
	start := time.Now()
	b := newBench(*reps)
	tallies := runAll(b.cells, *seed)
	fmt.Fprintf(stderr, "benchjudge: %d cells in %s\n", len(b.cells), time.Since(start).Round(time.Second))
	b.report(stdout, tallies, fmt.Sprintf("go run ./hack/benchjudge -seed %d -reps %d", *seed, *reps))
	return 0
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
