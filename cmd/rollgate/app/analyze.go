package app

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/promql"
)

func analyzeCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "evaluate the Prometheus checks only; --from/--to replays a past window",
		ArgsUsage: "TARGET",
		UsageText: "rollgate analyze deployment/api -n shop -f rollgate.yaml\n" +
			"rollgate analyze deployment/api -n shop -f rollgate.yaml --from 2h --to 1h   # replay yesterday's thresholds\n" +
			"rollgate analyze deployment/api -n shop -f rollgate.yaml --summary checks.md # a table and a chart per check\n" +
			"Exits 0 when the checks pass, 1 when they fail, 3 when the data is inconclusive, 4 on trouble.",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "prometheus-url", Usage: withEnv("Prometheus base URL (overrides analysis.prometheus.url)", "prometheus-url")},
			&cli.StringFlag{Name: "from", Usage: withEnv("replay from this time: RFC 3339, or a duration ago like 2h", "from")},
			&cli.StringFlag{Name: "to", Usage: withEnv("replay up to this time (default now): RFC 3339, or a duration ago", "to")},
		),
		Action: action(func(c *cli.Context) error { return runAnalyze(c, env) }),
	}
}

func runAnalyze(c *cli.Context, env Env) error {
	from, to, err := replayWindow(c, env, time.Now())
	if err != nil {
		return err
	}
	o, cfg, target, err := prepare(c, env, prometheusURL(c, env))
	if err != nil {
		return err
	}
	if len(cfg.Analysis.Checks) == 0 {
		return usagef("no checks to analyze: add analysis.checks to the gate file (-f)")
	}
	q, err := querier(cfg.Analysis.Prometheus, env)
	if err != nil {
		return err
	}
	return runEngine(c, env, "analyze", o, cfg, target, q, func(ctx context.Context, e *gate.Engine, s gate.Settings) (*gate.Report, error) {
		return e.Analyze(ctx, s, gate.Replay{From: from, To: to})
	})
}

// prometheusURL reads --prometheus-url into the options.
func prometheusURL(c *cli.Context, env Env) func(*Options) error {
	return func(o *Options) error {
		if u, src, ok := settingFrom(c, env, "prometheus-url"); ok {
			o.PrometheusURL, o.Sources["prometheus-url"] = u, src
		}
		return nil
	}
}

// querier builds the Prometheus client; credentials come from the
// environment variables and files the gate file names, never from the
// file, and no error it returns repeats one.
func querier(p config.Prometheus, env Env) (promql.Querier, error) {
	cfg := promql.Config{URL: p.URL, CAFile: p.CAFile, InsecureSkipVerify: p.InsecureSkipVerify,
		Headers: maps.Clone(p.Headers), Timeout: p.Timeout.Duration, Refs: envRefs(env), Secrets: p.Secrets(env.Lookup)}
	if p.HTTP != nil {
		cfg.HTTP = &p.HTTP.HTTPClientConfig
	}
	if p.SigV4 != nil {
		cfg.SigV4 = &p.SigV4.SigV4Config
	}
	secret := func(name, what string) (string, error) {
		v, ok := env.Lookup(name)
		if !ok {
			return "", usagef("%s: environment variable %s is not set: export %s=... in the job, or set %s to the variable that holds it", what, name, name, what)
		}
		return v, nil
	}
	var err error
	if p.BearerTokenEnv != "" {
		if cfg.BearerToken, err = secret(p.BearerTokenEnv, "analysis.prometheus.bearerTokenEnv"); err != nil {
			return nil, err
		}
	}
	if b := p.BasicAuth; b != nil {
		if cfg.Username, err = secret(b.UsernameEnv, "analysis.prometheus.basicAuth.usernameEnv"); err != nil {
			return nil, err
		}
		if cfg.Password, err = secret(b.PasswordEnv, "analysis.prometheus.basicAuth.passwordEnv"); err != nil {
			return nil, err
		}
	}
	if cfg.Headers == nil {
		cfg.Headers = map[string]string{}
	}
	for h, name := range p.HeadersFromEnv {
		if cfg.Headers[h], err = secret(name, "analysis.prometheus.headersFromEnv."+h); err != nil {
			return nil, err
		}
	}
	if p.Tenant != "" {
		cfg.Headers[config.TenantHeader] = p.Tenant
	}
	q, err := promql.New(cfg)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return q, nil
}

// envRefs resolves the *_ref fields of analysis.prometheus.http: each
// names an environment variable.
type envRefs Env

func (e envRefs) Fetch(_ context.Context, name string) (string, error) {
	v, ok := Env(e).Lookup(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// replayWindow reads --from/--to: RFC 3339 times or durations ago.
func replayWindow(c *cli.Context, env Env, now time.Time) (from, to time.Time, err error) {
	parse := func(flag string) (time.Time, bool, error) {
		v, src, ok := settingFrom(c, env, flag)
		if !ok {
			return time.Time{}, false, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, true, nil
		}
		if d, err := time.ParseDuration(strings.TrimPrefix(v, "-")); err == nil && d >= 0 {
			return now.Add(-d), true, nil
		}
		return time.Time{}, false, usagef("%s %q: use an RFC 3339 time (2026-11-27T10:00:00Z) or a duration ago (2h)", src, v)
	}
	from, hasFrom, err := parse("from")
	if err != nil {
		return from, to, err
	}
	to, hasTo, err := parse("to")
	if err != nil {
		return from, to, err
	}
	switch {
	case hasTo && !hasFrom:
		return from, to, usagef("--to needs --from")
	case !hasFrom:
		return from, to, nil
	case !hasTo:
		to = now
	}
	if !to.After(from) {
		return from, to, usagef("--from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, nil
}
