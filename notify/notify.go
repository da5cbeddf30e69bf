// Package notify tells people about a gate run: one Slack message per run,
// updated in place as the run moves on, with the details in its thread, or
// one incoming-webhook message at the verdict. Telling never decides
// anything: every failure to send comes back as an error for the caller to
// log as a warning, within a time budget, scrubbed of the secrets it could
// carry.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rollgate/rollgate/gate"
)

// Stage is where a run is when it notifies: the engine's stages.
type Stage = gate.Stage

const (
	StageStart     = gate.StageStart
	StagePreflight = gate.StagePreflight
	StageReadiness = gate.StageReadiness
	StageAnalysis  = gate.StageAnalysis
	StageVerdict   = gate.StageVerdict
)

// eventOf is the notify.slack.events name a stage belongs to.
func eventOf(s Stage) string {
	switch s {
	case StageStart:
		return "start"
	case StageVerdict:
		return "verdict"
	}
	return "progress"
}

// Event is the run's state at a stage: Report is a snapshot of the report
// so far (read-only for the notifier; the caller passes a copy or does not
// mutate it concurrently).
type Event struct {
	Stage  Stage
	Report *gate.Report
	// Release, when set, is a release's state at a stage instead: its
	// targets' reports so far, its verdict at StageVerdict. Report is nil
	// then.
	Release *gate.ReleaseReport
}

// Notifier tells people about a run.
type Notifier interface {
	// Notify returns within the notifier's time budget; an error is a
	// warning for the log and report, never a verdict.
	Notify(ctx context.Context, ev Event) error
}

// Nop tells nobody.
var Nop Notifier = nop{}

type nop struct{}

func (nop) Notify(context.Context, Event) error { return nil }

// Fanout tells every notifier, concurrently, so the whole call still
// returns within one budget; their errors are joined.
func Fanout(ns ...Notifier) Notifier {
	var live fanout
	for _, n := range ns {
		if n != nil && n != Nop {
			live = append(live, n)
		}
	}
	switch len(live) {
	case 0:
		return Nop
	case 1:
		return live[0]
	}
	return live
}

type fanout []Notifier

func (f fanout) Notify(ctx context.Context, ev Event) error {
	errs := make([]error, len(f))
	var wg sync.WaitGroup
	for i, n := range f {
		wg.Go(func() { errs[i] = n.Notify(ctx, ev) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// DefaultBudget bounds one Notify call when Options.Budget is zero.
const DefaultBudget = 5 * time.Second

// Options tune the notifiers New builds.
type Options struct {
	// Budget bounds one Notify call: every request it makes, and every wait
	// a 429 asks for. Zero means DefaultBudget.
	Budget time.Duration
	// HTTPClient sends the requests; nil means a fresh client without its
	// own timeout (the budget is the timeout).
	HTTPClient *http.Client
	// Now reads the clock that throttles progress updates; nil means time.Now.
	Now func() time.Time
}

// settings is what every Slack notifier shares.
type settings struct {
	events   []string
	mention  string
	interval time.Duration
	budget   time.Duration
	client   *http.Client
	now      func() time.Time
	ci       CIRun
	secrets  []string // every error is scrubbed of these
}

// wants says whether the configured events include stage; with no events
// configured, a notifier sends what it can (dflt).
func (s settings) wants(stage Stage, dflt ...string) bool {
	list := s.events
	if len(list) == 0 {
		list = dflt
	}
	for _, e := range list {
		if e == eventOf(stage) {
			return true
		}
	}
	return false
}

// New builds the notifiers configured by s (nil s → Nop). lookup reads the
// environment (secrets, CI variables). It always returns a usable
// Notifier; the error names what could not be set up (a secret missing
// from the environment), for the caller to report as a warning, and never
// contains a secret.
func New(s *Slack, lookup func(string) (string, bool), opts Options) (Notifier, error) {
	if s == nil {
		return Nop, nil
	}
	token, tokenErr := secret(lookup, "tokenEnv", s.TokenEnv, "the bot token (xoxb-...)")
	hook, hookErr := secret(lookup, "webhookEnv", s.WebhookEnv, "the incoming webhook URL")
	if hookErr == nil && hook != "" {
		if u, err := url.Parse(hook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			hook, hookErr = "", fmt.Errorf("notify.slack.webhookEnv: $%s does not hold an http(s) URL like https://hooks.slack.com/services/T0/B0/XXXX", s.WebhookEnv)
		}
	}
	st := settings{events: s.Events, mention: s.MentionOnFailure, interval: s.UpdateInterval,
		budget: opts.Budget, client: opts.HTTPClient, now: opts.Now, ci: CIFrom(lookup), secrets: []string{token, hook}}
	if st.interval <= 0 {
		st.interval = 10 * time.Second
	}
	if st.budget <= 0 {
		st.budget = DefaultBudget
	}
	if st.client == nil {
		st.client = &http.Client{}
	}
	if st.now == nil {
		st.now = time.Now
	}
	var ns []Notifier
	if token != "" {
		ns = append(ns, newBot(st, token, s.Channel, apiURL(s.APIURL)))
	}
	if hook != "" {
		ns = append(ns, newWebhook(st, hook))
	}
	return Fanout(ns...), errors.Join(tokenErr, hookErr)
}

// secret reads the variable named in field; an unset name is no error.
func secret(lookup func(string) (string, bool), field, name, what string) (string, error) {
	if name == "" {
		return "", nil
	}
	if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v), nil
	}
	return "", fmt.Errorf("notify.slack.%s: $%s is not set: export %s there, or Slack is not told", field, name, what)
}

// apiURL gives slack-go the trailing slash it needs.
func apiURL(u string) string {
	if u == "" || strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}
