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

// commandError marks an error that left one of rollgate's commands: its
// exit code is the engine's (gate.CodeOf). Errors without it come from
// urfave/cli's own parsing: usage errors.
type commandError struct{ error }

func (e commandError) Unwrap() error { return e.error }

// action wraps a command so its errors are known to be its own.
func action(f func(c *cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := f(c); err != nil {
			return commandError{err}
		}
		return nil
	}
}

// exitStatus is how a command that ended in a verdict (not in trouble)
// reports a non-zero exit code: the report says why.
type exitStatus struct {
	code   gate.ExitCode
	reason string
	// printed: the verdict line already said it.
	printed bool
}

func (e *exitStatus) Error() string { return e.reason }

// exitCodeOf maps how a command ended to the process exit status: the one
// place the CLI does.
func exitCodeOf(err error) (code gate.ExitCode, printed bool) {
	var st *exitStatus
	switch {
	case err == nil:
		return gate.ExitPassed, false
	case errors.As(err, &st):
		return st.code, st.printed
	case errors.As(err, new(commandError)):
		return gate.CodeOf(err), errors.As(err, new(reported))
	}
	return gate.ExitBadInput, false // urfave/cli reports unknown flags and bad values as plain errors
}

func usagef(format string, args ...any) error { return gate.BadInput(format, args...) }
