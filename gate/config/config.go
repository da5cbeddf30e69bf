// Package config is the gate file (SPEC section 4): its format, the strict
// loader (unknown fields and wrong types reported with their paths),
// built-in defaults, the one validation of cross-field rules, and Resolve,
// which turns the file merged with flags and environment into the plain
// settings the engine, the Prometheus client and the notifier take.
package config

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
)

// APIVersion and Kind identify a gate file.
const (
	APIVersion = "rollgate.dev/v1alpha1"
	Kind       = "Gate"
)

// Config is a gate file. Optional numbers are pointers so that an explicit
// 0 differs from "not set"; Default fills every one of them, and Resolve
// hands plain values on.
type Config struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Target     TargetSpec `json:"target"`
	// Targets gate several workloads in one run (a release), each with the
	// file's settings and its own overrides; exclusive with Target.
	Targets []TargetEntry `json:"targets"`
	// Timeout is the gate's own wall clock for the whole run.
	Timeout   Duration           `json:"timeout"`
	Readiness Readiness          `json:"readiness"`
	Quota     Quota              `json:"quota"`
	Preflight preflight.Settings `json:"preflight"`
	Analysis  Analysis           `json:"analysis"`
	Canary    Canary             `json:"canary"`
	Policy    gate.Policy        `json:"policy"`
	Notify    Notify             `json:"notify"`

	// lines are the file's field lines, for Validate's problems.
	lines fieldLines
}

// TargetSpec is the workload named in the file; a TARGET argument wins.
type TargetSpec struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// TargetEntry is one workload of a release, with what it overrides: the
// checks (all of them, when given) and single policy actions.
type TargetEntry struct {
	Kind      string        `json:"kind"`
	Name      string        `json:"name"`
	Namespace string        `json:"namespace"`
	Analysis  *TargetChecks `json:"analysis"`
	Policy    *gate.Policy  `json:"policy"`
}

// TargetChecks replaces analysis.checks for one target.
type TargetChecks struct {
	Checks []analysis.Check `json:"checks"`
}

// Readiness tunes the readiness phase.
type Readiness struct {
	// ProgressTimeout bounds the wait for the new pods, whatever the
	// controller's progressDeadlineSeconds says.
	ProgressTimeout Duration `json:"progressTimeout"`
	// MaxRestarts of a new pod's container before the rollout is doomed.
	MaxRestarts *int `json:"maxRestarts"`
	// Grace is how long a transient bad state (ImagePullBackOff, Unschedulable)
	// may last before it is a failure.
	Grace *Duration `json:"grace"`
	// UnschedulableGrace is Grace for an Unschedulable pod, counted again
	// from each scale-up the cluster autoscaler reports for it; unset, it
	// is Grace.
	UnschedulableGrace *Duration `json:"unschedulableGrace"`
}

// Quota controls the ResourceQuota headroom preflight.
type Quota struct {
	Preflight *bool `json:"preflight"`
}

// Analysis is the metric phase: checks evaluated every interval.
type Analysis struct {
	Prometheus            Prometheus        `json:"prometheus"`
	InitialDelay          Duration          `json:"initialDelay"`
	Interval              Duration          `json:"interval"`
	Duration              Duration          `json:"duration"`
	Count                 *int              `json:"count"`
	FailureLimit          *int              `json:"failureLimit"`
	InconclusiveLimit     *int              `json:"inconclusiveLimit"`
	ConsecutiveErrorLimit *int              `json:"consecutiveErrorLimit"`
	Vars                  map[string]string `json:"vars"`
	Checks                []analysis.Check  `json:"checks"`
}

// Canary is a plain Deployment's step canary: paused at each step with
// new and old pods serving side by side, each step analysed.
type Canary struct {
	Steps []CanaryStep `json:"steps"`
}

// CanaryStep is one step: replicas new pods, or percent of spec.replicas
// (rounded up); analysis replaces analysis.duration for the step.
type CanaryStep struct {
	Replicas *int     `json:"replicas"`
	Percent  *int     `json:"percent"`
	Analysis Duration `json:"analysis"`
}

