package gate

import (
	"encoding/json"
	"fmt"
	"time"
)

// APIVersion and ConfigKind identify a gate file.
const (
	APIVersion = "rollgate.dev/v1alpha1"
	ConfigKind = "Gate"
)

// Config is a gate file (SPEC section 4) after defaults, merged with flags
// and environment by the CLI. Optional numbers are pointers so that an
// explicit 0 differs from "not set"; Default fills every one of them.
type Config struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Target     TargetSpec `json:"target"`
	// Timeout is the gate's own wall clock for the whole run.
	Timeout   Duration  `json:"timeout"`
	Readiness Readiness `json:"readiness"`
	Quota     Quota     `json:"quota"`
	Preflight Preflight `json:"preflight"`
	Analysis  Analysis  `json:"analysis"`
	Policy    Policy    `json:"policy"`
	Notify    Notify    `json:"notify"`
}

// TargetSpec is the workload named in the file; a TARGET argument wins.
type TargetSpec struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
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
	Grace Duration `json:"grace"`
}

// Quota controls the ResourceQuota headroom preflight.
type Quota struct {
	Preflight *bool `json:"preflight"`
}

// Level is how a preflight rule reacts to a finding.
type Level string

const (
	LevelOff  Level = "off"
	LevelWarn Level = "warn"
	LevelFail Level = "fail"
)

// UnmarshalJSON accepts YAML's unquoted off, which YAML 1.1 reads as the
// boolean false, as "off".
func (l *Level) UnmarshalJSON(b []byte) error {
	if string(b) == "false" {
		*l = LevelOff
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be off, warn or fail")
	}
	*l = Level(s)
	return nil
}

// Preflight holds one level per workload-hygiene rule.
type Preflight struct {
	MutableImage             Level `json:"mutableImage"`
	RequireDigest            bool  `json:"requireDigest"`
	MissingRequests          Level `json:"missingRequests"`
	MissingLimits            Level `json:"missingLimits"`
	MissingReadinessProbe    Level `json:"missingReadinessProbe"`
	LivenessWithoutReadiness Level `json:"livenessWithoutReadiness"`
	MissingPDB               Level `json:"missingPDB"`
	ServiceAccountToken      Level `json:"serviceAccountToken"`
	ReplicasForHA            Level `json:"replicasForHA"`
	RequireHA                bool  `json:"requireHA"`
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
	Checks                []Check           `json:"checks"`
}

// Prometheus says where and how to query. Credentials are named by the
// environment variable that holds them, never written in the file.
type Prometheus struct {
	URL                string            `json:"url"`
	BearerTokenEnv     string            `json:"bearerTokenEnv"`
	BasicAuth          *BasicAuth        `json:"basicAuth"`
	CAFile             string            `json:"caFile"`
	InsecureSkipVerify bool              `json:"insecureSkipVerify"`
	Headers            map[string]string `json:"headers"`
	Timeout            Duration          `json:"timeout"`
}

// BasicAuth names the environment variables holding the credentials.
type BasicAuth struct {
	UsernameEnv string `json:"usernameEnv"`
	PasswordEnv string `json:"passwordEnv"`
}

// NoData policies: what a check gives when its query returns nothing.
const (
	NoDataPass         = "pass"
	NoDataFail         = "fail"
	NoDataInconclusive = "inconclusive"
)

// Series policies for a query that returns several series.
const (
	SeriesSingle = "single" // more than one series is an error
	SeriesEach   = "each"   // every series must pass
)

// Check is one metric evaluated every interval.
type Check struct {
	Name string `json:"name"`
	// Use names a ready-made check (success-rate, latency-p99) whose queries
	// are filled from Vars.
	Use         string            `json:"use"`
	Vars        map[string]string `json:"vars"`
	Query       string            `json:"query"`
	Max         *float64          `json:"max"`
	Min         *float64          `json:"min"`
	Baseline    string            `json:"baseline"`
	MaxRatio    *float64          `json:"maxRatio"`
	MaxDelta    *float64          `json:"maxDelta"`
	SampleQuery string            `json:"sampleQuery"`
	MinSamples  *float64          `json:"minSamples"`
	NoData      string            `json:"noData"`
	Series      string            `json:"series"`
}

// Actions a policy may take.
const (
	ActionPromote  = "promote"
	ActionHold     = "hold"
	ActionRollback = "rollback"
	ActionNone     = "none"
)

// Policy maps each outcome to an action.
type Policy struct {
	OnSuccess      string `json:"onSuccess"`
	OnFailure      string `json:"onFailure"`
	OnInconclusive string `json:"onInconclusive"`
	OnCancel       string `json:"onCancel"`
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
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("must be a duration like 30s or 5m")
	}
	d.Duration = v
	return nil
}

func (d Duration) String() string { return d.Duration.String() }

// Default fills every unset field with its built-in default.
func (c *Config) Default() {
	setDur(&c.Timeout, 15*time.Minute)
	setDur(&c.Readiness.ProgressTimeout, 10*time.Minute)
	setDur(&c.Readiness.Grace, 30*time.Second)
	setInt(&c.Readiness.MaxRestarts, 2)
	if c.Quota.Preflight == nil {
		t := true
		c.Quota.Preflight = &t
	}
	p := &c.Preflight
	setLevel(&p.MutableImage, LevelFail)
	for _, l := range []*Level{&p.MissingRequests, &p.MissingLimits, &p.MissingReadinessProbe,
		&p.LivenessWithoutReadiness, &p.MissingPDB, &p.ServiceAccountToken, &p.ReplicasForHA} {
		setLevel(l, LevelWarn)
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
	for i := range a.Checks {
		ch := &a.Checks[i]
		if ch.NoData == "" {
			ch.NoData = NoDataInconclusive
		}
		if ch.Series == "" {
			ch.Series = SeriesSingle
		}
	}
	setStr(&c.Policy.OnSuccess, ActionPromote)
	setStr(&c.Policy.OnFailure, ActionRollback)
	setStr(&c.Policy.OnInconclusive, ActionHold)
	setStr(&c.Policy.OnCancel, ActionHold)
	if s := c.Notify.Slack; s != nil {
		setDur(&s.UpdateInterval, 10*time.Second)
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

func setLevel(l *Level, v Level) {
	if *l == "" {
		*l = v
	}
}

func setStr(s *string, v string) {
	if *s == "" {
		*s = v
	}
}
