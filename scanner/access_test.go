package scanner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestParseSubject(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Ref
		err  bool
	}{
		{in: "ServiceAccount:ci/deployer", want: Ref{Kind: KindServiceAccount, Namespace: "ci", Name: "deployer"}},
		{in: "sa:ci/deployer", want: Ref{Kind: KindServiceAccount, Namespace: "ci", Name: "deployer"}},
		{in: "system:serviceaccount:ci:deployer", want: Ref{Kind: KindServiceAccount, Namespace: "ci", Name: "deployer"}},
		{in: "User:alice@example.com", want: Ref{Kind: KindUser, Name: "alice@example.com"}},
		{in: "user:system:node:n1", want: Ref{Kind: KindUser, Name: "system:node:n1"}},
		{in: "Group:system:masters", want: Ref{Kind: KindGroup, Name: "system:masters"}},
		{in: "alice", err: true},
		{in: "ServiceAccount:deployer", err: true},
		{in: "ServiceAccount:ci/a/b", err: true},
		{in: "system:serviceaccount:ci", err: true},
		{in: "Robot:x", err: true},
		{in: "User:", err: true},
	} {
		got, err := ParseSubject(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestNewIdentity(t *testing.T) {
	for _, tc := range []struct {
		subject Ref
		extra   []string
		user    string
		groups  []string
	}{
		{Ref{Kind: KindServiceAccount, Namespace: "ci", Name: "d"}, nil, "system:serviceaccount:ci:d",
			[]string{"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:ci"}},
		{Ref{Kind: KindUser, Name: "alice"}, []string{"devs", "system:authenticated"}, "alice", []string{"devs", "system:authenticated"}},
		{Ref{Kind: KindUser, Name: "system:anonymous"}, nil, "system:anonymous", []string{"system:unauthenticated"}},
		{Ref{Kind: KindUser, Name: "system:node:n1"}, nil, "system:node:n1", []string{"system:authenticated", "system:nodes"}},
		{Ref{Kind: KindGroup, Name: "devs"}, nil, "", []string{"devs"}},
	} {
		id := NewIdentity(tc.subject, tc.extra...)
		if id.User != tc.user || !slices.Equal(id.Groups, tc.groups) {
			t.Errorf("NewIdentity(%v) = %q %v, want %q %v", tc.subject, id.User, id.Groups, tc.user, tc.groups)
		}
	}
}

// accessGraphs are the inputs the who-can and can tests run on: the demo,
// and gen.py's small data when it is there.
func accessGraphs(t *testing.T) map[string]*Graph {
	t.Helper()
	out := map[string]*Graph{}
	load := func(name, path string) {
		inv, err := LoadManifests([]string{path}, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = Resolve(inv)
	}
	load("demo", filepath.Join(repoRoot, "testdata", "demo", "manifests"))
	if _, err := os.Stat(filepath.Join(benchSmall(), "manifests", "all.yaml")); err == nil {
		load("gen.py small", filepath.Join(benchSmall(), "manifests", "all.yaml"))
	} else {
		t.Logf("gen.py small data not found (%v): demo only", err)
	}
	return out
}

func benchSmall() string {
	if d := os.Getenv("KUBEGRANT_BENCH_SMALL"); d != "" {
		return d
	}
	return "/tmp/bench-data/small"
}

// accessRequests are the requests the tests ask about every identity:
// risky and plain verbs on a spread of resources, in every namespace of the
// graph, by name where rules restrict names.
func accessRequests(g *Graph) []Request {
	namespaces := []string{""}
	names := []string{""}
	for _, gr := range g.Grants {
		for _, ns := range []string{gr.Scope, gr.Subject.Namespace} {
			if ns != "" && !slices.Contains(namespaces, ns) && len(namespaces) < 6 {
				namespaces = append(namespaces, ns)
			}
		}
		for _, n := range gr.Rule.ResourceNames {
			if !slices.Contains(names, n) && len(names) < 4 {
				names = append(names, n)
			}
		}
	}
	type res struct{ group, resource, sub string }
	resources := []res{
		{"", "secrets", ""}, {"", "pods", ""}, {"", "pods", "exec"}, {"", "pods", "attach"}, {"", "pods", "log"},
		{"", "serviceaccounts", "token"}, {"", "configmaps", ""}, {"", "namespaces", ""}, {"", "nodes", "proxy"},
		{"", "users", ""}, {"", "groups", ""}, {"", "serviceaccounts", ""}, {"apps", "deployments", ""},
		{"rbac.authorization.k8s.io", "roles", ""}, {"rbac.authorization.k8s.io", "clusterroles", ""},
		{"rbac.authorization.k8s.io", "rolebindings", ""},
	}
	var out []Request
	for _, verb := range []string{"get", "list", "watch", "create", "patch", "delete", "escalate", "bind", "impersonate"} {
		for _, r := range resources {
			for _, ns := range namespaces {
				for _, n := range names {
					out = append(out, Request{Verb: verb, ResourceRequest: true, APIGroup: r.group, Resource: r.resource,
						Subresource: r.sub, Namespace: ns, Name: n})
				}
			}
		}
	}
	for _, p := range []string{"/metrics", "/healthz", "/api"} {
		out = append(out, Request{Verb: "get", Path: p})
	}
	return out
}

// testIdentities enumerates the identities of a graph independently of
// knownIdentities: every User and ServiceAccount subject and every
// ServiceAccount object.
func testIdentities(g *Graph) []Ref {
	seen := map[Ref]bool{}
	for _, gr := range g.Grants {
		if gr.Subject.Kind != KindGroup {
			seen[gr.Subject.Ref] = true
		}
	}
	for _, o := range g.Objects {
		if o.Kind == "ServiceAccount" {
			seen[Ref{Kind: KindServiceAccount, Namespace: o.Namespace, Name: o.Name}] = true
		}
	}
	var out []Ref
	for r := range seen {
		out = append(out, r)
	}
	slices.SortFunc(out, compareSubject)
	return out
}

// matcher answers grant by grant: some grant whose subject applies to the
// identity (Subject.AppliesTo, the authorizer's appliesToUser) allows the
// request (Grant.Allows: RuleAllows and the scope). The grants that apply
// to each identity are found once.
type matcher struct {
	g       *Graph
	applies map[Ref][]*Grant
}

func newMatcher(g *Graph, ids []Ref) *matcher {
	m := &matcher{g: g, applies: map[Ref][]*Grant{}}
	for _, ref := range ids {
		id := NewIdentity(ref)
		for i := range g.Grants {
			if g.Grants[i].Subject.AppliesTo(id.User, id.Groups) {
				m.applies[ref] = append(m.applies[ref], &g.Grants[i])
			}
		}
	}
	return m
}

func (m *matcher) allows(ref Ref, req *Request) bool {
	for _, gr := range m.applies[ref] {
		if gr.Allows(req) {
			return true
		}
	}
	return false
}

// TestWhoCanAgainstMatcher: for every request and identity, who-can lists
// the identity exactly when the matcher allows it the request, and every
// grant it shows allows the request.
func TestWhoCanAgainstMatcher(t *testing.T) {
	for name, g := range accessGraphs(t) {
		t.Run(name, func(t *testing.T) {
			ids := testIdentities(g)
			m := newMatcher(g, ids)
			reqs := accessRequests(g)
			allowedPairs := 0
			for i := range reqs {
				req := &reqs[i]
				res := WhoCan(g, *req, false)
				listed := map[Ref]bool{}
				for _, a := range res.Identities {
					listed[a.Identity] = true
				}
				for _, a := range res.Subjects {
					for _, gr := range a.Grants {
						if !gr.Allows(req) || gr.Subject.Ref != a.Subject {
							t.Fatalf("%+v: grant %v of %v does not allow it", *req, gr.Binding, a.Subject)
						}
					}
				}
				for _, ref := range ids {
					want := m.allows(ref, req)
					if want != listed[ref] {
						t.Fatalf("%+v: %v: matcher says %v, who-can says %v", *req, ref, want, listed[ref])
					}
					if want {
						allowedPairs++
					}
				}
			}
			if allowedPairs == 0 {
				t.Fatal("no identity allowed any request: the test proves nothing")
			}
			t.Logf("%d requests × %d identities, %d allowed", len(reqs), len(ids), allowedPairs)
		})
	}
}

// TestWhoCanAnyNamespace: asking in every namespace at once gives the
// union of asking in each.
func TestWhoCanAnyNamespace(t *testing.T) {
	for name, g := range accessGraphs(t) {
		t.Run(name, func(t *testing.T) {
			namespaces := []string{}
			for _, gr := range g.Grants {
				if gr.Scope != "" && !slices.Contains(namespaces, gr.Scope) {
					namespaces = append(namespaces, gr.Scope)
				}
			}
			for _, req := range []Request{
				{Verb: "get", ResourceRequest: true, Resource: "secrets"},
				{Verb: "create", ResourceRequest: true, Resource: "pods", Subresource: "exec"},
				{Verb: "list", ResourceRequest: true, Resource: "pods"},
			} {
				any := subjectsOf(WhoCan(g, req, true))
				union := map[Ref]bool{}
				for _, ns := range append(namespaces, "some-other-namespace") {
					r := req
					r.Namespace = ns
					for s := range subjectsOf(WhoCan(g, r, false)) {
						union[s] = true
					}
				}
				if diff := cmp.Diff(union, any); diff != "" {
					t.Errorf("%+v: any namespace vs union of namespaces (-union +any):\n%s", req, diff)
				}
			}
		})
	}
}

func subjectsOf(res *WhoCanResult) map[Ref]bool {
	out := map[Ref]bool{}
	for _, a := range res.Subjects {
		out[a.Subject] = true
	}
	return out
}

// TestCanAgainstMatcher: the grants can lists for an identity allow a
// request exactly when the matcher allows it, and -n keeps exactly the
// grants effective in the namespace.
func TestCanAgainstMatcher(t *testing.T) {
	for name, g := range accessGraphs(t) {
		t.Run(name, func(t *testing.T) {
			reqs := accessRequests(g)
			ids := testIdentities(g)
			m := newMatcher(g, ids)
			for _, ref := range ids {
				id := NewIdentity(ref)
				grants := Can(g, id, "")
				byNS := map[string][]*Grant{}
				for i := range reqs {
					req := &reqs[i]
					got := false
					for _, gr := range grants {
						if gr.Allows(req) {
							got = true
							break
						}
					}
					if want := m.allows(ref, req); got != want {
						t.Fatalf("%v %+v: matcher says %v, can's grants say %v", ref, *req, want, got)
					}
					if req.Namespace == "" || !req.ResourceRequest {
						continue
					}
					if _, ok := byNS[req.Namespace]; !ok {
						byNS[req.Namespace] = Can(g, id, req.Namespace)
					}
					inNS := false
					for _, gr := range byNS[req.Namespace] {
						if gr.Allows(req) {
							inNS = true
							break
						}
					}
					if inNS != got {
						t.Fatalf("%v %+v: can -n %s says %v, can says %v", ref, *req, req.Namespace, inNS, got)
					}
				}
			}
		})
	}
}

// TestWhoCanGroundTruth checks who-can against gen.py's ground truth, which
// its own matcher computed: the subject of every risky grant is allowed a
// request of the grant's category, in the grant's scope.
func TestWhoCanGroundTruth(t *testing.T) {
	dir := benchSmall()
	data, err := os.ReadFile(filepath.Join(dir, "truth", "ground-truth.json"))
	if err != nil {
		t.Skipf("no gen.py small data (%v)", err)
	}
	var truth struct {
		RiskyGrants []struct {
			ID                  string
			Subject             Ref
			Rule                rbacv1.PolicyRule
			Scope               string
			EffectiveCategories []string
		}
	}
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatal(err)
	}
	g := accessGraphs(t)["gen.py small"]
	if g == nil {
		t.Skip("no gen.py small manifests")
	}
	// Requests that make up each category, as gen.py defines them.
	category := map[string][]Request{
		"secrets-read": {{Verb: "get", Resource: "secrets"}, {Verb: "list", Resource: "secrets"}, {Verb: "watch", Resource: "secrets"}},
		"sa-token":     {{Verb: "create", Resource: "serviceaccounts", Subresource: "token"}},
		"pods-exec": {{Verb: "create", Resource: "pods", Subresource: "exec"}, {Verb: "get", Resource: "pods", Subresource: "exec"},
			{Verb: "create", Resource: "pods", Subresource: "attach"}, {Verb: "get", Resource: "pods", Subresource: "attach"}},
		"nodes-proxy": {{Verb: "get", Resource: "nodes", Subresource: "proxy"}, {Verb: "create", Resource: "nodes", Subresource: "proxy"}},
		"escalate":    {{Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "roles"}, {Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "clusterroles"}},
		"bind":        {{Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "roles"}, {Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "clusterroles"}},
		"impersonate": {{Verb: "impersonate", Resource: "users"}, {Verb: "impersonate", Resource: "groups"}, {Verb: "impersonate", Resource: "serviceaccounts"}},
	}
	checked := 0
	for _, rg := range truth.RiskyGrants {
		for _, c := range rg.EffectiveCategories {
			reqs, ok := category[c]
			if !ok {
				continue
			}
			found := false
			for _, base := range reqs {
				names := append([]string{""}, rg.Rule.ResourceNames...)
				for _, n := range names {
					req := base
					req.ResourceRequest = true
					req.Name = n
					anyNS := rg.Scope == "*cluster*"
					if !anyNS {
						req.Namespace = rg.Scope
					}
					if subjectsOf(WhoCan(g, req, anyNS))[Ref{Kind: rg.Subject.Kind, Name: rg.Subject.Name, Namespace: rg.Subject.Namespace}] {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s (%s): %v is not among who-can's subjects", rg.ID, c, rg.Subject)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no risky grant checked")
	}
	t.Logf("%d (risky grant, category) pairs found by who-can", checked)
}

func TestWhoCanDemo(t *testing.T) {
	g := accessGraphs(t)["demo"]
	res := WhoCan(g, Request{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "kube-system"}, false)
	var got []string
	for _, a := range res.Subjects {
		got = append(got, a.Subject.String())
	}
	want := []string{"Group/system:masters", "Group/payments-oncall", "Group/platform-admins"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("who can get secrets in kube-system (-want +got):\n%s", diff)
	}
	// Listing namespaces is open to every authenticated identity: the
	// group expands to the identities of the input, and anonymous is not
	// among them.
	res = WhoCan(g, Request{Verb: "list", ResourceRequest: true, Resource: "namespaces"}, false)
	got = nil
	for _, a := range res.Identities {
		got = append(got, a.Identity.String())
	}
	want = []string{
		"ServiceAccount/ci/default", "ServiceAccount/ci/deployer", "ServiceAccount/kube-system/rbac-operator",
		"ServiceAccount/monitoring/default", "ServiceAccount/monitoring/prometheus", "ServiceAccount/payments/default",
		"ServiceAccount/payments/payments-api", "User/support@example.com",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("identities that can list namespaces (-want +got):\n%s", diff)
	}
}
