package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	flowv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	prefix   = "rollgate-relbench"
	simLabel = "rollgate.dev/sim"
	doomed   = "bench-doomed" // sorts after bench-000...: the last Lease of the fixed order
	// partOf labels every Deployment of the release: rollgate picks them
	// with -l, the same command line for any N (one target included).
	partOf = "app.kubernetes.io/part-of"
)

// identity is one gate's own credentials: a ServiceAccount the bench's
// FlowSchema matches, so the apiserver counts that gate's requests apart
// from the controllers' and kwok's (all system:masters, flow schema
// exempt) and from the other gate's.
type identity struct {
	name       string // rollgate or kubectl: the ServiceAccount and FlowSchema suffix
	kubeconfig string
}

func (id identity) flowSchema() string { return prefix + "-" + id.name }

// setupIdentities makes a ServiceAccount per gate with cluster-admin, a
// FlowSchema per ServiceAccount on the exempt priority level (counted,
// never queued, as the admin's requests are) and a kubeconfig per gate
// with a token of its ServiceAccount.
func setupIdentities(ctx context.Context, cs kubernetes.Interface, admin *rest.Config, dir string, names ...string) ([]identity, error) {
	for { // the last run's is deleted when it ends: wait until it is gone
		cur, err := cs.CoreV1().Namespaces().Get(ctx, prefix, metav1.GetOptions{})
		if err != nil || cur.DeletionTimestamp == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: prefix}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("namespace %s: %w", prefix, err)
	}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: prefix},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"}}
	for _, n := range names {
		crb.Subjects = append(crb.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: n, Namespace: prefix})
	}
	if err := recreate(ctx, func() error {
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
		return err
	}, func() error { return cs.RbacV1().ClusterRoleBindings().Delete(ctx, prefix, metav1.DeleteOptions{}) }); err != nil {
		return nil, fmt.Errorf("clusterrolebinding %s: %w", prefix, err)
	}
	var ids []identity
	for _, n := range names {
		id := identity{name: n, kubeconfig: filepath.Join(dir, n+".kubeconfig")}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: prefix}}
		if _, err := cs.CoreV1().ServiceAccounts(prefix).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("serviceaccount %s/%s: %w", prefix, n, err)
		}
		fs := &flowv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: id.flowSchema()}, Spec: flowv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowv1.PriorityLevelConfigurationReference{Name: "exempt"},
			MatchingPrecedence:         50,
			Rules: []flowv1.PolicyRulesWithSubjects{{
				Subjects:         []flowv1.Subject{{Kind: flowv1.SubjectKindServiceAccount, ServiceAccount: &flowv1.ServiceAccountSubject{Namespace: prefix, Name: n}}},
				ResourceRules:    []flowv1.ResourcePolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, Namespaces: []string{"*"}, ClusterScope: true}},
				NonResourceRules: []flowv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
			}},
		}}
		if err := recreate(ctx, func() error {
			_, err := cs.FlowcontrolV1().FlowSchemas().Create(ctx, fs, metav1.CreateOptions{})
			return err
		}, func() error { return cs.FlowcontrolV1().FlowSchemas().Delete(ctx, fs.Name, metav1.DeleteOptions{}) }); err != nil {
			return nil, fmt.Errorf("flowschema %s: %w", fs.Name, err)
		}
		hour := int64(3600)
		tok, err := cs.CoreV1().ServiceAccounts(prefix).CreateToken(ctx, n, &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
		if err != nil {
			return nil, fmt.Errorf("token of serviceaccount %s/%s: %w", prefix, n, err)
		}
		if err := writeKubeconfig(id.kubeconfig, admin, tok.Status.Token); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// recreate creates an object, replacing one a crashed earlier run left.
func recreate(ctx context.Context, create, del func() error) error {
	err := create()
	if apierrors.IsAlreadyExists(err) {
		if err = del(); err == nil {
			err = create()
		}
	}
	return err
}

func teardownIdentities(ctx context.Context, cs kubernetes.Interface, ids []identity) {
	for _, id := range ids {
		_ = cs.FlowcontrolV1().FlowSchemas().Delete(ctx, id.flowSchema(), metav1.DeleteOptions{})
	}
	_ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, prefix, metav1.DeleteOptions{})
	_ = cs.CoreV1().Namespaces().Delete(ctx, prefix, metav1.DeleteOptions{})
}

