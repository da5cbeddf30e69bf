package promql

import (
	"fmt"

	"github.com/prometheus/prometheus/promql/parser"
)

// CheckSyntax parses a rendered query offline with Prometheus' own parser,
// so `rollgate validate` reports a bad query with the parser's position
// and message before any pipeline runs it.
func CheckSyntax(query string) error {
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(query); err != nil {
		return fmt.Errorf("PromQL: %w", err)
	}
	return nil
}
