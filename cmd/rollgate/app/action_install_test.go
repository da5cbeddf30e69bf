package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The action's install step (hack/action/install.sh) against a fake release
// server on 127.0.0.1: the archive names of .goreleaser.yaml, its
// checksums.txt, and a GitHub API that lists the releases.

// fakeReleaseBinary stands in for a released rollgate: `version` names the
// archive it came from, anything else prints its argv, one argument a line.
const fakeReleaseBinary = `#!/bin/sh
if [ "$1" = version ]; then echo "rollgate v%[1]s"; echo "commit: %[2]s"; echo "from: %[3]s"; exit 0; fi
for a in "$@"; do echo "argv: [$a]"; done
`

var releasePlatforms = []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"}

// releaseServer serves fake releases of the given versions and counts the
// requests for each path.
type releaseServer struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	files  map[string][]byte
	broken bool // checksums.txt lies
}

func newReleaseServer(t *testing.T, tags ...string) *releaseServer {
	t.Helper()
	s := &releaseServer{hits: map[string]int{}, files: map[string][]byte{}}
	var listing []string
	for _, tag := range tags {
		listing = append(listing, fmt.Sprintf(`{"tag_name": %q, "name": %q}`, tag, tag))
		var sums strings.Builder
		for _, p := range releasePlatforms {
			name := fmt.Sprintf("rollgate_%s_%s.tar.gz", strings.TrimPrefix(tag, "v"), p)
			data := tarGz(t, map[string]string{
				"rollgate":  fmt.Sprintf(fakeReleaseBinary, strings.TrimPrefix(tag, "v"), "c0ffee"+tag, name),
				"LICENSE":   "Apache-2.0",
				"README.md": "# rollgate",
			})
			s.files["/"+tag+"/"+name] = data
			fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(data), name)
		}
		s.files["/"+tag+"/checksums.txt"] = []byte(sums.String())
	}
	s.files["/api/repos/rollgate/rollgate/releases"] = []byte("[\n" + strings.Join(listing, ",\n") + "\n]\n")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		data, ok := s.files[r.URL.Path]
		broken := s.broken
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if broken && strings.HasSuffix(r.URL.Path, "/checksums.txt") {
			// The same names with other sums: what a tampered archive looks like.
			var lied strings.Builder
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				fmt.Fprintf(&lied, "%s  %s\n", strings.Repeat("0", 64), strings.Fields(l)[1])
			}
			data = []byte(lied.String())
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *releaseServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"LICENSE", "README.md", "rollgate"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runner is one GitHub runner: its tool cache outlives a job's temp dir.
type runner struct {
	toolCache string
	srv       *releaseServer
}

type installRun struct {
	out, output, path string
	code              int
}

// install runs the install step's script the way the composite step does.
func (r runner) install(t *testing.T, env ...string) installRun {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	root, _ := filepath.Abs("../../..")
	tmp := t.TempDir()
	output, path := filepath.Join(tmp, "github_output"), filepath.Join(tmp, "github_path")
	cmd := exec.CommandContext(context.Background(), bash, filepath.Join(root, "hack/action/install.sh"))
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"RUNNER_TEMP=" + tmp, "RUNNER_TOOL_CACHE=" + r.toolCache, "GITHUB_OUTPUT=" + output, "GITHUB_PATH=" + path,
		"ACTION_PATH=" + root, "ACTION_REPOSITORY=rollgate/rollgate", "ACTION_REF=", "INPUT_VERSION=",
		"ROLLGATE_DOWNLOAD_URL=" + r.srv.URL, "GITHUB_API_URL=" + r.srv.URL + "/api"}, env...)
	out, err := cmd.CombinedOutput()
	run := installRun{out: string(out)}
	if ee, ok := err.(*exec.ExitError); ok {
		run.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	run.output, _ = readMaybe(output)
	run.path, _ = readMaybe(path)
	return run
}

