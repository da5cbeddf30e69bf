package sequential

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestCounterQuery(t *testing.T) {
	tests := []struct {
		name, selector string
		window         time.Duration
		want, wantErr  string
	}{
		{"a selector is wrapped in sum and increase over the anchored window", `http_requests_total{pod=~"api-abc-.*",code=~"5.."}`, 20 * time.Minute,
			`sum(increase(http_requests_total{pod=~"api-abc-.*",code=~"5.."}[1200s]))`, ""},
		{"a window with a fraction of a second is refused", `x{pod=~"a"}`, 1500 * time.Millisecond, "", "whole number of seconds"},
		{"a rate is refused because rollgate adds increase itself", `rate(x{pod=~"a"}[5m])`, time.Minute, "", "plain series selector"},
		{"an offset is refused because windows are anchored at t0", `x{pod=~"a"} offset 5m`, time.Minute, "", "offset"},
		{"a syntax error names the selector", `x{pod=~"a"`, time.Minute, "", `selector "x{pod=~\"a\""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CounterQuery(tc.selector, tc.window)
			checkQuery(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestLatencyQueries(t *testing.T) {
	tests := []struct {
		name     string
		le       float64
		wantReq  string
		wantSlow string
		wantErr  string
	}{
		{"a fractional bound is matched exactly as both formats spell it", 0.25,
			`sum(increase(http_seconds_count{pod=~"api-.*"}[600s]))`,
			`sum(increase(http_seconds_count{pod=~"api-.*"}[600s])) - sum(increase(http_seconds_bucket{le="0.25",pod=~"api-.*"}[600s]))`, ""},
		{"an integer bound matches the text format's 1 and Prometheus 3's 1.0", 1,
			`sum(increase(http_seconds_count{pod=~"api-.*"}[600s]))`,
			`sum(increase(http_seconds_count{pod=~"api-.*"}[600s])) - sum(increase(http_seconds_bucket{le=~"1|1\\.0",pod=~"api-.*"}[600s]))`, ""},
		{"an infinite bound is refused", math.Inf(1), "", "", "finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, slow, err := LatencyQueries("http_seconds", `{pod=~"api-.*"}`, tc.le, 10*time.Minute)
			checkQuery(t, req, err, tc.wantReq, tc.wantErr)
			if err == nil && slow != tc.wantSlow {
				t.Errorf("slow query\n got %s\nwant %s", slow, tc.wantSlow)
			}
		})
	}
	if _, _, err := LatencyQueries("h", `{le="0.5"}`, 1, time.Minute); err == nil || !strings.Contains(err.Error(), "le matcher") {
		t.Errorf("a selector with its own le matcher: got %v, want an error naming the le matcher", err)
	}
}

func TestValidateSelector(t *testing.T) {
	if err := ValidateSelector(`errors_total{pod=~"PLACEHOLDER-.*"}`); err != nil {
		t.Errorf("a rendered selector with a placeholder regex: %v", err)
	}
	if err := ValidateSelector(`sum(errors_total)`); err == nil {
		t.Error("an aggregation passed as a selector")
	}
}

func checkQuery(t *testing.T, got string, err error, want, wantErr string) {
	t.Helper()
	switch {
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Errorf("got error %v, want one containing %q", err, wantErr)
	case wantErr == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case wantErr == "" && got != want:
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}
