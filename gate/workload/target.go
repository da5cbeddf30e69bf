package workload

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ErrInvalid marks a workload object rollgate cannot gate as written (an
// invalid selector, a spec that does not decode): bad input, exit 2.
var ErrInvalid = errors.New("invalid workload")

// Kind is the workload kind a gate watches.
type Kind string

const (
	KindDeployment Kind = "Deployment"
	KindRollout    Kind = "Rollout"
)

// Target names one workload.
type Target struct {
	Kind      Kind   `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (t Target) String() string {
	return strings.ToLower(string(t.Kind)) + "/" + t.Name
}

// Describe names the object in messages: "deployment shop/api".
func (t Target) Describe() string {
	return fmt.Sprintf("%s %s/%s", strings.ToLower(string(t.Kind)), t.Namespace, t.Name)
}

// kindAliases accepts the spellings kubectl accepts for the two kinds.
var kindAliases = map[string]Kind{
	"deployment":           KindDeployment,
	"deployments":          KindDeployment,
	"deploy":               KindDeployment,
	"deployment.apps":      KindDeployment,
	"deployments.apps":     KindDeployment,
	"rollout":              KindRollout,
	"rollouts":             KindRollout,
	"ro":                   KindRollout,
	"rollout.argoproj.io":  KindRollout,
	"rollouts.argoproj.io": KindRollout,
}

// ParseKind accepts a kind as written in a config file or on the command line.
func ParseKind(s string) (Kind, error) {
	if k, ok := kindAliases[strings.ToLower(s)]; ok {
		return k, nil
	}
	return "", fmt.Errorf("unknown kind %q: use Deployment or Rollout", s)
}

// ParseTarget parses TARGET as kubectl spells it: deployment/NAME, deploy/NAME,
// rollout/NAME or rollouts.argoproj.io/NAME.
func ParseTarget(s string) (Target, error) {
	kind, name, ok := strings.Cut(s, "/")
	if !ok || kind == "" || name == "" {
		return Target{}, fmt.Errorf("target %q: want KIND/NAME, e.g. deployment/api or rollout/api", s)
	}
	k, err := ParseKind(kind)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", s, err)
	}
	if msgs := ValidateName(name); len(msgs) > 0 {
		return Target{}, fmt.Errorf("target %q: %s", s, msgs[0])
	}
	return Target{Kind: k, Name: name}, nil
}

// ValidateName checks a workload name the way the API server does
// (a DNS-1123 subdomain), and says what a valid one looks like in words.
func ValidateName(name string) []string {
	if len(validation.IsDNS1123Subdomain(name)) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%q is not a valid name: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters", name)}
}

// ValidateNamespace checks a namespace name (a DNS-1123 label) the same way.
func ValidateNamespace(ns string) []string {
	if len(validation.IsDNS1123Label(ns)) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%q is not a valid namespace: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", ns)}
}
