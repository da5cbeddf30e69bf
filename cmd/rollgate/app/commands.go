package app

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
)

func commands(env Env) []*cli.Command {
	return []*cli.Command{
		notYet("run", "preflight, watch readiness, analyze metrics, then promote, hold or roll back",
			"rollgate run deployment/api -n shop -f rollgate.yaml", "issue: decide and act"),
		checkCommand(env),
		analyzeCommand(env),
		notYet("promote", "promote the target now (resume a paused Deployment, promote a Rollout step)",
			"rollgate promote deployment/api -n shop", "issue: decide and act"),
		notYet("hold", "pause the target so a human can decide",
			"rollgate hold deployment/api -n shop", "issue: decide and act"),
		notYet("rollback", "roll the target back to its pre-deploy template",
			"rollgate rollback deployment/api -n shop", "issue: decide and act"),
		validateCommand(env),
		versionCommand(),
	}
}

// action wraps a command so every error leaving it carries an exit code:
// anything not classified is a runtime error.
func action(f func(c *cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		err := f(c)
		if err == nil {
			return nil
		}
		if ge := new(gate.Error); errors.As(err, &ge) {
			return err
		}
		return gate.WithCode(gate.ExitRuntime, err)
	}
}

// notYet registers a command of the contract whose implementation lands with
// a later issue; until then it says so and exits 4.
func notYet(name, usage, example, issue string) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "TARGET",
		UsageText: example,
		Flags:     globalFlags(),
		Action: func(*cli.Context) error {
			return gate.Errorf(gate.ExitRuntime, "%s is not implemented yet (tracked in the %s)", name, issue)
		},
	}
}
