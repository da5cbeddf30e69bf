package notify

import "time"

// Slack is who is told, resolved from the gate file and the Slack flags: a
// bot token (one message, updated in place), an incoming webhook (one
// message at the verdict), or both. Secrets are named by the environment
// variables that hold them.
type Slack struct {
	Channel          string
	TokenEnv         string
	WebhookEnv       string
	APIURL           string
	Events           []string
	MentionOnFailure string
	UpdateInterval   time.Duration
}

// SlackEvents are the events a Slack notifier may be limited to.
var SlackEvents = []string{"start", "progress", "verdict"}
