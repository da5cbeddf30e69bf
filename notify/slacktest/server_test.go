package slacktest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestTheServerAnswersAsSlackDoes(t *testing.T) {
	srv := New(t)
	srv.RequireToken("xoxb-good")
	api := slack.New("xoxb-good", slack.OptionAPIURL(srv.APIURL()))
	ctx := context.Background()
	text := slack.MsgOptionText("hello", false)

	ch, ts, err := api.PostMessageContext(ctx, "#deploys", text)
	if err != nil || !strings.HasPrefix(ch, "C") || ts == "" {
		t.Fatalf("post = %q %q %v, want a channel ID and a ts", ch, ts, err)
	}
	tests := []struct {
		name    string
		call    func() error
		wantErr string
	}{
		{"an update by channel ID succeeds", func() error {
			_, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("updated", false))
			return err
		}, ""},
		{"an update by channel name is refused, as chat.update wants the ID", func() error {
			_, _, _, err := api.UpdateMessageContext(ctx, "#deploys", ts, text)
			return err
		}, "channel_not_found"},
		{"an update of an unknown ts is refused", func() error {
			_, _, _, err := api.UpdateMessageContext(ctx, ch, "1.000000", text)
			return err
		}, "message_not_found"},
		{"a reply in the thread succeeds", func() error {
			_, _, err := api.PostMessageContext(ctx, ch, text, slack.MsgOptionTS(ts))
			return err
		}, ""},
		{"another token is refused", func() error {
			_, _, err := slack.New("xoxb-bad", slack.OptionAPIURL(srv.APIURL())).PostMessageContext(ctx, ch, text)
			return err
		}, "invalid_auth"},
		{"more than 50 blocks are refused", func() error {
			bs := make([]slack.Block, 51)
			for i := range bs {
				bs[i] = slack.NewDividerBlock()
			}
			_, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionBlocks(bs...))
			return err
		}, "invalid_blocks"},
		{"a section over 3000 characters is refused", func() error {
			long := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false), nil, nil)
			_, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionBlocks(long))
			return err
		}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].Text != "updated" || msgs[0].Updates != 1 || len(msgs[0].Replies) != 1 {
		t.Errorf("messages %+v, want one, updated once, with one reply", msgs)
	}
}

func TestFaultsAnswerOneRequestEachInOrder(t *testing.T) {
	srv := New(t)
	srv.Inject(RateLimited(7), Status(http.StatusInternalServerError), SlackError("ratelimited"))
	api := slack.New("xoxb-any", slack.OptionAPIURL(srv.APIURL()))
	post := func() error {
		_, _, err := api.PostMessageContext(context.Background(), "#deploys", slack.MsgOptionText("hi", false))
		return err
	}
	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter.Seconds() != 7 {
		t.Errorf("first: %v, want a rate limit with Retry-After 7", err)
	}
	var sc slack.StatusCodeError
	if err := post(); !errors.As(err, &sc) || sc.Code != 500 {
		t.Errorf("second: %v, want HTTP 500", err)
	}
	if err := post(); err == nil || err.Error() != "ratelimited" {
		t.Errorf("third: %v, want the Slack error", err)
	}
	if err := post(); err != nil {
		t.Errorf("fourth: %v, want success once the faults are used up", err)
	}
	if n := len(srv.Calls()); n != 4 {
		t.Errorf("%d calls recorded, want 4 (faults included)", n)
	}
}

func TestTheWebhookAcceptsOnlyItsOwnPath(t *testing.T) {
	srv := New(t)
	msg := &slack.WebhookMessage{Text: "hi"}
	if err := slack.PostWebhook(srv.WebhookURL(), msg); err != nil {
		t.Errorf("own path: %v", err)
	}
	var sc slack.StatusCodeError
	if err := slack.PostWebhook(srv.WebhookURL()+"x", msg); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("another path: %v, want 404 no_service", err)
	}
	if calls := srv.Calls(); len(calls) != 2 || !calls[0].OK() || calls[1].Error != "no_service" {
		t.Errorf("calls %+v", calls)
	}
	if !strings.HasPrefix(srv.WebhookURL(), "http://127.0.0.1:") {
		t.Errorf("webhook URL %s is not on 127.0.0.1", srv.WebhookURL())
	}
}
