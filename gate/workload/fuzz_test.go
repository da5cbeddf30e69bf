package workload

import "testing"

// FuzzParseTarget: any TARGET is parsed or refused with a message, never a panic.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"deployment/api", "deploy/api", "rollouts.argoproj.io/web", "api", "/", "x/", "Deployment/API", "rollout/a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tgt, err := ParseTarget(s)
		if err == nil && (tgt.Name == "" || tgt.Kind == "") {
			t.Fatalf("ParseTarget(%q) = %+v without an error", s, tgt)
		}
		if err != nil && err.Error() == "" {
			t.Fatalf("ParseTarget(%q): an error without a message", s)
		}
	})
}

// FuzzParseManifest: any manifest is read or refused with a message.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}}}\n",
		"apiVersion: v1\nkind: List\nitems: [{kind: Deployment, apiVersion: apps/v1, metadata: {name: x}}]\n",
		"kind: Rollout\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: w}\nspec: {workloadRef: {kind: Deployment, name: d}}\n",
		"---\n", "kind: [", "kind: List\nitems: 3\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseManifest(data); err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
	})
}
