package app

import (
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// Env is the process environment as rollgate reads it: an empty variable
// counts as unset, because CI systems (GitHub Actions' INPUT_*, templated
// GitLab variables) export empty strings for inputs nobody gave.
type Env map[string]string

func newEnv(environ []string) Env {
	env := Env{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" {
			env[k] = v
		}
	}
	return env
}

// Lookup returns a non-empty variable.
func (e Env) Lookup(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

// envName is the ROLLGATE_* variable of a flag: --prometheus-url is
// ROLLGATE_PROMETHEUS_URL.
func envName(flag string) string {
	return "ROLLGATE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// setting reads one setting with rollgate's precedence: the flag when given
// on the command line, else its ROLLGATE_* variable, else ok=false so the
// gate file or the built-in default applies.
func setting(c *cli.Context, env Env, flag string) (string, bool) {
	v, _, ok := settingFrom(c, env, flag)
	return v, ok
}

// settingFrom is setting that also says where the value came from, the way
// messages name it: "--timeout" or "ROLLGATE_TIMEOUT".
func settingFrom(c *cli.Context, env Env, flag string) (value, source string, ok bool) {
	if c.IsSet(flag) {
		return c.String(flag), "--" + flag, true
	}
	v, ok := env.Lookup(envName(flag))
	return v, envName(flag), ok
}

// boolSetting is setting for a boolean flag: the flag, else its variable
// (true/false/1/0), else false.
func boolSetting(c *cli.Context, env Env, flag string) (bool, error) {
	if c.IsSet(flag) {
		return c.Bool(flag), nil
	}
	v, ok := env.Lookup(envName(flag))
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, usagef("%s=%q: use true or false", envName(flag), v)
	}
	return b, nil
}
