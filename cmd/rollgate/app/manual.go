package app

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/rollgate/rollgate/gate"
)

// The manual commands: a person's follow-up to a held gate, through the
// same actions, lock and reports as run.
func manualCommands(env Env) []*cli.Command {
	return []*cli.Command{
		manualCommand(env, gate.ActionPromote, "promote the target now: resume a paused Deployment and record it verified; promote a Rollout's step (--full: all steps); retry an aborted Rollout",
			"rollgate promote deployment/api -n shop\nrollgate promote rollout/api -n shop --full   # skip the remaining steps\nExits 0 when promoted and ready, 4 on trouble.",
			&cli.BoolFlag{Name: "full", Usage: withEnv("Rollouts: skip the remaining steps, pauses and analysis", "full")}),
		manualCommand(env, gate.ActionHold, "pause the target so a person can decide; prints the promote and rollback commands",
			"rollgate hold deployment/api -n shop\nExits 0 when paused."),
		manualCommand(env, gate.ActionRollback, "roll the target back: a Deployment to its previous revision's template (like kubectl rollout undo), a Rollout by abort; then verify it is healthy",
			"rollgate rollback deployment/api -n shop\nrollgate rollback rollout/api -n shop --dry-run\nExits 0 when rolled back and healthy, 4 when it cannot be done."),
	}
}

func manualCommand(env Env, name, usage, example string, flags ...cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      name,
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
			g, err := newGateRun(c, env, name, o, cfg, target)
			if err != nil {
				return err
			}
			return g.end(g.manual(c.Context, name, full))
		}),
	}
}

// manual performs one action on what runs now.
func (g *gateRun) manual(ctx context.Context, action string, full bool) error {
	obj, err := getWorkload(ctx, g.k, g.target)
	if err != nil {
		return err
	}
	if release, err := g.lock(ctx); err != nil {
		return err
	} else {
		defer release()
	}
	if g.pin, err = gate.PinOf(ctx, g.k.Client, obj); err != nil {
		return err
	}
	g.rep.report.Pin, g.rep.report.Revision = g.pin, fmt.Sprint(g.pin.Revision)
	g.rep.event("resolve", "%s", g.pin)
	var res gate.ActionResult
	decision := map[string]string{gate.ActionPromote: gate.DecisionPromoted, gate.ActionHold: gate.DecisionHeld, gate.ActionRollback: gate.DecisionRolledBack}[action]
	switch {
	case action == gate.ActionPromote && g.target.Kind == gate.KindRollout:
		res, err = g.rolloutActions().Promote(ctx, g.pin, full)
	case action == gate.ActionPromote:
		res, err = g.deploymentActions().Promote(ctx, g.pin)
	case action == gate.ActionHold:
		res, err = g.apply(ctx, gate.Plan{Action: gate.ActionHold})
	case g.target.Kind == gate.KindRollout:
		res, err = g.rolloutActions().Abort(ctx)
	default:
		res, err = g.rollbackNow(ctx, obj.(*appsv1.Deployment))
	}
	g.rep.report.Action, g.rep.report.Decision = &res, decision
	if res.Message != "" {
		g.rep.event(action, "%s", res.Message)
	}
	for _, c := range res.Commands {
		g.rep.event("next", "%s", c)
	}
	if err == nil && res.Applied {
		if err = g.verify(ctx, &res); err != nil && ctx.Err() != nil {
			return gate.Errorf(gate.ExitCancelled, "%s; cancelled while verifying it: not verified", res.Message)
		}
	}
	if err != nil {
		res.Error = err.Error()
		g.rep.report.Decision = gate.DecisionError
		return gate.WithCode(gate.ExitRuntime, err)
	}
	g.rep.report.Reason = res.Message
	return nil
}

// rollbackNow rolls a Deployment back to its previous revision, unless
// rollgate already rolled it back to the template it runs now.
func (g *gateRun) rollbackNow(ctx context.Context, d *appsv1.Deployment) (gate.ActionResult, error) {
	if to := d.Annotations[gate.AnnotationRolledBackTo]; to != "" && to == g.pin.TemplateHash {
		return gate.ActionResult{Action: gate.ActionRollback, Message: fmt.Sprintf("%s was already rolled back by rollgate from revision %s: nothing to do",
			g.target, d.Annotations[gate.AnnotationRolledBackFrom])}, nil
	}
	r, err := gate.ReadRestore(ctx, g.k.Client, g.target.Namespace, g.pin)
	if err != nil {
		return gate.ActionResult{Action: gate.ActionRollback}, err
	}
	return g.deploymentActions().Rollback(ctx, g.pin, r)
}
