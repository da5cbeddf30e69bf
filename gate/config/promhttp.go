package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	promcfg "github.com/prometheus/common/config"
	"github.com/prometheus/sigv4"
	"go.yaml.in/yaml/v2"
)

// HTTPClient is Prometheus' own HTTP client configuration, written in its
// snake_case YAML exactly as in a Prometheus remote_read block, so a block
// that works there can be pasted here. Only its yaml tags are complete
// (oauth2.tls_config and http_headers have no JSON spelling), so it is
// decoded with the YAML library prometheus/common itself uses.
type HTTPClient struct{ promcfg.HTTPClientConfig }

// UnmarshalJSON decodes the sub-tree as YAML (JSON is YAML) over
// Prometheus' defaults. Validate checks the result, with field paths.
func (h *HTTPClient) UnmarshalJSON(b []byte) error {
	type plain promcfg.HTTPClientConfig // its UnmarshalYAML would validate now, without paths
	v := plain(promcfg.DefaultHTTPClientConfig)
	if err := yaml.UnmarshalStrict(b, &v); err != nil {
		return yamlError(err)
	}
	h.HTTPClientConfig = promcfg.HTTPClientConfig(v)
	return nil
}

// SigV4 signs requests for Amazon Managed Service for Prometheus, in
// Prometheus' own sigv4 YAML. Credentials come from the AWS default chain
// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, a web identity, an
// instance role) or role_arn, never from the file.
type SigV4 struct{ sigv4.SigV4Config }

// UnmarshalJSON decodes the sub-tree as YAML; Validate checks it.
func (s *SigV4) UnmarshalJSON(b []byte) error {
	type plain sigv4.SigV4Config
	var v plain
	if err := yaml.UnmarshalStrict(b, &v); err != nil {
		return yamlError(err)
	}
	s.SigV4Config = sigv4.SigV4Config(v)
	return nil
}

var (
	httpClientType = reflect.TypeFor[HTTPClient]()
	sigV4Type      = reflect.TypeFor[SigV4]()
	promURLType    = reflect.TypeFor[promcfg.URL]()
	tlsVersionType = reflect.TypeFor[promcfg.TLSVersion]()
	headersType    = reflect.TypeFor[promcfg.Headers]()
)

// checkForeign checks the sub-trees that are Prometheus' types: walked
// by their yaml tags (see yamlFields), then decoded, since a few of their
// own unmarshalers check more (tls_config's key without a cert).
func checkForeign(ps *Problems, path string, v any, t reflect.Type) bool {
	switch t {
	case httpClientType:
		checkYAMLTree(ps, path, v, reflect.TypeFor[promcfg.HTTPClientConfig](), func(js []byte) error { return new(HTTPClient).UnmarshalJSON(js) })
	case sigV4Type:
		checkYAMLTree(ps, path, v, reflect.TypeFor[sigv4.SigV4Config](), func(js []byte) error { return new(SigV4).UnmarshalJSON(js) })
	case promURLType:
		if s, ok := v.(string); !ok {
			ps.add(path, "must be a URL, not %s", describe(v))
		} else if _, err := url.Parse(s); err != nil {
			ps.add(path, "must be a URL, not %q", s)
		}
	case tlsVersionType:
		if s, ok := v.(string); !ok || promcfg.TLSVersions[s] == 0 {
			ps.add(path, "must be TLS10, TLS11, TLS12 or TLS13, not %s", describe(v))
		}
	case headersType:
		checkShape(ps, path, v, reflect.TypeFor[map[string]promcfg.Header]())
	default:
		return false
	}
	return true
}

func checkYAMLTree(ps *Problems, path string, v any, t reflect.Type, decode func([]byte) error) {
	n := len(*ps)
	checkShape(ps, path, v, t)
	if len(*ps) > n {
		return
	}
	js, err := json.Marshal(v) // the decoders of foreign types take the sub-tree alone
	if err == nil {
		err = decode(js)
	}
	if err != nil {
		ps.add(path, "%v", err)
	}
}

// yamlFields are a foreign struct's fields by their yaml names, ",inline"
// structs flattened, as go.yaml.in/yaml decodes them.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct:
			for k, g := range yamlFields(f.Type) {
				out[k] = g
			}
		case name == "":
			out[strings.ToLower(f.Name)] = f
		default:
			out[name] = f
		}
	}
	return out
}

// foreign reports whether t's fields are spelt by yaml tags: Prometheus'
// types, not rollgate's.
func foreign(t reflect.Type) bool {
	return strings.HasPrefix(t.PkgPath(), "github.com/prometheus/")
}

var yamlLine = regexp.MustCompile(`line \d+: `)

// yamlError drops what makes no sense in a gate file's message: the line
// numbers of the re-encoded sub-tree and the library's type names.
func yamlError(err error) error {
	s := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	s = yamlLine.ReplaceAllString(strings.TrimSpace(s), "")
	return fmt.Errorf("%s", s)
}
