package app

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
)

func validateCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "check a gate file offline: schema, field types, cross-field rules",
		UsageText: "rollgate validate -f rollgate.yaml\n" +
			"for f in deploy/gates/*.yaml; do rollgate validate -f \"$f\" || exit 2; done   # a pre-merge CI job\n" +
			"Prints every problem with its field path (e.g. analysis.checks[1].max: must be a number) and exits 2,\n" +
			"or prints a summary and exits 0. No cluster is contacted.",
		Flags: []cli.Flag{configFlag()},
		Action: action(func(c *cli.Context) error {
			file, src, _ := settingFrom(c, env, "config")
			switch {
			case c.NArg() > 1 || (c.NArg() == 1 && file != ""):
				return usagef("validate takes one gate file: rollgate validate FILE (or -f FILE)")
			case c.NArg() == 1:
				file, src = c.Args().First(), ""
			case file == "":
				return usagef("validate needs a gate file: rollgate validate FILE (or -f FILE)")
			}
			o := Options{ConfigFile: file, Sources: map[string]string{}}
			if src != "" {
				o.Sources["config"] = src
			}
			cfg, err := resolveConfig(o, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%s is valid: %s\n", file, summary(cfg))
			return nil
		}),
	}
}

func summary(cfg *config.Config) string {
	target := "target from the command line"
	if cfg.Target.Name != "" {
		kind := cfg.Target.Kind
		if kind == "" {
			kind = string(workload.KindDeployment)
		}
		target = fmt.Sprintf("%s %s", kind, cfg.Target.Name)
		if cfg.Target.Namespace != "" {
			target += " in " + cfg.Target.Namespace
		}
	}
	a := cfg.Analysis
	analysis := "no metric checks"
	if n := len(a.Checks); n > 0 {
		analysis = fmt.Sprintf("%d check(s) every %s", n, a.Interval)
	}
	return fmt.Sprintf("%s; timeout %s; %s; on success %s, on failure %s, inconclusive %s",
		target, cfg.Timeout, analysis, cfg.Policy.OnSuccess, cfg.Policy.OnFailure, cfg.Policy.OnInconclusive)
}
