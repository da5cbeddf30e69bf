// Package promql talks to Prometheus (and Prometheus-compatible stores:
// Thanos, Mimir, Cortex, VictoriaMetrics) through one narrow Querier, and
// turns query results into samples and per-interval check verdicts.
package promql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	promcfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"github.com/prometheus/sigv4"
)

// Querier is everything the analysis asks of Prometheus: one instant query.
type Querier interface {
	Query(ctx context.Context, query string, at time.Time) (Result, error)
}

// Sample is one series' value.
type Sample struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
}

// Result is an instant query's samples plus the warnings Prometheus sent.
type Result struct {
	Samples  []Sample `json:"samples"`
	Warnings []string `json:"warnings,omitempty"`
}

// Config says where Prometheus is and how to authenticate. Secrets are
// values here: the caller reads them from the environment variables the
// gate file names.
type Config struct {
	URL                string
	BearerToken        string
	Username, Password string
	CAFile             string
	InsecureSkipVerify bool
	Headers            map[string]string
	// HTTP is Prometheus' own client configuration (authorization,
	// basic_auth, oauth2, tls_config, proxy_url, http_headers,
	// follow_redirects), validated by the caller; nil is its default.
	HTTP *promcfg.HTTPClientConfig
	// SigV4 signs every request for Amazon Managed Service for Prometheus.
	SigV4 *sigv4.SigV4Config
	// Refs resolves the *_ref fields of HTTP.
	Refs promcfg.SecretManager
	// Secrets never appear in an error the client returns; neither does
	// any credential it sent (an OAuth2 token, say).
	Secrets []string
	// Timeout bounds each query, retries included.
	Timeout time.Duration
}

// ErrBadQuery wraps errors Prometheus gives for the query itself; retrying
// them is pointless.
var ErrBadQuery = errors.New("bad query")

type client struct {
	api     v1.API
	timeout time.Duration
	secrets *credentials
}

// New returns a Querier for cfg.
func New(cfg Config) (Querier, error) {
	secrets := newCredentials(append([]string{cfg.BearerToken, cfg.Password}, cfg.Secrets...))
	hc, err := httpClient(cfg, secrets)
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", cfg.URL, secrets.scrubErr(err))
	}
	c, err := api.NewClient(api.Config{Address: cfg.URL, Client: hc})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", cfg.URL, err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &client{api: v1.NewAPI(c), timeout: timeout, secrets: secrets}, nil
}

// Query runs an instant query, retrying transient failures with backoff
// within the per-query timeout. A bad query is not retried.
func (c *client) Query(ctx context.Context, query string, at time.Time) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	backoff := 250 * time.Millisecond
	for {
		v, warnings, _, err := c.api.Query(ctx, query, at)
		if err == nil {
			return toResult(v, warnings)
		}
		var apiErr *v1.Error
		if errors.As(err, &apiErr) && (apiErr.Type == v1.ErrBadData || apiErr.Type == v1.ErrExec) {
			return Result{}, fmt.Errorf("%w: %s", ErrBadQuery, c.secrets.scrub(apiErr.Msg))
		}
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("query prometheus: %w", c.secrets.scrubErr(err))
		case <-time.After(backoff):
			backoff = min(2*backoff, 2*time.Second)
		}
	}
}

func toResult(v model.Value, warnings v1.Warnings) (Result, error) {
	r := Result{Warnings: warnings, Samples: []Sample{}}
	switch x := v.(type) {
	case model.Vector:
		for _, s := range x {
			r.Samples = append(r.Samples, Sample{Labels: labelMap(s.Metric), Value: float64(s.Value)})
		}
	case *model.Scalar:
		r.Samples = append(r.Samples, Sample{Value: float64(x.Value)})
	default:
		return Result{}, fmt.Errorf("%w: the query returns a %s; checks need an instant vector or a scalar", ErrBadQuery, v.Type())
	}
	sort.Slice(r.Samples, func(i, j int) bool { return LabelString(r.Samples[i].Labels) < LabelString(r.Samples[j].Labels) })
	return r, nil
}

func labelMap(m model.Metric) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

// LabelString renders labels as PromQL does: {code="500", pod="api-1"}.
func LabelString(l map[string]string) string {
	if len(l) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// finite reports whether v is a usable number (not NaN, not ±Inf).
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
