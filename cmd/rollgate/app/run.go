package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/promql"
)

func runCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "preflight, watch readiness, analyze metrics, then promote, hold or roll back by policy",
		ArgsUsage: "TARGET [TARGET...]",
		UsageText: "rollgate run deployment/api -n shop -f rollgate.yaml\n" +
			"rollgate run rollout/api -n shop -f rollgate.yaml --dry-run   # decide and report, change nothing\n" +
			"rollgate run deployment/api deployment/worker -n shop   # a release: gated together, one report\n" +
			"rollgate run -l app.kubernetes.io/part-of=shop -n shop   # every labelled Deployment and Rollout\n" +
			"Exits 0 promoted, 1 rolled back (failed), 2 bad input, 3 held, 4 runtime error, 5 cancelled, 6 superseded.",
		Flags: append(append(globalFlags(),
			&cli.StringFlag{Name: "prometheus-url", Usage: withEnv("Prometheus base URL (overrides analysis.prometheus.url)", "prometheus-url")}),
			append(slackFlags(), releaseFlags()...)...),
		Action: action(func(c *cli.Context) error {
			if isRelease(c, env) {
				return runRelease(c, env)
			}
			o, cfg, target, err := prepare(c, env, prometheusURL(c, env), slackOptions(c, env))
			if err != nil {
				return err
			}
			var q promql.Querier
			if len(cfg.Analysis.Checks) > 0 {
				if q, err = querier(cfg.Analysis.Prometheus, env); err != nil {
					return err
				}
			}
			return runEngine(c, env, "run", o, cfg, target, q, func(ctx context.Context, e *gate.Engine, s gate.Settings) (*gate.Report, error) {
				return e.Run(ctx, s)
			})
		}),
	}
}

// runEngine is how every command on a live workload goes: connect, build
// the settings, the reporter and the notifier, let the engine run, render
// what it returned.
func runEngine(c *cli.Context, env Env, command string, o Options, cfg *config.Config, t workload.Target, q promql.Querier,
	run func(context.Context, *gate.Engine, gate.Settings) (*gate.Report, error)) error {
	k, s, rep, err := attach(c, env, command, o, cfg, t)
	if err != nil {
		return err
	}
	if command != "check" && command != "analyze" {
		if werr := rep.startNotifier(cfg, env); werr != nil {
			s.Warnings = append(s.Warnings, "slack: "+werr.Error())
		}
	}
	e := &gate.Engine{Cluster: k.Cluster, Querier: q, Observer: rep}
	report, err := run(c.Context, e, s)
	return rep.finish(report, err)
}
