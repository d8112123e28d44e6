package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubegrant/kubegrant/internal/sarifcheck"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// result is one in-process run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	code := exitCode(err, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

const demo = "../../testdata/demo"

func corpora(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "corpora"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	return p
}

func TestExitCodes(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	benign := "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get]\n"
	for _, tc := range []struct {
		name      string
		stdin     string
		args      []string
		code      int
		stdoutHas string
		stderrHas string
	}{
		{name: "no command", args: nil, code: 2, stderrHas: "no command given"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderrHas: `unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, code: 0, stdoutHas: "Commands:"},
		{name: "scan help", args: []string{"scan", "-h"}, code: 0, stdoutHas: "--fail-on"},
		{name: "version", args: []string{"version"}, code: 0, stdoutHas: "kubegrant "},
		{name: "scan nothing", args: []string{"scan"}, code: 2, stderrHas: "needs a PATH"},
		{name: "bad format", args: []string{"scan", manifests, "--format", "xml"}, code: 2, stderrHas: "not one of text|json|sarif"},
		{name: "bad fail-on", args: []string{"scan", manifests, "--fail-on", "severe"}, code: 2, stderrHas: "--fail-on"},
		{name: "unknown flag", args: []string{"scan", manifests, "--frob"}, code: 2, stderrHas: "unknown flag"},
		{name: "stdin twice", args: []string{"scan", "-", "--audit-log", "-"}, code: 2, stderrHas: "only once"},
		{name: "missing path", args: []string{"scan", "does/not/exist"}, code: 1, stderrHas: "does/not/exist"},
		{name: "output not writable", args: []string{"scan", manifests, "-o", "does/not/exist/report.json"}, code: 1, stderrHas: "writing report"},
		{name: "findings gate", args: []string{"scan", manifests}, code: 3, stdoutHas: "KG011"},
		{name: "findings gate json", args: []string{"scan", manifests, "--format", "json"}, code: 3, stdoutHas: `"ruleId": "KG011"`},
		{name: "fail-on none", args: []string{"scan", manifests, "--fail-on", "none"}, code: 0, stdoutHas: "CRITICAL"},
		{name: "benign stdin", stdin: benign, args: []string{"scan", "-"}, code: 0},
		{name: "only bad input", stdin: "kind: Role\nmetadata: {name: [\n", args: []string{"scan", "-"}, code: 1, stderrHas: "<stdin>:"},
		{name: "audit log that is not one", stdin: "<html>502 Bad Gateway</html>\n", args: []string{"scan", "--audit-log", "-"}, code: 1,
			stderrHas: "audit log -: no record is a readable audit event"},
		{name: "rules", args: []string{"rules"}, code: 0, stdoutHas: "KG011"},
		{name: "rules markdown", args: []string{"rules", "--format", "markdown"}, code: 0, stdoutHas: "| [KG011](#kg011)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdoutHas) {
				t.Errorf("stdout does not contain %q:\n%s", tc.stdoutHas, r.stdout)
			}
			if !strings.Contains(r.stderr, tc.stderrHas) {
				t.Errorf("stderr does not contain %q:\n%s", tc.stderrHas, r.stderr)
			}
		})
	}
}

// checkGolden compares got with cmd/kubegrant/testdata/golden/name, from
// the repository root (the tests that call it chdir there); -update
// rewrites the file first. It returns the golden's path.
func checkGolden(t *testing.T, name, got string) string {
	t.Helper()
	golden := filepath.Join("cmd", "kubegrant", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
	return golden
}

// TestDemoSuggestedRoles: --suggest-roles on the demo gives the roles of
// testdata/golden/demo.suggest.yaml (-update rewrites it): the attack's
// requests (the token mint, the exec, the secret reads, the binding and
// its bind check) are left out and named with their detections, and each
// subject's current grants are diffed against what it did.
func TestDemoSuggestedRoles(t *testing.T) {
	t.Chdir("../..")
	out := filepath.Join(t.TempDir(), "roles.yaml")
	r := runCLI(t, "", "scan", "testdata/demo/manifests", "--audit-log", "testdata/demo/audit/audit.log",
		"--format", "json", "--fail-on", "none", "--suggest-roles", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	golden := checkGolden(t, "demo.suggest.yaml", string(got))
	for _, w := range []string{
		"#   ! create serviceaccounts/token kube-system/rbac-operator (KGD01, KGD06, KGD26)",
		"#   ! bind clusterroles.rbac.authorization.k8s.io cluster-admin (KGD12, KGD26)",
	} {
		if !strings.Contains(string(got), w) {
			t.Errorf("%s lacks %q", golden, w)
		}
	}
	// Anonymous, system:masters and node requests get no role; a denied
	// request (the deployer's read of payments-db) is not proposed.
	for _, never := range []string{"system:anonymous", "kubernetes-admin", "system:node:node-1", "payments-db"} {
		if strings.Contains(string(got), never) {
			t.Errorf("%s names %s", golden, never)
		}
	}
	if !strings.Contains(r.stderr, "suggested roles for 5 subjects written to "+out) {
		t.Errorf("stderr lacks the summary:\n%s", r.stderr)
	}
}

// TestDemoGolden renders the demo (manifests + audit log) in every format
// and compares with testdata/golden; -update rewrites them.
func TestDemoGolden(t *testing.T) {
	// Run from the repository root so that report paths are repo-relative,
	// as they are for `make demo` and in CI.
	t.Chdir("../..")
	for _, format := range []string{"text", "json", "sarif", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			r := runCLI(t, "", "scan", "testdata/demo/manifests", "--audit-log", "testdata/demo/audit/audit.log",
				"--format", format, "--fail-on", "none")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			checkGolden(t, "demo."+format, normalizeVersion(r.stdout))
			if format == "sarif" {
				if err := sarifcheck.Validate([]byte(r.stdout)); err != nil {
					t.Errorf("demo SARIF is not valid: %v", err)
				}
			}
		})
	}
}

var versionRE = regexp.MustCompile(`("version": ?"|kubegrant )[^"\s]+`)

// normalizeVersion keeps goldens independent of how the binary was built.
func normalizeVersion(s string) string {
	return versionRE.ReplaceAllString(s, "${1}VERSION")
}

// sarifLocation is the part of a SARIF location the tests read.
type sarifLocation struct {
	PhysicalLocation *struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine int `json:"startLine"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

// TestCorporaSARIF scans every real-world manifest in ../shared/corpora/rbac:
// no crash, the unrenderable Helm template is one diagnostic with its file
// and line, exit code 3, and the SARIF validates with a file and line on
// every result.
func TestCorporaSARIF(t *testing.T) {
	dir := corpora(t, "rbac")
	out := filepath.Join(t.TempDir(), "out.sarif")
	r := runCLI(t, "", "scan", dir, "--format", "sarif", "-o", out)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifcheck.Validate(data); err != nil {
		t.Fatalf("SARIF of the corpora is not valid: %v", err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string          `json:"ruleId"`
				Locations []sarifLocation `json:"locations"`
			} `json:"results"`
			Invocations []struct {
				Notifications []struct {
					Level   string `json:"level"`
					Message struct {
						Text string `json:"text"`
					} `json:"message"`
					Locations []sarifLocation `json:"locations"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	results := doc.Runs[0].Results
	if len(results) == 0 {
		t.Fatal("no results")
	}
	for _, res := range results {
		if len(res.Locations) == 0 || res.Locations[0].PhysicalLocation == nil ||
			res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" || res.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Fatalf("result %s has no file and line: %+v", res.RuleID, res.Locations)
		}
	}
	var helm []string
	for _, n := range doc.Runs[0].Invocations[0].Notifications {
		if n.Level != "error" || len(n.Locations) == 0 || n.Locations[0].PhysicalLocation == nil {
			continue
		}
		if loc := n.Locations[0].PhysicalLocation; strings.Contains(loc.ArtifactLocation.URI, "kubernetes-goat") {
			helm = append(helm, fmt.Sprintf("%s:%d", loc.ArtifactLocation.URI, loc.Region.StartLine))
		}
	}
	if len(helm) != 1 || !regexp.MustCompile(`\.yaml:[1-9]\d*$`).MatchString(helm[0]) {
		t.Errorf("want one error diagnostic with file:line for the kubernetes-goat Helm template, got %q", helm)
	}
	t.Logf("%d results", len(results))
}

// TestTokenRequestScoping: external-secrets' unscoped `create
// serviceaccounts/token` is flagged as unrestricted; cert-manager's
// tokenrequest Role (resourceNames on the subresource) is reported as
// restricted to the named ServiceAccount.
func TestTokenRequestScoping(t *testing.T) {
	for _, tc := range []struct {
		dir, role, severity, message string
	}{
		{dir: "external-secrets", role: "external-secrets-controller", severity: "critical", message: "any ServiceAccount"},
		{dir: "cert-manager", role: "cert-manager-tokenrequest", severity: "low", message: "cert-manager"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			r := runCLI(t, "", "scan", corpora(t, "rbac", tc.dir), "--format", "json", "--fail-on", "none")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var rep struct {
				Findings []struct {
					RuleID   string `json:"ruleId"`
					Severity string `json:"severity"`
					Message  string `json:"message"`
					Role     struct {
						Name string `json:"name"`
					} `json:"role"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				if f.RuleID == "KG011" && f.Role.Name == tc.role {
					got = append(got, f.Severity+": "+f.Message)
					if f.Severity != tc.severity || !strings.Contains(f.Message, tc.message) {
						t.Errorf("KG011 on %s: %s %q, want %s mentioning %q", tc.role, f.Severity, f.Message, tc.severity, tc.message)
					}
				}
			}
			if len(got) == 0 {
				t.Errorf("no KG011 finding on role %s", tc.role)
			}
		})
	}
}

// TestBaseline: a report used as baseline suppresses every finding it
// contains, so the same scan then passes --fail-on; suppressed findings
// stay in the JSON, marked.
func TestBaseline(t *testing.T) {
	manifests := filepath.Join(demo, "manifests")
	for _, format := range []string{"json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "base."+format)
			if r := runCLI(t, "", "scan", manifests, "--format", format, "-o", base); r.code != 3 {
				t.Fatalf("first scan: exit %d: %s", r.code, r.stderr)
			}
			r := runCLI(t, "", "scan", manifests, "--format", "json", "--baseline", base)
			if r.code != 0 {
				t.Fatalf("scan with baseline: exit %d, want 0: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, `"kind": "baseline"`) {
				t.Error("suppressed findings are not marked in the JSON report")
			}
		})
	}
	r := runCLI(t, "", "scan", manifests, "--baseline", filepath.Join(demo, "manifests", "namespaces.yaml"))
	if r.code != 1 || !strings.Contains(r.stderr, "baseline") {
		t.Errorf("a baseline that is not a report: exit %d, stderr %q", r.code, r.stderr)
	}
}

// fakeAPIServer serves list requests for the kinds kubegrant reads: one
// ClusterRole bound to system:anonymous, everything else empty, and 403 for
// the resources in forbidden.
func fakeAPIServer(t *testing.T, forbidden ...string) string {
	t.Helper()
	kinds := map[string]string{
		"clusterroles": "ClusterRole", "roles": "Role", "clusterrolebindings": "ClusterRoleBinding", "rolebindings": "RoleBinding",
		"serviceaccounts": "ServiceAccount", "namespaces": "Namespace", "nodes": "Node", "pods": "Pod",
		"replicationcontrollers": "ReplicationController", "deployments": "Deployment", "daemonsets": "DaemonSet",
		"statefulsets": "StatefulSet", "replicasets": "ReplicaSet", "jobs": "Job", "cronjobs": "CronJob",
	}
	items := map[string]string{
		"clusterroles": `{"metadata":{"name":"status-page"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]},
			{"metadata":{"name":"token-minter"},"rules":[{"apiGroups":[""],"resources":["serviceaccounts/token"],"verbs":["create"]}]}`,
		"clusterrolebindings": `{"metadata":{"name":"public"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"status-page"},
			"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"system:anonymous"}]},
			{"metadata":{"name":"minter"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"token-minter"},
			"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"build"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		resource := parts[len(parts)-1]
		gv := "v1"
		if parts[0] == "apis" {
			gv = parts[1] + "/" + parts[2]
		}
		w.Header().Set("Content-Type", "application/json")
		if slices.Contains(forbidden, resource) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"%s is forbidden: User \"system:serviceaccount:kubegrant:reader\" cannot list resource \"%s\""}`, resource, resource)
			return
		}
		kind, ok := kinds[resource]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"kind":"%sList","apiVersion":"%s","metadata":{},"items":[%s]}`, kind, gv, items[resource])
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster: {server: %q}\ncontexts:\n- name: test\n  context: {cluster: test, user: u}\ncurrent-context: test\nusers:\n- name: u\n  user: {token: x}\n", srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// TestClusterScan: --cluster reads RBAC through client-go; a 403 on a kind
// makes the run "not evaluated" (exit 1, diagnostics), never a pass.
func TestClusterScan(t *testing.T) {
	kubeconfig := fakeAPIServer(t)
	r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", kubeconfig, "--format", "json")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (anonymous binding, token minter)\n%s", r.code, r.stderr)
	}
	for _, want := range []string{`"ruleId": "KG052"`, `"ruleId": "KG011"`, `"cluster": "ClusterRoleBinding/public"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %s", want)
		}
	}

	kubeconfig = fakeAPIServer(t, "rolebindings")
	r = runCLI(t, "", "scan", "--cluster", "--kubeconfig", kubeconfig, "--format", "json", "--fail-on", "none")
	if r.code != 1 || !strings.Contains(r.stderr, "not evaluated") {
		t.Errorf("forbidden rolebindings: exit %d, stderr %q; want 1 and 'not evaluated'", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"notEvaluated": [`) || !strings.Contains(r.stdout, "cannot list rolebindings (forbidden)") {
		t.Errorf("the report does not say what was not evaluated:\n%s", r.stdout)
	}

	if r := runCLI(t, "", "scan", "--kubeconfig", kubeconfig, "testdata"); r.code != 2 {
		t.Errorf("--kubeconfig without --cluster: exit %d, want 2", r.code)
	}
}

// TestCorporaRiskModel checks the unit of analysis on every real-world
// manifest: no two un-suppressed findings share (rule, identity, scope),
// a cluster-admin-equivalent grant is one finding, and every path's hops
// point at a file and line.
func TestCorporaRiskModel(t *testing.T) {
	dir := corpora(t, "rbac")
	r := runCLI(t, "", "scan", dir, "--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID      string          `json:"ruleId"`
			Kind        string          `json:"kind"`
			Subject     *scanner.Ref    `json:"subject"`
			Scope       string          `json:"scope"`
			Suppression json.RawMessage `json:"suppression"`
			Grants      []struct {
				Binding scanner.Ref        `json:"binding"`
				Rule    reports.PolicyRule `json:"rule"`
			} `json:"grants"`
			Path []struct {
				RuleID   string         `json:"ruleId"`
				Location scanner.Source `json:"location"`
			} `json:"path"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	perGrant := map[string][]string{} // binding|subject → rule ids of a */*/* grant's findings
	paths := 0
	for _, f := range rep.Findings {
		if f.Suppression != nil || f.Kind == "detection" {
			continue
		}
		id := ""
		if f.Subject != nil {
			id = f.Subject.String()
		}
		k := f.RuleID + "|" + id + "|" + f.Scope
		if f.Kind == "path" {
			paths++
			for _, h := range f.Path {
				if h.RuleID != "" && (h.Location.File == "" || h.Location.Line == 0) {
					t.Errorf("%s: hop %s has no file and line", k, h.RuleID)
				}
			}
			continue
		}
		if seen[k] {
			t.Errorf("two un-suppressed findings share (rule, identity, scope) %s", k)
		}
		seen[k] = true
		for _, g := range f.Grants {
			if slices.Contains(g.Rule.Verbs, "*") && slices.Contains(g.Rule.Resources, "*") && slices.Contains(g.Rule.APIGroups, "*") {
				gk := g.Binding.String() + "|" + id
				perGrant[gk] = append(perGrant[gk], f.RuleID)
			}
		}
	}
	for gk, ids := range perGrant {
		if len(ids) != 1 {
			t.Errorf("the */*/* grant %s gives %d findings %v, want one", gk, len(ids), ids)
		}
	}
	t.Logf("%d un-suppressed findings, %d attack paths, %d */*/* grants", len(seen), paths, len(perGrant))
	if len(perGrant) == 0 {
		t.Error("no */*/* grant in the corpora: the check proves nothing")
	}
}