func readMaybe(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

func TestActionInstallChoosesTheReleaseArchive(t *testing.T) {
	srv := newReleaseServer(t, "v0.3.0")
	tests := []struct {
		name, os, arch string
		archive        string
		cacheArch      string
	}{
		{"a Linux x64 runner gets linux_amd64", "Linux", "X64", "linux_amd64", "x64"},
		{"a Linux arm64 runner gets linux_arm64", "Linux", "ARM64", "linux_arm64", "arm64"},
		{"an Intel Mac gets darwin_amd64", "macOS", "X64", "darwin_amd64", "x64"},
		{"an Apple silicon Mac gets darwin_arm64", "macOS", "ARM64", "darwin_arm64", "arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runner{toolCache: t.TempDir(), srv: srv}
			run := r.install(t, "RUNNER_OS="+tt.os, "RUNNER_ARCH="+tt.arch, "INPUT_VERSION=v0.3.0")
			if run.code != 0 {
				t.Fatalf("install exited %d:\n%s", run.code, run.out)
			}
			dir := filepath.Join(r.toolCache, "rollgate", "0.3.0", tt.cacheArch)
			for _, want := range []string{"from: rollgate_0.3.0_" + tt.archive + ".tar.gz", "rollgate v0.3.0\ncommit: c0ffeev0.3.0", "matches checksums.txt"} {
				if !strings.Contains(run.out, want) {
					t.Errorf("install output lacks %q:\n%s", want, run.out)
				}
			}
			if run.output != "bin="+filepath.Join(dir, "rollgate")+"\n" || run.path != dir+"\n" {
				t.Errorf("GITHUB_OUTPUT %q, GITHUB_PATH %q; want the binary in %s", run.output, run.path, dir)
			}
		})
	}
}

func TestActionInstallFollowsTheActionsRef(t *testing.T) {
	srv := newReleaseServer(t, "v0.2.0", "v0.3.0", "v0.4.0-rc.1", "v1.0.0")
	tests := []struct {
		name, ref, version string
		want               string
	}{
		{"uses: rollgate/rollgate@v0.2.0 installs that release", "v0.2.0", "", "rollgate v0.2.0\n"},
		{"@v0 installs the newest v0 release, not a prerelease", "v0", "", "rollgate v0.3.0\n"},
		{"@v1 installs v1.0.0", "v1", "", "rollgate v1.0.0\n"},
		{"the version input wins over the ref", "v0.2.0", "0.3.0", "rollgate v0.3.0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runner{toolCache: t.TempDir(), srv: srv}.install(t, "ACTION_REF="+tt.ref, "INPUT_VERSION="+tt.version)
			if run.code != 0 || !strings.Contains(run.out, tt.want) {
				t.Errorf("install exited %d, want 0 and %q:\n%s", run.code, tt.want, run.out)
			}
		})
	}
}

func TestActionInstallRefusesABadChecksum(t *testing.T) {
	srv := newReleaseServer(t, "v0.3.0")
	srv.broken = true
	r := runner{toolCache: t.TempDir(), srv: srv}
	run := r.install(t, "INPUT_VERSION=v0.3.0")
	if run.code != 4 || !strings.Contains(run.out, "::error title=rollgate install::checksum mismatch for rollgate_0.3.0_linux_amd64.tar.gz") {
		t.Errorf("install exited %d, want 4 and a checksum mismatch:\n%s", run.code, run.out)
	}
	if entries, _ := os.ReadDir(filepath.Join(r.toolCache, "rollgate", "0.3.0")); len(entries) != 0 {
		t.Errorf("the tool cache holds %v after a failed verification", entries)
	}
	if run.output != "" || run.path != "" {
		t.Errorf("a failed install set GITHUB_OUTPUT %q, GITHUB_PATH %q", run.output, run.path)
	}
}

func TestActionInstallUsesTheToolCache(t *testing.T) {
	srv := newReleaseServer(t, "v0.3.0")
	r := runner{toolCache: t.TempDir(), srv: srv}
	first := r.install(t, "INPUT_VERSION=v0.3.0")
	second := r.install(t, "INPUT_VERSION=v0.3.0")
	if first.code != 0 || second.code != 0 {
		t.Fatalf("installs exited %d and %d:\n%s\n%s", first.code, second.code, first.out, second.out)
	}
	if n := srv.count("/v0.3.0/rollgate_0.3.0_linux_amd64.tar.gz"); n != 1 {
		t.Errorf("the archive was downloaded %d times, want once", n)
	}
	if n := srv.count("/v0.3.0/checksums.txt"); n != 1 {
		t.Errorf("checksums.txt was downloaded %d times, want once", n)
	}
	if !strings.Contains(second.out, "from the tool cache") || !strings.Contains(second.out, "rollgate v0.3.0") {
		t.Errorf("second install printed:\n%s", second.out)
	}
	if second.path != first.path {
		t.Errorf("second install put %q on PATH, the first %q", second.path, first.path)
	}
}

