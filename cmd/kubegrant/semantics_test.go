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