func writeKubeconfig(path string, admin *rest.Config, token string) error {
	ca := admin.CAData
	if len(ca) == 0 && admin.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(admin.CAFile); err != nil {
			return fmt.Errorf("CA of the admin kubeconfig: %w", err)
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bench"] = &clientcmdapi.Cluster{Server: admin.Host, CertificateAuthorityData: ca}
	cfg.AuthInfos["bench"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench", Namespace: "default"}
	cfg.CurrentContext = "bench"
	return clientcmd.WriteToFile(*cfg, path)
}

// counts is what the apiserver has served so far: apiserver_request_total
// summed over its labels, and the dispatches per flow schema.
type counts struct {
	total float64
	flow  map[string]float64
}

func (c counts) minus(o counts) counts {
	d := counts{total: c.total - o.total, flow: map[string]float64{}}
	for k, v := range c.flow {
		d.flow[k] = v - o.flow[k]
	}
	return d
}

func scrape(ctx context.Context, cs kubernetes.Interface) (counts, error) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return counts{}, fmt.Errorf("apiserver /metrics: %w", err)
	}
	return parseCounts(raw)
}

// parseCounts reads the two counters out of the apiserver's metrics text.
func parseCounts(raw []byte) (counts, error) {
	c := counts{flow: map[string]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "apiserver_request_total{"):
			c.total += v
		case strings.HasPrefix(line, "apiserver_flowcontrol_dispatched_requests_total{"):
			c.flow[label(line, "flow_schema")] += v
		}
	}
	return c, sc.Err()
}

func label(line, name string) string {
	_, rest, ok := strings.Cut(line, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// deployment is bench Deployment name at image version v, crash-looping
// (on the kwok nodes) when doomed.
func deployment(ns, name string, replicas, deadline int32, v string, sim bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	if sim {
		labels[simLabel] = "crashloop"
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{partOf: "relbench"}},
		Spec: appsv1.DeploymentSpec{
			Replicas:                &replicas,
			ProgressDeadlineSeconds: &deadline,
			Selector:                &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/relbench:" + v}}},
			},
		},
	}
}

// release patches every Deployment of ns to v2, the doomed one
// (crash-looping) first, so the deployment controller, whose queue is
// first in first out, makes its new revision first: what is left of the
// time to its verdict is the gate's. It returns when that one was applied.
func release(ctx context.Context, cs kubernetes.Interface, ns string, names []string) (time.Time, int64, error) {
	var gen int64
	patch := func(name string) error {
		labels := map[string]any{"app": name}
		if name == doomed {
			labels[simLabel] = "crashloop"
		}
		p, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": labels},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": "registry.example/relbench:v2"}}},
		}}})
		d, err := cs.AppsV1().Deployments(ns).Patch(ctx, name, types.StrategicMergePatchType, p, metav1.PatchOptions{})
		if err == nil && name == doomed {
			gen = d.Generation
		}
		return err
	}
	if err := patch(doomed); err != nil {
		return time.Time{}, 0, err
	}
	applied := time.Now()
	return applied, gen, each(names[:len(names)-1], patch)
}

// each runs fn on every name, a few at a time.
func each(names []string, fn func(string) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	sem := make(chan struct{}, 8)
	for _, n := range names {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := fn(n); err != nil {
				errs <- fmt.Errorf("deployment %s: %w", n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// settled waits until every Deployment of ns has rolled out and no old pod
// is left.
func settled(ctx context.Context, cs kubernetes.Interface, ns string, replicas int32, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ds, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err == nil {
			ready := 0
			for _, d := range ds.Items {
				s := d.Status
				if s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == replicas && s.Replicas == replicas && s.AvailableReplicas == replicas {
					ready++
				}
			}
			if ready == len(ds.Items) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s: the Deployments did not roll out in %s", ns, timeout)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// controllerLag polls the doomed Deployment until the controller made
// the ReplicaSet of its crash-looping template (made) and then wrote
// status.observedGeneration for generation gen (observed: what both gates
// wait for before they judge, as kubectl's rollout status rules say), and
// says how long after applied each was.
func controllerLag(ctx context.Context, cs kubernetes.Interface, ns, name string, gen int64, applied time.Time) (made, observed time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for observed == 0 {
		if made == 0 {
			rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name + "," + simLabel + "=crashloop"})
			if err == nil && len(rss.Items) > 0 {
				made = time.Since(applied)
			}
		}
		if d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); err == nil && d.Status.ObservedGeneration >= gen {
			observed = time.Since(applied)
		}
		select {
		case <-ctx.Done():
			return made, observed
		case <-time.After(100 * time.Millisecond):
		}
	}
	return made, observed
}
