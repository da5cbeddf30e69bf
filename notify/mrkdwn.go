package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's Block Kit limits (docs.slack.dev/reference/block-kit/blocks).
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxHeaderText  = 150
	maxContextText = 2000
	maxContextElts = 10
	maxMessageText = 3000 // far below Slack's 40000: this is a notification line
)

// escape makes text safe for mrkdwn: Slack reads &, < and > as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// link is a mrkdwn link, or the label alone without a URL.
func link(url, label string) string {
	if url == "" {
		return escape(label)
	}
	return "<" + escape(url) + "|" + escape(strings.ReplaceAll(label, "|", "/")) + ">"
}

// code is inline code; backticks inside would end it.
func code(s string) string {
	return "`" + escape(strings.ReplaceAll(s, "`", "'")) + "`"
}

// codeBlock is preformatted text. A ``` inside would end the block early,
// so it is broken with a zero-width space.
func codeBlock(lines ...string) string {
	body := strings.ReplaceAll(strings.Join(lines, "\n"), "```", "`\u200b``")
	return "```\n" + escape(body) + "\n```"
}

const truncated = "\n… (truncated)"

// clip cuts s to at most n characters, saying so. It never splits an
// escaped entity (&amp;) or a link (<url|label>), and closes a code block
// the cut left open.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	note := truncated
	if n < 2*len(note) {
		note = "…"
	}
	r := []rune(s)
	head := string(r[:max(0, n-utf8.RuneCountInString(note)-len("\n```"))])
	if i := strings.LastIndexByte(head, '&'); i >= 0 && !strings.Contains(head[i:], ";") {
		head = head[:i]
	}
	if i := strings.LastIndexByte(head, '<'); i >= 0 && !strings.Contains(head[i:], ">") {
		head = head[:i]
	}
	if strings.Count(head, "```")%2 == 1 {
		return head + "\n```" + note
	}
	return head + note
}

func mrkdwn(text string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(text, limit), false, false)
}

func header(text string) slack.Block {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, clip(text, maxHeaderText), true, false))
}

// section is one mrkdwn section; empty text gives no block.
func section(format string, args ...any) []slack.Block {
	text := fmt.Sprintf(format, args...)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text, maxSectionText), nil, nil)}
}

// fields is a section of label/value pairs; pairs with an empty value are
// left out.
func fields(pairs ...string) []slack.Block {
	var fs []*slack.TextBlockObject
	for i := 0; i+1 < len(pairs) && len(fs) < maxFields; i += 2 {
		if pairs[i+1] != "" {
			fs = append(fs, mrkdwn("*"+pairs[i]+"*\n"+pairs[i+1], maxFieldText))
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return []slack.Block{slack.NewSectionBlock(nil, fs, nil)}
}

// smallPrint is a line of context; empty parts are left out.
func smallPrint(parts ...string) []slack.Block {
	var els []slack.MixedElement
	for _, p := range parts {
		if p != "" && len(els) < maxContextElts {
			els = append(els, mrkdwn(p, maxContextText))
		}
	}
	if len(els) == 0 {
		return nil
	}
	return []slack.Block{slack.NewContextBlock("", els...)}
}

// capBlocks keeps a message within Slack's block limit, saying what was
// left out.
func capBlocks(bs []slack.Block) []slack.Block {
	if len(bs) <= maxBlocks {
		return bs
	}
	left := len(bs) - (maxBlocks - 1)
	out := append([]slack.Block{}, bs[:maxBlocks-1]...)
	return append(out, smallPrint(fmt.Sprintf("… %d more blocks left out; the full account is in the rollgate report", left))...)
}

// bullets is a mrkdwn list of at most n escaped lines.
func bullets(lines []string, n int) string {
	var b strings.Builder
	for i, l := range lines {
		if i == n {
			fmt.Fprintf(&b, "• … and %d more\n", len(lines)-n)
			break
		}
		b.WriteString("• " + escape(l) + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
