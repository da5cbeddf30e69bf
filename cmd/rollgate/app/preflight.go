package app

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
)

// runManifestPreflight checks the workloads of a manifest file without a
// cluster, so a pipeline can stop a bad release before kubectl apply.
func runManifestPreflight(c *cli.Context, env Env, file string) error {
	if c.NArg() > 0 {
		return usagef("--manifest checks the workloads in the file: drop the TARGET argument")
	}
	o, err := readOptions(c, env)
	if err != nil {
		return err
	}
	cfg, err := resolveConfig(o, "")
	if err != nil {
		return err
	}
	data, err := readManifest(file)
	if err != nil {
		return usagef("--manifest: %v", err)
	}
	ws, err := workload.ParseManifest(data)
	if err != nil {
		fi, serr := os.Stat(file)
		return manifestError(file, data, err, file == "-" || (serr == nil && !fi.IsDir()))
	}
	if len(ws) == 0 {
		return usagef("--manifest %s holds no Deployment or Rollout: give the manifest of the workloads you deploy (kubectl apply -f's file or directory)", file)
	}
	first := ws[0]
	rep := newReporter("check", o, env, cfg, workload.Target{Kind: workload.Kind(first.Kind), Name: first.Name, Namespace: first.Namespace}, c.App.Writer, c.App.ErrWriter)
	e := &gate.Engine{Observer: rep}
	return rep.finish(e.CheckManifest(ws, cfg.Preflight, file), nil)
}

// readManifest reads what kubectl apply -f would: a file, standard input
// ("-"), or every .yaml, .yml and .json file of a directory (not
// recursively, as kubectl -f DIR), one YAML stream.
func readManifest(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.IsDir() {
		defer f.Close()
		return io.ReadAll(f)
	}
	f.Close()
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(append(out, "\n---\n"...), b...)
	}
	return out, nil
}

// unknownField is how the strict decoder of a manifest's object says a
// field is misspelled, behind the JSON decoder's own words.
var unknownField = regexp.MustCompile(`error unmarshaling JSON: while decoding JSON: json: unknown field "([^"]+)"`)

// yamlLine is a YAML syntax error of one document of a manifest.
var yamlLine = regexp.MustCompile(`^document (\d+): not valid YAML: (?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)

// manifestError says what is wrong with a manifest in a person's words,
// with its line where one can be found: an unrendered template, a YAML
// syntax error, a misspelled field, else the reader's own message. Lines
// are given for one file (single), not for a directory read as one stream.
func manifestError(file string, data []byte, err error, single bool) error {
	if n := config.TemplateLine(data); n > 0 && single {
		return usagef("--manifest %s:%d: %s", file, n, config.UnrenderedTemplate)
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil && single {
		doc, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		hint := ""
		if strings.Contains(m[3], "found character that cannot start any token") && bytes.ContainsRune(data, '\t') {
			hint = " (a tab: YAML indents with spaces only)"
		}
		if start := documentLine(data, doc); start > 0 {
			return usagef("--manifest %s:%d: not valid YAML: %s%s: fix the syntax there", file, start+n-1, m[3], hint)
		}
	}
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		msg = unknownField.ReplaceAllString(msg, fmt.Sprintf("unknown field %q: check its spelling and place (kubectl explain shows the fields)", m[1]))
		if n := keyLine(data, m[1]); n > 0 {
			return usagef("--manifest %s:%d: %s", file, n, msg)
		}
	}
	return usagef("--manifest %s: %s", file, msg)
}

// keyLine is the first line (1-based) where key is a mapping key, 0 if none.
func keyLine(data []byte, key string) int {
	re := regexp.MustCompile(`^\s*(- )?` + regexp.QuoteMeta(key) + `\s*:`)
	for i, l := range strings.Split(string(data), "\n") {
		if re.MatchString(l) {
			return i + 1
		}
	}
	return 0
}

// documentLine is the line (1-based) where the manifest's doc-th document
// starts, counting documents as k8s.io/apimachinery's YAMLReader does
// (split at lines starting with ---, empty ones skipped); 0 if none.
func documentLine(data []byte, doc int) int {
	lines := strings.Split(string(data), "\n")
	start, n, content := 1, 0, false
	for i, l := range lines {
		if strings.HasPrefix(l, "---") {
			if content {
				if n++; n == doc {
					return start
				}
			}
			start, content = i+2, false
			continue
		}
		content = content || i < len(lines)-1 || l != ""
	}
	if content && n+1 == doc {
		return start
	}
	return 0
}
