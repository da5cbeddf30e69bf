package app

import (
	"context"
	"slices"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
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
			if v, src, ok := settingFrom(c, env, flag); ok {
				*dst, o.Sources[flag] = v, src
			}
		}
		return nil
	}
}

// applySlack lays the Slack flags over the gate file's notify.slack.
func applySlack(o SlackOptions, cfg *config.Config) {
	if o == (SlackOptions{}) {
		return
	}
	if cfg.Notify.Slack == nil {
		cfg.Notify.Slack = &config.Slack{}
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

// startNotifier builds the run's notifier; a misconfiguration is a
// warning, never a reason to fail the gate.
func (r *reporter) startNotifier(cfg *config.Config, env Env) (warning error) {
	n, err := notify.New(cfg.SlackSettings(), env.Lookup, notify.Options{})
	if n != nil && n != notify.Nop {
		r.teller = newTeller(n)
	}
	return err
}

// tellVerdict sends the outcome: every way a run ends is told, the
// failures loudest. Troubles are warnings on the report.
func (r *reporter) tellVerdict(rep *gate.Report) {
	if r.teller == nil {
		return
	}
	c := *rep
	c.Timeline, c.Preflight, c.Warnings = slices.Clone(c.Timeline), slices.Clone(c.Preflight), slices.Clone(c.Warnings)
	for _, w := range r.teller.verdict(notify.Event{Stage: notify.StageVerdict, Report: &c}) {
		r.warn(rep, "slack: %v", w)
	}
}

// teller sends a run's progress in the background, so a slow or broken
// Slack (each send may take its whole budget) never delays the watch or
// the analysis: the start, then only the latest progress. The verdict is
// sent in the foreground once the send in flight is done.
type teller struct {
	n     notify.Notifier
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	queue []notify.Event
	errs  []error
}

func newTeller(n notify.Notifier) *teller {
	t := &teller{n: n, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go t.loop()
	return t
}

// progress queues ev; a newer progress replaces one not sent yet.
func (t *teller) progress(ev notify.Event) {
	t.mu.Lock()
	if n := len(t.queue); n > 0 && t.queue[n-1].Stage != notify.StageStart {
		t.queue[n-1] = ev
	} else {
		t.queue = append(t.queue, ev)
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *teller) loop() {
	defer close(t.done)
	for {
		select {
		case <-t.stop:
			return
		case <-t.wake:
		}
		for {
			select {
			case <-t.stop:
				return
			default:
			}
			t.mu.Lock()
			if len(t.queue) == 0 {
				t.mu.Unlock()
				break
			}
			ev := t.queue[0]
			t.queue = t.queue[1:]
			t.mu.Unlock()
			t.send(ev)
		}
	}
}

func (t *teller) send(ev notify.Event) {
	if err := t.n.Notify(context.Background(), ev); err != nil {
		t.mu.Lock()
		t.errs = append(t.errs, err)
		t.mu.Unlock()
	}
}

// verdict drops the progress not sent yet (the verdict supersedes it),
// sends ev and returns every trouble of the run's notifications.
func (t *teller) verdict(ev notify.Event) []error {
	close(t.stop)
	<-t.done
	t.send(ev)
	return t.errs
}
