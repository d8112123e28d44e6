package main

// End-to-end test against a real kube-apiserver (internal/kastest; build the
// binaries with `make kas`, run with `make e2e`). Without the binaries the
// test skips.
//
// The test creates RBAC fixtures, drives a scenario with client-go as the
// cluster's identities, and scans the live cluster plus the apiserver's own
// audit log with the CLI, in-process. Every audit ID it expects in the
// report is an Audit-Id response header the scenario recorded.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kubegrant/kubegrant/internal/kastest"
	"github.com/kubegrant/kubegrant/internal/sarifcheck"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		main() // the test binary is kubegrant for scripts under test (action_test.go)
	}
	os.Exit(kastest.Main(m))
}

// scenario holds the audit IDs and secrets the scenario produced.
type scenario struct {
	mintID        string   // alice: create serviceaccounts/token for apps/builder
	mintedToken   string   // the JWT alice got; must never appear in a report
	useID         string   // the minted token: list secrets in apps, from 203.0.113.7
	secretGetIDs  []string // ci-runner: get 4 distinct secrets in apps, from 198.51.100.23
	deniedListID  string   // ci-runner: list secrets through the aggregated ClusterRole (403: no aggregation controller)
	impersonateID string   // mallory as system:serviceaccount:prod:db-operator: list configmaps in prod
	deniedImpID   string   // mallory impersonating admin: 403
}

func TestE2ECluster(t *testing.T) {
	c := kastest.Shared(t)
	t.Logf("kube-apiserver %s ready in %s (%s)", kastest.Version, c.StartupTime.Round(time.Millisecond), c.Host)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	begin := time.Now()
	admin := clientset(t, c.Admin())
	createFixtures(ctx, t, admin)
	sc := runScenario(ctx, t, c)
	all := append([]string{sc.mintID, sc.useID, sc.deniedListID, sc.impersonateID, sc.deniedImpID}, sc.secretGetIDs...)
	waitCtx, waitCancel := context.WithTimeout(ctx, 30*time.Second)
	defer waitCancel()
	if err := c.WaitForAudit(waitCtx, all...); err != nil {
		t.Fatal(err)
	}
	// Reports go next to the cluster's logs, kept with KUBEGRANT_KAS_KEEP=1.
	dir := filepath.Join(c.Dir, "e2e")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv(kastest.EnvKeep) == "" {
			t.Logf("rerun with %s=1 to keep the reports, logs and audit log in %s", kastest.EnvKeep, dir)
		}
	})
	auditLog := filepath.Join(dir, "audit.log")
	if err := c.SnapshotAuditLog(auditLog); err != nil {
		t.Fatal(err)
	}
	t.Logf("fixtures + scenario + audit flush: %s", time.Since(begin).Round(time.Millisecond))

	secrets := append(c.Tokens(), sc.mintedToken)
	adminKubeconfig := mustKubeconfig(t, c, "admin")

	t.Run("scan json", func(t *testing.T) {
		start := time.Now()
		out := filepath.Join(dir, "report.json")
		r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", adminKubeconfig, "--audit-log", auditLog,
			"--format", "json", "-o", out, "--fail-on", "none")
		t.Logf("scan --cluster --audit-log: %s", time.Since(start).Round(time.Millisecond))
		if r.code != 0 {
			t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		data := readFile(t, out)
		noSecrets(t, "JSON report", data, secrets)
		noSecrets(t, "stderr", []byte(r.stderr), secrets)
		var rep reports.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		checkReport(t, &rep, sc)
	})

	t.Run("scan sarif", func(t *testing.T) {
		out := filepath.Join(dir, "report.sarif")
		r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", adminKubeconfig, "--audit-log", auditLog,
			"--format", "sarif", "-o", out, "--fail-on", "none")
		if r.code != 0 {
			t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		data := readFile(t, out)
		if err := sarifcheck.Validate(data); err != nil {
			t.Errorf("SARIF does not validate: %v", err)
		}
		noSecrets(t, "SARIF report", data, secrets)
		for _, want := range []string{`"KG011"`, `"KGD01"`, `"KGD26"`, `"KGD02"`, "RoleBinding/apps/alice-token-minter"} {
			if !bytes.Contains(data, []byte(want)) {
				t.Errorf("SARIF lacks %s", want)
			}
		}
	})

	t.Run("partial reader", func(t *testing.T) {
		// reader may list clusterroles, clusterrolebindings and roles, not
		// rolebindings: the scan must say so and fail, never pass.
		out := filepath.Join(dir, "reader.json")
		r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", mustKubeconfig(t, c, "reader"),
			"--format", "json", "-o", out, "--fail-on", "none")
		if r.code != 1 {
			t.Fatalf("exit code %d, want 1; stderr:\n%s", r.code, r.stderr)
		}
		var rep reports.Report
		if err := json.Unmarshal(readFile(t, out), &rep); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rep.Summary.NotEvaluated, "rolebindings") {
			t.Errorf("notEvaluated = %v, want rolebindings in it", rep.Summary.NotEvaluated)
		}
		for _, k := range []string{"clusterroles", "clusterrolebindings", "roles"} {
			if slices.Contains(rep.Summary.NotEvaluated, k) {
				t.Errorf("notEvaluated = %v, but reader may list %s", rep.Summary.NotEvaluated, k)
			}
		}
		const diag = `not evaluated: cannot list rolebindings (forbidden): User "reader" cannot list resource "rolebindings"`
		if !slices.ContainsFunc(rep.Diagnostics, func(d scanner.Diagnostic) bool { return strings.HasPrefix(d.Message, diag) }) {
			t.Errorf("no diagnostic %q in %v", diag, rep.Diagnostics)
		}
		if !strings.Contains(r.stderr, "not evaluated") {
			t.Errorf("stderr does not say not evaluated:\n%s", r.stderr)
		}
		noSecrets(t, "stderr", []byte(r.stderr), secrets)
	})

	t.Run("deploy reader role", func(t *testing.T) {
		// The least-privilege role of deploy/kubegrant-reader.yaml must be
		// enough for a complete scan.
		applyManifests(ctx, t, c.Admin(), filepath.Join("..", "..", "deploy", "kubegrant-reader.yaml"))
		tr, err := admin.CoreV1().ServiceAccounts("kubegrant").CreateToken(ctx, "kubegrant",
			&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kc, err := c.TokenKubeconfig("kubegrant-sa", tr.Status.Token)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "posture.json")
		r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", kc, "--format", "json", "-o", out, "--fail-on", "none")
		if r.code != 0 {
			t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
		}
		data := readFile(t, out)
		noSecrets(t, "posture report", data, append(secrets, tr.Status.Token))
		var rep reports.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Summary.NotEvaluated) != 0 {
			t.Errorf("notEvaluated = %v, want none with deploy/kubegrant-reader.yaml", rep.Summary.NotEvaluated)
		}
		for _, d := range rep.Diagnostics {
			if strings.Contains(d.Message, "not evaluated") {
				t.Errorf("diagnostic %q", d.Message)
			}
		}
		if findOne(&rep, "KG011", "alice-token-minter") == nil {
			t.Error("the posture scan lacks alice's KG011 finding")
		}
	})
}

