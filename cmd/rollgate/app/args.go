package app

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// normalizeArgs lets flags follow the positional arguments, the way kubectl
// users write them (`rollgate check deployment/api -n shop`): urfave/cli
// stops parsing flags at the first positional argument, so flags are moved
// in front of them. Everything after "--" stays as it is.
//
// A flag that takes a value and is the last word has none: that is said
// ("flag needs an argument: -n"), never guessed from the word before it.
func normalizeArgs(args []string, a *cli.App) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	var cmd *cli.Command
	var flags, positional []string
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		switch {
		case arg == "--":
			positional = append(positional, rest[i:]...)
			i = len(rest)
		case len(arg) > 1 && strings.HasPrefix(arg, "-"):
			flags = append(flags, arg)
			name := strings.TrimLeft(arg, "-")
			if !strings.Contains(name, "=") && takesValue(a, cmd, name) {
				if i+1 >= len(rest) || rest[i+1] == "--" {
					return nil, usagef("flag needs an argument: %s (see rollgate %s --help)", arg, commandName(cmd))
				}
				i++
				flags = append(flags, rest[i])
			}
		case cmd == nil && len(positional) == 0 && a.Command(arg) != nil:
			cmd = a.Command(arg)
		default:
			positional = append(positional, arg)
		}
	}
	out := []string{args[0]}
	if cmd != nil {
		out = append(out, cmd.Name)
	}
	out = append(out, flags...)
	return append(out, positional...), nil
}

func commandName(c *cli.Command) string {
	if c == nil {
		return ""
	}
	return c.Name
}

// takesValue reports whether the named flag consumes the next argument; before
// the command is known, any command's flag of that name decides.
func takesValue(a *cli.App, cmd *cli.Command, name string) bool {
	cmds := a.Commands
	if cmd != nil {
		cmds = []*cli.Command{cmd}
	}
	for _, c := range cmds {
		if v, ok := flagTakesValue(c.Flags, name); ok {
			return v
		}
	}
	return false
}

func flagTakesValue(flags []cli.Flag, name string) (takes, found bool) {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			_, isBool := f.(*cli.BoolFlag)
			return !isBool, true
		}
	}
	return false, false
}
