package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite "+SchemaFile)

// The checked-in schema is the one the Go types make: change a field and
// this fails until `go test ./gate/config -run Schema -update-schema`.
func TestTheCheckedInSchemaFollowsTheGoTypes(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", SchemaFile)
	if *updateSchema {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./gate/config -run Schema -update-schema writes it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is out of date: go test ./gate/config -run Schema -update-schema", SchemaFile)
	}
}