// checkReport asserts the JSON report of the scenario.
func checkReport(t *testing.T, rep *reports.Report, sc scenario) {
	if len(rep.Summary.NotEvaluated) != 0 {
		t.Errorf("notEvaluated = %v, want none for admin", rep.Summary.NotEvaluated)
	}
	for _, d := range rep.Diagnostics {
		// The apiserver writes bindings as "name/namespace"; a misread
		// reason would not match the model.
		if strings.Contains(d.Message, "no rule of that binding") || strings.Contains(d.Message, "not evaluated") {
			t.Errorf("diagnostic: %s", d.Message)
		}
	}
	if rep.Summary.AuditEvents == 0 || rep.Summary.AuditErrors != 0 {
		t.Errorf("summary: %d audit events, %d errors", rep.Summary.AuditEvents, rep.Summary.AuditErrors)
	}

	grants := []struct {
		rule, binding string
		cluster       string // location.cluster
		exercised     bool
		ids           []string
		sourceIP      string
	}{
		{"KG011", "alice-token-minter", "Role/apps/token-minter", true, []string{sc.mintID}, "192.0.2.10"},
		{"KG009", "builder", "Role/apps/builder", true, []string{sc.useID}, "203.0.113.7"},
		// The same rule also allows get, which the minted token never did.
		{"KG008", "builder", "Role/apps/builder", false, nil, ""},
		{"KG008", "ci-secret-reader", "Role/apps/secret-reader", true, sc.secretGetIDs, "198.51.100.23"},
		{"KG032", "mallory-impersonator", "ClusterRole/sa-impersonator", true, []string{sc.impersonateID}, "192.0.2.66"},
		{"KG020", "dev-team-exec", "Role/dev/pod-exec", false, nil, ""},
		// Aggregated ClusterRole: rules empty in the live cluster (no
		// aggregation controller) and the apiserver denied the list;
		// kubegrant resolves the aggregation itself.
		{"KG009", "ci-secrets-aggregate", "ClusterRole/secrets-lister", false, nil, ""},
	}
	for _, g := range grants {
		f := findOne(rep, g.rule, g.binding)
		if f == nil {
			t.Errorf("%s on binding %s: no finding", g.rule, g.binding)
			continue
		}
		name := g.rule + "/" + g.binding
		if f.Location.Cluster != g.cluster || f.Location.File != "" {
			t.Errorf("%s: location %+v, want cluster %q", name, f.Location, g.cluster)
		}
		if f.Exercised == nil || *f.Exercised != g.exercised {
			t.Errorf("%s: exercised %v, want %v", name, deref(f.Exercised), g.exercised)
		}
		if got := evidenceIDs(f); !sameSet(got, g.ids) {
			t.Errorf("%s: evidence audit IDs %v, want %v", name, got, g.ids)
		}
		if f.ExerciseCount != len(g.ids) {
			t.Errorf("%s: exerciseCount %d, want %d", name, f.ExerciseCount, len(g.ids))
		}
		for _, e := range f.Evidence {
			if e.SourceIP != g.sourceIP || e.Decision != "allow" {
				t.Errorf("%s: evidence %+v, want an allow from %s", name, e, g.sourceIP)
			}
		}
	}
	// The ServiceAccount subject without a namespace got its binding's.
	if f := findOne(rep, "KG009", "builder"); f != nil && (f.Subject == nil || *f.Subject != (scanner.Ref{Kind: "ServiceAccount", Name: "builder", Namespace: "apps"})) {
		t.Errorf("KG009/builder: subject %+v, want ServiceAccount apps/builder", f.Subject)
	}
	// Every finding read from the cluster points at a cluster object.
	for _, f := range rep.Findings {
		if f.Kind != "detection" && (f.Location.Cluster == "" || f.Location.File != "") {
			t.Errorf("%s %s: location %+v, want a cluster reference", f.RuleID, f.Message, f.Location)
		}
	}

	detections := []struct {
		rule, user string
		ids        []string
		sourceIP   string
	}{
		{"KGD01", "alice", []string{sc.mintID}, "192.0.2.10"},
		{"KGD02", "ci-runner", sc.secretGetIDs, "198.51.100.23"},
	}
	for _, d := range detections {
		f := findDetection(rep, d.rule, d.user)
		if f == nil {
			t.Errorf("%s: no detection with actor %s", d.rule, d.user)
			continue
		}
		if got := evidenceIDs(f); !sameSet(got, d.ids) {
			t.Errorf("%s: evidence audit IDs %v, want %v", d.rule, got, d.ids)
		}
		if !slices.Contains(f.Actor.SourceIPs, d.sourceIP) {
			t.Errorf("%s: actor source IPs %v, want %s", d.rule, f.Actor.SourceIPs, d.sourceIP)
		}
	}
	// KGD26: alice's minted token, used from 203.0.113.7.
	var used *reports.Finding
	for i := range rep.Findings {
		if f := &rep.Findings[i]; f.RuleID == "KGD26" && slices.Contains(evidenceIDs(f), sc.useID) {
			used = f
		}
	}
	if used == nil {
		t.Errorf("KGD26: no detection with the minted token's use %s", sc.useID)
	} else {
		if !strings.Contains(used.Message, "alice") || !strings.Contains(used.Message, "apps/builder") {
			t.Errorf("KGD26 message %q does not name the minter alice and apps/builder", used.Message)
		}
		for _, e := range used.Evidence {
			if e.AuditID == sc.useID && e.SourceIP != "203.0.113.7" {
				t.Errorf("KGD26: use evidence %+v, want source IP 203.0.113.7", e)
			}
		}
	}
	// The denied requests exercised nothing.
	for _, f := range rep.Findings {
		if f.Kind == "detection" {
			continue
		}
		for _, id := range evidenceIDs(&f) {
			if id == sc.deniedListID || id == sc.deniedImpID {
				t.Errorf("%s %s: denied request %s counted as use", f.RuleID, f.Message, id)
			}
		}
	}
}

