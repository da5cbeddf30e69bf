// Package app is rollgate's command line: it turns arguments, ROLLGATE_*
// environment variables and the gate file into a typed gate.Config, runs the
// command and maps the outcome to the exit-code contract.
package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/cmd/rollgate/ci"
	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/notify"
)

// Run executes one rollgate invocation and returns its exit status.
// Everything the process touches is passed in, so tests can run it in-process.
func Run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	env := newEnv(environ)
	outputs := ci.GuardOutputs(func(name string) string { return env[name] })
	code := run(ctx, args, env, stdout, stderr)
	if err := outputs.Finish(code); err != nil {
		fmt.Fprintf(stderr, "rollgate: %v\n", err)
	}
	return code
}

func run(ctx context.Context, args []string, env Env, stdout, stderr io.Writer) int {
	a := newApp(env, stdout, stderr)
	if len(args) > 0 && args[len(args)-1] == completionFlag {
		// Completion must see the words as typed, with its flag last; and
		// urfave/cli v2 crashes on a half-typed long flag (--ju) when
		// short-option handling is on, which completion does not need.
		a.UseShortOptionHandling = false
	} else {
		if len(args) == 2 && args[1] == "--version" {
			args = []string{args[0], "version"} // rollgate --version is rollgate version
		}
		var err error
		if args, err = normalizeArgs(args, a); err != nil {
			fmt.Fprintf(stderr, "rollgate: %v\n", err)
			return int(gate.ExitBadInput)
		}
	}
	err := a.RunContext(ctx, args)
	code, printed := exitCodeOf(err)
	if err != nil && !printed {
		// Every message leaves through the scrubber: a value of a variable
		// that holds a secret never reaches the CI log, whatever path
		// produced the error.
		if msg := strings.TrimSpace(notify.ScrubString(err.Error(), secretValues(env)...)); msg != "" {
			fmt.Fprintf(stderr, "rollgate: %s\n", msg)
		}
	}
	return int(code)
}

func newApp(env Env, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "rollgate",
		Usage: "decide whether a Kubernetes rollout may stand: watch, analyze, promote, hold or roll back",
		Description: "rollgate runs at the end of a deploy pipeline. It watches a Deployment or an Argo Rollout,\n" +
			"fails fast with a diagnosis when the new pods are doomed, evaluates Prometheus checks, then\n" +
			"promotes, holds or rolls back, and reports to the CI log, machine-readable files and Slack.\n\n" +
			"Exit codes: 0 passed/promoted, 1 failed/rolled back, 2 bad input, 3 held, 4 runtime error,\n" +
			"5 cancelled, 6 superseded.\n\n" +
			"In CI: --junit, --dotenv and --summary write reports for GitLab and others; under GitHub Actions\n" +
			"the step outputs (decision, exit-code, report), summary and annotations are written by themselves.\n" +
			"Shell completion: source <(rollgate completion bash)   (or zsh, fish)",
		Writer:                 stdout,
		ErrWriter:              stderr,
		HideVersion:            true,
		UseShortOptionHandling: true,
		EnableBashCompletion:   true,
		// The exit status is decided in Run, after deferred cleanup has run.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usagef("%v (see rollgate --help)", err)
		},
		Commands: append(commands(env), completionCommand()),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q: see rollgate --help", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// secretValues are the values of the variables that look like they hold a
// secret (by name: token, secret, password, key, webhook, credential), for
// the last-resort scrub of error messages. A *_ENV variable
// (ROLLGATE_SLACK_TOKEN_ENV) holds the name of the variable with the
// secret, which messages must show to be any help, unless it holds what
// looks like the secret itself.
func secretValues(env Env) []string {
	var out []string
	for name, v := range env {
		n := strings.ToUpper(name)
		if strings.HasSuffix(n, "_ENV") && !config.LooksLikeCredential(v) {
			continue
		}
		for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "_KEY", "WEBHOOK", "CREDENTIAL", "AUTH"} {
			if strings.Contains(n, w) && len(v) >= 6 {
				out = append(out, v)
				break
			}
		}
	}
	return out
}
