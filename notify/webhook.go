package notify

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"
)

// webhook is the incoming-webhook notifier. A webhook gives no message id
// to update or thread under, so it sends one message at the verdict with
// the details in it, and one at the start only when the events ask for
// "start".
type webhook struct {
	settings
	url string
}

func newWebhook(st settings, url string) *webhook { return &webhook{settings: st, url: url} }

func (w *webhook) Notify(ctx context.Context, ev Event) error {
	if !ev.about() {
		return nil
	}
	switch {
	case ev.Stage == StageStart && len(w.events) > 0 && w.wants(ev.Stage):
	case ev.Stage == StageVerdict && w.wants(ev.Stage, "verdict"):
	default:
		return nil
	}
	ctx, cancel := budgeted(ctx, w.budget)
	defer cancel()
	m := w.message(ev)
	msg := &slack.WebhookMessage{
		Text:        m.Text,
		Attachments: []slack.Attachment{{Color: m.Color, Fallback: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}}},
		UnfurlLinks: new(false),
		UnfurlMedia: new(false),
	}
	err := send(ctx, w.budget, func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, w.url, w.client, msg)
	})
	if err != nil {
		return Scrub(fmt.Errorf("slack webhook: %s message: %w", ev.Stage, err), w.secrets...)
	}
	return nil
}

// message is the summary and, at the verdict, the details a thread would
// hold; the summary already has the check table and the action.
func (w *webhook) message(ev Event) message {
	m := ev.message(w.ci, w.mention)
	switch {
	case ev.Stage == StageVerdict && ev.Release != nil:
		m.Blocks = capBlocks(append(m.Blocks, releaseWebhookBlocks(ev.Release)...))
	case ev.Stage == StageVerdict:
		blocks := append(m.Blocks, podDetails(ev.Report)...)
		m.Blocks = capBlocks(append(blocks, checkDetails(ev.Report.Analysis, false)...))
	}
	return m
}
