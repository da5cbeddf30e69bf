package app

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rollgate/rollgate/gate"
	"github.com/rollgate/rollgate/gate/cluster"
	"github.com/rollgate/rollgate/gate/config"
	"github.com/rollgate/rollgate/gate/workload"
	"github.com/rollgate/rollgate/notify"
)

// conn is a connection to the target's cluster.
type conn struct {
	cluster.Cluster
	Context   string // kubeconfig context name, "" in-cluster
	Host      string
	Namespace string // from the kubeconfig context; "default" when it has none
}

// connect loads the kube config exactly as kubectl does: --kubeconfig, else
// every file in $KUBECONFIG merged, else ~/.kube/config, else in-cluster;
// --context and -n override; exec credential plugins work.
func connect(o Options, env Env) (*conn, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	kcVar, kcSet := env.Lookup("KUBECONFIG")
	if kcSet {
		rules.Precedence = filepath.SplitList(kcVar)
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	if o.Kubeconfig != "" {
		if _, err := os.Stat(o.Kubeconfig); err != nil {
			return nil, usagef("%s %s: %v: give the path of a kubeconfig file, or leave it unset to use $KUBECONFIG or ~/.kube/config",
				o.source("kubeconfig"), o.Kubeconfig, errors.Unwrap(err))
		}
	} else if kcSet {
		if err := kubeconfigVarExists(rules.Precedence); err != nil {
			return nil, err
		}
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	if err := contextExists(cc, o); err != nil {
		return nil, err
	}
	rc, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, usagef("no Kubernetes configuration found: set KUBECONFIG or --kubeconfig (or run inside a cluster)")
		}
		if clientcmd.IsConfigurationInvalid(err) {
			return nil, usagef("kubeconfig is not usable: %v", err)
		}
		return nil, usagef("load kubeconfig: %v", err)
	}
	rc.UserAgent = "rollgate/" + version
	rc.QPS, rc.Burst = 50, 100
	if o.Release {
		// A release's targets share one client: its limit would otherwise
		// queue the later targets' Leases behind the first ones' reads
		// (docs/release-benchmark.md). The apiserver's priority and
		// fairness still protects the server.
		rc.QPS, rc.Burst = 400, 800
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, usagef("kubeconfig namespace: %v", err)
	}
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, usagef("kubeconfig: %v", err)
	}
	ctxName := raw.CurrentContext
	if o.Context != "" {
		ctxName = o.Context
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	return &conn{Cluster: cluster.Cluster{Client: client, Dynamic: dyn}, Context: ctxName, Host: rc.Host, Namespace: ns}, nil
}

// namespaceFor picks the target's namespace: flag, env or file first (already
// merged into cfg), else the kubeconfig context's.
func (k *conn) namespaceFor(t workload.Target) string {
	if t.Namespace != "" {
		return t.Namespace
	}
	return k.Namespace
}

func (k *conn) String() string { return fmt.Sprintf("context %q (%s)", k.Context, k.Host) }

// attach connects to the target's cluster, settles its namespace and
// builds the settings and the reporter: how every command on a live
// workload begins.
func attach(c *cli.Context, env Env, command string, o Options, cfg *config.Config, t workload.Target) (*conn, gate.Settings, *reporter, error) {
	k, err := connect(o, env)
	if err != nil {
		return nil, gate.Settings{}, nil, err
	}
	t.Namespace = k.namespaceFor(t)
	s := cfg.Settings(t)
	s.DryRun, s.Holder, s.Context, s.KubeContext = o.DryRun, holderIdentity(env), o.Context, k.Context
	rep := newReporter(command, o, env, cfg, t, c.App.Writer, c.App.ErrWriter)
	return k, s, rep, nil
}

// holderIdentity names this gate in its Lease so a second pipeline knows
// whom it waits for: the CI job when there is one.
func holderIdentity(env Env) string {
	host, _ := os.Hostname()
	id := fmt.Sprintf("rollgate on %s pid %d", host, os.Getpid())
	if ci := notify.CIFrom(env.Lookup); ci.URL != "" {
		id += " (" + ci.URL + ")"
	}
	return id
}

// kubeconfigVarExists refuses a $KUBECONFIG none of whose files exist:
// client-go would quietly fall back to in-cluster config, and the message
// would say no configuration was found while the variable names one.
func kubeconfigVarExists(files []string) error {
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			return nil
		}
	}
	return usagef("KUBECONFIG=%s: no such file: point KUBECONFIG at your kubeconfig file, or pass --kubeconfig", strings.Join(files, string(filepath.ListSeparator)))
}

// contextExists refuses a --context the kubeconfig does not have, naming
// the ones it has.
func contextExists(cc clientcmd.ClientConfig, o Options) error {
	if o.Context == "" {
		return nil
	}
	raw, err := cc.RawConfig()
	if err != nil {
		return usagef("load kubeconfig: %v", err)
	}
	if _, ok := raw.Contexts[o.Context]; ok {
		return nil
	}
	names := slices.Sorted(maps.Keys(raw.Contexts))
	if len(names) == 0 {
		return usagef("%s %q: the kubeconfig has no contexts: set KUBECONFIG or --kubeconfig to the file that has it", o.source("context"), o.Context)
	}
	return usagef("%s %q: no such context in the kubeconfig: use one of %s (kubectl config get-contexts)", o.source("context"), o.Context, strings.Join(names, ", "))
}
