package scanner

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// rule builds a PolicyRule from comma-separated lists; "-" is an empty list.
func rule(verbs, groups, resources, names, urls string) rbacv1.PolicyRule {
	split := func(s string) []string {
		if s == "-" {
			return nil
		}
		return strings.Split(s, ",")
	}
	return rbacv1.PolicyRule{
		Verbs: split(verbs), APIGroups: split(groups), Resources: split(resources),
		ResourceNames: split(names), NonResourceURLs: split(urls),
	}
}

func resReq(verb, group, resource, sub string) Request {
	return Request{Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub}
}

func urlReq(verb, path string) Request {
	return Request{Verb: verb, Path: path}
}

func reqString(r Request) string {
	if !r.ResourceRequest {
		return fmt.Sprintf("%s %s", r.Verb, r.Path)
	}
	return fmt.Sprintf("%s group=%q %s/%s name=%q ns=%q", r.Verb, r.APIGroup, r.Resource, r.Subresource, r.Name, r.Namespace)
}

// TestRuleAllows ports TestRuleMatches from kubernetes/kubernetes
// plugin/pkg/auth/authorizer/rbac/rbac_test.go (requestsToExpected) and adds
// the edge cases of pkg/apis/rbac/v1/evaluation_helpers.go.
func TestRuleAllows(t *testing.T) {
	type want map[Request]bool
	for _, tc := range []struct {
		name string
		rule rbacv1.PolicyRule
		want want
	}{
		// Ported from rbac_test.go TestRuleMatches.
		{"star verb, exact match other", rule("*", "group1", "resource1", "-", "-"), want{
			resReq("verb1", "group1", "resource1", ""): true,
			resReq("verb1", "group2", "resource1", ""): false,
			resReq("verb1", "group1", "resource2", ""): false,
			resReq("verb1", "group2", "resource2", ""): false,
			resReq("verb2", "group1", "resource1", ""): true,
			resReq("verb2", "group2", "resource1", ""): false,
			resReq("verb2", "group1", "resource2", ""): false,
			resReq("verb2", "group2", "resource2", ""): false,
		}},
		{"star group, exact match other", rule("verb1", "*", "resource1", "-", "-"), want{
			resReq("verb1", "group1", "resource1", ""): true,
			resReq("verb1", "group2", "resource1", ""): true,
			resReq("verb1", "group1", "resource2", ""): false,
			resReq("verb1", "group2", "resource2", ""): false,
			resReq("verb2", "group1", "resource1", ""): false,
			resReq("verb2", "group2", "resource1", ""): false,
			resReq("verb2", "group1", "resource2", ""): false,
			resReq("verb2", "group2", "resource2", ""): false,
		}},
		{"star resource, exact match other", rule("verb1", "group1", "*", "-", "-"), want{
			resReq("verb1", "group1", "resource1", ""): true,
			resReq("verb1", "group2", "resource1", ""): false,
			resReq("verb1", "group1", "resource2", ""): true,
			resReq("verb1", "group2", "resource2", ""): false,
			resReq("verb2", "group1", "resource1", ""): false,
			resReq("verb2", "group2", "resource1", ""): false,
			resReq("verb2", "group1", "resource2", ""): false,
			resReq("verb2", "group2", "resource2", ""): false,
		}},
		{"tuple expansion", rule("verb1,verb2", "group1,group2", "resource1,resource2", "-", "-"), want{
			resReq("verb1", "group1", "resource1", ""): true,
			resReq("verb1", "group2", "resource1", ""): true,
			resReq("verb1", "group1", "resource2", ""): true,
			resReq("verb1", "group2", "resource2", ""): true,
			resReq("verb2", "group1", "resource1", ""): true,
			resReq("verb2", "group2", "resource1", ""): true,
			resReq("verb2", "group1", "resource2", ""): true,
			resReq("verb2", "group2", "resource2", ""): true,
		}},
		{"subresource expansion", rule("*", "*", "resource1/subresource1", "-", "-"), want{
			resReq("verb1", "group1", "resource1", "subresource1"): true,
			resReq("verb1", "group2", "resource1", "subresource2"): false,
			resReq("verb1", "group1", "resource2", "subresource1"): false,
			resReq("verb1", "group2", "resource2", "subresource1"): false,
			resReq("verb2", "group1", "resource1", "subresource1"): true,
			resReq("verb2", "group2", "resource1", "subresource2"): false,
			resReq("verb2", "group1", "resource2", "subresource1"): false,
			resReq("verb2", "group2", "resource2", "subresource1"): false,
		}},
		{"star nonresource, exact match other", rule("verb1", "-", "-", "-", "*"), want{
			urlReq("verb1", "/foo"):         true,
			urlReq("verb1", "/foo/bar"):     true,
			urlReq("verb1", "/foo/baz"):     true,
			urlReq("verb1", "/foo/bar/one"): true,
			urlReq("verb1", "/foo/baz/one"): true,
			urlReq("verb2", "/foo"):         false,
			urlReq("verb2", "/foo/bar"):     false,
			urlReq("verb2", "/foo/baz"):     false,
			urlReq("verb2", "/foo/bar/one"): false,
			urlReq("verb2", "/foo/baz/one"): false,
		}},
		{"star nonresource subpath", rule("verb1", "-", "-", "-", "/foo/*"), want{
			urlReq("verb1", "/foo"):            false,
			urlReq("verb1", "/foo/bar"):        true,
			urlReq("verb1", "/foo/baz"):        true,
			urlReq("verb1", "/foo/bar/one"):    true,
			urlReq("verb1", "/foo/baz/one"):    true,
			urlReq("verb1", "/notfoo"):         false,
			urlReq("verb1", "/notfoo/bar"):     false,
			urlReq("verb1", "/notfoo/baz"):     false,
			urlReq("verb1", "/notfoo/bar/one"): false,
			urlReq("verb1", "/notfoo/baz/one"): false,
		}},
		{"star verb, exact nonresource", rule("*", "-", "-", "-", "/foo,/foo/bar/one"), want{
			urlReq("verb1", "/foo"):         true,
			urlReq("verb1", "/foo/bar"):     false,
			urlReq("verb1", "/foo/baz"):     false,
			urlReq("verb1", "/foo/bar/one"): true,
			urlReq("verb1", "/foo/baz/one"): false,
			urlReq("verb2", "/foo"):         true,
			urlReq("verb2", "/foo/bar"):     false,
			urlReq("verb2", "/foo/baz"):     false,
			urlReq("verb2", "/foo/bar/one"): true,
			urlReq("verb2", "/foo/baz/one"): false,
		}},

		// Evaluation-helper edge cases.
		{"star resource matches subresources too", rule("get", "", "*", "-", "-"), want{
			resReq("get", "", "pods", ""):     true,
			resReq("get", "", "pods", "exec"): true,
			resReq("get", "", "pods", "log"):  true,
		}},
		{"star/subresource matches that subresource of any resource", rule("create", "", "*/exec", "-", "-"), want{
			resReq("create", "", "pods", "exec"):     true,
			resReq("create", "", "anything", "exec"): true,
			resReq("create", "", "pods", "attach"):   false,
			resReq("create", "", "pods", ""):         false,
			resReq("create", "", "exec", ""):         false,
			// "*/exec" must not match a longer subresource ending in exec.
			resReq("create", "", "pods", "reexec"): false,
		}},
		{"pods/* is a literal, not a wildcard", rule("create", "", "pods/*", "-", "-"), want{
			resReq("create", "", "pods", "exec"): false,
			resReq("create", "", "pods", "*"):    true,
			resReq("create", "", "pods", ""):     false,
		}},
		{"*/* is not a wildcard", rule("get", "*", "*/*", "-", "-"), want{
			resReq("get", "", "pods", ""):     false,
			resReq("get", "", "pods", "exec"): false,
			resReq("get", "", "*", "*"):       true, // "*/*" as */subresource with subresource "*"
		}},
		{"resource without subresource does not cover its subresources", rule("get", "", "pods", "-", "-"), want{
			resReq("get", "", "pods", ""):       true,
			resReq("get", "", "pods", "status"): false,
			resReq("get", "", "pods", "log"):    false,
		}},
		{"core group is the empty string; star covers every group", rule("get", "", "secrets", "-", "-"), want{
			resReq("get", "", "secrets", ""):            true,
			resReq("get", "apps", "secrets", ""):        false,
			resReq("get", "*", "secrets", ""):           false, // "*" in a request is a literal group
			resReq("get", "v1", "secrets", ""):          false,
			resReq("get", "core", "secrets", ""):        false,
			resReq("get", "example.com", "secrets", ""): false,
		}},
		{"custom group does not match core secrets", rule("get", "example.com", "*", "-", "-"), want{
			resReq("get", "", "secrets", ""):            false,
			resReq("get", "example.com", "secrets", ""): true,
		}},
		{"verbs are case-sensitive and * is the only wildcard", rule("get", "*", "*", "-", "-"), want{
			resReq("get", "", "pods", ""):   true,
			resReq("GET", "", "pods", ""):   false,
			resReq("list", "", "pods", ""):  false,
			resReq("g*", "", "pods", ""):    false,
			resReq("watch", "", "pods", ""): false,
		}},
		{"no verbs allow nothing", rule("-", "*", "*", "-", "*"), want{
			resReq("get", "", "pods", ""): false,
			urlReq("get", "/healthz"):     false,
		}},
		{"a resource rule does not cover non-resource URLs", rule("*", "*", "*", "-", "-"), want{
			urlReq("get", "/healthz"): false,
			urlReq("get", "/"):        false,
		}},
		{"a non-resource rule does not cover resources", rule("*", "-", "-", "-", "*"), want{
			resReq("get", "", "pods", ""): false,
		}},
		{"non-resource prefix: only a trailing star is a wildcard", rule("get", "-", "-", "-", "/healthz,/api/*,/logs*"), want{
			urlReq("get", "/healthz"):       true,
			urlReq("get", "/healthz/ready"): false,
			urlReq("get", "/api/"):          true,
			urlReq("get", "/api"):           false,
			urlReq("get", "/api/v1/pods"):   true,
			urlReq("get", "/logs"):          true,
			urlReq("get", "/logsfoo"):       true,
			urlReq("get", "/metrics"):       false,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for req, want := range tc.want {
				if got := RuleAllows(&tc.rule, &req); got != want {
					t.Errorf("RuleAllows(%s) = %v, want %v", reqString(req), got, want)
				}
			}
		})
	}
}

