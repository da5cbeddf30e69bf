package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// fileCases reads the bad gate files and manifests of testdata/bad. Each
// starts with comment lines naming the case and what rollgate must say:
//
//	# case: a sentence (the subtest's name)
//	# args: run deployment/api -n {ns} -f {file}    (the default; manifest-*: check --preflight-only --manifest {file})
//	# env: NAME=value                                (any number)
//	# stdin: yes                                     (the file goes to standard input)
//	# source: {file}:7                               (the flag, the variable or file:line the message names)
//	# fix: what the message tells the user to do, on the same line
//	# secret: a value that must appear nowhere       (any number)
//
// The header lines are part of the file: line numbers count them.
func fileCases(t *testing.T) []badCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad inputs in testdata/bad: %v", err)
	}
	var out []badCase
	for _, f := range files {
		bc := badCase{file: f}
		for _, l := range strings.Split(readFile(t, f), "\n") {
			key, val, ok := strings.Cut(strings.TrimPrefix(l, "# "), ": ")
			if !strings.HasPrefix(l, "# ") || !ok {
				break
			}
			switch key {
			case "case":
				bc.name = val
			case "args":
				bc.args = shellWords(t, f, val)
			case "env":
				bc.env = append(bc.env, val)
			case "stdin":
				bc.stdin = val == "yes"
			case "source":
				bc.source = val
			case "fix":
				bc.fix = val
			case "secret":
				bc.secrets = append(bc.secrets, val)
			default:
				t.Fatalf("%s: unknown header %q", f, key)
			}
		}
		if bc.args == nil {
			bc.args = []string{"run", "deployment/api", "-n", "{ns}", "-f", "{file}"}
			if strings.HasPrefix(filepath.Base(f), "manifest-") {
				bc.args = []string{"check", "--preflight-only", "--manifest", "{file}"}
			}
		}
		if bc.name == "" || bc.source == "" || bc.fix == "" {
			t.Fatalf("%s: the header needs case, source and fix", f)
		}
		out = append(out, bc)
	}
	return out
}

// shellWords splits s at spaces, keeping quoted ("..." or '...') words whole.
func shellWords(t *testing.T, file, s string) []string {
	var out []string
	var w strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ':
			if inWord {
				out = append(out, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("%s: args: unterminated quote", file)
	}
	if inWord {
		out = append(out, w.String())
	}
	return out
}
