package config

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
)

// SchemaFile is where the gate file's JSON Schema is checked in, for
// editors (yaml-language-server) and CI linters.
const SchemaFile = "examples/gate.schema.json"

// Schema is the gate file's JSON Schema, generated from the Go types the
// strict loader walks, so the two cannot drift (a test compares it with
// SchemaFile). Prometheus' own blocks (http, sigv4) are objects it checks
// by their own rules.
func Schema() ([]byte, error) {
	s := schemaOf(reflect.TypeFor[Config]())
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/rollgate/rollgate/" + SchemaFile
	s["title"] = "rollgate gate file (" + APIVersion + ", kind " + Kind + ")"
	s["required"] = []string{"apiVersion", "kind"}
	props := s["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"const": APIVersion}
	props["kind"] = map[string]any{"const": Kind}
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		return map[string]any{"type": "string", "description": "a duration: 30s, 5m, 1h30m, 1d, 1w",
			"pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w|y))+$`}
	case reflect.TypeFor[preflight.Level]():
		return map[string]any{"enum": []any{"off", "warn", "fail", false}}
	case reflect.TypeFor[analysis.Bounds]():
		return map[string]any{"oneOf": []any{map[string]any{"type": "number"}, map[string]any{"type": "array", "items": map[string]any{"type": "number"}}}}
	case httpClientType, sigV4Type:
		return map[string]any{"type": "object", "description": "Prometheus' own configuration (snake_case, as in remote_read)"}
	}
	switch t.Kind() {
	case reflect.Struct:
		props := map[string]any{}
		addFields(props, t)
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// addFields adds a struct's JSON fields, embedded structs flattened as the
// loader reads them.
func addFields(props map[string]any, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			addFields(props, f.Type)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		props[name] = schemaOf(f.Type)
	}
}
