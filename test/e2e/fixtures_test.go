package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// deployment is a small app Deployment; kwok makes its pods Running and
// Ready, and the sim label selects one of hack/cluster/stages' failure modes.
func deployment(name string, replicas int32, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

func create(t testing.TB, ns string, d *appsv1.Deployment) *appsv1.Deployment {
	t.Helper()
	got, err := cluster(t).AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment %s/%s: %v", ns, d.Name, err)
	}
	return got
}

func getDeployment(t testing.TB, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := cluster(t).AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment %s/%s: %v", ns, name, err)
	}
	return d
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as a new
// ServiceAccount bound to a Role with exactly rules, so a test can prove what
// rollgate needs (and that it writes nothing).
func serviceAccountKubeconfig(t testing.TB, ns, name string, rules []rbacv1.PolicyRule) string {
	t.Helper()
	c := cluster(t)
	ctx := context.Background()
	sa, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service account: %v", err)
	}
	if len(rules) > 0 {
		if _, err := c.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create role: %v", err)
		}
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
		}
		if _, err := c.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create role binding: %v", err)
		}
	}
	return tokenKubeconfig(t, ns, sa.Name)
}

// tokenKubeconfig mints a token of the ServiceAccount ns/name
// (TokenRequest) and writes a kubeconfig that authenticates with it. The
// token is a secret: the sweep looks for it in every output.
func tokenKubeconfig(t testing.TB, ns, name string) string {
	t.Helper()
	hour := int64(3600)
	tok, err := cluster(t).CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	sweep.secret("the token of ServiceAccount "+ns+"/"+name, tok.Status.Token)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: env.rest.Host, CertificateAuthorityData: env.rest.CAData}
	if len(env.rest.CAData) == 0 {
		cfg.Clusters["local"].CertificateAuthority = env.rest.CAFile
	}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name, Namespace: ns}
	cfg.CurrentContext = name
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// exampleRole returns the rules of a Role in examples/rbac.yaml, so the
// tests prove the documented permissions are enough.
func exampleRole(t testing.TB, name string) []rbacv1.PolicyRule {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "examples", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---") {
		var role rbacv1.Role
		if err := yaml.Unmarshal([]byte(doc), &role); err != nil {
			t.Fatalf("examples/rbac.yaml: %v", err)
		}
		if role.Kind == "Role" && role.Name == name {
			return role.Rules
		}
	}
	t.Fatalf("examples/rbac.yaml has no Role %s", name)
	return nil
}

// waitAvailable returns when the Deployment is complete by kubectl's rules,
// as seen by the test itself, and when that was observed.
func waitAvailable(t testing.TB, ns, name string) time.Time {
	t.Helper()
	waitFor(t, 60*time.Second, "deployment "+name+" available", func() bool {
		d := getDeployment(t, ns, name)
		return d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas == *d.Spec.Replicas &&
			d.Status.UpdatedReplicas == *d.Spec.Replicas && d.Status.Replicas == *d.Spec.Replicas
	})
	return time.Now()
}
