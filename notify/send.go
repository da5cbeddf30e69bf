package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// budgeted bounds one Notify call. It ignores the caller's cancellation but
// keeps its values: a run cancelled by SIGINT must still say so, and the
// budget is what keeps that short.
func budgeted(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), budget)
}

// send makes one Slack call, waiting out each 429 the deadline has room
// for. slack-go does not retry unless told to, and its retries would not
// know the budget; other failures are not retried.
func send(ctx context.Context, budget time.Duration, call func(context.Context) error) error {
	for {
		err := call(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("no answer within the %s budget", budget)
		}
		wait, limited := retryAfter(err)
		if !limited {
			return describe(err)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("rate limited: slack asked to retry after %s, beyond the %s budget", wait, budget)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("no answer within the %s budget", budget)
		case <-t.C:
		}
	}
}

// retryAfter reads a 429: slack-go gives *RateLimitedError when Slack sent
// Retry-After, a bare status error when it did not (then wait a second).
func retryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, 0), true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return time.Second, true
	}
	return 0, false
}

// hints say what to do about the Slack errors a setup gets wrong.
var hints = map[string]string{
	"invalid_auth":        "the bot token is not valid: check the variable named by notify.slack.tokenEnv",
	"not_authed":          "no bot token reached Slack: check the variable named by notify.slack.tokenEnv",
	"token_revoked":       "the bot token was revoked: issue a new one",
	"account_inactive":    "the bot token belongs to a deleted app or user",
	"missing_scope":       "the bot needs the chat:write scope",
	"channel_not_found":   "check notify.slack.channel; a private channel needs the bot invited",
	"not_in_channel":      "invite the bot to the channel (/invite @your-bot)",
	"is_archived":         "the channel is archived: pick another notify.slack.channel",
	"invalid_blocks":      "Slack refused the message layout: please report this rollgate bug",
	"msg_too_long":        "Slack refused the message length: please report this rollgate bug",
	"message_not_found":   "the message was deleted",
	"cant_update_message": "the message can no longer be edited",
}

// describe turns slack-go's errors into sentences.
func describe(err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return apiError(se.Err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return fmt.Errorf("slack answered HTTP %s", sc.Status)
	}
	return err
}

// apiError is Slack's own "ok": false answer, with a hint when the setup
// is the likely cause.
type apiError string

func (e apiError) Error() string {
	if h, ok := hints[string(e)]; ok {
		return fmt.Sprintf("slack answered %s: %s", string(e), h)
	}
	return "slack answered " + string(e)
}
