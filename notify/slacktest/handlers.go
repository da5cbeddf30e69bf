package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// channelID looks like a Slack conversation ID: C…, G… or D….
var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// chat answers chat.postMessage and chat.update, form-encoded as slack-go
// sends them.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	_ = r.ParseForm()
	c := Call{Method: method, Token: r.Form.Get("token"), Channel: r.Form.Get("channel"), ThreadTS: r.Form.Get("thread_ts"),
		Broadcast: r.Form.Get("reply_broadcast") == "true", Text: r.Form.Get("text"), Status: http.StatusOK}
	if c.Token == "" {
		c.Token = bearer(r)
	}
	if b := r.Form.Get("blocks"); b != "" {
		c.Blocks = json.RawMessage(b)
	}
	if a := r.Form.Get("attachments"); a != "" {
		c.Attachments = json.RawMessage(a)
	}
	if method == "chat.update" {
		c.TS = r.Form.Get("ts")
	}
	if s.injected(w, r, c, refuseChat) {
		return
	}
	s.mu.Lock()
	c.Error = s.apply(&c)
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	if c.Error != "" {
		refuseChat.write(w, c.Error)
		return
	}
	answer(w, map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS, "text": c.Text,
		"message": map[string]any{"text": c.Text, "ts": c.TS, "thread_ts": c.ThreadTS}})
}

// apply checks a call as Slack would and, when it is valid, changes the
// channel; it returns Slack's error code, or "". The caller holds s.mu.
func (s *Server) apply(c *Call) string {
	if s.token != "" && c.Token != s.token {
		if c.Token == "" {
			return "not_authed"
		}
		return "invalid_auth"
	}
	if c.Channel == "" {
		return "channel_not_found"
	}
	if c.Text == "" && len(c.Blocks) == 0 && len(c.Attachments) == 0 {
		return "no_text"
	}
	if err := validate(c.Text, c.Blocks, c.Attachments); err != nil {
		return err.Code
	}
	if c.Method == "chat.update" {
		// chat.update wants the ID chat.postMessage answered, not a name.
		m, ok := s.msgs[c.TS]
		switch {
		case !channelID.MatchString(c.Channel) || !s.known(c.Channel):
			return "channel_not_found"
		case !ok || m.Channel != c.Channel:
			return "message_not_found"
		}
		m.Text, m.Blocks, m.Attachments = c.Text, c.Blocks, c.Attachments
		m.Updates++
		return ""
	}
	c.Channel = s.id(c.Channel)
	if c.ThreadTS != "" {
		parent, ok := s.msgs[c.ThreadTS]
		if !ok || parent.Channel != c.Channel {
			return "thread_not_found"
		}
		s.seq++
		c.TS = fmt.Sprintf("1700000000.%06d", s.seq)
		parent.Replies = append(parent.Replies, *c)
		return ""
	}
	s.seq++
	c.TS = fmt.Sprintf("1700000000.%06d", s.seq)
	s.msgs[c.TS] = &Message{Channel: c.Channel, TS: c.TS, Text: c.Text, Blocks: c.Blocks, Attachments: c.Attachments}
	s.order = append(s.order, c.TS)
	return ""
}

// id names a channel by its ID, giving a new name the next one.
func (s *Server) id(channel string) string {
	if channelID.MatchString(channel) {
		return channel
	}
	name := strings.TrimPrefix(channel, "#")
	if id, ok := s.channels[name]; ok {
		return id
	}
	id := fmt.Sprintf("C%08d", len(s.channels)+1)
	s.channels[name] = id
	return id
}

func (s *Server) known(id string) bool {
	for _, v := range s.channels {
		if v == id {
			return true
		}
	}
	for _, m := range s.msgs {
		if m.Channel == id {
			return true
		}
	}
	return false
}

// webhook answers an incoming webhook: JSON in, "ok" out, or a status with
// the error code as the body, as Slack's webhooks do.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: "webhook", Status: http.StatusOK}
	body, _ := io.ReadAll(r.Body)
	var msg struct {
		Text        string          `json:"text"`
		ThreadTS    string          `json:"thread_ts"`
		Blocks      json.RawMessage `json:"blocks"`
		Attachments json.RawMessage `json:"attachments"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		c.Status, c.Error = http.StatusBadRequest, "invalid_payload"
	}
	c.Text, c.ThreadTS, c.Blocks, c.Attachments = msg.Text, msg.ThreadTS, msg.Blocks, msg.Attachments
	if s.injected(w, r, c, refuseWebhook) {
		return
	}
	lerr := validate(c.Text, c.Blocks, c.Attachments)
	switch {
	case c.Error != "":
	case r.URL.Path != s.hookPath:
		c.Status, c.Error = http.StatusNotFound, "no_service"
	case c.Text == "" && len(c.Blocks) == 0 && len(c.Attachments) == 0:
		c.Status, c.Error = http.StatusBadRequest, "no_text"
	case lerr != nil:
		c.Status, c.Error = http.StatusBadRequest, lerr.Code
	}
	s.record(c)
	if c.Error != "" {
		http.Error(w, c.Error, c.Status)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// refusal is how an endpoint says no: its status and its body.
type refusal struct {
	status int
	write  func(http.ResponseWriter, string)
}

var (
	// refuseChat is the Web API's refusal: 200 with ok:false.
	refuseChat = refusal{http.StatusOK, func(w http.ResponseWriter, code string) {
		answer(w, map[string]any{"ok": false, "error": code})
	}}
	// refuseWebhook is a webhook's refusal: 400 with the code as the body.
	refuseWebhook = refusal{http.StatusBadRequest, func(w http.ResponseWriter, code string) {
		http.Error(w, code, http.StatusBadRequest)
	}}
)

// injected answers the request with the next queued fault, if there is
// one. The call is recorded before the answer, so a client that has its
// answer finds its call in Calls.
func (s *Server) injected(w http.ResponseWriter, r *http.Request, c Call, no refusal) bool {
	f, ok := s.fault(r)
	if !ok {
		return false
	}
	c.Status, c.Error = no.status, f.Error
	if f.Status != 0 {
		c.Status = f.Status
	}
	s.record(c)
	if f.Status != 0 {
		httpFault(w, f)
	} else {
		no.write(w, f.Error)
	}
	return true
}
