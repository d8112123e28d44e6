package main

import (
	"encoding/json"
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
