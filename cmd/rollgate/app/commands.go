package app

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
)

func commands(env Env) []*cli.Command {
	cmds := []*cli.Command{runCommand(env), checkCommand(env), analyzeCommand(env)}
	cmds = append(cmds, manualCommands(env)...)
	return append(cmds, validateCommand(env), versionCommand())
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
