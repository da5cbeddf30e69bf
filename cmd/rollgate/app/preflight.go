package app

import (
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/workload"
)

// runManifestPreflight checks the workloads of a manifest file without a
// cluster, so a pipeline can stop a bad release before kubectl apply.
func runManifestPreflight(c *cli.Context, env Env, file string) error {
	if c.NArg() > 0 {
		return usagef("--manifest checks the workloads in the file: drop the TARGET argument")
	}
	o, err := readOptions(c, env)
	if err != nil {
		return err
	}
	cfg, err := resolveConfig(o, "")
	if err != nil {
		return err
	}
	data, err := readManifest(file)
	if err != nil {
		return usagef("--manifest: %v", err)
	}
	ws, err := workload.ParseManifest(data)
	if err != nil {
		return usagef("--manifest %s: %v", file, err)
	}
	if len(ws) == 0 {
		return usagef("--manifest %s holds no Deployment or Rollout", file)
	}
	first := ws[0]
	rep := newReporter("check", o, env, cfg, workload.Target{Kind: workload.Kind(first.Kind), Name: first.Name, Namespace: first.Namespace}, c.App.Writer, c.App.ErrWriter)
	e := &gate.Engine{Observer: rep}
	return rep.finish(e.CheckManifest(ws, cfg.Preflight, file), nil)
}

// readManifest reads what kubectl apply -f would: a file, standard input
// ("-"), or every .yaml, .yml and .json file of a directory (not
// recursively, as kubectl -f DIR), one YAML stream.
func readManifest(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.IsDir() {
		defer f.Close()
		return io.ReadAll(f)
	}
	f.Close()
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(append(out, "\n---\n"...), b...)
	}
	return out, nil
}