func TestActionInstallFailures(t *testing.T) {
	srv := newReleaseServer(t, "v0.3.0")
	noGo := t.TempDir() // a PATH with bash and the usual tools but no go
	for _, tool := range []string{"bash", "git", "curl", "tar", "awk", "mkdir", "mktemp", "rm", "sed", "grep", "cut", "sha256sum", "sort", "tail", "cat", "dirname"} {
		if p, err := exec.LookPath(tool); err == nil {
			_ = os.Symlink(p, filepath.Join(noGo, tool))
		}
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"a release that does not exist names what it tried", []string{"INPUT_VERSION=v9.9.9"}, "could not download " + srv.URL + "/v9.9.9/rollgate_9.9.9_linux_amd64.tar.gz"},
		{"a version input that is no version", []string{"INPUT_VERSION=latest"}, "version input 'latest' is no release version"},
		{"a runner architecture without a release", []string{"INPUT_VERSION=v0.3.0", "RUNNER_ARCH=ARM"}, "no rollgate release for runner architecture 'ARM'"},
		{"a moving tag without a matching release", []string{"ACTION_REF=v7"}, "has no release matching @v7"},
		{"a branch ref without Go says it would build from source", []string{"ACTION_REF=main", "PATH=" + noGo}, "no Go on this runner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := runner{toolCache: t.TempDir(), srv: srv}.install(t, tt.env...)
			if run.code != 4 || !strings.Contains(run.out, tt.want) {
				t.Errorf("install exited %d, want 4 and %q:\n%s", run.code, tt.want, run.out)
			}
		})
	}
}

// The installed binary, run by the gate step's script, receives a multi-line
// args input intact: every line, every argument, quotes grouping.
func TestActionMultiLineArgsReachTheBinary(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	srv := newReleaseServer(t, "v0.3.0")
	inst := runner{toolCache: t.TempDir(), srv: srv}.install(t, "INPUT_VERSION=v0.3.0")
	bin, ok := strings.CutPrefix(strings.TrimSpace(inst.output), "bin=")
	if inst.code != 0 || !ok {
		t.Fatalf("install exited %d, output %q:\n%s", inst.code, inst.output, inst.out)
	}
	a := readAction(t)
	step := a.Runs.Steps[len(a.Runs.Steps)-1]
	if step.ID != "gate" || step.If != "inputs.command != 'install'" {
		t.Fatalf("last step %q runs if %q; want the gate step, skipped for command: install", step.ID, step.If)
	}
	tests := []struct {
		name string
		args string
		code int
		want []string
	}{
		{"each line is one or more arguments, none dropped",
			"--from 2h --to 1h\n\n  --dry-run\n--report 'my report.json'\n--timeout=\"20m\"",
			0, []string{"run", "deployment/api", "--from", "2h", "--to", "1h", "--dry-run", "--report", "my report.json", "--timeout=20m"}},
		{"a last line without a newline counts", "--from 2h\n--to 1h", 0, []string{"run", "deployment/api", "--from", "2h", "--to", "1h"}},
		{"nothing is expanded", "$HOME `id` *", 0, []string{"run", "deployment/api", "$HOME", "`id`", "*"}},
		{"an unbalanced quote fails the step instead of dropping words", "--from 2h\n--report 'oops", 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"PATH=" + os.Getenv("PATH"), "ROLLGATE_BIN=" + bin, "FLAG_INPUTS=" + step.Env["FLAG_INPUTS"],
				"INPUT_COMMAND=run", "INPUT_TARGET=deployment/api", "INPUT_ARGS=" + tt.args, "INPUT_ALLOW_EXIT_CODES="}
			cmd := exec.CommandContext(context.Background(), bash, "-c", step.Run)
			cmd.Dir = t.TempDir()
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.code {
				t.Fatalf("gate step exited %d, want %d:\n%s", code, tt.code, out)
			}
			if tt.code != 0 {
				if !strings.Contains(string(out), "::error title=rollgate::args line 2") {
					t.Errorf("no error naming the line:\n%s", out)
				}
				return
			}
			var argv []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if w, ok := strings.CutPrefix(l, "argv: ["); ok {
					argv = append(argv, strings.TrimSuffix(w, "]"))
				}
			}
			if strings.Join(argv, "|") != strings.Join(tt.want, "|") {
				t.Errorf("the binary got %q, want %q\n%s", argv, tt.want, out)
			}
		})
	}
}