// ---- fixtures and scenario --------------------------------------------------

func createFixtures(ctx context.Context, t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	create := func(what string, err error) {
		t.Helper()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating %s: %v", what, err)
		}
	}
	for _, ns := range []string{"apps", "prod", "dev"} {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		create("namespace "+ns, err)
	}
	for _, sa := range [][2]string{{"apps", "builder"}, {"prod", "db-operator"}} {
		_, err := cs.CoreV1().ServiceAccounts(sa[0]).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa[1], Namespace: sa[0]}}, metav1.CreateOptions{})
		create("serviceaccount "+sa[1], err)
	}
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("db-creds-%d", i)
		_, err := cs.CoreV1().Secrets("apps").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps"},
			StringData: map[string]string{"password": "e2e-not-a-real-password"}}, metav1.CreateOptions{})
		create("secret "+name, err)
	}
	rule := func(verbs []string, resources ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: resources, Verbs: verbs}
	}
	roles := []*rbacv1.Role{
		role("apps", "token-minter", rule([]string{"create"}, "serviceaccounts/token")),
		role("apps", "builder", rule([]string{"get", "list"}, "secrets")),
		role("apps", "secret-reader", rule([]string{"get"}, "secrets")),
		role("prod", "db-operator", rule([]string{"list"}, "configmaps")),
		role("dev", "pod-exec", rule([]string{"get"}, "pods"), rule([]string{"create"}, "pods/exec")),
	}
	for _, r := range roles {
		_, err := cs.RbacV1().Roles(r.Namespace).Create(ctx, r, metav1.CreateOptions{})
		create("role "+r.Name, err)
	}
	const aggLabel = "kubegrant.io/aggregate-to-secrets"
	clusterRoles := []*rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: "sa-impersonator"}, Rules: []rbacv1.PolicyRule{rule([]string{"impersonate"}, "serviceaccounts")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "secrets-aggregate"}, AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{aggLabel: "true"}}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "secrets-lister", Labels: map[string]string{aggLabel: "true"}},
			Rules: []rbacv1.PolicyRule{rule([]string{"list"}, "secrets")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "partial-reader"}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles", "clusterrolebindings", "roles"}, Verbs: []string{"list"}}}},
	}
	for _, r := range clusterRoles {
		_, err := cs.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{})
		create("clusterrole "+r.Name, err)
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: n}
	}
	group := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: n}
	}
	sa := func(n string) rbacv1.Subject { return rbacv1.Subject{Kind: "ServiceAccount", Name: n} } // namespace defaulted
	bindings := []*rbacv1.RoleBinding{
		roleBinding("apps", "alice-token-minter", "Role", "token-minter", user("alice")),
		roleBinding("apps", "builder", "Role", "builder", sa("builder")),
		roleBinding("apps", "ci-secret-reader", "Role", "secret-reader", group("ci-bots")),
		roleBinding("apps", "ci-secrets-aggregate", "ClusterRole", "secrets-aggregate", group("ci-bots")),
		roleBinding("prod", "db-operator", "Role", "db-operator", sa("db-operator")),
		roleBinding("dev", "dev-team-exec", "Role", "pod-exec", group("dev-team")),
	}
	for _, b := range bindings {
		_, err := cs.RbacV1().RoleBindings(b.Namespace).Create(ctx, b, metav1.CreateOptions{})
		create("rolebinding "+b.Name, err)
	}
	for _, b := range []*rbacv1.ClusterRoleBinding{
		{ObjectMeta: metav1.ObjectMeta{Name: "mallory-impersonator"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "sa-impersonator"},
			Subjects: []rbacv1.Subject{user("mallory")}},
		{ObjectMeta: metav1.ObjectMeta{Name: "reader-partial"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "partial-reader"},
			Subjects: []rbacv1.Subject{user("reader")}},
	} {
		_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{})
		create("clusterrolebinding "+b.Name, err)
	}
	// The apiserver has no aggregation controller: the aggregated role
	// stays empty (REAL-APISERVER.md §5), which is what the test relies on.
	cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "secrets-aggregate", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.Rules) != 0 {
		t.Fatalf("secrets-aggregate has rules %v: an aggregation controller is running", cr.Rules)
	}
}