func TestResourceNameMatches(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		req   string
		want  bool
	}{
		{"no names allow any name", nil, "x", true},
		{"no names allow the empty name", nil, "", true},
		{"listed name", []string{"a", "b"}, "b", true},
		{"unlisted name", []string{"a", "b"}, "c", false},
		// create on a collection, list and watch carry no name: a
		// resourceNames restriction never allows them.
		{"names never allow the empty name", []string{"a"}, "", false},
		{"empty string in the list is a name like any other", []string{""}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rbacv1.PolicyRule{ResourceNames: tc.names}
			if got := ResourceNameMatches(&r, tc.req); got != tc.want {
				t.Errorf("ResourceNameMatches(%q, %q) = %v, want %v", tc.names, tc.req, got, tc.want)
			}
		})
	}
	// Through RuleAllows: a named create of a subresource is restricted,
	// a create of the top-level collection (no name) is not allowed.
	r := rule("create", "", "serviceaccounts/token,pods", "cert-manager", "-")
	for _, tc := range []struct {
		req  Request
		want bool
	}{
		{Request{Verb: "create", ResourceRequest: true, Resource: "serviceaccounts", Subresource: "token", Name: "cert-manager"}, true},
		{Request{Verb: "create", ResourceRequest: true, Resource: "serviceaccounts", Subresource: "token", Name: "other"}, false},
		{Request{Verb: "create", ResourceRequest: true, Resource: "pods"}, false},
	} {
		if got := RuleAllows(&r, &tc.req); got != tc.want {
			t.Errorf("RuleAllows(%s) = %v, want %v", reqString(tc.req), got, tc.want)
		}
	}
}

