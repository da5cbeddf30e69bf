package slacktest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits Slack enforces (docs.slack.dev/reference/block-kit).
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	MaxFieldText   = 2000
	MaxFields      = 10
	MaxHeaderText  = 150
	MaxContextElts = 10
	MaxMessageText = 40000
)

// LimitError is why Slack would refuse a message: Code is the error Slack
// answers (invalid_blocks, msg_too_long).
type LimitError struct {
	Code   string
	Detail string
}

func (e *LimitError) Error() string { return e.Code + ": " + e.Detail }

type textObject struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	Emoji json.RawMessage `json:"emoji"`
}

type block struct {
	Type     string       `json:"type"`
	Text     *textObject  `json:"text"`
	Fields   []textObject `json:"fields"`
	Elements []textObject `json:"elements"`
}

// Validate checks a message as Slack does before accepting it: the text
// length, at most 50 blocks in all (its own and its attachments'), and each
// block's text limits. It returns nil or a *LimitError.
func Validate(text string, blocks, attachments json.RawMessage) error {
	if err := validate(text, blocks, attachments); err != nil {
		return err
	}
	return nil
}

func validate(text string, blocks, attachments json.RawMessage) *LimitError {
	if n := utf8.RuneCountInString(text); n > MaxMessageText {
		return &LimitError{"msg_too_long", fmt.Sprintf("text has %d characters > %d", n, MaxMessageText)}
	}
	var all []block
	if len(blocks) > 0 {
		var bs []block
		if err := json.Unmarshal(blocks, &bs); err != nil {
			return &LimitError{"invalid_blocks", "blocks: " + err.Error()}
		}
		all = append(all, bs...)
	}
	if len(attachments) > 0 {
		var as []struct {
			Blocks []block `json:"blocks"`
		}
		if err := json.Unmarshal(attachments, &as); err != nil {
			return &LimitError{"invalid_attachments", "attachments: " + err.Error()}
		}
		for _, a := range as {
			all = append(all, a.Blocks...)
		}
	}
	if len(all) > MaxBlocks {
		return &LimitError{"invalid_blocks", fmt.Sprintf("%d blocks > %d", len(all), MaxBlocks)}
	}
	for i, b := range all {
		if err := b.check(); err != "" {
			return &LimitError{"invalid_blocks", fmt.Sprintf("block %d (%s): %s", i, b.Type, err)}
		}
	}
	return nil
}

func (b block) check() string {
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" {
			return "a header needs plain_text"
		}
		return b.Text.check(MaxHeaderText)
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return "a section needs text or fields"
		}
		if len(b.Fields) > MaxFields {
			return fmt.Sprintf("%d fields > %d", len(b.Fields), MaxFields)
		}
		for _, f := range b.Fields {
			if err := f.check(MaxFieldText); err != "" {
				return "field: " + err
			}
		}
		if b.Text != nil {
			return b.Text.check(MaxSectionText)
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > MaxContextElts {
			return fmt.Sprintf("%d elements, want 1 to %d", len(b.Elements), MaxContextElts)
		}
		for _, e := range b.Elements {
			if e.Type != "mrkdwn" && e.Type != "plain_text" {
				continue // an image
			}
			if err := e.check(MaxSectionText); err != "" {
				return "element: " + err
			}
		}
	}
	return ""
}

func (t textObject) check(limit int) string {
	n := utf8.RuneCountInString(t.Text)
	switch {
	case n == 0:
		return "empty text"
	case n > limit:
		return fmt.Sprintf("text has %d characters > %d", n, limit)
	case t.Type == "mrkdwn" && len(t.Emoji) > 0:
		return "mrkdwn text takes no emoji field"
	}
	return ""
}