func runScenario(ctx context.Context, t *testing.T, c *kastest.Cluster) scenario {
	t.Helper()
	var sc scenario
	start := time.Now()

	// alice mints a token for apps/builder ...
	aliceRec := &kastest.Recorder{}
	alice := clientset(t, c.Config("alice", kastest.ClientOptions{Recorder: aliceRec}))
	tr, err := alice.CoreV1().ServiceAccounts("apps").CreateToken(ctx, "builder",
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("alice minting a token: %v", err)
	}
	sc.mintedToken = tr.Status.Token
	sc.mintID = mustID(t, aliceRec, 201)

	// ... which is used from another address to list the Secrets builder may read.
	useRec := &kastest.Recorder{}
	minted := clientset(t, c.TokenConfig(sc.mintedToken, kastest.ClientOptions{ForwardedFor: "203.0.113.7", Recorder: useRec}))
	if _, err := minted.CoreV1().Secrets("apps").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("listing secrets with the minted token: %v", err)
	}
	sc.useID = mustID(t, useRec, 200)

	// ci-runner reads four Secrets by name within a minute (KGD02) ...
	ciRec := &kastest.Recorder{}
	ci := clientset(t, c.Config("ci-runner", kastest.ClientOptions{Recorder: ciRec}))
	for i := 1; i <= 4; i++ {
		if _, err := ci.CoreV1().Secrets("apps").Get(ctx, fmt.Sprintf("db-creds-%d", i), metav1.GetOptions{}); err != nil {
			t.Fatalf("ci-runner reading a secret: %v", err)
		}
		sc.secretGetIDs = append(sc.secretGetIDs, mustID(t, ciRec, 200))
	}
	// ... and may not list them: the aggregated ClusterRole is empty here.
	if _, err := ci.CoreV1().Secrets("apps").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("ci-runner listing secrets: %v, want forbidden (no aggregation controller)", err)
	}
	sc.deniedListID = mustID(t, ciRec, 403)

	// mallory impersonates prod/db-operator, then fails to impersonate admin.
	malRec := &kastest.Recorder{}
	cfg := c.Config("mallory", kastest.ClientOptions{Recorder: malRec})
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:prod:db-operator"}
	if _, err := clientset(t, cfg).CoreV1().ConfigMaps("prod").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("mallory impersonating db-operator: %v", err)
	}
	sc.impersonateID = mustID(t, malRec, 200)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "admin"}
	if _, err := clientset(t, cfg).CoreV1().ConfigMaps("prod").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("mallory impersonating admin: %v, want forbidden", err)
	}
	sc.deniedImpID = mustID(t, malRec, 403)

	t.Logf("scenario: %s", time.Since(start).Round(time.Millisecond))
	return sc
}

