package ci

import (
	"slices"
	"strings"
	"testing"

	"github.com/rollgate/rollgate/test/reports"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/test/golden"
)

func TestDotenvGolden(t *testing.T) {
	for _, fx := range reports.CIFixtures {
		t.Run(fx.Name, func(t *testing.T) {
			golden.Check(t, fx.Name+".env", Dotenv(fx.Report()))
		})
	}
}

// checkDotenv asserts GitLab's rules: KEY=value lines only, known keys,
// no blank lines or comments, single-line values, under the size limit.
func checkDotenv(t *testing.T, data []byte) map[string]string {
	t.Helper()
	if len(data) >= DotenvLimit {
		t.Errorf("dotenv is %d bytes, limit %d", len(data), DotenvLimit)
	}
	vals := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		switch {
		case !ok || v == "":
			t.Errorf("line %q is not KEY=value", line)
		case !slices.Contains(DotenvKeys, k):
			t.Errorf("unknown key %s", k)
		case strings.ContainsAny(v, "\r\n#") || strings.TrimSpace(v) != v:
			t.Errorf("%s=%q is not a safe single-line value", k, v)
		case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'"):
			t.Errorf("%s=%q starts with a quote", k, v)
		}
		vals[k] = v
	}
	return vals
}

func TestDotenvValuesAreSafeSingleLines(t *testing.T) {
	long := strings.Repeat("pod api-5d8 crashed: ünïcode log line\n\t", 500)
	tests := []struct {
		name   string
		reason string
		want   string // ROLLGATE_REASON, "" to skip the comparison
	}{
		{"newlines and tabs collapse into single spaces", "line one\n\n\tline two\r\n", "line one line two"},
		{"a hash would start a comment, so it becomes a full-width one", "alert #deploys failed", "alert ＃deploys failed"},
		{"a leading quote is dropped so no parser looks for its twin", `"quoted" reason`, `quoted" reason`},
		{"terminal colours and other control characters are removed", "\x1b[31mred\x1b[0m\x07!", "red!"},
		{"a huge multi-line reason is cut to its limit, on a rune boundary, with an ellipsis", long, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := reports.CIRolledBack()
			rep.Reason = tt.reason
			vals := checkDotenv(t, Dotenv(rep))
			got := vals["ROLLGATE_REASON"]
			if tt.want != "" && got != tt.want {
				t.Errorf("ROLLGATE_REASON=%q, want %q", got, tt.want)
			}
			if len(got) > dotenvReasonMax {
				t.Errorf("ROLLGATE_REASON is %d bytes, more than %d", len(got), dotenvReasonMax)
			}
			if len(tt.reason) > dotenvReasonMax && !strings.HasSuffix(got, "…") {
				t.Errorf("a cut reason must end with an ellipsis: %q", got)
			}
		})
	}
}

func TestDotenvCarriesTheOutcome(t *testing.T) {
	vals := checkDotenv(t, Dotenv(reports.CIRolledBack()))
	want := map[string]string{"ROLLGATE_DECISION": gate.DecisionRolledBack, "ROLLGATE_EXIT_CODE": "1", "ROLLGATE_TARGET": "deployment/api",
		"ROLLGATE_TARGET_NAMESPACE": "shop", "ROLLGATE_REVISION": "4", "ROLLGATE_STABLE_REVISION": "3", "ROLLGATE_ANALYSIS": "failed",
		"ROLLGATE_ACTION": "rollback"}
	for k, v := range want {
		if vals[k] != v {
			t.Errorf("%s=%q, want %q", k, vals[k], v)
		}
	}
	if len(vals) >= 10 {
		t.Errorf("%d variables: old GitLab versions accept fewer than 10", len(vals))
	}
}
