package promql

import (
	"bytes"
	"fmt"
	"regexp"
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
	if err := t.Execute(&b, v.data()); err != nil {
		return "", fmt.Errorf("template: %s", strings.TrimPrefix(err.Error(), "template: query:"))
	}
	return b.String(), nil
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
