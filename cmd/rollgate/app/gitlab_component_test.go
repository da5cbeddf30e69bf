package app

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The GitLab CI/CD component (templates/rollgate.yml) and the example
// pipeline: what GitLab would run, read the way GitLab reads it.

const component = "../../../templates/rollgate.yml"

var inputRef = regexp.MustCompile(`\$\[\[\s*inputs\.([a-z-]+)\s*\]\]`)

type componentSpec struct {
	Spec struct {
		Inputs map[string]struct {
			Description string `json:"description"`
			Type        string `json:"type"`
			Default     any    `json:"default"`
		} `json:"inputs"`
	} `json:"spec"`
}

// readComponent returns the spec header and the jobs with every input
// interpolated to its default, as an include without inputs gets them.
func readComponent(t *testing.T) (componentSpec, map[string]map[string]any) {
	t.Helper()
	data := readFile(t, component)
	header, body, ok := strings.Cut(data, "\n---\n")
	if !ok {
		t.Fatal("templates/rollgate.yml has no spec header: a component is two YAML documents separated by ---")
	}
	var spec componentSpec
	if err := yaml.UnmarshalStrict([]byte(header), &spec); err != nil {
		t.Fatalf("spec header: %v", err)
	}
	var missing []string
	body = inputRef.ReplaceAllStringFunc(body, func(ref string) string {
		name := inputRef.FindStringSubmatch(ref)[1]
		in, ok := spec.Spec.Inputs[name]
		if !ok {
			missing = append(missing, name)
			return ref
		}
		b, _ := json.Marshal(in.Default)
		return strings.Trim(string(b), `"`)
	})
	if len(missing) > 0 {
		t.Errorf("the jobs use inputs the spec does not declare: %v", missing)
	}
	return spec, gitlabJobs(t, body)
}

// gitlabJobs parses a pipeline and resolves extends: (hashes merge deeply,
// everything else is replaced, as GitLab does).
func gitlabJobs(t *testing.T, data string) map[string]map[string]any {
	t.Helper()
	var top map[string]any
	if err := yaml.Unmarshal([]byte(data), &top); err != nil {
		t.Fatal(err)
	}
	raw := map[string]map[string]any{}
	for name, v := range top {
		if m, ok := v.(map[string]any); ok && name != "variables" && name != "default" && name != "include" {
			raw[name] = m
		}
	}
	var resolve func(name string, depth int) map[string]any
	resolve = func(name string, depth int) map[string]any {
		j, ok := raw[name]
		if !ok || depth > 10 {
			t.Fatalf("job %s extends a job that does not exist (or loops)", name)
		}
		out := map[string]any{}
		var parents []string
		switch e := j["extends"].(type) {
		case string:
			parents = []string{e}
		case []any:
			for _, p := range e {
				parents = append(parents, p.(string))
			}
		}
		for _, p := range parents {
			deepMerge(out, resolve(p, depth+1))
		}
		deepMerge(out, j)
		delete(out, "extends")
		return out
	}
	// The pipeline's global variables expand in image: (GATE_IMAGE).
	globals, _ := top["variables"].(map[string]any)
	jobs := map[string]map[string]any{}
	for name := range raw {
		j := resolve(name, 0)
		if img, ok := j["image"].(map[string]any); ok {
			img = maps.Clone(img)
			img["name"] = os.Expand(img["name"].(string), func(k string) string { v, _ := globals[k].(string); return v })
			j["image"] = img
		}
		jobs[name] = j
	}
	return jobs
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merged := maps.Clone(dm)
				deepMerge(merged, sm)
				dst[k] = merged
				continue
			}
		}
		dst[k] = v
	}
}

func TestGitLabComponentDeclaresItsInputs(t *testing.T) {
	spec, jobs := readComponent(t)
	want := []string{"allow-hold", "config", "environment", "namespace", "stage", "target", "version"}
	if got := slices.Sorted(maps.Keys(spec.Spec.Inputs)); !slices.Equal(got, want) {
		t.Errorf("spec.inputs %v, want %v", got, want)
	}
	for name, in := range spec.Spec.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if in.Default == nil {
			t.Errorf("input %s has no default: every include would have to set it", name)
		}
	}
	_, body, _ := strings.Cut(readFile(t, component), "\n---\n")
	for name := range spec.Spec.Inputs {
		if !strings.Contains(body, "inputs."+name+" ]]") {
			t.Errorf("input %s is never used by the jobs", name)
		}
	}
	if len(jobs) == 0 {
		t.Fatal("the component has no jobs")
	}
}

