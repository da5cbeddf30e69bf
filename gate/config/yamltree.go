package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
)

// fieldLines maps a field path (analysis.checks[1].max) to its line in the file.
type fieldLines map[string]int

// line is the line of path, or of its nearest parent that has one.
func (l fieldLines) line(path string) int {
	for path != "" {
		if n, ok := l[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// scanYAML reads the YAML node tree for what the JSON view loses: the line
// of every field, duplicate keys (YAML keeps the last one silently), a second
// document (the loader would ignore it), and tabs.
func scanYAML(data []byte) (fieldLines, Problems) {
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	var doc yaml3.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return fieldLines{}, nil
		}
		return nil, Problems{yamlProblem(err, data)}
	}
	ls, ps := fieldLines{}, Problems{}
	walkYAML(&doc, "", ls, &ps)
	var next yaml3.Node
	if err := dec.Decode(&next); err == nil {
		line := next.Line
		if len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		ps = append(ps, Problem{Line: line, Msg: "a second YAML document: a gate file holds one Gate; remove the '---' and what follows, or give it a file of its own"})
	}
	return ls, ps
}

func walkYAML(n *yaml3.Node, path string, ls fieldLines, ps *Problems) {
	switch n.Kind {
	case yaml3.DocumentNode:
		for _, c := range n.Content {
			walkYAML(c, path, ls, ps)
		}
	case yaml3.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				*ps = append(*ps, Problem{Path: p, Line: k.Line,
					Msg: fmt.Sprintf("duplicate key (first at line %d): YAML would keep only the last one; remove one", first)})
			}
			seen[k.Value] = k.Line
			ls[p] = k.Line
			walkYAML(v, p, ls, ps)
		}
	case yaml3.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			ls[p] = c.Line
			walkYAML(c, p, ls, ps)
		}
	}
}

// yamlLineOf is the line a YAML syntax error names.
var yamlLineOf = regexp.MustCompile(`^line (\d+): `)

// yamlProblem is a YAML syntax error for people, at its line when it
// names one; tabs get their own hint.
func yamlProblem(err error, data []byte) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if m := yamlLineOf.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimPrefix(msg, m[0])
	}
	msg = "not valid YAML: " + msg
	if bytes.ContainsRune(data, '\t') && strings.Contains(err.Error(), "found character that cannot start any token") {
		msg += " (a tab: YAML indents with spaces only)"
	}
	return Problem{Line: line, Msg: msg}
}

// otherObject recognises a file that is another Kubernetes object (a Role,
// a Deployment) given where a gate file belongs.
func otherObject(raw any) (Problems, bool) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, false
	}
	kind, _ := m["kind"].(string)
	api, _ := m["apiVersion"].(string)
	if kind == "" || kind == Kind || strings.HasPrefix(api, "rollgate.dev/") {
		return nil, false
	}
	return Problems{
		{Path: "apiVersion", Msg: fmt.Sprintf("must be %s, not %q", APIVersion, api)},
		{Path: "kind", Msg: fmt.Sprintf("must be %s, not %q: this is a %s (%s), not a rollgate Gate; a gate file starts with apiVersion: %s and kind: %s (see examples/gate.yaml)",
			Kind, kind, kind, api, APIVersion, Kind)},
	}, true
}