// Prometheus says where and how to query. Credentials are named by the
// environment variable or the file that holds them, never written in the
// file.
type Prometheus struct {
	URL                string            `json:"url"`
	BearerTokenEnv     string            `json:"bearerTokenEnv"`
	BasicAuth          *BasicAuth        `json:"basicAuth"`
	CAFile             string            `json:"caFile"`
	InsecureSkipVerify bool              `json:"insecureSkipVerify"`
	Headers            map[string]string `json:"headers"`
	// HeadersFromEnv are headers whose values are secrets, by the
	// environment variable holding each.
	HeadersFromEnv map[string]string `json:"headersFromEnv"`
	// Tenant is sent as X-Scope-OrgID, the tenant header of Mimir, Cortex
	// and Thanos.
	Tenant string `json:"tenant"`
	// HTTP is Prometheus' own client configuration, as in remote_read.
	HTTP *HTTPClient `json:"http"`
	// SigV4 signs requests for Amazon Managed Service for Prometheus.
	SigV4   *SigV4   `json:"sigv4"`
	Timeout Duration `json:"timeout"`
}

// BasicAuth names the environment variables holding the credentials.
type BasicAuth struct {
	UsernameEnv string `json:"usernameEnv"`
	PasswordEnv string `json:"passwordEnv"`
}

// Notify configures who is told.
type Notify struct {
	Slack *Slack `json:"slack"`
}

// Slack is a bot token (one message, updated in place), an incoming webhook
// (one message at the verdict), or both.
type Slack struct {
	Channel          string   `json:"channel"`
	TokenEnv         string   `json:"tokenEnv"`
	WebhookEnv       string   `json:"webhookEnv"`
	APIURL           string   `json:"apiURL"`
	Events           []string `json:"events"`
	MentionOnFailure string   `json:"mentionOnFailure"`
	UpdateInterval   Duration `json:"updateInterval"`
}

// Duration is a time.Duration written as "30s" or "15m" in the file.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration the way the file spells it.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "30s"; the schema check has already rejected anything else.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be a duration like 30s or 5m")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("must be a duration like 30s or 5m")
	}
	d.Duration = v
	return nil
}

// ParseDuration reads a duration the way Go writes one (1m30s, 1.5h) or the
// way Prometheus does (1d, 1w: prometheus/common/model.ParseDuration), in
// the gate file and in flags alike.
func ParseDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	d, err := model.ParseDuration(s)
	return time.Duration(d), err
}

func (d Duration) String() string { return d.Duration.String() }

// Default fills every unset field with its built-in default.
func (c *Config) Default() {
	setDur(&c.Timeout, 15*time.Minute)
	setDur(&c.Readiness.ProgressTimeout, 10*time.Minute)
	if c.Readiness.Grace == nil { // a pointer: an explicit 0s means no grace at all
		c.Readiness.Grace = &Duration{30 * time.Second}
	}
	if c.Readiness.UnschedulableGrace == nil {
		g := *c.Readiness.Grace
		c.Readiness.UnschedulableGrace = &g
	}
	setInt(&c.Readiness.MaxRestarts, 2)
	if c.Quota.Preflight == nil {
		t := true
		c.Quota.Preflight = &t
	}
	p := &c.Preflight
	setLevel(&p.MutableImage, preflight.LevelFail)
	for _, l := range []*preflight.Level{&p.MissingRequests, &p.MissingLimits, &p.MissingReadinessProbe,
		&p.LivenessWithoutReadiness, &p.MissingPDB, &p.ServiceAccountToken, &p.ReplicasForHA} {
		setLevel(l, preflight.LevelWarn)
	}
	a := &c.Analysis
	setDur(&a.Prometheus.Timeout, 10*time.Second)
	setDur(&a.Interval, 30*time.Second)
	if a.Count == nil {
		setDur(&a.Duration, 5*time.Minute)
	}
	setInt(&a.FailureLimit, 0)
	setInt(&a.InconclusiveLimit, 0)
	setInt(&a.ConsecutiveErrorLimit, 4)
	defaultChecks(a.Checks)
	for _, e := range c.Targets {
		if e.Analysis != nil {
			defaultChecks(e.Analysis.Checks)
		}
	}
	c.Policy.Default()
	if s := c.Notify.Slack; s != nil {
		setDur(&s.UpdateInterval, 10*time.Second)
	}
}

func defaultChecks(checks []analysis.Check) {
	for i := range checks {
		ch := &checks[i]
		if ch.IsSequential() {
			continue // its parameters default in Check.Params; noData and series are not its
		}
		setStr(&ch.NoData, analysis.NoDataInconclusive)
		setStr(&ch.Series, analysis.SeriesSingle)
	}
}

func setDur(d *Duration, v time.Duration) {
	if d.Duration == 0 {
		d.Duration = v
	}
}

func setInt(p **int, v int) {
	if *p == nil {
		*p = &v
	}
}

func setLevel(l *preflight.Level, v preflight.Level) {
	if *l == "" {
		*l = v
	}
}

func setStr(s *string, v string) {
	if *s == "" {
		*s = v
	}
}
