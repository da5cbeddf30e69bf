package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
)

func checkCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "preflight, quota and readiness: wait until the rollout completes or is doomed (no metrics, no actions)",
		ArgsUsage: "TARGET",
		UsageText: "rollgate check deployment/api -n shop --timeout 5m\n" +
			"rollgate check --preflight-only --manifest deploy/api.yaml                     # before kubectl apply; no cluster needed\n" +
			"rollgate check rollout/web -n shop --junit rollgate.xml --dotenv rollgate.env   # CI reports (GitLab)\n" +
			"Exits 0 when the rollout completes (kubectl's rules), 1 when it failed or timed out,\n" +
			"2 when the target does not exist, 4 on cluster or permission trouble. Changes nothing.",
		Flags: append(globalFlags(),
			&cli.BoolFlag{Name: "preflight-only", Usage: withEnv("run only the preflight rules and the quota preflight; no waiting", "preflight-only")},
			&cli.StringFlag{Name: "manifest", Usage: withEnv("with --preflight-only: check the Deployments and Rollouts of this manifest file, no cluster needed", "manifest")},
		),
		Action: action(func(c *cli.Context) error {
			return runCheck(c, env)
		}),
	}
}

func runCheck(c *cli.Context, env Env) error {
	preflightOnly, err := boolSetting(c, env, "preflight-only")
	if err != nil {
		return err
	}
	if manifest, ok := setting(c, env, "manifest"); ok {
		if !preflightOnly {
			return usagef("--manifest needs --preflight-only: without a cluster only the preflight rules can run")
		}
		return runManifestPreflight(c, env, manifest)
	}
	o, cfg, target, err := prepare(c, env)
	if err != nil {
		return err
	}
	return runEngine(c, env, "check", o, cfg, target, nil, func(ctx context.Context, e *gate.Engine, s gate.Settings) (*gate.Report, error) {
		if preflightOnly {
			return e.CheckPreflight(ctx, s)
		}
		return e.Check(ctx, s)
	})
}

// prepare reads options and the gate config and names the target. extra
// reads a command's own options that feed the config (--prometheus-url).
func prepare(c *cli.Context, env Env, extra ...func(*Options) error) (Options, *config.Config, workload.Target, error) {
	if c.NArg() > 1 {
		return Options{}, nil, workload.Target{}, usagef("%s takes one TARGET, got %d arguments: %v", c.Command.Name, c.NArg(), c.Args().Slice())
	}
	o, err := readOptions(c, env)
	if err != nil {
		return o, nil, workload.Target{}, err
	}
	for _, f := range extra {
		if err := f(&o); err != nil {
			return o, nil, workload.Target{}, err
		}
	}
	cfg, err := resolveConfig(o, c.Args().First())
	if err == nil {
		err = checkEnv(o, cfg, env, c.Command.Name)
	}
	if err != nil {
		return o, nil, workload.Target{}, err
	}
	t, err := targetOf(cfg)
	return o, cfg, t, err
}
