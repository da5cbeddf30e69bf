package gate

import "fmt"

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