// Both pipelines: their gate job verifies the environment, lets a hold pass,
// and declares the reports it writes; every ROLLGATE_* variable is a flag's.
func TestGitLabGateJobs(t *testing.T) {
	settings := map[string]bool{}
	for flag := range cliFlags() {
		settings[envName(flag)] = true
	}
	_, componentJobs := readComponent(t)
	pipelines := map[string]struct {
		jobs map[string]map[string]any
		gate string
	}{
		"templates/rollgate.yml": {componentJobs, "rollgate-gate"},
		"examples/gitlab-ci.yml": {gitlabJobs(t, readFile(t, filepath.Join(examples, "gitlab-ci.yml"))), "gate"},
	}
	for file, p := range pipelines {
		t.Run(file, func(t *testing.T) {
			for name, j := range p.jobs {
				vars, _ := j["variables"].(map[string]any)
				for k := range vars {
					if strings.HasPrefix(k, "ROLLGATE_") && !settings[k] {
						t.Errorf("job %s sets %s, which is no rollgate flag's variable", name, k)
					}
				}
				if img, ok := j["image"].(map[string]any); ok && strings.Contains(img["name"].(string), "bitnami/") {
					t.Errorf("job %s runs on %s: bitnami's version tags are gone from Docker Hub", name, img["name"])
				}
			}
			gate, ok := p.jobs[p.gate]
			if !ok {
				t.Fatalf("no job %s", p.gate)
			}
			var g struct {
				Image struct {
					Name       string   `json:"name"`
					Entrypoint []string `json:"entrypoint"`
				} `json:"image"`
				Environment struct {
					Name   string `json:"name"`
					Action string `json:"action"`
				} `json:"environment"`
				Variables    map[string]string `json:"variables"`
				AllowFailure struct {
					ExitCodes []int `json:"exit_codes"`
				} `json:"allow_failure"`
				Artifacts struct {
					Reports map[string]string `json:"reports"`
				} `json:"artifacts"`
			}
			b, _ := json.Marshal(gate)
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			if g.Environment.Name == "" || g.Environment.Action != "verify" {
				t.Errorf("the gate job's environment is %+v, want the deployed environment with action: verify", g.Environment)
			}
			if !slices.Contains(g.AllowFailure.ExitCodes, 3) {
				t.Error("the gate job must let exit code 3 (held) fail")
			}
			if r := g.Artifacts.Reports; r["junit"] == "" || r["junit"] != g.Variables["ROLLGATE_JUNIT"] || r["dotenv"] != g.Variables["ROLLGATE_DOTENV"] {
				t.Errorf("reports %v are not the files the gate writes (%v)", r, g.Variables)
			}
			if !strings.HasPrefix(g.Image.Name, "ghcr.io/rollgate/rollgate:") || !strings.HasSuffix(g.Image.Name, "-ci") || !slices.Equal(g.Image.Entrypoint, []string{""}) {
				t.Errorf("the gate job runs on %q with entrypoint %q; want rollgate's released -ci image with entrypoint [\"\"]", g.Image.Name, g.Image.Entrypoint)
			}
		})
	}
}

// The manual jobs run their scripts, with the dotenv report's variables,
// in a shell with a fake rollgate: only after a hold do they call it.
func TestGitLabManualJobsActOnlyAfterAHold(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "rollgate"), []byte("#!/bin/sh\necho \"rollgate called: $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, componentJobs := readComponent(t)
	pipelines := map[string]map[string]map[string]any{
		"templates/rollgate.yml": componentJobs,
		"examples/gitlab-ci.yml": gitlabJobs(t, readFile(t, filepath.Join(examples, "gitlab-ci.yml"))),
	}
	for file, jobs := range pipelines {
		manual := 0
		for name, j := range jobs {
			if j["when"] != "manual" || strings.HasPrefix(name, ".") {
				continue
			}
			manual++
			var lines []string
			for _, key := range []string{"before_script", "script"} {
				for _, l := range j[key].([]any) {
					lines = append(lines, l.(string))
				}
			}
			script := strings.Join(lines, "\n")
			for _, tt := range []struct{ decision, want string }{
				{"held", "rollgate called: "},
				{"promoted", "nothing to decide"},
				{"", "nothing to decide"},
			} {
				t.Run(file+"/"+name+"/after "+orElse(tt.decision, "no gate report"), func(t *testing.T) {
					cmd := exec.CommandContext(context.Background(), sh, "-e", "-c", script)
					cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "ROLLGATE_DECISION=" + tt.decision, "ROLLGATE_EXIT_CODE=3", "GATE_TARGET=deployment/api"}
					out, err := cmd.CombinedOutput()
					if err != nil {
						t.Fatalf("job %s failed: %v\n%s", name, err, out)
					}
					called := strings.Contains(string(out), "rollgate called")
					if !strings.Contains(string(out), tt.want) || called != (tt.decision == "held") {
						t.Errorf("job %s after %q printed:\n%s", name, tt.decision, out)
					}
				})
			}
		}
		if manual != 2 {
			t.Errorf("%s has %d manual jobs, want promote and rollback", file, manual)
		}
	}
}

func orElse(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
