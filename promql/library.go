package promql

import (
	"fmt"
	"sort"
	"strings"
)

// ReadyMade is a check users name with `use:` and fill with labels only.
// The formulas follow Flagger's built-in request-success-rate and
// request-duration metrics, each paired with a request-count query that
// gates the minimum sample.
type ReadyMade struct {
	Description string
	Query       string
	SampleQuery string
	// Min and Max are the default thresholds when the check sets none.
	Min, Max *float64
	// Defaults for its variables; every one may be overridden in vars.
	Vars map[string]string
}

var readyMade = map[string]ReadyMade{
	"success-rate": {
		Description: "percentage of non-5xx requests served by the canary pods",
		Query: `100 * sum(rate({{.metric}}{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}",{{.codeLabel}}!~"5.."}[{{.window}}]))` +
			` / sum(rate({{.metric}}{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[{{.window}}]))`,
		SampleQuery: `sum(increase({{.metric}}{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[{{.window}}]))`,
		Min:         ptr(99),
		Vars:        map[string]string{"metric": "http_requests_total", "codeLabel": "code", "window": "1m"},
	},
	"latency-p99": {
		Description: "99th percentile request duration of the canary pods, in milliseconds",
		Query:       `1000 * histogram_quantile(0.99, sum by (le) (rate({{.histogram}}_bucket{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[{{.window}}])))`,
		SampleQuery: `sum(increase({{.histogram}}_count{namespace="{{.Namespace}}",pod=~"{{.CanaryPods}}"}[{{.window}}]))`,
		Max:         ptr(500),
		Vars:        map[string]string{"histogram": "http_request_duration_seconds", "window": "1m"},
	},
}

func ptr(v float64) *float64 { return &v }

// Lookup returns a ready-made check with its default variables merged
// under the given ones.
func Lookup(name string, vars map[string]string) (ReadyMade, map[string]string, error) {
	rm, ok := readyMade[name]
	if !ok {
		return ReadyMade{}, nil, fmt.Errorf("unknown ready-made check %q (known: %s)", name, strings.Join(ReadyMadeNames(), ", "))
	}
	merged := map[string]string{}
	for k, v := range rm.Vars {
		merged[k] = v
	}
	for k, v := range vars {
		merged[k] = v
	}
	return rm, merged, nil
}

// ReadyMadeNames lists the ready-made checks.
func ReadyMadeNames() []string {
	names := make([]string, 0, len(readyMade))
	for n := range readyMade {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
