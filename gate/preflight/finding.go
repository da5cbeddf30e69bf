package preflight

import (
	"encoding/json"
	"fmt"
)

// Finding is one preflight rule's complaint about the workload under gate.
type Finding struct {
	Rule      string `json:"rule"`
	Level     Level  `json:"level"`
	Container string `json:"container,omitempty"`
	Message   string `json:"message"`
	Fix       string `json:"fix"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s: %s (fix: %s)", f.Level, f.Rule, f.Message, f.Fix)
}

// FailedFindings returns the findings at level fail.
func FailedFindings(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Level == LevelFail {
			out = append(out, f)
		}
	}
	return out
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

// Settings hold one level per workload-hygiene rule, as the gate file's
// preflight section spells them.
type Settings struct {
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
