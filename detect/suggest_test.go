package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
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
		u.record(sa, nil, &req, shapeOf("e"))
	}
	u.record("mallory", nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "apps"}, shapeOf("e")) // not a subject

	sug, err := u.suggest("window", nil)
	if err != nil {
		t.Fatal(err)
	}
	data := sug.YAML
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
	}}, Grants: []scanner.Grant{{
		// What the group's members do through it.
		Subject: scanner.Subject{Ref: scanner.Ref{Kind: scanner.KindGroup, Name: "oncall"}},
		Binding: scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "b"}, Role: scanner.Ref{Kind: scanner.KindClusterRole, Name: "r"},
		Rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
	}}}
	u := newUsage(g)
	sa := scanner.ServiceAccountUsername("ci", "deployer")
	u.record(sa, []string{"system:authenticated"}, &scanner.Request{Verb: "create", ResourceRequest: true, Resource: "serviceaccounts", Subresource: "token", Namespace: "kube-system", Name: "rbac-operator"}, shapeOf("e"))
	u.record(sa, nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Namespace: "kube-system", Name: "a"}, shapeOf("e"))
	u.record(sa, nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Namespace: "kube-system"}, shapeOf("e"))
	u.record("bob", []string{"oncall", "system:authenticated"}, &scanner.Request{Verb: "list", ResourceRequest: true, Resource: "pods", Namespace: "web"}, shapeOf("e"))
	u.record("system:anonymous", []string{"system:unauthenticated"}, &scanner.Request{Verb: "get", Path: "/version"}, shapeOf("e"))

	sug, err := u.suggest("window", nil)
	if err != nil {
		t.Fatal(err)
	}
	data := sug.YAML
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