func TestSubjectAppliesTo(t *testing.T) {
	sa := func(ns, name string) Subject {
		return Subject{Ref: Ref{Kind: KindServiceAccount, Name: name, Namespace: ns}}
	}
	user := func(name string) Subject { return Subject{Ref: Ref{Kind: KindUser, Name: name}} }
	group := func(name string) Subject { return Subject{Ref: Ref{Kind: KindGroup, Name: name}} }
	for _, tc := range []struct {
		name    string
		subject Subject
		user    string
		groups  []string
		want    bool
	}{
		{"user by name", user("alice"), "alice", nil, true},
		{"user other name", user("alice"), "bob", []string{"alice"}, false},
		{"user names are case-sensitive", user("alice"), "Alice", nil, false},
		{"group member", group("devs"), "bob", []string{"x", "devs"}, true},
		{"not a member", group("devs"), "devs", []string{"x"}, false},
		{"system:authenticated group", group("system:authenticated"), "bob", []string{"system:authenticated"}, true},
		{"all service accounts of a namespace", group("system:serviceaccounts:ns1"),
			"system:serviceaccount:ns1:sa", []string{"system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated"}, true},
		{"service account", sa("ns1", "sa"), "system:serviceaccount:ns1:sa", nil, true},
		{"service account other namespace", sa("ns1", "sa"), "system:serviceaccount:ns2:sa", nil, false},
		{"service account as plain user name", sa("ns1", "sa"), "sa", nil, false},
		{"service account without namespace applies to nobody", sa("", "sa"), "system:serviceaccount::sa", nil, false},
		{"unknown kind applies to nobody", Subject{Ref: Ref{Kind: "Robot", Name: "r"}}, "r", []string{"r"}, false},
		// From TestAppliesTo in kubernetes/kubernetes
		// pkg/registry/rbac/validation/rule_test.go.
		{"* user subject name doesn't match all users", user("*"), "foobar", nil, false},
		{"* group subject name doesn't match all groups", group("*"), "foobar", []string{"g"}, false},
		{"system:authenticated matches an authenticated user", group("system:authenticated"), "foobar", []string{"system:authenticated"}, true},
		{"system:unauthenticated matches the anonymous user", group("system:unauthenticated"), "system:anonymous", []string{"system:unauthenticated"}, true},
		{"system:authenticated does not match the anonymous user", group("system:authenticated"), "system:anonymous", []string{"system:unauthenticated"}, false},
		{"service account subject in another namespace than the request", sa("kube-system", "default"), "system:serviceaccount:kube-system:default", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.subject.AppliesTo(tc.user, tc.groups); got != tc.want {
				t.Errorf("%v.AppliesTo(%q, %q) = %v, want %v", tc.subject.Ref, tc.user, tc.groups, got, tc.want)
			}
		})
	}
}

