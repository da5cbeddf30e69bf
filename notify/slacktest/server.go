// Package slacktest is a local stand-in for Slack, for tests: the Web API
// methods rollgate calls (chat.postMessage, chat.update) and incoming
// webhooks, on 127.0.0.1. It records every call, keeps the messages and
// their threads as Slack would, refuses what Slack refuses (a name where
// chat.update wants a channel ID, blocks over Block Kit's limits, a wrong
// token) and answers with faults on demand: 429 with Retry-After, 5xx,
// Slack errors, slow answers.
package slacktest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one request the server answered.
type Call struct {
	// Method is chat.postMessage, chat.update or webhook.
	Method string `json:"method"`
	// Token is the token form field, or the Authorization bearer token.
	Token   string `json:"token,omitempty"`
	Channel string `json:"channel,omitempty"`
	// TS is the message posted (as answered) or updated (as asked).
	TS          string          `json:"ts,omitempty"`
	ThreadTS    string          `json:"thread_ts,omitempty"`
	Broadcast   bool            `json:"reply_broadcast,omitempty"`
	Text        string          `json:"text,omitempty"`
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	Attachments json.RawMessage `json:"attachments,omitempty"`
	// Status is the HTTP status answered; Error the Slack error code
	// answered, "" for a success.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

// OK says the call succeeded.
func (c Call) OK() bool { return c.Status == http.StatusOK && c.Error == "" }

// Message is a top-level message as it stands in its channel.
type Message struct {
	Channel     string
	TS          string
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
	// Updates counts the chat.update calls that changed it.
	Updates int
	// Replies are the successful posts in its thread, in order.
	Replies []Call
}

// Fault is how the server answers one request instead of normally.
type Fault struct {
	Status     int           // HTTP status; 0 answers 200
	RetryAfter int           // seconds, sent as Retry-After when > 0
	Error      string        // Slack's error code: ok:false (webhooks: 400 with the code)
	Delay      time.Duration // wait this long first (or until the client gives up)
}

// RateLimited answers 429 with Retry-After: seconds.
func RateLimited(seconds int) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: seconds}
}

// Status answers the HTTP status code with an HTML body, as Slack's edge does.
func Status(code int) Fault { return Fault{Status: code} }

// SlackError answers {"ok": false, "error": code}.
func SlackError(code string) Fault { return Fault{Error: code} }

// Slow answers normally after d, unless the client hangs up first.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// Server is the stand-in. Its zero value is not usable: call New.
type Server struct {
	srv      *httptest.Server
	hookPath string

	mu       sync.Mutex
	token    string
	faults   []Fault
	calls    []Call
	msgs     map[string]*Message // by ts
	order    []string
	channels map[string]string // name -> ID
	seq      int
}

// New starts a server on 127.0.0.1 that t closes at its end.
func New(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("slacktest: listen on 127.0.0.1: %v", err)
	}
	s := &Server{hookPath: "/services/T0LOCAL/B0LOCAL/" + rand.Text(), msgs: map[string]*Message{}, channels: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", s.chat)
	mux.HandleFunc("POST /api/chat.update", s.chat)
	mux.HandleFunc("POST /services/", s.webhook)
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	s.srv.Start()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// APIURL is what slack-go's OptionAPIURL (and notify.slack.apiURL) take,
// with the trailing slash slack-go needs.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// WebhookURL is the server's one incoming webhook; its path is random, as
// the secret part of a real one is. Other paths answer 404 no_service.
func (s *Server) WebhookURL() string { return s.srv.URL + s.hookPath }

// RequireToken makes every Web API call with another token answer
// invalid_auth.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Inject queues faults: each answers one request, in order, whatever its
// method.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Calls returns every call so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Messages returns the top-level messages, in the order they were posted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.order))
	for _, ts := range s.order {
		m := *s.msgs[ts]
		m.Replies = append([]Call(nil), m.Replies...)
		out = append(out, m)
	}
	return out
}

// fault takes the next queued fault and waits out its delay; ok is false
// when there is none.
func (s *Server) fault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	if len(s.faults) == 0 {
		s.mu.Unlock()
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	s.mu.Unlock()
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
	return f, f.Status != 0 || f.Error != ""
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// httpFault answers a status fault; slack-go reads Retry-After on a 429.
func httpFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, "<html><body>%d %s</body></html>", f.Status, http.StatusText(f.Status))
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}