// TestSuggestDiff: the suggestion compares each rule of the subject's own
// grants with what it did, leaves out what a detection reported (and says
// so), and flags a proposed request no grant of the scanned RBAC gives.
func TestSuggestDiff(t *testing.T) {
	sa := scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "ci", Name: "deployer"}
	grant := func(binding, role scanner.Ref, scope string, subject scanner.Ref, rule rbacv1.PolicyRule) scanner.Grant {
		return scanner.Grant{Subject: scanner.Subject{Ref: subject}, Binding: binding, Role: role, Scope: scope, Rule: rule}
	}
	crb := func(name string) scanner.Ref { return scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: name} }
	cr := func(name string) scanner.Ref { return scanner.Ref{Kind: scanner.KindClusterRole, Name: name} }
	rb := scanner.Ref{Kind: scanner.KindRoleBinding, Namespace: "apps", Name: "dep"}
	role := scanner.Ref{Kind: scanner.KindRole, Namespace: "apps", Name: "dep"}
	core := func(verbs []string, resources ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{""}, Resources: resources, Verbs: verbs}
	}
	g := &scanner.Graph{
		Bindings: []*scanner.Binding{{Ref: crb("minter"), Subjects: []scanner.Subject{{Ref: sa}}}},
		Grants: []scanner.Grant{
			grant(crb("minter"), cr("minter"), "", sa, core([]string{"create"}, "serviceaccounts/token")),
			grant(rb, role, "apps", sa, core([]string{"get", "list", "delete"}, "pods")),
			grant(rb, role, "apps", sa, core([]string{"get"}, "configmaps")),
			grant(crb("all-secrets"), cr("secrets"), "", sa, core([]string{"*"}, "secrets", "pods/log")),
			// Through an implicit group: not the subject's own, but it
			// gives the nodes read.
			grant(crb("nodes"), cr("nodes"), "", scanner.Ref{Kind: scanner.KindGroup, Name: "system:serviceaccounts"}, core([]string{"get"}, "nodes")),
		},
	}
	u := newUsage(g)
	user := scanner.ServiceAccountUsername("ci", "deployer")
	res := func(verb, ns, resource, sub, name string) scanner.Request {
		return scanner.Request{Verb: verb, ResourceRequest: true, Namespace: ns, Resource: resource, Subresource: sub, Name: name}
	}
	for _, r := range []scanner.Request{
		res("create", "kube-system", "serviceaccounts", "token", "victim"),
		res("get", "apps", "pods", "", "p1"),
		res("list", "apps", "pods", "", ""),
		res("get", "apps", "secrets", "", "s1"),
		res("get", "", "nodes", "", "n1"),
		{Verb: "get", Path: "/healthz"},
	} {
		resource := r.Resource
		if r.Subresource != "" {
			resource += "/" + r.Subresource
		}
		if r.Path != "" {
			resource = r.Path
		}
		u.record(user, []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"}, &r,
			shapeOf(user, r.Verb, resource, r.Namespace, r.Name))
	}
	detections := []reports.Finding{{RuleID: "KGD01", Kind: reports.KindDetection, Evidence: []reports.Evidence{
		{User: user, Verb: "create", Resource: "serviceaccounts/token", Namespace: "kube-system", Name: "victim"},
	}}, {RuleID: "KG011", Kind: reports.KindGrant, Evidence: []reports.Evidence{ // not a detection: does not mark
		{User: user, Verb: "get", Resource: "pods", Namespace: "apps", Name: "p1"},
	}}}
	sug, err := u.suggest("window", detections)
	if err != nil {
		t.Fatal(err)
	}
	out := string(sug.YAML)
	for _, tc := range []struct {
		name, want string
	}{
		{"used only by the reported request", "- ClusterRoleBinding/minter -> ClusterRole/minter: create serviceaccounts/token: used only by requests a detection reported: would be removed"},
		{"verb never used", "~ RoleBinding/apps/dep -> Role/apps/dep: get,list,delete pods: used in part; never used: verbs delete: would be dropped"},
		{"never used", "- RoleBinding/apps/dep -> Role/apps/dep: get configmaps: never used: would be removed"},
		{"* verbs, one resource unused", "~ ClusterRoleBinding/all-secrets -> ClusterRole/secrets: * secrets,pods/log: used in part; never used: resources pods/log: would be dropped"},
		{"reported request left out", "#   ! create serviceaccounts/token kube-system/victim (KGD01)"},
		{"given by no grant", "#   + get /healthz"},
	} {
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: no %q in\n%s", tc.name, tc.want, out)
		}
	}
	// The group's grant gives the nodes read: not flagged as ungranted.
	if strings.Contains(out, "+ get nodes") {
		t.Errorf("nodes read flagged though a group grant gives it:\n%s", out)
	}
	// The reported request is in no proposed role; the others are.
	var proposed []rbacv1.PolicyRule
	for _, doc := range strings.Split(out, "\n---\n")[1:] {
		var r rbacv1.Role
		if err := yaml.Unmarshal([]byte(doc), &r); err != nil {
			t.Fatal(err)
		}
		proposed = append(proposed, r.Rules...)
	}
	allowed := func(req scanner.Request) bool {
		return slices.ContainsFunc(proposed, func(r rbacv1.PolicyRule) bool { return scanner.RuleAllows(&r, &req) })
	}
	if allowed(res("create", "", "serviceaccounts", "token", "victim")) {
		t.Error("the reported token request is proposed")
	}
	for _, req := range []scanner.Request{res("get", "", "pods", "", "p1"), res("get", "", "nodes", "", "n1"), {Verb: "get", Path: "/healthz"}} {
		if !allowed(req) {
			t.Errorf("%+v not proposed", req)
		}
	}
	if want := (Suggestion{Subjects: 1, Unused: 2, Narrowed: 2, Flagged: 1, NotGranted: 1}); sug.Subjects != want.Subjects || sug.Unused != want.Unused ||
		sug.Narrowed != want.Narrowed || sug.Flagged != want.Flagged || sug.NotGranted != want.NotGranted {
		t.Errorf("counts %+v, want %+v", *sug, want)
	}
}

