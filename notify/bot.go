package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/slack-go/slack"
)

// bot is the bot-token notifier: one message per run, posted at the first
// stage it is told about and updated in place (same channel and ts) after
// that, with the verdict's details as replies in its thread.
type bot struct {
	settings
	api     *slack.Client
	channel string // as configured: "#deploys"

	mu      sync.Mutex
	chanID  string // as Slack answered: chat.update wants the ID
	ts      string // the run's message; "" until a post succeeded
	posted  bool   // a post succeeded, even if a Slack-like gateway gave no ts
	sent    time.Time
	stage   Stage
	last    string // the last summary sent, to skip updates that change nothing
	replied bool
}

func newBot(st settings, token, channel, apiURL string) *bot {
	opts := []slack.Option{slack.OptionHTTPClient(st.client)}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return &bot{settings: st, api: slack.New(token, opts...), channel: channel}
}

// Notify posts, updates or finishes the run's message. Progress updates
// come at the first event of each stage, then at most once per update
// interval (Slack allows about one chat.update a second, and nobody reads
// faster); analysis updates also wait for a whole interval, since the
// caller notifies after each check's measurement and a message showing half
// an interval would lag a check behind. Start and verdict are never
// throttled.
func (b *bot) Notify(ctx context.Context, ev Event) error {
	if !ev.about() || !b.wants(ev.Stage, "start", "progress", "verdict") {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	progress := eventOf(ev.Stage) == "progress"
	// A release's targets move through the stages each at its own pace:
	// its updates keep to the interval whatever the stage.
	if progress && (b.stage == ev.Stage || ev.Release != nil) && now.Sub(b.sent) < b.interval ||
		ev.Stage == StageAnalysis && ev.Report != nil && !wholeInterval(ev.Report.Analysis) {
		return nil
	}
	if progress && b.posted && b.ts == "" {
		return nil // nothing to update: only the verdict is posted again
	}
	var thread []reply
	budget := b.budget
	if ev.Stage == StageVerdict {
		thread = ev.thread(b.mention)
		budget *= time.Duration(1 + len(thread)/5) // a release's thread is longer: a budget per 5 replies
	}
	ctx, cancel := budgeted(ctx, budget)
	defer cancel()
	m := ev.message(b.ci, b.mention)
	body, _ := json.Marshal(m)
	if ev.Stage != StageVerdict && string(body) == b.last {
		return nil
	}
	// A failed attempt counts for the throttle too: an unreachable Slack
	// must not cost a budget at every measurement.
	b.sent, b.stage = now, ev.Stage
	fresh, err := b.upsert(ctx, m, ev.Stage == StageVerdict)
	if err != nil {
		return Scrub(fmt.Errorf("slack %s: %w", b.channel, err), b.secrets...)
	}
	b.last = string(body)
	if ev.Stage != StageVerdict || b.replied || b.ts == "" {
		return nil
	}
	b.replied = true
	var errs []error
	for _, r := range thread {
		if r.Kind == replyAlert && fresh {
			continue // the fresh verdict message carries the mention itself
		}
		if err := b.reply(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("slack %s: thread reply (%s): %w", b.channel, r.Kind, err))
		}
	}
	return Scrub(errors.Join(errs...), b.secrets...)
}

// upsert updates the run's message, or posts it when there is none yet. A
// verdict whose update fails while budget remains (the message was
// deleted, is too old to edit, Slack stumbled) is posted anew: a rare
// duplicate is better than a lost verdict. fresh says the message was
// posted now.
func (b *bot) upsert(ctx context.Context, m message, verdict bool) (fresh bool, err error) {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionAttachments(slack.Attachment{Color: m.Color, Fallback: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}}),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if b.ts != "" {
		err := send(ctx, b.budget, func(ctx context.Context) error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, b.chanID, b.ts, opts...)
			return err
		})
		if err == nil || !verdict || ctx.Err() != nil {
			if err != nil {
				err = fmt.Errorf("chat.update %s: %w", b.ts, err)
			}
			return false, err
		}
	}
	var ch, ts string
	err = send(ctx, b.budget, func(ctx context.Context) error {
		var err error
		ch, ts, err = b.api.PostMessageContext(ctx, b.channel, opts...)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("chat.postMessage: %w", err)
	}
	b.chanID, b.ts, b.posted = ch, ts, true
	if b.chanID == "" {
		b.chanID = b.channel
	}
	return true, nil
}

// reply posts one detail in the run's thread.
func (b *bot) reply(ctx context.Context, r reply) error {
	opts := []slack.MsgOption{
		slack.MsgOptionTS(b.ts),
		slack.MsgOptionText(r.Text, false),
		slack.MsgOptionBlocks(r.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if r.Broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	err := send(ctx, b.budget, func(ctx context.Context) error {
		_, _, err := b.api.PostMessageContext(ctx, b.chanID, opts...)
		return err
	})
	if err != nil {
		return fmt.Errorf("chat.postMessage thread_ts %s: %w", b.ts, err)
	}
	return nil
}

// wholeInterval says every check has been measured as often as the others.
func wholeInterval(a *analysis.Result) bool {
	if a == nil || len(a.Checks) == 0 {
		return true
	}
	n := len(a.Checks[0].Measurements)
	for _, t := range a.Checks[1:] {
		if len(t.Measurements) != n {
			return false
		}
	}
	return true
}
