package app

import (
	"context"
	"slices"
	"sync"

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

// startNotifier builds the run's notifier; a misconfiguration is a
// warning, never a reason to fail the gate.
func (g *gateRun) startNotifier() {
	n, err := notify.New(g.cfg.Notify.Slack, g.env.Lookup, notify.Options{})
	if err != nil {
		g.rep.warn("slack: %v", err)
	}
	if n != nil && n != notify.Nop {
		g.teller = newTeller(n)
	}
}

// tell queues the run's state at a stage; it never waits for Slack.
func (g *gateRun) tell(stage notify.Stage) {
	if g.teller != nil {
		g.teller.progress(notify.Event{Stage: stage, Report: g.snapshot()})
	}
}

// tellVerdict records the outcome on the report and sends it: every way a
// run ends is told, the failures loudest. Troubles are warnings.
func (g *gateRun) tellVerdict(err error) {
	g.rep.report.Finish(err, g.rep.now().UTC())
	if g.teller == nil {
		return
	}
	for _, w := range g.teller.verdict(notify.Event{Stage: notify.StageVerdict, Report: g.snapshot()}) {
		g.rep.warn("slack: %v", w)
	}
}

// snapshot copies the report for the notifier, which reads it while the
// run goes on appending.
func (g *gateRun) snapshot() *gate.Report {
	r := g.rep.report
	r.Timeline, r.Preflight, r.Warnings = slices.Clone(r.Timeline), slices.Clone(r.Preflight), slices.Clone(r.Warnings)
	return &r
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
