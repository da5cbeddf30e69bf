package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/rollgate/rollgate/cmd/rollgate/ci"
)

// actionYAML is what these tests read of action.yml.
type actionYAML struct {
	Inputs map[string]struct {
		Description string `json:"description"`
		Default     string `json:"default"`
	} `json:"inputs"`
	Outputs map[string]struct {
		Value string `json:"value"`
	} `json:"outputs"`
	Runs struct {
		Using string `json:"using"`
		Steps []struct {
			ID    string            `json:"id"`
			If    string            `json:"if"`
			Shell string            `json:"shell"`
			Run   string            `json:"run"`
			Env   map[string]string `json:"env"`
		} `json:"steps"`
	} `json:"runs"`
}

// actionOnly are the inputs that are no flag: the command and its TARGET,
// extra arguments, how to treat exit codes and which binary to install.
var actionOnly = []string{"command", "target", "args", "allow-exit-codes", "version"}

func readAction(t *testing.T) actionYAML {
	t.Helper()
	data, err := os.ReadFile("../../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.Unmarshal(data, &a); err != nil { // name, branding... are not read here
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q: the action must run the binary on the runner host", a.Runs.Using)
	}
	return a
}

// cliFlags maps every flag name of every command to the commands having it.
func cliFlags() map[string][]string {
	out := map[string][]string{}
	for _, c := range newApp(Env{}, &bytes.Buffer{}, &bytes.Buffer{}).Commands {
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				out[n] = append(out[n], c.Name)
			}
		}
	}
	return out
}

func TestActionInputsAreFlags(t *testing.T) {
	a := readAction(t)
	flags := cliFlags()
	env := map[string]string{}
	var scripts strings.Builder
	for _, s := range a.Runs.Steps {
		if s.Shell == "" {
			t.Errorf("step %q has no shell: composite run steps need one", s.ID)
		}
		scripts.WriteString(s.Run)
		// A step may run one of the action's scripts: bash "${ACTION_PATH}/hack/action/install.sh".
		if _, rest, ok := strings.Cut(s.Run, "${ACTION_PATH}/"); ok {
			script := strings.Fields(strings.Trim(rest, "\"\n"))[0]
			scripts.WriteString(readFile(t, filepath.Join("../../..", strings.TrimSuffix(script, "\""))))
		}
		for k, v := range s.Env {
			env[k] = v
		}
	}
	flagInputs := strings.Fields(env["FLAG_INPUTS"])
	for name := range a.Inputs {
		inVar := "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if env[inVar] != "${{ inputs."+name+" }}" {
			t.Errorf("input %s: no step sets %s: ${{ inputs.%s }}", name, inVar, name)
		}
		switch {
		case slices.Contains(actionOnly, name):
			if !strings.Contains(scripts.String(), inVar) {
				t.Errorf("input %s is never used by a script", name)
			}
		case len(flags[name]) == 0:
			t.Errorf("input %s is no flag of any rollgate command", name)
		case !slices.Contains(flagInputs, name):
			t.Errorf("input %s is a flag but not in FLAG_INPUTS, so it is never passed", name)
		}
	}
	for _, name := range flagInputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("FLAG_INPUTS names %s, which is no input", name)
		}
	}
	if c := a.Inputs["command"].Default; len(flags["namespace"]) == 0 || !slices.Contains(flags["namespace"], c) {
		t.Errorf("the default command %q is not a rollgate command with the global flags", c)
	}
}

func TestActionOutputsAreWrittenByTheBinary(t *testing.T) {
	a := readAction(t)
	var names []string
	for name, o := range a.Outputs {
		names = append(names, name)
		if o.Value != "${{ steps.gate.outputs."+name+" }}" {
			t.Errorf("output %s = %q, want the gate step's output of that name", name, o.Value)
		}
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(ci.GitHubOutputs))
	if !slices.Equal(names, want) {
		t.Errorf("action outputs %v, the binary writes %v", names, want)
	}
	// And the binary does write them, as the runner will read them.
	dir := t.TempDir()
	output := filepath.Join(dir, "github_output")
	env := []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + output, "RUNNER_TEMP=" + dir}
	ciRun(t, dir, "v2", env)
	written := readFile(t, output)
	for _, name := range names {
		if !strings.Contains(written, name+"<<") {
			t.Errorf("the binary did not write output %s:\n%s", name, written)
		}
	}
}