func TestGrantAllows(t *testing.T) {
	all := rule("*", "*", "*", "-", "*")
	for _, tc := range []struct {
		name  string
		scope string
		req   Request
		want  bool
	}{
		{"cluster grant, namespaced request", "", Request{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "ns1"}, true},
		{"cluster grant, cluster-scoped request", "", Request{Verb: "get", ResourceRequest: true, Resource: "nodes"}, true},
		{"cluster grant, non-resource URL", "", urlReq("get", "/healthz"), true},
		{"namespaced grant, same namespace", "ns1", Request{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "ns1"}, true},
		{"namespaced grant, other namespace", "ns1", Request{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "ns2"}, false},
		{"namespaced grant never allows cluster-scoped resources", "ns1", Request{Verb: "get", ResourceRequest: true, Resource: "nodes"}, false},
		{"namespaced grant never allows non-resource URLs", "ns1", urlReq("get", "/healthz"), false},
		// GET /api/v1/namespaces/ns1 is in namespace ns1 for the authorizer.
		{"namespaced grant covers its own Namespace object", "ns1", Request{Verb: "get", ResourceRequest: true, Resource: "namespaces", Name: "ns1", Namespace: "ns1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Grant{Scope: tc.scope, Rule: all}
			if got := g.Allows(&tc.req); got != tc.want {
				t.Errorf("Grant{Scope: %q}.Allows(%s) = %v, want %v", tc.scope, reqString(tc.req), got, tc.want)
			}
		})
	}
}

// authorize answers as the RBAC authorizer would from a resolved graph.
func authorize(g *Graph, user string, groups []string, req Request) bool {
	for i := range g.Grants {
		if g.Grants[i].Subject.AppliesTo(user, groups) && g.Grants[i].Allows(&req) {
			return true
		}
	}
	return false
}

