package detect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubegrant/kubegrant/scanner"
)

func TestSuggestedRoles(t *testing.T) {
	g := &scanner.Graph{Bindings: []*scanner.Binding{{
		Ref: scanner.Ref{Kind: scanner.KindRoleBinding, Name: "b", Namespace: "apps"},
		Subjects: []scanner.Subject{
			{Ref: scanner.Ref{Kind: scanner.KindServiceAccount, Name: "deployer", Namespace: "ci"}},
			{Ref: scanner.Ref{Kind: scanner.KindUser, Name: "alice@example.com"}},
		},
	}}}
	u := newUsage(g)
	sa := scanner.ServiceAccountUsername("ci", "deployer")
	for _, req := range []scanner.Request{
		{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "apps", Name: "p1"},
		{Verb: "list", ResourceRequest: true, Resource: "pods", Namespace: "apps"},
		{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec", Namespace: "apps", Name: "p1"},
		{Verb: "get", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Namespace: "apps"},
		{Verb: "get", ResourceRequest: true, Resource: "nodes", Name: "n1"},
		{Verb: "get", Path: "/healthz"},
	} {
		u.record(sa, nil, &req)
	}
	u.record("mallory", nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "apps"}) // not a subject

	data, err := u.RolesYAML("window")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(data), "\n---\n")[1:]
	if len(docs) != 4 {
		t.Fatalf("want ClusterRole, ClusterRoleBinding, Role, RoleBinding; got %d documents:\n%s", len(docs), data)
	}
	var cr rbacv1.ClusterRole
	if err := yaml.Unmarshal([]byte(docs[0]), &cr); err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.Unmarshal([]byte(docs[2]), &role); err != nil {
		t.Fatal(err)
	}
	if role.Name != "kubegrant-observed-ci-deployer" || role.Namespace != "apps" {
		t.Errorf("role %s/%s, want apps/kubegrant-observed-ci-deployer", role.Namespace, role.Name)
	}
	// Exactly what was used is allowed, and nothing else.
	allowed := func(rules []rbacv1.PolicyRule, req scanner.Request) bool {
		for i := range rules {
			if scanner.RuleAllows(&rules[i], &req) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		rules []rbacv1.PolicyRule
		req   scanner.Request
		want  bool
	}{
		{role.Rules, scanner.Request{Verb: "list", ResourceRequest: true, Resource: "pods"}, true},
		{role.Rules, scanner.Request{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec", Name: "p1"}, true},
		// Only p1 was exec'd into: resourceNames keep it to p1.
		{role.Rules, scanner.Request{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec", Name: "p2"}, false},
		{role.Rules, scanner.Request{Verb: "get", ResourceRequest: true, APIGroup: "apps", Resource: "deployments"}, true},
		{role.Rules, scanner.Request{Verb: "delete", ResourceRequest: true, Resource: "pods"}, false},
		{role.Rules, scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets"}, false},
		{cr.Rules, scanner.Request{Verb: "get", ResourceRequest: true, Resource: "nodes", Name: "n1"}, true},
		{cr.Rules, scanner.Request{Verb: "get", ResourceRequest: true, Resource: "nodes", Name: "n2"}, false},
		{cr.Rules, scanner.Request{Verb: "get", Path: "/healthz"}, true},
		{cr.Rules, scanner.Request{Verb: "get", Path: "/metrics"}, false},
	} {
		if got := allowed(tc.rules, tc.req); got != tc.want {
			t.Errorf("%+v allowed = %v, want %v", tc.req, got, tc.want)
		}
	}
	if strings.Contains(string(data), "mallory") || strings.Contains(string(data), "alice") {
		t.Errorf("roles suggested for identities that did nothing or are not subjects:\n%s", data)
	}
}

// TestSuggestedRolesPerSubject: object names seen on every request of a verb
// become resourceNames; a Group subject gets what its members did; no role
// is proposed for system:anonymous or for system: groups.
func TestSuggestedRolesPerSubject(t *testing.T) {
	g := &scanner.Graph{Bindings: []*scanner.Binding{{
		Ref: scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "b"},
		Subjects: []scanner.Subject{
			{Ref: scanner.Ref{Kind: scanner.KindServiceAccount, Name: "deployer", Namespace: "ci"}},
			{Ref: scanner.Ref{Kind: scanner.KindGroup, Name: "oncall"}},
			{Ref: scanner.Ref{Kind: scanner.KindGroup, Name: "system:authenticated"}},
			{Ref: scanner.Ref{Kind: scanner.KindUser, Name: "system:anonymous"}},
		},
	}}}
	u := newUsage(g)
	sa := scanner.ServiceAccountUsername("ci", "deployer")
	u.record(sa, []string{"system:authenticated"}, &scanner.Request{Verb: "create", ResourceRequest: true, Resource: "serviceaccounts", Subresource: "token", Namespace: "kube-system", Name: "rbac-operator"})
	u.record(sa, nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Namespace: "kube-system", Name: "a"})
	u.record(sa, nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Namespace: "kube-system"})
	u.record("bob", []string{"oncall", "system:authenticated"}, &scanner.Request{Verb: "list", ResourceRequest: true, Resource: "pods", Namespace: "web"})
	u.record("system:anonymous", []string{"system:unauthenticated"}, &scanner.Request{Verb: "get", Path: "/version"})

	data, err := u.RolesYAML("window")
	if err != nil {
		t.Fatal(err)
	}
	var roles []rbacv1.Role
	for _, doc := range strings.Split(string(data), "\n---\n")[1:] {
		var r rbacv1.Role
		if err := yaml.Unmarshal([]byte(doc), &r); err != nil {
			t.Fatal(err)
		}
		if r.Kind == "Role" || r.Kind == "ClusterRole" {
			roles = append(roles, r)
		}
	}
	got := map[string]string{}
	for _, r := range roles {
		got[r.Namespace+"/"+r.Name] = fmt.Sprint(r.Rules)
	}
	want := map[string]string{
		"kube-system/kubegrant-observed-ci-deployer": fmt.Sprint([]rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}, ResourceNames: []string{"rbac-operator"}},
		}),
		"web/kubegrant-observed-group-oncall": fmt.Sprint([]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}}),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suggested roles (-want +got):\n%s", diff)
	}
}
