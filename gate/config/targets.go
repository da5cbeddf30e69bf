package config

import (
	"fmt"
	"strings"

	"github.com/rollgate/rollgate/gate/workload"
)

// Release is the file's targets list resolved against the namespace
// flags and the file give (ns, "" for the kubeconfig's): each target with
// the config it is gated by, the file's with its overrides laid over.
func (c *Config) Release(ns string) ([]workload.Target, []*Config, error) {
	var ts []workload.Target
	var cs []*Config
	for _, e := range c.Targets {
		t, err := workload.ParseTarget(cmpOr(e.Kind, "deployment") + "/" + e.Name)
		if err != nil {
			return nil, nil, err
		}
		t.Namespace = cmpOr(e.Namespace, ns)
		ts = append(ts, t)
		cs = append(cs, c.ForEntry(e))
	}
	return ts, cs, nil
}

// ForEntry is the config of one target of the list: the checks replaced
// when the entry gives some, each policy action the entry sets replaced.
func (c *Config) ForEntry(e TargetEntry) *Config {
	cc := *c
	cc.Targets = nil
	cc.Target = TargetSpec{Kind: e.Kind, Name: e.Name, Namespace: e.Namespace}
	if e.Analysis != nil {
		cc.Analysis.Checks = e.Analysis.Checks
	}
	if p := e.Policy; p != nil {
		for _, f := range []struct{ dst, v *workload.Action }{
			{&cc.Policy.OnSuccess, &p.OnSuccess}, {&cc.Policy.OnFailure, &p.OnFailure},
			{&cc.Policy.OnInconclusive, &p.OnInconclusive}, {&cc.Policy.OnCancel, &p.OnCancel},
		} {
			if *f.v != "" {
				*f.dst = *f.v
			}
		}
	}
	return &cc
}

// validateTargets checks the targets list: each entry's workload, its
// overrides validated as the file's own fields are, under its path.
func (c *Config) validateTargets(ps *Problems) {
	if len(c.Targets) == 0 {
		return
	}
	if c.Target.Name != "" {
		ps.add("targets", "set target (one workload) or targets (a release), not both")
	}
	seen := map[string]int{}
	for i, e := range c.Targets {
		path := fmt.Sprintf("targets[%d]", i)
		sub := c.ForEntry(e)
		var sps Problems
		sub.validateTarget(&sps)
		if e.Name == "" {
			sps.add("target.name", "is required (the Deployment's or Rollout's name)")
		}
		if e.Policy != nil {
			if e.Policy.Release != "" {
				sps.add("policy.release", "is the whole release's: set it in the file's policy, not per target")
			}
			sub.validatePolicy(&sps)
		}
		if e.Analysis != nil {
			if len(c.Analysis.Checks) == 0 && len(e.Analysis.Checks) > 0 {
				// The analysis settings (prometheus, interval...) are the file's.
				sub.validateAnalysis(&sps)
			} else {
				sub.validateChecks(&sps)
			}
		}
		for _, p := range sps {
			p.Path = path + "." + strings.TrimPrefix(p.Path, "target.")
			if p.Path == path+".target" {
				p.Path = path
			}
			*ps = append(*ps, p)
		}
		key := cmpOr(e.Kind, "deployment") + "/" + e.Name + "@" + e.Namespace
		if j, dup := seen[key]; dup {
			ps.add(path, "names the same workload as targets[%d]", j)
		}
		seen[key] = i
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
