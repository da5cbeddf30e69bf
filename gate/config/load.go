package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/rollgate/rollgate/gate/analysis"
	"github.com/rollgate/rollgate/gate/preflight"
	"github.com/rollgate/rollgate/promql"
	"sigs.k8s.io/yaml"
)

// Problem is one thing wrong in a gate file, at a field path such as
// analysis.checks[1].max.
type Problem struct {
	Path string `json:"path"`
	// Line is the problem's line in the file, 0 when unknown (a flag).
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is every problem found in a file; it is an error when non-empty.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// LoadFile reads and decodes a gate file strictly. It does not apply
// defaults or validate cross-field rules: the CLI merges flags first.
func LoadFile(path string) (*Config, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin) // -f -: the gate file on standard input
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read gate file: %w", err)
	}
	return Parse(data)
}

// Parse decodes a gate file. Unknown fields and values of the wrong type are
// reported together, each with its field path, as Problems.
func Parse(data []byte) (*Config, error) {
	ls, ps := scanYAML(data)
	if ls == nil || len(ps) > 0 {
		return nil, ps
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		if n := TemplateLine(data); n > 0 {
			return nil, Problems{{Line: n, Msg: UnrenderedTemplate}}
		}
		return nil, Problems{{Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")}}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, Problems{{Msg: "not valid YAML: " + err.Error()}}
	}
	if raw == nil {
		return nil, Problems{{Msg: "the file is empty: start from examples/gate.yaml"}}
	}
	if other, ok := otherObject(raw); ok {
		return nil, other.at(ls)
	}
	checkShape(&ps, "", raw, reflect.TypeFor[Config]())
	if len(ps) > 0 {
		return nil, ps.at(ls)
	}
	c := Config{lines: ls}
	if err := json.Unmarshal(js, &c); err != nil {
		// checkShape accepts only what decodes; reaching here is a bug.
		return nil, fmt.Errorf("decode gate file: %w", err)
	}
	return &c, nil
}

// at gives every problem the line of its field, where the file has one.
func (ps Problems) at(ls fieldLines) Problems {
	for i := range ps {
		if ps[i].Line == 0 {
			ps[i].Line = ls.line(ps[i].Path)
		}
	}
	return ps
}

var (
	durationType = reflect.TypeFor[Duration]()
	levelType    = reflect.TypeFor[preflight.Level]()
	boundsType   = reflect.TypeFor[analysis.Bounds]()
)

// checkShape walks the generic YAML value against the Config type and
// records unknown fields and wrongly typed values with their paths.
func checkShape(ps *Problems, path string, v any, t reflect.Type) {
	if v == nil {
		return // null means "not set"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if checkForeign(ps, path, v, t) || checkOwn(ps, path, v, t) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct:
		checkStruct(ps, path, v, t)
	case t.Kind() == reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			ps.add(path, "must be a mapping, not %s", describe(v))
			return
		}
		for _, k := range sortedKeys(m) {
			checkShape(ps, join(path, k), m[k], t.Elem())
		}
	case t.Kind() == reflect.Interface:
		return // free-form, such as oauth2 claims
	case t.Kind() == reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			ps.add(path, "must be a list, not %s", describe(v))
			return
		}
		for i, e := range l {
			checkShape(ps, fmt.Sprintf("%s[%d]", path, i), e, t.Elem())
		}
	default:
		checkScalar(ps, path, v, t)
	}
}

// checkOwn checks the gate file's own types (levels, bounds, durations);
// false for any other type.
func checkOwn(ps *Problems, path string, v any, t reflect.Type) bool {
	switch t {
	case levelType:
		if b, ok := v.(bool); ok && !b {
			return true // YAML 1.1 reads an unquoted off as false
		}
		if _, ok := v.(string); !ok {
			ps.add(path, "must be off, warn or fail, not %s", describe(v))
		}
	case boundsType:
		l, isList := v.([]any)
		if !isList {
			l = []any{v}
		}
		for _, e := range l {
			if _, ok := e.(json.Number); !ok {
				ps.add(path, "must be a bucket bound in seconds or a list of them, not %s", describe(v))
				return true
			}
		}
	case durationType:
		s, ok := v.(string)
		if !ok {
			ps.add(path, "must be a duration like 30s or 5m, not %s", describe(v))
		} else if _, err := ParseDuration(s); err != nil {
			ps.add(path, "must be a duration like 30s or 5m, not %q", s)
		}
	default:
		return false
	}
	return true
}

// checkStruct checks a mapping against a struct's JSON fields.
func checkStruct(ps *Problems, path string, v any, t reflect.Type) {
	m, ok := v.(map[string]any)
	if !ok {
		ps.add(path, "must be a mapping, not %s", describe(v))
		return
	}
	fields := jsonFields(t)
	if foreign(t) {
		fields = yamlFields(t)
	}
	for _, k := range sortedKeys(m) {
		f, ok := fields[k]
		if !ok {
			names := fieldNames(fields)
			msg := fmt.Sprintf("unknown field (known: %s)", strings.Join(names, ", "))
			if near := promql.Nearest(k, names); near != "" {
				msg += fmt.Sprintf("; did you mean %s?", near)
			}
			ps.add(join(path, k), "%s", msg)
			continue
		}
		checkShape(ps, join(path, k), m[k], f.Type)
	}
}

// checkScalar checks a string, boolean or number.
func checkScalar(ps *Problems, path string, v any, t reflect.Type) {
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.add(path, "must be a string, not %s", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.add(path, "must be true or false, not %s", describe(v))
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			ps.add(path, "must be a whole number, not %s", describe(v))
		}
	case reflect.Float64:
		n, ok := v.(json.Number)
		if _, err := n.Float64(); !ok || err != nil {
			ps.add(path, "must be a number, not %s", describe(v))
		}
	default:
		ps.add(path, "unsupported field type %s", t)
	}
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return fmt.Sprintf("%t", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%v", v)
}

func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			// an embedded struct's fields are the outer one's, as encoding/json reads them
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name != "" && name != "-" {
			out[name] = f
		}
	}
	return out
}

func fieldNames(m map[string]reflect.StructField) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// UnrenderedTemplate is the problem of a file that still holds a Helm or
// Go template outside quotes: YAML reads {{ .Values.x }} as a mapping.
const UnrenderedTemplate = "looks like an unrendered template ({{ ... }} outside quotes): render it first (helm template, envsubst) and give rollgate the result"

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'[^']*'`)

// TemplateLine is the first line (1-based) holding {{ outside a quoted
// string or a comment, 0 when there is none.
func TemplateLine(data []byte) int {
	for i, l := range strings.Split(string(data), "\n") {
		l = quoted.ReplaceAllString(l, "")
		if c := strings.Index(l, "#"); c >= 0 {
			l = l[:c]
		}
		if strings.Contains(l, "{{") {
			return i + 1
		}
	}
	return 0
}
