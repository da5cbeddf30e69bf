package app

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
)

func commands(env Env) []*cli.Command {
	cmds := []*cli.Command{runCommand(env), checkCommand(env), analyzeCommand(env)}
	cmds = append(cmds, manualCommands(env)...)
	cmds = append(cmds, validateCommand(env), versionCommand())
	for _, c := range cmds {
		c.OnUsageError = commandUsageError
	}
	return cmds
}

// longFlag is a flag as urfave/cli names it in its errors ("-dry-run").
var (
	longFlag = regexp.MustCompile(`(^|\s)-([a-z][a-z-]+)\b`)
	boolFlag = regexp.MustCompile(`^invalid boolean value .* for (--[a-z-]+)`)
)

// commandUsageError is a bad flag of a command: named the way it is typed
// (--dry-run, not -dry-run), with where to read the flags, instead of the
// whole help (which would bury the one line that matters).
func commandUsageError(c *cli.Context, err error, _ bool) error {
	msg := longFlag.ReplaceAllString(err.Error(), "$1--$2")
	if m := boolFlag.FindStringSubmatch(msg); m != nil {
		msg += fmt.Sprintf(": a switch is %s or %s=false", m[1], m[1])
	}
	return usagef("%s (see rollgate %s --help)", msg, c.Command.Name)
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
