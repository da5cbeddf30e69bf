package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const examples = "../../../examples"

// Every gate file in examples/ must pass `rollgate validate -f`, through the
// same loader, defaults and checks as a real run.
func TestExampleGateFilesAreValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(examples, "*.y*ml"))
	gates := 0
	for _, f := range files {
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(strings.SplitN(readFile(t, f), "\n---", 2)[0]), &head); err != nil || head.Kind != "Gate" {
			continue
		}
		gates++
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), []string{"rollgate", "validate", "-f", f}, nil, &stdout, &stderr); code != 0 {
				t.Errorf("rollgate validate -f %s exited %d:\n%s", f, code, stderr.String())
			}
		})
	}
	if gates < 5 {
		t.Errorf("found %d gate files in examples/, want at least 5 (app metrics, ready-made, ingress-nginx, istio, readiness only)", gates)
	}
}

func TestGitHubWorkflowExampleUsesTheActionsInputs(t *testing.T) {
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `json:"uses"`
				With map[string]string `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(examples, "github-workflow.yml"))), &wf); err != nil {
		t.Fatal(err)
	}
	inputs := readAction(t).Inputs
	uses := 0
	for job, j := range wf.Jobs {
		for _, s := range j.Steps {
			if !strings.HasPrefix(s.Uses, "rollgate/rollgate@") {
				continue
			}
			uses++
			for k := range s.With {
				if _, ok := inputs[k]; !ok {
					t.Errorf("job %s passes %s, which action.yml has no input for", job, k)
				}
			}
		}
	}
	if uses == 0 {
		t.Error("the workflow never uses the rollgate action")
	}
}

// The GitLab example sets rollgate's flags as ROLLGATE_* variables; each
// must be a real flag's, and the reports it declares must be the files the
// gate job writes.
func TestGitLabExampleUsesRealSettings(t *testing.T) {
	type job struct {
		Variables    map[string]string `json:"variables"`
		AllowFailure struct {
			ExitCodes []int `json:"exit_codes"`
		} `json:"allow_failure"`
		Artifacts struct {
			Reports map[string]string `json:"reports"`
		} `json:"artifacts"`
	}
	data := readFile(t, filepath.Join(examples, "gitlab-ci.yml"))
	var top map[string]json.RawMessage
	if err := yaml.Unmarshal([]byte(data), &top); err != nil {
		t.Fatal(err)
	}
	pipeline := map[string]job{}
	for name, raw := range top {
		var j job
		if name != "stages" && name != "variables" {
			if err := json.Unmarshal(raw, &j); err != nil {
				t.Fatalf("job %s: %v", name, err)
			}
			pipeline[name] = j
		}
	}
	settings := map[string]bool{}
	for flag := range cliFlags() {
		settings[envName(flag)] = true
	}
	for job, j := range pipeline {
		for k := range j.Variables {
			if strings.HasPrefix(k, "ROLLGATE_") && !settings[k] {
				t.Errorf("job %s sets %s, which is no rollgate flag's variable", job, k)
			}
		}
	}
	gate := pipeline["gate"]
	if !slices.Contains(gate.AllowFailure.ExitCodes, 3) {
		t.Error("the gate job must allow exit code 3 (held) to fail")
	}
	if r := gate.Artifacts.Reports; r["junit"] != gate.Variables["ROLLGATE_JUNIT"] || r["dotenv"] != gate.Variables["ROLLGATE_DOTENV"] || r["junit"] == "" {
		t.Errorf("reports %v are not the files the gate writes (%s, %s)", r, gate.Variables["ROLLGATE_JUNIT"], gate.Variables["ROLLGATE_DOTENV"])
	}
	if !strings.Contains(data, "entrypoint: [\"\"]") {
		t.Error("GitLab must override the image's rollgate entrypoint to run the job's script")
	}
}

func TestExamplesREADMEListsEveryExample(t *testing.T) {
	readme := readFile(t, filepath.Join(examples, "README.md"))
	files, _ := os.ReadDir(examples)
	for _, f := range files {
		if f.Name() != "README.md" && !strings.Contains(readme, "]("+f.Name()+")") {
			t.Errorf("examples/README.md does not link %s", f.Name())
		}
	}
}
