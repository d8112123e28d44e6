package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubegrant/kubegrant/reports"
)

// TestBuiltinRoleBinding: a binding to one of Kubernetes' built-in roles
// that the input does not define resolves to it (no "not defined"
// diagnostic), and its findings point at the binding, not at the built-in
// rule.
func TestBuiltinRoleBinding(t *testing.T) {
	in := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mallory-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: mallory@example.net}]
`
	r := runCLI(t, in, "scan", "-", "--format", "json")
	if r.code != 3 {
		t.Fatalf("exit code = %d, want 3 (critical findings)\nstderr:\n%s", r.code, r.stderr)
	}
	var rep reports.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Diagnostics {
		t.Errorf("unexpected diagnostic: %s", d.Message)
	}
	critical := 0
	for _, f := range rep.Findings {
		if f.Severity == reports.Critical {
			critical++
		}
		if f.Location.File != "<stdin>" || f.Location.Line == 0 || strings.HasPrefix(f.Location.Cluster, "builtin:") {
			t.Errorf("%s: location %+v, want the binding or its subject in <stdin>", f.RuleID, f.Location)
		}
	}
	if critical == 0 {
		t.Errorf("no critical finding for cluster-admin bound to a user: %d findings", len(rep.Findings))
	}
}

// TestVanillaClusterPassesDefaultGate: Kubernetes' own bootstrap policy,
// scanned as a vanilla cluster would export it, does not fail the default
// gate: every finding on it at or above high is a platform default
// (including the controllers v1.34 added: legacy-service-account-token-
// cleaner, endpointslicemirroring-controller, ttl-after-finished-controller).
func TestVanillaClusterPassesDefaultGate(t *testing.T) {
	r := runCLI(t, "", "scan", "../../scanner/builtin/kubernetes-v1.34.4.yaml", "--format", "json")
	var rep reports.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, r.stderr)
	}
	for _, f := range rep.Findings {
		if f.Suppression == nil && f.Severity.Rank() >= reports.High.Rank() {
			t.Errorf("un-suppressed %s %s: %s", f.Severity, f.RuleID, f.Message)
		}
	}
	suppressed := 0
	for _, f := range rep.Findings {
		if f.Suppression != nil && f.Suppression.Kind == reports.SuppressPlatformDefault {
			suppressed++
		}
	}
	if suppressed == 0 {
		t.Error("no finding is suppressed as platform-default")
	}
	if r.code != 0 {
		t.Errorf("exit code = %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
}

// TestNoRBACInput: an input without any RBAC object is a runtime error
// (exit 1) naming what was read, never "No findings." and exit 0: a wrong
// path in a pre-merge job must not go green. The audit detections alone
// (--audit-log without a PATH) need no RBAC.
func TestNoRBACInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.yaml", "")
	blank := write("blank.yaml", "---\n# nothing\n---\n")
	configMap := write("cm/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\ndata: {k: v}\n")
	workloads := write("wl/all.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: a}\n---\n"+
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec: {template: {spec: {serviceAccountName: s}}}\n")
	broken := write("broken/role.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: [\n")
	write("docs/README.md", "# not a manifest\n")
	emptyDir := filepath.Join(dir, "nothing")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		stdin     string
		args      []string
		stderrHas string
	}{
		{"empty file", "", []string{empty}, "1 file(s) read, all empty"},
		{"only separators and comments", "", []string{blank}, "1 file(s) read, all empty"},
		{"empty directory", "", []string{emptyDir}, "no .yaml, .yml or .json file found"},
		{"directory without YAML", "", []string{filepath.Join(dir, "docs")}, "no .yaml, .yml or .json file found"},
		{"a ConfigMap only", "", []string{configMap}, "1 file(s) read: 1 document(s) of other kinds, 0 diagnostic(s)"},
		{"workloads without RBAC", "", []string{workloads}, "1 file(s) read: 2 document(s) of other kinds"},
		{"unparsable RBAC", "", []string{broken}, "1 diagnostic(s)"},
		{"empty stdin", "", []string{"-"}, "in standard input: 1 file(s) read, all empty"},
		{"json format writes no report", "", []string{empty, "--format", "json"}, "no RBAC object"},
		{"with an audit log", "", []string{configMap, "--audit-log", filepath.Join(demo, "audit", "audit.log")}, "no RBAC object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, append([]string{"scan"}, tc.args...)...)
			if r.code != 1 {
				t.Errorf("exit code = %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "no RBAC object (Role, ClusterRole, RoleBinding, ClusterRoleBinding) in ") || !strings.Contains(r.stderr, tc.stderrHas) {
				t.Errorf("stderr does not say %q:\n%s", tc.stderrHas, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a report was written:\n%s", r.stdout)
			}
		})
	}

	// Audit-only mode: no PATH, no RBAC needed.
	r := runCLI(t, "", "scan", "--audit-log", filepath.Join(demo, "audit", "audit.log"), "--fail-on", "none")
	if r.code != 0 || strings.Contains(r.stderr, "no RBAC object") {
		t.Errorf("audit-only scan: exit code %d\nstderr:\n%s", r.code, r.stderr)
	}
}
