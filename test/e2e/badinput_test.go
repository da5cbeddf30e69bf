package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// badCase is one bad input: rollgate must exit 2, name where the mistake
// is (the flag, the variable or file:line) and say what to do about it on
// the same line, show no secret anywhere, and change nothing in the cluster.
type badCase struct {
	name    string
	args    []string // {ns}: the corpus namespace; {file}: the case's file; {dir}: a directory of the case's own
	env     []string
	source  string   // named in the message: --flag, ROLLGATE_VAR, {file}:LINE
	fix     string   // on the same line: what to do
	secrets []string // never in stdout, stderr or a report file
	file    string   // testdata/bad/NAME, for the cases that are a file
	stdin   bool     // the file goes to standard input (-f -, --manifest -)
}

// Secret-looking values the cases paste where they do not belong. None is
// real; each is shaped like the real thing, so rollgate's detection is
// what is tested.
const (
	slackBotToken = "xoxb-2791331-8237429107-Zq81Vb0e8RtNyoAlfW3kHs5d"
	slackHookURL  = "https://hooks.slack.com/services/T0CORPUS1/B0CORPUS2/c0rpusW3bh00kS3cretX9"
	jwtToken      = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImNvcnB1cyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y29ycHVzIn0.c2lnbmF0dXJlLWNvcnB1cy0xMjM0NQ"
	bearerValue   = "Bearer 8f2b7c1e9d4a6f0b3c5e7a9d1f2b4c6e"
	randomToken   = "q8Z2mV4tR7yK1pL9sX3nB6wD0cF5hJ2g"
)

