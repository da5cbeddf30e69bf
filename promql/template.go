package promql

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// Vars are the values a check's queries may use as {{.Name}}.
type Vars struct {
	Namespace  string
	Name       string
	Kind       string
	Revision   string
	CanaryHash string
	StableHash string
	// CanaryPods and StablePods are regexes of pod names: the new
	// ReplicaSet's (or Rollout hash's) pods and the stable ones.
	CanaryPods string
	StablePods string
	// Pods is set only while a sequential check renders its selectors,
	// once with the canary pods and once with the stable ones.
	Pods string
	// User holds the gate file's analysis.vars and a check's vars.
	User map[string]string
}

// BuiltIn names the template variables rollgate provides.
var BuiltIn = []string{"Namespace", "Name", "Kind", "Revision", "CanaryHash", "StableHash", "CanaryPods", "StablePods", "Pods"}

func (v Vars) data() map[string]string {
	d := map[string]string{
		"Namespace": v.Namespace, "Name": v.Name, "Kind": v.Kind, "Revision": v.Revision,
		"CanaryHash": v.CanaryHash, "StableHash": v.StableHash, "CanaryPods": v.CanaryPods, "StablePods": v.StablePods,
	}
	if v.Pods != "" {
		d["Pods"] = v.Pods
	}
	for k, val := range v.User {
		if _, builtIn := d[k]; !builtIn && k != "Pods" {
			d[k] = val
		}
	}
	return d
}

// Render fills a query's {{.Var}} placeholders. An unknown variable is an
// error naming it: a query must never run with a hole in it.
func Render(query string, v Vars) (string, error) {
	t, err := template.New("query").Option("missingkey=error").Parse(query)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	var b bytes.Buffer
	data := v.data()
	if err := t.Execute(&b, data); err != nil {
		return "", unknownVariable(err, data)
	}
	return b.String(), nil
}

var missingKey = regexp.MustCompile(`^template: query:(\d+:\d+): .*map has no entry for key "([^"]*)"`)

// unknownVariable explains a template naming a variable rollgate does not
// have: where, which variables there are, and the nearest one.
func unknownVariable(err error, data map[string]string) error {
	m := missingKey.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("template: %s", strings.TrimPrefix(err.Error(), "template: query:"))
	}
	known := make([]string, 0, len(data))
	for k := range data {
		known = append(known, "."+k)
	}
	slices.Sort(known)
	msg := fmt.Sprintf("template: %s: map has no entry for key %q: no such variable (known: %s)", m[1], m[2], strings.Join(known, ", "))
	if near := Nearest("."+m[2], known); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return errors.New(msg)
}

// Nearest is the known name within two edits of name, if one is: the
// "did you mean" of a misspelling.
func Nearest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Placeholders are values for offline validation: realistic shapes so the
// rendered query parses as the live one will.
func Placeholders(user map[string]string) Vars {
	return Vars{Namespace: "shop", Name: "api", Kind: "Deployment", Revision: "7", CanaryHash: "5d8f7c9b4", StableHash: "6c9d8e7f5",
		CanaryPods: "api-5d8f7c9b4-.*", StablePods: "api-6c9d8e7f5-.*", User: user}
}

// PodRegex is the regex matching the pods of a ReplicaSet named rs: the
// controller names pods rs-xxxxx.
func PodRegex(rs string) string {
	if rs == "" {
		return "^$" // no such pods: matches nothing rather than everything
	}
	return regexp.QuoteMeta(rs) + "-[a-z0-9]+"
}
