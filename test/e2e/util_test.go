package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

func mustJSON(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, s)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func urlQuery(q string) string { return url.QueryEscape(q) }

func containsEmptyResult(body string) bool { return strings.Contains(body, `"result":[]`) }
