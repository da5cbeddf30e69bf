package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// mutatingVerbs are the verbs that change the cluster: what hack/cluster.sh's
// audit policy logs (audit.k8s.io/v1 Policy, level Metadata), and what the
// count below keeps even if the policy logged more.
var mutatingVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// auditEvent is what the count needs of an audit.k8s.io/v1 Event.
type auditEvent struct {
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	UserAgent  string `json:"userAgent"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

func (e auditEvent) String() string {
	return fmt.Sprintf("%s %s by %s (%s): HTTP %d", e.Verb, e.RequestURI, e.User.Username, e.UserAgent, e.ResponseStatus.Code)
}

// auditWrites reads the apiserver's audit log, with the files it rotated
// out (audit-<time>.log beside it), and returns the mutating requests of
// the users for whom keep says yes, by user. A request denied or failed
// counts as well: it was attempted.
func auditWrites(t testing.TB, keep func(user string) bool) map[string][]auditEvent {
	t.Helper()
	if env.auditLog == "" {
		t.Fatal("hack/cluster.sh up exported no ROLLGATE_AUDIT_LOG: the cluster runs without an audit log (hack/cluster.sh down, then up)")
	}
	files, err := filepath.Glob(filepath.Join(filepath.Dir(env.auditLog), "audit*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit log in %s (%v): hack/cluster.sh down, then up", filepath.Dir(env.auditLog), err)
	}
	out := map[string][]auditEvent{}
	seen := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !bytes.Contains(line, []byte(`"username":"system:serviceaccount:`)) {
				continue // every identity the corpus uses is a ServiceAccount; skip the rest unparsed
			}
			var e auditEvent
			if err := json.Unmarshal(line, &e); err != nil {
				t.Fatalf("%s: not an audit event: %v", f, err)
			}
			if e.Stage == "RequestReceived" || seen[e.AuditID] || !slices.Contains(mutatingVerbs, e.Verb) || !keep(e.User.Username) {
				continue
			}
			seen[e.AuditID] = true
			out[e.User.Username] = append(out[e.User.Username], e)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
	}
	return out
}
