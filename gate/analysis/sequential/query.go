package sequential

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// ValidateSelector checks offline that s, a user's counter selector after
// rendering {{.Pods}} (placeholder pod regexes are fine), is a plain
// instant vector selector such as `http_requests_total{pod=~"..."}`: the
// judge wraps it in increase() itself, so a rate(), a sum() or a range
// would be a second, wrong aggregation.
func ValidateSelector(s string) error {
	_, err := parseSelector(s)
	return err
}

func parseSelector(s string) (*parser.VectorSelector, error) {
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("selector %q: %w", s, err)
	}
	vs, ok := expr.(*parser.VectorSelector)
	if !ok {
		return nil, fmt.Errorf("selector %q: want a plain series selector like name{label=~\"...\"}, "+
			"not a %s expression; rollgate adds increase() and sum() itself", s, parser.DocumentedType(expr.Type()))
	}
	if vs.OriginalOffset != 0 || vs.OriginalOffsetExpr != nil || vs.Timestamp != nil || vs.StartOrEnd != 0 {
		return nil, fmt.Errorf("selector %q: remove offset and @: the judge anchors its windows at the analysis start", s)
	}
	return vs, nil
}

// CounterQuery is sum(increase(SELECTOR[Ws])) for the anchored window
// W = t_i - t0 (design note, section 3). The selector keeps the user's
// spelling; W must be a positive whole number of seconds so that the
// windows of successive evaluations share their start exactly.
func CounterQuery(selector string, window time.Duration) (string, error) {
	if _, err := parseSelector(selector); err != nil {
		return "", err
	}
	w, err := windowText(window)
	if err != nil {
		return "", err
	}
	return "sum(increase(" + selector + "[" + w + "]))", nil
}

func windowText(window time.Duration) (string, error) {
	if window <= 0 || window%time.Second != 0 {
		return "", fmt.Errorf("window %v: want a positive whole number of seconds (align t0 and evaluation times to seconds)", window)
	}
	return strconv.FormatInt(int64(window/time.Second), 10) + "s", nil
}

// LatencyQueries are the two queries of one side at bound le (design note,
// section 4) for classic histogram `histogram` and matchers like
// `{pod=~"..."}`: requests = sum(increase(X_count{sel}[W])) and
// slow = requests - sum(increase(X_bucket{sel,le="L"}[W])). Never test
// histogram_quantile output: quantiles only resolve at bucket bounds.
func LatencyQueries(histogram, matchers string, le float64, window time.Duration) (requests, slow string, err error) {
	count, err := parseSelector(histogram + "_count" + matchers)
	if err != nil {
		return "", "", err
	}
	bucket, _ := parseSelector(histogram + "_bucket" + matchers)
	for _, m := range bucket.LabelMatchers {
		if m.Name == "le" {
			return "", "", fmt.Errorf("selector %q: drop the le matcher, the bound comes from the check's bounds", matchers)
		}
	}
	leMatcher, err := leMatcher(le)
	if err != nil {
		return "", "", err
	}
	bucket.LabelMatchers = append(bucket.LabelMatchers, leMatcher)
	w, err := windowText(window)
	if err != nil {
		return "", "", err
	}
	requests = "sum(increase(" + count.String() + "[" + w + "]))"
	slow = requests + " - sum(increase(" + bucket.String() + "[" + w + "]))"
	return requests, slow, nil
}

// leMatcher matches bucket bound le as stored. Clients write it the
// text-format way, strconv.FormatFloat(v, 'g', -1, 64) with 1 as "1"
// (prometheus/common expfmt/text_create.go, writeFloat, which
// client_golang's histograms are exposed through; client_golang's
// prometheus/histogram.go only holds the float). Prometheus 3 normalizes
// le on ingestion to the OpenMetrics form, 1 as "1.0"
// (prometheus model/textparse/openmetricsparse.go,
// normalizeFloatsInLabelValues, via labels.FormatOpenMetricsFloat). Where
// the two differ the matcher accepts both, so the query works on
// Prometheus 2 and 3 alike.
func leMatcher(le float64) (*labels.Matcher, error) {
	text := strconv.FormatFloat(le, 'g', -1, 64)
	om := labels.FormatOpenMetricsFloat(le)
	if !(le > 0) || math.IsInf(le, 0) {
		return nil, fmt.Errorf("latency bound %v: want a positive, finite bucket bound", le)
	}
	if text == om {
		return labels.NewMatcher(labels.MatchEqual, "le", text)
	}
	return labels.NewMatcher(labels.MatchRegexp, "le", regexp.QuoteMeta(text)+"|"+regexp.QuoteMeta(om))
}