// flagCases are the bad flags and variables; the file cases are the files
// in testdata/bad, their expectations in their header comments.
var flagCases = []badCase{
	// Flags without their value, after the target.
	{name: "-n without its value after the target", args: []string{"run", "deployment/api", "-n"},
		source: "flag needs an argument: -n", fix: "see rollgate run --help"},
	{name: "-f without its value after the target", args: []string{"run", "deployment/api", "-n", "{ns}", "-f"},
		source: "flag needs an argument: -f", fix: "see rollgate run --help"},
	{name: "--context without its value after the target", args: []string{"check", "deployment/api", "--context"},
		source: "flag needs an argument: --context", fix: "see rollgate check --help"},
	{name: "an unknown flag", args: []string{"run", "deployment/api", "--bogus"},
		source: "--bogus", fix: "see rollgate run --help"},
	{name: "a switch given a word", args: []string{"run", "deployment/api", "--dry-run=maybe"},
		source: "--dry-run", fix: "a switch is --dry-run or --dry-run=false"},
	// Values of the wrong shape.
	{name: "a timeout that is no duration", args: []string{"run", "deployment/api", "--timeout", "abc"},
		source: "--timeout", fix: "use a positive duration like 15m"},
	{name: "a negative timeout", args: []string{"run", "deployment/api", "--timeout=-5m"},
		source: "--timeout", fix: "use a positive duration like 15m"},
	{name: "an output format rollgate does not write", args: []string{"run", "deployment/api", "-o", "yaml"},
		source: "--output", fix: "use text or json"},
	{name: "a Prometheus URL that is no URL", args: []string{"run", "deployment/api", "--prometheus-url", "prometheus:9090"},
		source: "--prometheus-url", fix: "must be an http(s) URL like http://prometheus:9090"},
	{name: "a Prometheus URL with a password in it", args: []string{"run", "deployment/api", "--prometheus-url", "https://admin:" + randomToken + "@prometheus:9090"},
		source: "--prometheus-url", fix: "use basicAuth.usernameEnv/passwordEnv", secrets: []string{randomToken}},
	{name: "a Slack token pasted as the Prometheus URL", args: []string{"run", "deployment/api", "--prometheus-url", slackBotToken},
		source: "--prometheus-url", fix: "must be an http(s) URL", secrets: []string{slackBotToken}},
	{name: "a Slack API URL that is no URL", args: []string{"run", "deployment/api", "--slack-webhook-env", "HOOK", "--slack-api-url", "::bad"},
		env: []string{"HOOK=https://hooks.invalid/x"}, source: "--slack-api-url", fix: "must be a URL like https://slack.com/api/"},
	// Secrets pasted where the name of their variable belongs.
	{name: "a Slack bot token as --slack-token-env", args: []string{"run", "deployment/api", "--slack-channel", "#deploys", "--slack-token-env", slackBotToken},
		source: "--slack-token-env", fix: "put the secret in a variable (e.g. export SLACK_BOT_TOKEN=...)", secrets: []string{slackBotToken}},
	{name: "a webhook URL as --slack-webhook-env", args: []string{"run", "deployment/api", "--slack-webhook-env", slackHookURL},
		source: "--slack-webhook-env", fix: "put the secret in a variable (e.g. export SLACK_WEBHOOK_URL=...)", secrets: []string{slackHookURL, "c0rpusW3bh00kS3cretX9"}},
	{name: "a JWT as --slack-token-env", args: []string{"run", "deployment/api", "--slack-channel", "#deploys", "--slack-token-env", jwtToken},
		source: "--slack-token-env", fix: "looks like a JSON Web Token", secrets: []string{jwtToken}},
	{name: "an Authorization header value as --slack-token-env", args: []string{"run", "deployment/api", "--slack-channel", "#deploys", "--slack-token-env", bearerValue},
		source: "--slack-token-env", fix: "put the secret in a variable", secrets: []string{bearerValue, strings.TrimPrefix(bearerValue, "Bearer ")}},
	{name: "a Slack token in ROLLGATE_SLACK_TOKEN_ENV", args: []string{"run", "deployment/api", "--slack-channel", "#deploys"},
		env: []string{"ROLLGATE_SLACK_TOKEN_ENV=" + slackBotToken}, source: "ROLLGATE_SLACK_TOKEN_ENV", fix: "put the secret in a variable", secrets: []string{slackBotToken}},
	{name: "a webhook URL in ROLLGATE_SLACK_WEBHOOK_ENV", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_SLACK_WEBHOOK_ENV=" + slackHookURL}, source: "ROLLGATE_SLACK_WEBHOOK_ENV", fix: "put the secret in a variable", secrets: []string{slackHookURL}},
	{name: "a long random token in ROLLGATE_SLACK_TOKEN_ENV", args: []string{"hold", "deployment/api", "--slack-channel", "#deploys"},
		env: []string{"ROLLGATE_SLACK_TOKEN_ENV=" + randomToken}, source: "ROLLGATE_SLACK_TOKEN_ENV", fix: "looks like a long random string", secrets: []string{randomToken}},
	// Secret variables named but not set: caught before the cluster.
	{name: "a Slack token variable that is not set", args: []string{"run", "deployment/api", "--slack-channel", "#deploys", "--slack-token-env", "CORPUS_SLACK_TOKEN"},
		source: "--slack-token-env", fix: "export CORPUS_SLACK_TOKEN (the Slack bot token, xoxb-...) in the job"},
	{name: "a Slack webhook variable that is not set, named by ROLLGATE_SLACK_WEBHOOK_ENV", args: []string{"rollback", "deployment/api"},
		env: []string{"ROLLGATE_SLACK_WEBHOOK_ENV=CORPUS_SLACK_HOOK"}, source: "ROLLGATE_SLACK_WEBHOOK_ENV", fix: "export CORPUS_SLACK_HOOK (the Slack incoming-webhook URL) in the job"},
	{name: "a Slack webhook variable that holds no URL", args: []string{"promote", "deployment/api", "--slack-webhook-env", "CORPUS_SLACK_HOOK"},
		env: []string{"CORPUS_SLACK_HOOK=" + randomToken}, source: "--slack-webhook-env", fix: "export CORPUS_SLACK_HOOK=https://hooks.slack.com/services/...", secrets: []string{randomToken}},
	{name: "a Slack bot token without a channel", args: []string{"run", "deployment/api", "--slack-token-env", "CORPUS_SLACK_TOKEN"},
		env: []string{"CORPUS_SLACK_TOKEN=" + slackBotToken}, source: "notify.slack.channel", fix: "or pass --slack-channel", secrets: []string{slackBotToken}},
	{name: "a release whose Slack token variable is not set", args: []string{"run", "deployment/api", "deployment/web", "-n", "{ns}", "--slack-channel", "#deploys", "--slack-token-env", "CORPUS_SLACK_TOKEN"},
		source: "--slack-token-env", fix: "export CORPUS_SLACK_TOKEN (the Slack bot token, xoxb-...) in the job"},
	{name: "a release selector with a Slack token pasted as its variable", args: []string{"run", "-l", "app=api", "-n", "{ns}", "--slack-channel", "#deploys", "--slack-token-env", slackBotToken},
		source: "--slack-token-env", fix: "put the secret in a variable", secrets: []string{slackBotToken}},
	// Report files that cannot be written: refused before the gate acts.
	{name: "a JUnit path in a missing directory", args: []string{"run", "deployment/api", "--junit", "{dir}/missing/junit.xml"},
		source: "--junit", fix: "create the directory first, or choose another path"},
	{name: "a report path in a missing directory", args: []string{"run", "deployment/api", "--report", "{dir}/missing/report.json"},
		source: "--report", fix: "create the directory first"},
	{name: "a dotenv path in a missing directory, from ROLLGATE_DOTENV", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_DOTENV={dir}/missing/rollgate.env"}, source: "ROLLGATE_DOTENV", fix: "create the directory first"},
	{name: "a summary path that is a directory", args: []string{"check", "deployment/api", "--summary", "{dir}"},
		source: "--summary", fix: "choose another path"},
	// Targets and namespaces.
	{name: "no target at all", args: []string{"run", "-n", "{ns}"},
		source: "no target", fix: "pass TARGET (e.g. deployment/api)"},
	{name: "a target of a kind rollgate does not gate", args: []string{"run", "statefulset/db"},
		source: `target "statefulset/db"`, fix: "use Deployment or Rollout"},
	{name: "a target without a name", args: []string{"run", "deployment/"},
		source: `target "deployment/"`, fix: "e.g. deployment/api or rollout/api"},
	{name: "a target name in capitals", args: []string{"run", "deployment/API"},
		source: `target "deployment/API"`, fix: "use lowercase letters, digits, '-' and '.'"},
	{name: "a namespace with an underscore", args: []string{"run", "deployment/api", "-n", "Shop_1"},
		source: "--namespace", fix: "use lowercase letters, digits and '-'"},
	{name: "a namespace with an underscore, from ROLLGATE_NAMESPACE", args: []string{"check", "deployment/api"},
		env: []string{"ROLLGATE_NAMESPACE=shop_1"}, source: "ROLLGATE_NAMESPACE", fix: "use lowercase letters, digits and '-'"},
	{name: "a Deployment that does not exist", args: []string{"run", "deployment/nope", "-n", "{ns}"},
		source: "nope not found", fix: "check the name and --namespace/-n"},
	// Variables of the wrong shape.
	{name: "ROLLGATE_TIMEOUT that is no duration", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_TIMEOUT=abc"}, source: "ROLLGATE_TIMEOUT", fix: "use a positive duration like 15m"},
	{name: "ROLLGATE_OUTPUT that rollgate does not write", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_OUTPUT=xml"}, source: "ROLLGATE_OUTPUT", fix: "use text or json"},
	{name: "ROLLGATE_DRY_RUN that is no boolean", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_DRY_RUN=maybe"}, source: "ROLLGATE_DRY_RUN", fix: "use true or false"},
	{name: "ROLLGATE_PROMETHEUS_URL that is no URL", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_PROMETHEUS_URL=prometheus"}, source: "ROLLGATE_PROMETHEUS_URL", fix: "must be an http(s) URL like http://prometheus:9090"},
	{name: "ROLLGATE_FROM that is no time", args: []string{"analyze", "deployment/api"},
		env: []string{"ROLLGATE_FROM=yesterday"}, source: "ROLLGATE_FROM", fix: "use an RFC 3339 time"},
	{name: "--to without --from", args: []string{"analyze", "deployment/api", "--to", "1h"},
		source: "--to needs --from", fix: "--to needs --from"},
	{name: "ROLLGATE_PREFLIGHT_ONLY that is no boolean", args: []string{"check", "deployment/api"},
		env: []string{"ROLLGATE_PREFLIGHT_ONLY=sure"}, source: "ROLLGATE_PREFLIGHT_ONLY", fix: "use true or false"},
	{name: "ROLLGATE_FULL that is no boolean", args: []string{"promote", "deployment/api"},
		env: []string{"ROLLGATE_FULL=all"}, source: "ROLLGATE_FULL", fix: "use true or false"},
	// The kube config.
	{name: "a kubeconfig file that does not exist", args: []string{"run", "deployment/api", "--kubeconfig", "{dir}/nope.kubeconfig"},
		source: "--kubeconfig", fix: "give the path of a kubeconfig file"},
	{name: "ROLLGATE_KUBECONFIG naming no file", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_KUBECONFIG={dir}/nope.kubeconfig"}, source: "ROLLGATE_KUBECONFIG", fix: "give the path of a kubeconfig file"},
	{name: "KUBECONFIG naming no file", args: []string{"check", "deployment/api"},
		env: []string{"KUBECONFIG={dir}/nope.kubeconfig"}, source: "KUBECONFIG=", fix: "point KUBECONFIG at your kubeconfig file"},
	{name: "a context the kubeconfig does not have", args: []string{"run", "deployment/api", "--context", "prod"},
		source: "--context", fix: "use one of corpus"},
	{name: "ROLLGATE_CONTEXT naming a context the kubeconfig does not have", args: []string{"hold", "deployment/api"},
		env: []string{"ROLLGATE_CONTEXT=prod"}, source: "ROLLGATE_CONTEXT", fix: "use one of corpus"},
	// The gate file's path, and the commands' own rules.
	{name: "a gate file that does not exist", args: []string{"run", "deployment/api", "-f", "{dir}/gate.yaml"},
		source: "--config", fix: "give the path of your gate file"},
	{name: "ROLLGATE_CONFIG naming a directory", args: []string{"run", "deployment/api"},
		env: []string{"ROLLGATE_CONFIG={dir}"}, source: "ROLLGATE_CONFIG", fix: "give the path of your gate file"},
	{name: "validate without a file", args: []string{"validate"},
		source: "validate needs a gate file", fix: "rollgate validate FILE (or -f FILE)"},
	{name: "--manifest without --preflight-only", args: []string{"check", "--manifest", "{dir}/deploy.yaml"},
		source: "--manifest needs --preflight-only", fix: "only the preflight rules can run"},
	{name: "--manifest with a TARGET", args: []string{"check", "deployment/api", "--preflight-only", "--manifest", "-"},
		source: "--manifest", fix: "drop the TARGET argument"},
}

func TestBadInputCorpus(t *testing.T) {
	c := cluster(t)
	cases := append(slices.Clone(flagCases), fileCases(t)...)
	if len(cases) < 60 {
		t.Fatalf("the corpus has %d cases, want at least 60", len(cases))
	}
	ns := namespace(t)
	// Real, ready Deployments (a release of two for the release cases): a
	// case that slipped through would gate them, and write (the Leases, the
	// actions), and the audit would see it.
	for _, name := range []string{"api", "web"} {
		create(t, ns, deployment(name, 1, "registry.local/"+name+":v1"))
	}
	waitAvailable(t, ns, "api")
	waitAvailable(t, ns, "web")
	corpusRole(t, ns)
	kubeconfigs := make([]string, len(cases))
	for i := range cases {
		kubeconfigs[i] = corpusIdentity(t, c, ns, fmt.Sprintf("case-%d", i))
	}
	control := corpusIdentity(t, c, ns, "control")
	controlRollgate := corpusIdentity(t, c, ns, "control-rollgate")
	prefix := "system:serviceaccount:" + ns + ":"
	mine := func(user string) bool { return strings.HasPrefix(user, prefix) }
	before := auditWrites(t, mine)
	start := time.Now()

	t.Run("cases", func(t *testing.T) {
		for i, bc := range cases {
			t.Run(bc.name, func(t *testing.T) {
				t.Parallel()
				bc.check(t, kubeconfigs[i], ns)
			})
		}
	})
	t.Logf("%d bad inputs in %s", len(cases), time.Since(start).Round(time.Millisecond))

	// The positive controls: rollgate itself acting with an identity made
	// the same way (hold pauses the Deployment) is counted, and so is a
	// plain write, made last: once it shows, the cases' requests (all
	// answered before it; the log backend blocks) show too.
	rollgateEnv(t, controlRollgate, nil, "hold", "deployment/api", "-n", ns).expect(t, 0)
	controlWrite(t, control, ns)
	var after map[string][]auditEvent
	waitFor(t, 20*time.Second, "the control's write in the audit log", func() bool {
		after = auditWrites(t, mine)
		return len(after[prefix+"control"]) > len(before[prefix+"control"])
	})
	if got := after[prefix+"control"]; len(got) != 1 || got[0].Verb != "create" {
		t.Errorf("the control made one create; the audit log has %v", got)
	}
	if got := after[prefix+"control-rollgate"]; !slices.ContainsFunc(got, func(e auditEvent) bool {
		return e.Verb == "patch" && strings.Contains(e.RequestURI, "/deployments/api")
	}) {
		t.Errorf("rollgate hold patched deployment/api; the audit log has %v", got)
	}
	for i, bc := range cases {
		user := prefix + fmt.Sprintf("case-%d", i)
		if n := len(after[user]) - len(before[user]); n != 0 {
			t.Errorf("%s: %d mutating request(s), want none:\n  %v", bc.name, n, after[user])
		}
	}
}

// check runs the case and asserts what every bad input must give.
func (bc badCase) check(t *testing.T, kubeconfig, ns string) {
	dir := t.TempDir()
	expand := func(s string) string {
		return strings.NewReplacer("{ns}", ns, "{file}", bc.file, "{dir}", dir).Replace(s)
	}
	var args, extra []string
	for _, a := range bc.args {
		args = append(args, expand(a))
	}
	for _, e := range bc.env {
		extra = append(extra, expand(e))
	}
	reports := withReports(args, extra, dir)
	var r result
	if bc.stdin {
		r = rollgateStdin(t, kubeconfig, extra, readFile(t, bc.file), reports...)
	} else {
		r = rollgateEnv(t, kubeconfig, extra, reports...)
	}
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 (bad input)\n%s", r.code, r)
	}
	source, fix := expand(bc.source), expand(bc.fix)
	var line string
	for _, l := range strings.Split(r.stdout+r.stderr, "\n") {
		if strings.Contains(l, source) && strings.Contains(l, fix) {
			line = l
		}
	}
	if line == "" {
		t.Errorf("no line names %q and says %q\n%s", source, fix, r)
	}
	outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for _, p := range reportPaths(reports, extra) {
		if b, err := os.ReadFile(p); err == nil {
			outputs[p] = string(b)
		}
	}
	for _, s := range bc.secrets {
		for where, out := range outputs {
			if strings.Contains(out, s) {
				t.Errorf("%s shows the secret %q\n%s", where, s, r)
			}
		}
	}
	sweep.secret("a secret of the bad-input case "+bc.name, bc.secrets...)
}

// withReports asks every command that writes reports for all of them, in
// dir, so that no secret in one goes unnoticed; a case about a report
// path keeps its own.
func withReports(args, extra []string, dir string) []string {
	if len(args) == 0 || !slices.Contains([]string{"run", "check", "analyze", "promote", "hold", "rollback"}, args[0]) ||
		len(reportPaths(args, extra)) > 0 {
		return args
	}
	out := []string{args[0]}
	for _, f := range reportFlags {
		out = append(out, f, filepath.Join(dir, strings.TrimPrefix(f, "--")))
	}
	return append(out, args[1:]...)
}

// rollgateStdin runs the binary with stdin as its standard input.
func rollgateStdin(t testing.TB, kubeconfig string, extra []string, stdin string, args ...string) result {
	t.Helper()
	r := startRollgateEnvInput(t, kubeconfig, extra, stdin, args...)
	return r.wait(t)
}

// corpusRole lets every ServiceAccount of ns do anything in it: a case
// that reached the cluster could write, so a write would be counted, not
// refused unseen. (Refused writes are logged too; this makes them real.)
func corpusRole(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	c := cluster(t)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "corpus-admin"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}
	if _, err := c.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create role: %v", err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "corpus-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "corpus-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:serviceaccounts:" + ns}},
	}
	if _, err := c.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create role binding: %v", err)
	}
}

// corpusIdentity is a ServiceAccount of the corpus, one per case so each
// case's requests are counted apart, and a kubeconfig for it whose
// context is named "corpus".
func corpusIdentity(t *testing.T, c kubernetes.Interface, ns, name string) string {
	t.Helper()
	if _, err := c.CoreV1().ServiceAccounts(ns).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service account: %v", err)
	}
	path := tokenKubeconfig(t, ns, name)
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts["corpus"] = cfg.Contexts[cfg.CurrentContext]
	delete(cfg.Contexts, cfg.CurrentContext)
	cfg.CurrentContext = "corpus"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// controlWrite creates a ConfigMap as the control identity.
func controlWrite(t *testing.T, kubeconfig, ns string) {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "control"}, Data: map[string]string{"written": "by the control"}}
	if _, err := c.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the control's write: %v", err)
	}
}