// applyManifests creates every object of a multi-document YAML file through
// the dynamic client, as `kubectl create -f` would.
func applyManifests(ctx context.Context, t *testing.T, cfg *rest.Config, path string) {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := ri.Create(ctx, &obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating %s %s: %v", gvk.Kind, obj.GetName(), err)
		}
	}
}

// ---- helpers -----------------------------------------------------------------

func role(ns, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Rules: rules}
}

func roleBinding(ns, name, roleKind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: roleName}, Subjects: subjects}
}

func clientset(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// mustID returns the audit ID of the recorder's last request, which must
// have had the given status code.
func mustID(t *testing.T, rec *kastest.Recorder, code int) string {
	t.Helper()
	r := rec.Last()
	if r.Code != code || r.AuditID == "" {
		t.Fatalf("last request %+v, want code %d with an Audit-Id", r, code)
	}
	return r.AuditID
}

func mustKubeconfig(t *testing.T, c *kastest.Cluster, name string) string {
	t.Helper()
	p, err := c.Kubeconfig(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func noSecrets(t *testing.T, what string, data []byte, secrets []string) {
	t.Helper()
	for _, s := range append(secrets, "e2e-not-a-real-password") {
		if s != "" && bytes.Contains(data, []byte(s)) {
			t.Errorf("%s contains a credential (%.12s…)", what, s)
		}
	}
}

// findOne returns the finding of rule on the named binding.
func findOne(rep *reports.Report, rule, binding string) *reports.Finding {
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.RuleID == rule && f.Binding != nil && f.Binding.Name == binding {
			return f
		}
	}
	return nil
}

func findDetection(rep *reports.Report, rule, user string) *reports.Finding {
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.RuleID == rule && f.Actor != nil && f.Actor.User == user {
			return f
		}
	}
	return nil
}

func evidenceIDs(f *reports.Finding) []string {
	out := make([]string, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		out = append(out, e.AuditID)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func ptr[T any](v T) *T { return &v }