// fakeRollgate stands in for the binary in the gate step's script: it
// prints its arguments and ROLLGATE_* settings and exits with $FAKE_EXIT.
const fakeRollgate = `#!/bin/sh
echo "args: $*"
env | grep '^ROLLGATE_' | grep -v '^ROLLGATE_BIN=' | sort
exit "${FAKE_EXIT:-0}"
`

func TestActionGateStepScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	a := readAction(t)
	step := a.Runs.Steps[len(a.Runs.Steps)-1]
	fake := filepath.Join(t.TempDir(), "rollgate")
	if err := os.WriteFile(fake, []byte(fakeRollgate), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		inputs   map[string]string
		jobEnv   []string
		exit     int
		wantCode int
		want     []string
		notWant  []string
	}{
		{"inputs become ROLLGATE_* settings and the command its arguments",
			map[string]string{"command": "check", "target": "deployment/api", "namespace": "shop", "prometheus-url": "http://prom:9090", "args": "--from 2h  --to 1h"},
			nil, 0, 0, []string{"args: check deployment/api --from 2h --to 1h", "ROLLGATE_NAMESPACE=shop", "ROLLGATE_PROMETHEUS_URL=http://prom:9090"}, []string{"ROLLGATE_TIMEOUT"}},
		{"an empty input leaves the job's ROLLGATE_* variable alone", map[string]string{"command": "run"},
			[]string{"ROLLGATE_TIMEOUT=20m"}, 0, 0, []string{"args: run", "ROLLGATE_TIMEOUT=20m"}, nil},
		{"a failing gate fails the step with its exit code", map[string]string{"command": "run", "allow-exit-codes": "3"},
			nil, 1, 1, nil, nil},
		{"an allowed exit code passes the step", map[string]string{"command": "run", "allow-exit-codes": "3 6"},
			nil, 3, 0, []string{"rollgate exited 3, which allow-exit-codes lets pass"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"PATH=" + os.Getenv("PATH"), "ROLLGATE_BIN=" + fake, fmt.Sprintf("FAKE_EXIT=%d", tt.exit), "FLAG_INPUTS=" + step.Env["FLAG_INPUTS"]}
			for k := range step.Env {
				if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
					input := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
					env = append(env, k+"="+tt.inputs[input])
				}
			}
			cmd := exec.CommandContext(context.Background(), bash, "-c", step.Run)
			cmd.Env = append(env, tt.jobEnv...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("step exited %d, want %d\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(string(out), w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// The install step builds the action's own source, as it does on a runner
// for an untagged ref (here: none, as for uses: ./).
// With a cold build cache that compiles every dependency with -trimpath
// (minutes on two cores), so it runs only when RG_TEST_ACTION_INSTALL=1.
func TestActionInstallStepBuildsFromSource(t *testing.T) {
	if os.Getenv("RG_TEST_ACTION_INSTALL") != "1" {
		t.Skip("set RG_TEST_ACTION_INSTALL=1 to build the binary the way the action's install step does")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	root, _ := filepath.Abs("../../..")
	tmp := t.TempDir()
	output, path := filepath.Join(tmp, "output"), filepath.Join(tmp, "path")
	cmd := exec.CommandContext(context.Background(), bash, "-c", readAction(t).Runs.Steps[0].Run)
	cmd.Env = append(os.Environ(), "INPUT_VERSION=", "ACTION_REF=", "ACTION_PATH="+root, "RUNNER_TEMP="+tmp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"GITHUB_OUTPUT="+output, "GITHUB_PATH="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install step: %v\n%s", err, out)
	}
	bin := filepath.Join(tmp, "rollgate-bin", "rollgate")
	if !strings.Contains(string(out), "rollgate source-local") || readFile(t, output) != "bin="+bin+"\n" || readFile(t, path) != filepath.Dir(bin)+"\n" {
		t.Errorf("install step printed\n%s\noutput %q path %q", out, readFile(t, output), readFile(t, path))
	}
}