// TestAuthorizer ports TestAuthorizer from kubernetes/kubernetes
// plugin/pkg/auth/authorizer/rbac/rbac_test.go through Resolve, Subject
// and Grant: the whole chain a replay uses.
func TestAuthorizer(t *testing.T) {
	crole := func(name string, rules ...rbacv1.PolicyRule) *Role {
		r := &Role{Ref: Ref{Kind: KindClusterRole, Name: name}}
		for i, pr := range rules {
			r.Rules = append(r.Rules, Rule{PolicyRule: pr, Index: i})
		}
		return r
	}
	subjects := func(list ...string) []Subject {
		var out []Subject
		for _, s := range list {
			kind, name, _ := strings.Cut(s, ":")
			out = append(out, Subject{Ref: Ref{Kind: kind, Name: name}})
		}
		return out
	}
	rb := func(ns, role string, subj ...string) *Binding {
		return &Binding{Ref: Ref{Kind: KindRoleBinding, Name: "rb-" + role, Namespace: ns},
			RoleRef: rbacv1.RoleRef{Kind: KindClusterRole, Name: role}, Subjects: subjects(subj...)}
	}
	crb := func(role string, subj ...string) *Binding {
		return &Binding{Ref: Ref{Kind: KindClusterRoleBinding, Name: "crb-" + role},
			RoleRef: rbacv1.RoleRef{Kind: KindClusterRole, Name: role}, Subjects: subjects(subj...)}
	}
	type attrs struct {
		user   string
		groups string
		req    Request
	}
	res := func(user, groups, verb, resource, sub, ns string) attrs {
		return attrs{user, groups, Request{Verb: verb, ResourceRequest: true, Resource: resource, Subresource: sub, Namespace: ns}}
	}
	url := func(user, groups, verb, path string) attrs { return attrs{user, groups, urlReq(verb, path)} }
	for i, tc := range []struct {
		inv        Inventory
		shouldPass []attrs
		shouldFail []attrs
	}{
		{
			inv: Inventory{
				Roles:    []*Role{crole("admin", rule("*", "*", "*", "-", "*"))},
				Bindings: []*Binding{rb("ns1", "admin", "User:admin", "Group:admins")},
			},
			shouldPass: []attrs{
				res("admin", "", "get", "Pods", "", "ns1"),
				res("admin", "", "watch", "Pods", "", "ns1"),
				res("admin", "group1", "watch", "Foobar", "", "ns1"),
				res("joe", "admins", "watch", "Foobar", "", "ns1"),
				res("joe", "group1,admins", "watch", "Foobar", "", "ns1"),
			},
			shouldFail: []attrs{
				res("admin", "", "GET", "Pods", "", "ns2"),
				res("admin", "", "GET", "Nodes", "", ""),
				res("admin", "admins", "GET", "Pods", "", "ns2"),
				res("admin", "admins", "GET", "Nodes", "", ""),
				// Beyond the upstream table: lower-case verbs fail for the
				// scope alone.
				res("admin", "", "get", "Pods", "", "ns2"),
				res("admin", "", "get", "Nodes", "", ""),
			},
		},
		{
			inv: Inventory{
				Roles: []*Role{
					crole("non-resource-url-getter", rule("get", "-", "-", "-", "/apis")),
					crole("non-resource-url", rule("*", "-", "-", "-", "/apis")),
					crole("non-resource-url-prefix", rule("get", "-", "-", "-", "/apis/*")),
				},
				Bindings: []*Binding{
					crb("non-resource-url-getter", "User:foo", "Group:bar"),
					crb("non-resource-url", "User:admin", "Group:admin"),
					crb("non-resource-url-prefix", "User:prefixed", "Group:prefixed"),
				},
			},
			shouldPass: []attrs{
				url("foo", "", "get", "/apis"),
				url("", "bar", "get", "/apis"),
				url("admin", "", "get", "/apis"),
				url("", "admin", "get", "/apis"),
				url("admin", "", "watch", "/apis"),
				url("", "admin", "watch", "/apis"),
				url("prefixed", "", "get", "/apis/v1"),
				url("", "prefixed", "get", "/apis/v1"),
				url("prefixed", "", "get", "/apis/v1/foobar"),
				url("", "prefixed", "get", "/apis/v1/foorbar"),
			},
			shouldFail: []attrs{
				url("foo", "", "watch", "/apis"),
				url("", "bar", "watch", "/apis"),
				url("foo", "", "get", "/api/v1"),
				url("", "bar", "get", "/api/v1"),
				url("admin", "", "get", "/api/v1"),
				url("", "admin", "get", "/api/v1"),
				url("prefixed", "", "get", "/api/v1"),
				url("", "prefixed", "get", "/api/v1"),
			},
		},
		{
			inv: Inventory{
				Roles:    []*Role{crole("admin", rule("*", "*", "pods", "-", "*"))},
				Bindings: []*Binding{rb("ns1", "admin", "User:admin", "Group:admins")},
			},
			shouldPass: []attrs{res("admin", "", "get", "pods", "", "ns1")},
			shouldFail: []attrs{res("admin", "", "get", "pods", "status", "ns1")},
		},
		{
			inv: Inventory{
				Roles:    []*Role{crole("admin", rule("*", "*", "pods/status", "-", "*"))},
				Bindings: []*Binding{rb("ns1", "admin", "User:admin", "Group:admins")},
			},
			shouldPass: []attrs{res("admin", "", "get", "pods", "status", "ns1")},
			shouldFail: []attrs{res("admin", "", "get", "pods", "", "ns1")},
		},
		{
			inv: Inventory{
				Roles:    []*Role{crole("admin", rule("*", "*", "pods/status", "-", "*"), rule("*", "*", "*/scale", "-", "*"))},
				Bindings: []*Binding{rb("ns1", "admin", "User:admin", "Group:admins")},
			},
			shouldPass: []attrs{
				res("admin", "", "get", "pods", "status", "ns1"),
				res("admin", "", "get", "pods", "scale", "ns1"),
				res("admin", "", "get", "deployments", "scale", "ns1"),
				res("admin", "", "get", "anything", "scale", "ns1"),
			},
			shouldFail: []attrs{res("admin", "", "get", "pods", "", "ns1")},
		},
	} {
		g := Resolve(&tc.inv)
		if len(g.Diagnostics) != 0 {
			t.Errorf("case %d: unexpected diagnostics %v", i, g.Diagnostics)
		}
		groups := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, ",")
		}
		for _, a := range tc.shouldPass {
			if !authorize(g, a.user, groups(a.groups), a.req) {
				t.Errorf("case %d: incorrectly restricted user=%q groups=%q %s", i, a.user, a.groups, reqString(a.req))
			}
		}
		for _, a := range tc.shouldFail {
			if authorize(g, a.user, groups(a.groups), a.req) {
				t.Errorf("case %d: incorrectly passed user=%q groups=%q %s", i, a.user, a.groups, reqString(a.req))
			}
		}
	}
}

