package policies

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/scanner"
)

// TestBuildInputProbes: grants share a probe exactly when their rules have
// the same content and their scopes the same class (cluster-wide, a named
// control-plane namespace, or any other namespace).
func TestBuildInputProbes(t *testing.T) {
	r1 := rbacv1.PolicyRule{Verbs: []string{"get"}, Resources: []string{"pods"}, APIGroups: []string{""}}
	r2 := rbacv1.PolicyRule{Verbs: []string{"list"}, Resources: []string{"pods"}, APIGroups: []string{""}}
	r1copy := rbacv1.PolicyRule{Verbs: []string{"get"}, Resources: []string{"pods"}, APIGroups: []string{""}}
	grant := func(b, s, scope string, r rbacv1.PolicyRule) scanner.Grant {
		return scanner.Grant{
			Subject: scanner.Subject{Ref: scanner.Ref{Kind: "User", Name: s}},
			Binding: scanner.Ref{Kind: scanner.KindRoleBinding, Name: b, Namespace: scope},
			Role:    scanner.Ref{Kind: scanner.KindClusterRole, Name: "r"},
			Scope:   scope,
			Rule:    r,
		}
	}
	g := &scanner.Graph{Grants: []scanner.Grant{
		grant("a", "u1", "team-a", r1), grant("a", "u1", "team-a", r2), grant("b", "u2", "team-b", r1copy),
		grant("c", "u3", "kube-system", r1), grant("d", "u4", "", r1), grant("e", "u5", "kube-public", r1),
		grant("f", "u6", "team-c", r2),
	}}
	in := buildInput(g)
	naive := func(i, j int) bool {
		a, b := &g.Grants[i], &g.Grants[j]
		var x, y strings.Builder
		writeRuleKey(&x, &a.Rule)
		writeRuleKey(&y, &b.Rule)
		return x.String() == y.String() && scopeClass(a.Scope) == scopeClass(b.Scope)
	}
	for i := range g.Grants {
		for j := range g.Grants {
			if got, want := in.grantProbe[i] == in.grantProbe[j], naive(i, j); got != want {
				t.Errorf("grants %d and %d share a probe: %v, want %v", i, j, got, want)
			}
		}
	}
	if len(in.probes) != 5 {
		t.Errorf("%d probes, want 5: %+v", len(in.probes), in.probes)
	}
	if got := scopeClass("team-a"); got != namespacePlaceholder {
		t.Errorf("scopeClass(team-a) = %q", got)
	}
	if got := renderScope(`can read Secrets in namespace "<namespace>" (<namespace>)`, "team-a"); got != `can read Secrets in namespace "team-a" (team-a)` {
		t.Errorf("renderScope = %q", got)
	}
}

// TestDetectPlatforms: platform-specific rules run only when the input
// shows the platform, and the run says why (catalogue trap 14).
func TestDetectPlatforms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		graph *scanner.Graph
		want  []string
	}{
		{"vanilla", &scanner.Graph{Roles: []*scanner.Role{{Ref: scanner.Ref{Kind: scanner.KindClusterRole, Name: "system:node"}}}}, nil},
		{"eks role", &scanner.Graph{Roles: []*scanner.Role{{Ref: scanner.Ref{Kind: scanner.KindClusterRole, Name: "eks:addon-manager"}}}}, []string{"eks"}},
		{"gke workload identity", &scanner.Graph{Objects: []*scanner.Object{{Ref: scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "a", Name: "b"},
			Annotations: map[string]string{"iam.gke.io/gcp-service-account": "x@p.iam.gserviceaccount.com"}}}}, []string{"gke"}},
		{"aks binding subject", &scanner.Graph{Bindings: []*scanner.Binding{{Ref: scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "x"},
			Subjects: []scanner.Subject{{Ref: scanner.Ref{Kind: scanner.KindUser, Name: "aks-support"}}}}}}, []string{"aks"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := detectPlatforms(tc.graph)
			var names []string
			for k := range got {
				names = append(names, k)
			}
			if len(names) != len(tc.want) || (len(names) == 1 && names[0] != tc.want[0]) {
				t.Errorf("platforms %v, want %v", got, tc.want)
			}
			if n := platformNotes(got); (len(n) > 0) != (got["eks"] != "") {
				t.Errorf("notes %v for %v", n, got)
			}
		})
	}
}
