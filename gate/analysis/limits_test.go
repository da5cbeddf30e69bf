package analysis

import (
	"context"
	"testing"
	"time"
)

// The reports draw each check's threshold line from its tally, so the
// numbers must survive on it, ready-made defaults included.
func TestTalliesCarryTheirChecksThresholdNumbers(t *testing.T) {
	ratio, count, zero, el := 1.2, 1, 0, 4
	cfg := Settings{Interval: time.Second, Count: count, Limits: Limits{Failure: zero, Inconclusive: zero, ConsecutiveError: el},
		Checks: []Check{
			{Name: "success", Use: "success-rate", NoData: NoDataInconclusive, Series: SeriesSingle},
			{Name: "p99", Query: "canary", Baseline: "stable", MaxRatio: &ratio, NoData: NoDataInconclusive, Series: SeriesSingle},
		}}
	from := time.Unix(1700000000, 0)
	res, err := Analyze(context.Background(), cfg, Options{Querier: &scripted{values: map[string][]any{}}, From: from, To: from})
	if err != nil {
		t.Fatal(err)
	}
	success, p99 := res.Checks[0], res.Checks[1]
	if success.Min == nil || *success.Min != 99 || success.Max != nil || success.Threshold != ">= 99" {
		t.Errorf("success-rate tally: min %v max %v threshold %q; want the ready-made min 99", success.Min, success.Max, success.Threshold)
	}
	if p99.MaxRatio == nil || *p99.MaxRatio != 1.2 || p99.Threshold != "ratio <= 1.2" {
		t.Errorf("p99 tally: maxRatio %v threshold %q", p99.MaxRatio, p99.Threshold)
	}
}