// TestResourceNamesNeverAllowUnnamed: the authorizer asks a top-level
// create (a POST to the collection) and a deletecollection without a name,
// so a rule with resourceNames never allows them, whatever its verbs; the
// named requests it does allow include the create a server-side apply
// asks before creating the named object.
func TestResourceNamesNeverAllowUnnamed(t *testing.T) {
	// gatekeeper's rule for its own webhook configuration.
	const vwc = "validatingwebhookconfigurations"
	const arg = "admissionregistration.k8s.io"
	gatekeeper := rule("create,delete,get,list,patch,update,watch", arg, vwc, "gatekeeper-validating-webhook-configuration", "-")
	named := func(verb, group, resource, sub, name string) Request {
		return Request{Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Name: name, Namespace: "ns"}
	}
	for _, tc := range []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		{"POST create of a webhook configuration", gatekeeper, named("create", arg, vwc, "", ""), false},
		{"deletecollection", gatekeeper, named("deletecollection", arg, vwc, "", ""), false},
		{"list without a name selector", gatekeeper, named("list", arg, vwc, "", ""), false},
		{"list with fieldSelector metadata.name", gatekeeper, named("list", arg, vwc, "", "gatekeeper-validating-webhook-configuration"), true},
		{"get the named object", gatekeeper, named("get", arg, vwc, "", "gatekeeper-validating-webhook-configuration"), true},
		{"update another object", gatekeeper, named("update", arg, vwc, "", "other"), false},
		// Server-side apply of a missing object asks patch, then create,
		// of its name: the rule lets gatekeeper create that one object.
		{"server-side apply: patch of the name", gatekeeper, named("patch", arg, vwc, "", "gatekeeper-validating-webhook-configuration"), true},
		{"server-side apply: create of the name", gatekeeper, named("create", arg, vwc, "", "gatekeeper-validating-webhook-configuration"), true},
		{"server-side apply: create of another name", gatekeeper, named("create", arg, vwc, "", "evil"), false},
		{"star verb: create", rule("*", "", "secrets", "a,b", "-"), named("create", "", "secrets", "", ""), false},
		{"star verb: deletecollection", rule("*", "", "secrets", "a,b", "-"), named("deletecollection", "", "secrets", "", ""), false},
		{"star verb: delete of a listed name", rule("*", "", "secrets", "a,b", "-"), named("delete", "", "secrets", "", "b"), true},
		{"star resource: create", rule("create", "*", "*", "a", "-"), named("create", "apps", "deployments", "", ""), false},
		// A subresource create is asked with the parent's name.
		{"token for a listed ServiceAccount", rule("create", "", "serviceaccounts/token", "builder", "-"), named("create", "", "serviceaccounts", "token", "builder"), true},
		{"token for another ServiceAccount", rule("create", "", "serviceaccounts/token", "builder", "-"), named("create", "", "serviceaccounts", "token", "admin"), false},
		{"exec into a listed pod", rule("create", "", "pods/exec", "debug", "-"), named("create", "", "pods", "exec", "debug"), true},
		// Kubernetes compares names literally: "" in the list matches the
		// empty name, so this rule does allow POST create.
		{`resourceNames [""] allows the unnamed create`, rule("create", "", "configmaps", "", "-"), named("create", "", "configmaps", "", ""), true},
		{"no resourceNames: create", rule("create", "", "configmaps", "-", "-"), named("create", "", "configmaps", "", ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleAllows(&tc.rule, &tc.req); got != tc.want {
				t.Errorf("RuleAllows(%v, %s) = %v, want %v", tc.rule, reqString(tc.req), got, tc.want)
			}
		})
	}
	if len(rule("create", "", "configmaps", "", "-").ResourceNames) != 1 {
		t.Fatal(`rule helper: "" must be one empty name`)
	}
}

