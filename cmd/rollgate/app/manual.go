package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// The manual commands: a person's follow-up to a held gate, through the
// same actions, lock and reports as run.
func manualCommands(env Env) []*cli.Command {
	return []*cli.Command{
		manualCommand(env, workload.ActionPromote, "promote the target now: resume a paused Deployment and record it verified; promote a Rollout's step (--full: all steps); retry an aborted Rollout",
			"rollgate promote deployment/api -n shop\nrollgate promote rollout/api -n shop --full   # skip the remaining steps\nExits 0 when promoted and ready, 4 on trouble.",
			&cli.BoolFlag{Name: "full", Usage: withEnv("Rollouts: skip the remaining steps, pauses and analysis", "full")}),
		manualCommand(env, workload.ActionHold, "pause the target so a person can decide; prints the promote and rollback commands",
			"rollgate hold deployment/api -n shop\nExits 0 when paused."),
		manualCommand(env, workload.ActionRollback, "roll the target back: a Deployment to its previous revision's template (like kubectl rollout undo), a Rollout by abort; then verify it is healthy",
			"rollgate rollback deployment/api -n shop\nrollgate rollback rollout/api -n shop --dry-run\nExits 0 when rolled back and healthy, 4 when it cannot be done."),
	}
}

func manualCommand(env Env, a workload.Action, usage, example string, flags ...cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      string(a),
		Usage:     usage,
		ArgsUsage: "TARGET",
		UsageText: example,
		Flags:     append(append(globalFlags(), flags...), slackFlags()...),
		Action: action(func(c *cli.Context) error {
			o, cfg, target, err := prepare(c, env, slackOptions(c, env))
			if err != nil {
				return err
			}
			full, err := boolSetting(c, env, "full")
			if err != nil {
				return err
			}
			return runEngine(c, env, string(a), o, cfg, target, nil, func(ctx context.Context, e *gate.Engine, s gate.Settings) (*gate.Report, error) {
				return e.Manual(ctx, s, a, full)
			})
		}),
	}
}
