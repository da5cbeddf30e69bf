package config

import (
	"errors"
	"testing"
)

// FuzzParse: no input makes the loader panic, and every error it returns is
// the typed Problems a person reads (path, line, message).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: rollgate.dev/v1alpha1\nkind: Gate\n",
		"apiVersion: rollgate.dev/v1alpha1\nkind: Gate\ntimeout: 5m\ntimeout: 6m\n",
		"apiVersion: rollgate.dev/v1alpha1\nkind: Gate\nanalysis:\n  checks:\n  - {name: a, query: up, max: 1}\n",
		"---\n---\n", "kind: Role\napiVersion: rbac.authorization.k8s.io/v1\n", "\t- x", "[1, 2", "a: &x {b: *x}",
		"readiness: {maxRestarts: 1e400}", "analysis: {interval: 1w, duration: 2d}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil {
			c.Default()
			_ = c.Validate()
			return
		}
		var ps Problems
		if !errors.As(err, &ps) && err.Error() == "" {
			t.Fatalf("an error without a message: %#v", err)
		}
	})
}