// TestEventShapeIsEvidenceShape: an event and the evidence a detection
// keeps of it have the same shape, impersonation and subresources
// included, so a reported request is always found.
func TestEventShapeIsEvidenceShape(t *testing.T) {
	for _, e := range []*audit.Event{
		{AuditID: "1", User: audit.User{Name: "alice"}, Verb: "get", Object: audit.ObjectRef{Resource: "secrets", Namespace: "ns", Name: "s"}},
		{AuditID: "2", User: audit.User{Name: "support"}, Impersonated: &audit.User{Name: "bob"}, Verb: "create",
			Object: audit.ObjectRef{Resource: "pods", Subresource: "exec", Namespace: "ns", Name: "p"}},
		{AuditID: "3", User: audit.User{Name: "ops"}, Verb: "create", Object: audit.ObjectRef{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings", Name: "b"}},
	} {
		ev := evidence(e)
		if eventShape(e) != evidenceShape(&ev) {
			t.Errorf("event %s: shape %x, evidence shape %x", e.AuditID, eventShape(e), evidenceShape(&ev))
		}
	}
	// Parts are kept apart: moving a boundary changes the shape.
	if shapeOf("alice", "get", "secrets", "ns", "s") == shapeOf("alic", "eget", "secrets", "ns", "s") ||
		shapeOf("a", "", "b") == shapeOf("a", "b", "") {
		t.Error("shapes ignore the boundaries between parts")
	}
}

// TestSuggestAcceptedDetections: a detection a person accepted (inline or
// config) does not keep its requests out of the roles; one that is only
// in the baseline still does.
func TestSuggestAcceptedDetections(t *testing.T) {
	sa := scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: "ci", Name: "deployer"}
	u := newUsage(&scanner.Graph{Bindings: []*scanner.Binding{{Subjects: []scanner.Subject{{Ref: sa}}}}})
	user := scanner.ServiceAccountUsername("ci", "deployer")
	for _, name := range []string{"accepted", "baseline", "plain"} {
		u.record(user, nil, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "apps", Name: name},
			shapeOf(user, "get", "secrets", "apps", name))
	}
	detection := func(rule, name, suppression string) reports.Finding {
		f := reports.Finding{RuleID: rule, Kind: reports.KindDetection, Evidence: []reports.Evidence{{User: user, Verb: "get", Resource: "secrets", Namespace: "apps", Name: name}}}
		if suppression != "" {
			f.Suppression = &reports.Suppression{Kind: suppression}
		}
		return f
	}
	sug, err := u.suggest("window", []reports.Finding{
		detection("KGD02", "accepted", reports.SuppressConfig),
		detection("KGD03", "baseline", reports.SuppressBaseline),
		detection("KGD04", "plain", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	out := string(sug.YAML)
	for _, want := range []string{"! get secrets apps/baseline (KGD03)", "! get secrets apps/plain (KGD04)", "  - accepted\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "KGD02") || sug.Flagged != 2 {
		t.Errorf("the accepted detection marks its request (%d flagged):\n%s", sug.Flagged, out)
	}
}

// TestSuggestGroupUse: a group is proposed what its members did through
// its grants, not what a member's own grants allowed.
func TestSuggestGroupUse(t *testing.T) {
	oncall := scanner.Ref{Kind: scanner.KindGroup, Name: "oncall"}
	bob := scanner.Ref{Kind: scanner.KindUser, Name: "bob"}
	g := &scanner.Graph{
		Bindings: []*scanner.Binding{{Subjects: []scanner.Subject{{Ref: oncall}}}},
		Grants: []scanner.Grant{
			{Subject: scanner.Subject{Ref: oncall}, Binding: scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "oncall"},
				Role: scanner.Ref{Kind: scanner.KindClusterRole, Name: "view"}, Rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}},
			{Subject: scanner.Subject{Ref: bob}, Binding: scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "bob"},
				Role: scanner.Ref{Kind: scanner.KindClusterRole, Name: "secrets"}, Rule: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}},
		},
	}
	u := newUsage(g)
	u.record("bob", []string{"oncall"}, &scanner.Request{Verb: "list", ResourceRequest: true, Resource: "pods", Namespace: "web"}, shapeOf("e1"))
	u.record("bob", []string{"oncall"}, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "web", Name: "s"}, shapeOf("e2"))
	sug, err := u.suggest("window", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := string(sug.YAML)
	if strings.Contains(out, "secrets") && !strings.Contains(out, "Not proposed: 1 request its members made") || strings.Contains(out, "- secrets") {
		t.Errorf("bob's own secret read is proposed for the group:\n%s", out)
	}
	if !strings.Contains(out, "- pods") || !strings.Contains(out, "Not proposed: 1 request its members made that no grant of the group allows") {
		t.Errorf("want the pods list proposed and the secret read named as not the group's:\n%s", out)
	}

	// Only requests through a member's own grants: nothing for the group.
	u = newUsage(g)
	u.record("bob", []string{"oncall"}, &scanner.Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "web", Name: "s"}, shapeOf("e2"))
	if sug, err = u.suggest("window", nil); err != nil {
		t.Fatal(err)
	}
	if out := string(sug.YAML); !strings.Contains(out, "# Nothing proposed.\n") || strings.Contains(out, "---") {
		t.Errorf("want nothing proposed for the group:\n%s", out)
	}
}
