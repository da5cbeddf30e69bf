package app

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/notify"
)

// slackFlags configure Slack from the command line; they override
// notify.slack of the gate file. Secrets are named by their environment
// variable, never passed as values (a flag value shows in ps and CI logs).
func slackFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "slack-channel", Usage: withEnv("Slack channel of the bot-token message, e.g. #deploys", "slack-channel")},
		&cli.StringFlag{Name: "slack-token-env", Usage: withEnv("name of the environment variable holding the Slack bot token", "slack-token-env")},
		&cli.StringFlag{Name: "slack-webhook-env", Usage: withEnv("name of the environment variable holding the Slack incoming-webhook URL", "slack-webhook-env")},
		&cli.StringFlag{Name: "slack-api-url", Usage: withEnv("Slack Web API base URL, for Slack-compatible gateways (default https://slack.com/api/)", "slack-api-url")},
	}
}

// slackOptions reads the Slack flags into the options.
func slackOptions(c *cli.Context, env Env) func(*Options) error {
	return func(o *Options) error {
		for flag, dst := range map[string]*string{"slack-channel": &o.Slack.Channel, "slack-token-env": &o.Slack.TokenEnv,
			"slack-webhook-env": &o.Slack.WebhookEnv, "slack-api-url": &o.Slack.APIURL} {
			if v, ok := setting(c, env, flag); ok {
				*dst = v
			}
		}
		return nil
	}
}

// applySlack lays the Slack flags over the gate file's notify.slack.
func applySlack(o SlackOptions, cfg *gate.Config) {
	if o == (SlackOptions{}) {
		return
	}
	if cfg.Notify.Slack == nil {
		cfg.Notify.Slack = &gate.Slack{}
	}
	s := cfg.Notify.Slack
	for _, f := range []struct{ src, dst *string }{{&o.Channel, &s.Channel}, {&o.TokenEnv, &s.TokenEnv},
		{&o.WebhookEnv, &s.WebhookEnv}, {&o.APIURL, &s.APIURL}} {
		if *f.src != "" {
			*f.dst = *f.src
		}
	}
}

// SlackOptions are the Slack flags.
type SlackOptions struct {
	Channel, TokenEnv, WebhookEnv, APIURL string
}

// notifier builds the run's notifier; a misconfiguration is a warning,
// never a reason to fail the gate.
func (g *gateRun) startNotifier() {
	n, err := notify.New(g.cfg.Notify.Slack, g.env.Lookup, notify.Options{})
	if err != nil {
		g.rep.warn("slack: %v", err)
	}
	g.notifier = n
}

// tell sends the run's state at a stage; failures are warnings.
func (g *gateRun) tell(stage notify.Stage) {
	if g.notifier == nil || g.notifier == notify.Nop {
		return
	}
	snapshot := g.rep.report
	if err := g.notifier.Notify(context.Background(), notify.Event{Stage: stage, Report: &snapshot}); err != nil {
		g.rep.warn("slack: %v", err)
	}
}

// tellVerdict records the outcome on the report and sends it: every way a
// run ends is told, the failures loudest.
func (g *gateRun) tellVerdict(err error) {
	g.rep.report.Finish(err, g.rep.now().UTC())
	g.tell(notify.StageVerdict)
}
