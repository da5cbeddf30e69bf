package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
	if kc, ok := env.Lookup("KUBECONFIG"); ok {
		rules.Precedence = filepath.SplitList(kc)
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	if o.Kubeconfig != "" {
		if _, err := os.Stat(o.Kubeconfig); err != nil {
			return nil, usagef("--kubeconfig %s: %v", o.Kubeconfig, errors.Unwrap(err))
		}
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
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