func TestUnnamed(t *testing.T) {
	for _, tc := range []struct {
		verb, sub string
		want      bool
	}{
		{"create", "", true},
		{"deletecollection", "", true},
		{"create", "token", false},
		{"create", "exec", false},
		{"create", "eviction", false},
		{"get", "", false},
		{"list", "", false}, // named by a metadata.name fieldSelector
		{"delete", "", false},
		{"patch", "", false},
		{"*", "", false},
	} {
		if got := Unnamed(tc.verb, tc.sub); got != tc.want {
			t.Errorf("Unnamed(%q, %q) = %v, want %v", tc.verb, tc.sub, got, tc.want)
		}
	}
}

func TestCreateOnUpdate(t *testing.T) {
	for _, tc := range []struct {
		group, resource string
		want            bool
	}{
		{"", "services", true},
		{"", "endpoints", true},
		{"", "events", true},
		{"events.k8s.io", "events", true},
		{"coordination.k8s.io", "leases", true},
		{"rbac.authorization.k8s.io", "clusterrolebindings", true},
		{"node.k8s.io", "runtimeclasses", true},
		{"", "pods", false},
		{"", "secrets", false},
		{"", "configmaps", false},
		{"apps", "deployments", false},
		{"admissionregistration.k8s.io", "validatingwebhookconfigurations", false},
		{"apiextensions.k8s.io", "customresourcedefinitions", false},
		{"rbac.authorization.k8s.io", "services", false},
	} {
		if got := CreateOnUpdate(tc.group, tc.resource); got != tc.want {
			t.Errorf("CreateOnUpdate(%q, %q) = %v, want %v", tc.group, tc.resource, got, tc.want)
		}
	}
}

// rulesFor lists the rules that apply to a user in a namespace ("" for
// cluster scope): the RuleResolver's RulesFor, from the graph's grants.
func rulesFor(g *Graph, user string, groups []string, namespace string) []string {
	var out []string
	for _, gr := range g.Grants {
		if gr.Subject.AppliesTo(user, groups) && (gr.Scope == "" || gr.Scope == namespace) {
			out = append(out, ruleString(gr.Rule))
		}
	}
	return out
}

// TestRulesFor ports TestDefaultRuleResolver from kubernetes/kubernetes
// pkg/registry/rbac/validation/rule_test.go: which rules apply to a user
// in a namespace.
func TestRulesFor(t *testing.T) {
	readPods := rule("GET,WATCH", "v1", "pods", "-", "-")
	readServices := rule("GET,WATCH", "v1", "services", "-", "-")
	writeNodes := rule("PUT,CREATE,UPDATE", "v1", "nodes", "-", "-")
	admin := rule("*", "*", "*", "-", "-")
	inv := &Inventory{
		Roles: []*Role{
			{Ref: Ref{Kind: KindRole, Name: "readthings", Namespace: "namespace1"}, Rules: []Rule{{PolicyRule: readPods}, {PolicyRule: readServices, Index: 1}}},
			{Ref: Ref{Kind: KindClusterRole, Name: "cluster-admin"}, Rules: []Rule{{PolicyRule: admin}}},
			{Ref: Ref{Kind: KindClusterRole, Name: "write-nodes"}, Rules: []Rule{{PolicyRule: writeNodes}}},
		},
		Bindings: []*Binding{
			{Ref: Ref{Kind: KindRoleBinding, Name: "rb", Namespace: "namespace1"}, RoleRef: rbacv1.RoleRef{Kind: KindRole, Name: "readthings"},
				Subjects: []Subject{{Ref: Ref{Kind: KindUser, Name: "foobar"}}, {Ref: Ref{Kind: KindGroup, Name: "group1"}}}},
			{Ref: Ref{Kind: KindClusterRoleBinding, Name: "crb"}, RoleRef: rbacv1.RoleRef{Kind: KindClusterRole, Name: "cluster-admin"},
				Subjects: []Subject{{Ref: Ref{Kind: KindUser, Name: "admin"}}, {Ref: Ref{Kind: KindGroup, Name: "admin"}}}},
		},
	}
	g := Resolve(inv)
	for _, tc := range []struct {
		name      string
		user      string
		groups    []string
		namespace string
		want      []string
	}{
		{"namespaced role in its namespace", "foobar", nil, "namespace1", []string{ruleString(readPods), ruleString(readServices)}},
		{"namespaced role in another namespace", "foobar", nil, "namespace2", nil},
		{"cluster scope: cluster rules only", "foobar", []string{"admin"}, "", []string{ruleString(admin)}},
		{"nobody", "", nil, "", nil},
		// Beyond the upstream table: group membership in the namespace.
		{"group member in the namespace", "x", []string{"group1"}, "namespace1", []string{ruleString(readPods), ruleString(readServices)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rulesFor(g, tc.user, tc.groups, tc.namespace)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("rules = %q, want %q", got, tc.want)
			}
		})
	}
	// The upstream rules use upper-case verbs and group "v1": they match
	// nothing a real request asks.
	if authorize(g, "foobar", nil, Request{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "namespace1"}) {
		t.Error(`verbs are case-sensitive: "GET" allowed get`)
	}
}

