package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	// Release: the command gates several targets with one client.
	Release bool
	// Sources says where each setting given came from (flag -> "--flag" or
	// "ROLLGATE_FLAG"), so a message names what the user wrote.
	Sources map[string]string
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
	o.Sources = map[string]string{}
	for flag, dst := range strs {
		if v, src, ok := settingFrom(c, env, flag); ok {
			*dst, o.Sources[flag] = v, src
		}
	}
	switch o.Output {
	case "":
		o.Output = OutputText
	case OutputText, OutputJSON:
	default:
		return o, usagef("%s %q: use text or json", o.source("output"), o.Output)
	}
	var err error
	if o.DryRun, err = boolSetting(c, env, "dry-run"); err != nil {
		return o, err
	}
	if v, src, ok := settingFrom(c, env, "timeout"); ok {
		d, err := config.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, usagef("%s %q: use a positive duration like 15m, 90s or 1h30m", src, v)
		}
		o.Timeout, o.Sources["timeout"] = d, src
	}
	return o, o.writable()
}

// source names where a setting came from: its flag or its variable.
func (o Options) source(flag string) string {
	if s, ok := o.Sources[flag]; ok {
		return s
	}
	return "--" + flag
}

// writable creates every report file asked for before the cluster is
// touched: a path that cannot be written fails now (exit 2), not after the
// gate has acted.
func (o Options) writable() error {
	for flag, path := range map[string]string{"report": o.Report, "junit": o.JUnit, "dotenv": o.Dotenv, "summary": o.Summary} {
		if path == "" {
			continue
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return usagef("%s %s: cannot write it: %v (create the directory first, or choose another path)", o.source(flag), path, errors.Unwrap(err))
		}
		f.Close()
	}
	return nil
}

// resolveConfig builds the typed gate config: the gate file (if any) under
// flags and environment, then defaults, then one validation of the result.
// target is the TARGET argument, "" when not given.
func resolveConfig(o Options, target string) (*config.Config, error) {
	cfg := &config.Config{APIVersion: config.APIVersion, Kind: config.Kind}
	if o.ConfigFile != "" {
		var err error
		if cfg, err = config.LoadFile(o.ConfigFile); err != nil {
			if pe := new(fs.PathError); errors.As(err, &pe) {
				where := o.ConfigFile
				if src, ok := o.Sources["config"]; ok {
					where = src + " " + where
				}
				return nil, usagef("%s: cannot read it: %v: give the path of your gate file (start from examples/gate.yaml)", where, pe.Err)
			}
			return nil, configError(o.configName(), err, nil)
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
		return nil, configError(o.configName(), ps, o.fieldSources())
	}
	return cfg, nil
}

// configName is the gate file as messages name it.
func (o Options) configName() string {
	switch o.ConfigFile {
	case "":
		return settingsName
	case "-":
		return "<stdin>"
	}
	return o.ConfigFile
}

// settingsName stands for the flags and variables when there is no gate file.
const settingsName = "the flags and variables"

// checkEnv fails before the cluster is touched when a variable the command
// reads a secret from is not set: run and analyze read Prometheus', run
// and the manual actions Slack's.
func checkEnv(o Options, cfg *config.Config, env Env, command string) error {
	u := config.Uses{Prometheus: command == "run" || command == "analyze", Slack: command != "check" && command != "analyze"}
	if ps := cfg.CheckEnv(env.Lookup, u); len(ps) > 0 {
		return configError(o.configName(), ps, o.fieldSources())
	}
	return nil
}

// fieldSources maps the gate-file fields a flag or variable set to that
// flag or variable, so a problem names what the user wrote.
func (o Options) fieldSources() map[string]string {
	out := map[string]string{}
	for flag, path := range map[string]string{"namespace": "target.namespace", "timeout": "timeout",
		"prometheus-url": "analysis.prometheus.url", "slack-channel": "notify.slack.channel", "slack-token-env": "notify.slack.tokenEnv",
		"slack-webhook-env": "notify.slack.webhookEnv", "slack-api-url": "notify.slack.apiURL"} {
		if src, ok := o.Sources[flag]; ok {
			out[path] = src
		}
	}
	return out
}

func configError(file string, err error, fromFlags map[string]string) error {
	if ps, ok := err.(config.Problems); ok {
		verb := "is"
		if file == settingsName {
			verb = "are"
		}
		msg := fmt.Sprintf("%s %s not valid (%d problem", file, verb, len(ps))
		if len(ps) > 1 {
			msg += "s"
		}
		msg += "):"
		for _, p := range ps {
			switch src, byFlag := fromFlags[p.Path]; {
			case byFlag:
				msg += "\n  " + src + ": " + p.Msg
			case p.Line > 0:
				msg += fmt.Sprintf("\n  %s:%d: %s", file, p.Line, p)
			case file != settingsName:
				msg += "\n  " + file + ": " + p.String() // a problem of the whole file: still one line naming it
			default:
				msg += "\n  " + p.String()
			}
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
