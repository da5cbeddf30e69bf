package app

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
)

// Options are the global settings after flag > environment precedence; the
// gate file and built-in defaults fill what they leave unset.
type Options struct {
	Namespace  string
	Context    string
	Kubeconfig string
	ConfigFile string
	Output     string
	Report     string
	DryRun     bool
	Timeout    time.Duration // 0: from the gate file or the default
	// PrometheusURL overrides analysis.prometheus.url (analyze and run).
	PrometheusURL string
	// Slack overrides notify.slack (run and the manual actions).
	Slack SlackOptions
	// JUnit, Dotenv and Summary name the CI artefacts written next to the
	// report (--junit, --dotenv, --summary); "" writes none.
	JUnit, Dotenv, Summary string
}

// Output formats.
const (
	OutputText = "text"
	OutputJSON = "json"
)

func withEnv(usage, flag string) string { return fmt.Sprintf("%s [$%s]", usage, envName(flag)) }

// globalFlags are accepted by every command that talks to a cluster.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "namespace", Aliases: []string{"n"}, Usage: withEnv("namespace of the target (default: the gate file's, then the kubeconfig context's)", "namespace")},
		&cli.StringFlag{Name: "context", Usage: withEnv("kubeconfig context to use", "context")},
		&cli.StringFlag{Name: "kubeconfig", Usage: withEnv("path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)", "kubeconfig")},
		configFlag(),
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: withEnv("text (live view) or json (one report on stdout)", "output")},
		&cli.StringFlag{Name: "report", Usage: withEnv("also write the JSON report to this file", "report")},
		&cli.StringFlag{Name: "junit", Usage: withEnv("also write a JUnit XML report (one test case per check, condition and finding) to this file", "junit")},
		&cli.StringFlag{Name: "dotenv", Usage: withEnv("also write ROLLGATE_DECISION, ROLLGATE_EXIT_CODE... as a dotenv file (GitLab artifacts:reports:dotenv)", "dotenv")},
		&cli.StringFlag{Name: "summary", Usage: withEnv("also write a Markdown summary with a chart per metric to this file (automatic under GitHub Actions)", "summary")},
		&cli.BoolFlag{Name: "dry-run", Usage: withEnv("decide and report, change nothing in the cluster", "dry-run")},
		&cli.StringFlag{Name: "timeout", Usage: withEnv("the gate's own wall clock, e.g. 15m (default: the gate file's, then 15m)", "timeout")},
	}
}

func configFlag() cli.Flag {
	return &cli.StringFlag{Name: "config", Aliases: []string{"f"}, Usage: withEnv("gate file (apiVersion rollgate.dev/v1alpha1, kind Gate)", "config")}
}

// readOptions applies flag > environment precedence and checks each value.
func readOptions(c *cli.Context, env Env) (Options, error) {
	var o Options
	strs := map[string]*string{"namespace": &o.Namespace, "context": &o.Context, "kubeconfig": &o.Kubeconfig,
		"config": &o.ConfigFile, "output": &o.Output, "report": &o.Report,
		"junit": &o.JUnit, "dotenv": &o.Dotenv, "summary": &o.Summary}
	for flag, dst := range strs {
		if v, ok := setting(c, env, flag); ok {
			*dst = v
		}
	}
	switch o.Output {
	case "":
		o.Output = OutputText
	case OutputText, OutputJSON:
	default:
		return o, usagef("--output %q: use text or json", o.Output)
	}
	var err error
	if o.DryRun, err = boolSetting(c, env, "dry-run"); err != nil {
		return o, err
	}
	if v, ok := setting(c, env, "timeout"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, usagef("--timeout %q: use a positive duration like 15m or 90s", v)
		}
		o.Timeout = d
	}
	return o, nil
}

// resolveConfig builds the typed gate config: the gate file (if any) under
// flags and environment, then defaults, then one validation of the result.
// target is the TARGET argument, "" when not given.
func resolveConfig(o Options, target string) (*config.Config, error) {
	cfg := &config.Config{APIVersion: config.APIVersion, Kind: config.Kind}
	if o.ConfigFile != "" {
		var err error
		if cfg, err = config.LoadFile(o.ConfigFile); err != nil {
			return nil, configError(o.ConfigFile, err)
		}
	}
	if target != "" {
		t, err := workload.ParseTarget(target)
		if err != nil {
			return nil, usagef("%v", err)
		}
		cfg.Target.Kind, cfg.Target.Name = string(t.Kind), t.Name
	}
	if o.Namespace != "" {
		cfg.Target.Namespace = o.Namespace
	}
	if o.Timeout > 0 {
		cfg.Timeout = config.Duration{Duration: o.Timeout}
	}
	if o.PrometheusURL != "" {
		cfg.Analysis.Prometheus.URL = o.PrometheusURL
	}
	applySlack(o.Slack, cfg)
	cfg.Default()
	if ps := cfg.Validate(); len(ps) > 0 {
		name := o.ConfigFile
		if name == "" {
			name = "settings"
		}
		return nil, configError(name, ps)
	}
	return cfg, nil
}

func configError(file string, err error) error {
	if ps, ok := err.(config.Problems); ok {
		msg := fmt.Sprintf("%s is not valid (%d problem", file, len(ps))
		if len(ps) > 1 {
			msg += "s"
		}
		msg += "):"
		for _, p := range ps {
			where := ""
			if p.Line > 0 {
				where = fmt.Sprintf("%s:%d: ", file, p.Line)
			}
			msg += "\n  " + where + p.String()
		}
		return usagef("%s", msg)
	}
	return usagef("%v", err)
}

// targetOf returns the configured target, or a usage error when neither the
// TARGET argument nor the gate file names one.
func targetOf(cfg *config.Config) (workload.Target, error) {
	t, ok := cfg.TargetOf()
	if !ok {
		return t, usagef("no target: pass TARGET (e.g. deployment/api) or set target in the gate file")
	}
	return t, nil
}