// TestAllowedSubjects ports TestSubjectLocator from kubernetes/kubernetes
// plugin/pkg/auth/authorizer/rbac/subject_locator_test.go (without the
// super user and system:masters, which are not RBAC): the subjects whose
// grants allow a request.
func TestAllowedSubjects(t *testing.T) {
	crole := func(name string, rules ...rbacv1.PolicyRule) *Role {
		r := &Role{Ref: Ref{Kind: KindClusterRole, Name: name}}
		for i, pr := range rules {
			r.Rules = append(r.Rules, Rule{PolicyRule: pr, Index: i})
		}
		return r
	}
	role := func(ns, name string, rules ...rbacv1.PolicyRule) *Role {
		r := crole(name, rules...)
		r.Ref = Ref{Kind: KindRole, Name: name, Namespace: ns}
		return r
	}
	subjects := []Subject{{Ref: Ref{Kind: KindUser, Name: "admin"}}, {Ref: Ref{Kind: KindGroup, Name: "admins"}}}
	super := []Subject{{Ref: Ref{Kind: KindUser, Name: "super-admin"}}, {Ref: Ref{Kind: KindGroup, Name: "super-admins"}}}
	crb := &Binding{Ref: Ref{Kind: KindClusterRoleBinding, Name: "crb"}, RoleRef: rbacv1.RoleRef{Kind: KindClusterRole, Name: "admin"}, Subjects: super}
	allowed := func(g *Graph, req Request) []string {
		var out []string
		for _, gr := range g.Grants {
			if gr.Allows(&req) && !slices.Contains(out, gr.Subject.Ref.String()) {
				out = append(out, gr.Subject.Ref.String())
			}
		}
		slices.Sort(out)
		return out
	}
	res := func(verb, ns string) Request {
		return Request{Verb: verb, ResourceRequest: true, Resource: "Pods", Namespace: ns}
	}
	superNames := []string{"Group/super-admins", "User/super-admin"}
	all := []string{"Group/admins", "Group/super-admins", "User/admin", "User/super-admin"}

	// "no super user, star matches star"
	g := Resolve(&Inventory{
		Roles: []*Role{crole("admin", rule("*", "*", "*", "-", "*"))},
		Bindings: []*Binding{crb, {Ref: Ref{Kind: KindRoleBinding, Name: "rb", Namespace: "ns1"},
			RoleRef: rbacv1.RoleRef{Kind: KindClusterRole, Name: "admin"}, Subjects: subjects}},
	})
	for _, tc := range []struct {
		req  Request
		want []string
	}{
		{res("get", "ns1"), all},
		{res("*", "*"), superNames}, // a cluster role matches star in namespace
		{res("*", ""), superNames},  // empty namespace
	} {
		if got := allowed(g, tc.req); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("star: %s: subjects %v, want %v", reqString(tc.req), got, tc.want)
		}
	}

	// "super user, local roles work"
	g = Resolve(&Inventory{
		Roles: []*Role{crole("admin", rule("*", "*", "*", "-", "*")), role("ns1", "admin", rule("get", "*", "Pods", "-", "*"))},
		Bindings: []*Binding{crb, {Ref: Ref{Kind: KindRoleBinding, Name: "rb", Namespace: "ns1"},
			RoleRef: rbacv1.RoleRef{Kind: KindRole, Name: "admin"}, Subjects: subjects}},
	})
	for _, tc := range []struct {
		req  Request
		want []string
	}{
		{res("get", "ns1"), all},
		{res("create", "ns1"), superNames}, // verb matches correctly
		{res("get", "ns2"), superNames},    // binding only works in its namespace
	} {
		if got := allowed(g, tc.req); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("local: %s: subjects %v, want %v", reqString(tc.req), got, tc.want)
		}
	}
}
