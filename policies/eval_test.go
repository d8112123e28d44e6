package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// graphBuilder builds Graphs the way the resolver flattens them: for each
// binding, each subject × each rule of the role, with file and line sources.
type graphBuilder struct {
	g     scanner.Graph
	line  int
	roles map[scanner.Ref]*scanner.Role
}

func newGraph() *graphBuilder {
	return &graphBuilder{roles: map[scanner.Ref]*scanner.Role{}}
}

func (b *graphBuilder) src() scanner.Source {
	b.line++
	return scanner.Source{File: "rbac.yaml", Line: b.line}
}

func (b *graphBuilder) role(kind, ns, name string, rules ...rbacv1.PolicyRule) scanner.Ref {
	ref := scanner.Ref{Kind: kind, Name: name, Namespace: ns}
	r := &scanner.Role{Ref: ref, Source: b.src()}
	for i, pr := range rules {
		r.Rules = append(r.Rules, scanner.Rule{PolicyRule: pr, Index: i, Source: b.src()})
	}
	b.roles[ref] = r
	b.g.Roles = append(b.g.Roles, r)
	return ref
}

// bind adds a binding (a RoleBinding when ns is set) and its grants.
func (b *graphBuilder) bind(ns, name string, role scanner.Ref, subjects ...scanner.Ref) *scanner.Binding {
	kind := scanner.KindClusterRoleBinding
	if ns != "" {
		kind = scanner.KindRoleBinding
	}
	bd := &scanner.Binding{
		Ref:     scanner.Ref{Kind: kind, Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: role.Kind, Name: role.Name},
		Source:  b.src(),
	}
	for _, s := range subjects {
		bd.Subjects = append(bd.Subjects, scanner.Subject{Ref: s, Source: b.src()})
	}
	b.g.Bindings = append(b.g.Bindings, bd)
	r := b.roles[role]
	if r == nil {
		return bd // dangling roleRef: no grants
	}
	for _, s := range bd.Subjects {
		for _, rule := range r.Rules {
			b.g.Grants = append(b.g.Grants, scanner.Grant{
				Subject: s, Binding: bd.Ref, BindingSource: bd.Source,
				Role: role, Scope: ns, Rule: rule.PolicyRule, RuleSource: rule.Source,
			})
		}
	}
	return bd
}

func user(name string) scanner.Ref { return scanner.Ref{Kind: scanner.KindUser, Name: name} }

func sa(ns, name string) scanner.Ref {
	return scanner.Ref{Kind: scanner.KindServiceAccount, Name: name, Namespace: ns}
}

func rule(groups, resources, verbs []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
}

var (
	core = []string{""}
	rbac = []string{rbacv1.GroupName}
)

// l builds a string list; l() is empty, not nil, as in the JSON contract.
func l(s ...string) []string { return append([]string{}, s...) }

// brief is what most cases compare: enough to pin rule, severity, fan-out
// and location.
type brief struct {
	Rule, Severity, Subject, Scope, Location string
}

// briefs renders findings sorted: Eval's order is deterministic but
// unspecified (reports.Finalize sorts the report).
func briefs(fs []reports.Finding) []brief {
	out := []brief{}
	for _, f := range fs {
		out = append(out, brief{f.RuleID, string(f.Severity), f.Subject.String(), f.Scope, f.Location.String()})
	}
	slices.SortStableFunc(out, func(a, b brief) int {
		return strings.Compare(a.Rule+"\x00"+a.Subject+"\x00"+a.Scope, b.Rule+"\x00"+b.Subject+"\x00"+b.Scope)
	})
	return out
}

func engine(t testing.TB) *Engine {
	t.Helper()
	e, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvalCases(t *testing.T) {
	e := engine(t)
	for _, tc := range []struct {
		name  string
		graph func() *scanner.Graph
		want  []brief
	}{
		{
			name:  "empty graph",
			graph: func() *scanner.Graph { return &scanner.Graph{} },
			want:  []brief{},
		},
		{
			name: "fan-out per subject, location is the rule line",
			graph: func() *scanner.Graph {
				b := newGraph() // role line 1, rules 2 and 3
				r := b.role(scanner.KindClusterRole, "", "minter",
					rule(core, l("pods"), l("get")),
					rule(core, l("serviceaccounts/token"), l("create")))
				b.bind("", "crb", r, user("alice"), sa("ci", "deployer"))
				return &b.g
			},
			want: []brief{
				{"KG011", "critical", "ServiceAccount/ci/deployer", "", "rbac.yaml:3"},
				{"KG011", "critical", "User/alice", "", "rbac.yaml:3"},
			},
		},
		{
			name: "scope: RoleBinding confines nodes/proxy to nothing, privileged namespace raises exec",
			graph: func() *scanner.Graph {
				b := newGraph()
				r := b.role(scanner.KindClusterRole, "", "ops",
					rule(core, l("nodes/proxy"), l("*")),
					rule(core, l("pods/exec"), l("create")))
				b.bind("team-a", "rb-a", r, user("alice"))
				b.bind("kube-system", "rb-sys", r, user("bob"))
				b.bind("", "crb", r, user("carol"))
				return &b.g
			},
			want: []brief{
				{"KG007", "medium", "User/alice", "team-a", "rbac.yaml:2"},
				{"KG007", "medium", "User/bob", "kube-system", "rbac.yaml:2"},
				{"KG007", "medium", "User/carol", "", "rbac.yaml:2"},
				{"KG020", "high", "User/alice", "team-a", "rbac.yaml:3"},
				{"KG020", "critical", "User/bob", "kube-system", "rbac.yaml:3"},
				{"KG020", "critical", "User/carol", "", "rbac.yaml:3"},
				{"KG024", "critical", "User/carol", "", "rbac.yaml:2"},
			},
		},
		{
			name: "bind: bind plus RoleBindings is admin of the namespace; bind alone stays high",
			graph: func() *scanner.Graph {
				b := newGraph()
				binder := b.role(scanner.KindClusterRole, "", "binder", rule(rbac, l("clusterroles"), l("bind")))
				writer := b.role(scanner.KindRole, "team-a", "writer", rule(rbac, l("rolebindings"), l("create")))
				b.bind("team-a", "bind", binder, user("alice"), user("bob"))
				b.bind("team-a", "write", writer, user("bob"))
				return &b.g
			},
			want: []brief{
				{"KG028", "high", "User/alice", "team-a", "rbac.yaml:2"},
				{"KG028", "high", "User/bob", "team-a", "rbac.yaml:2"},
				{"KG029", "high", "User/bob", "team-a", "rbac.yaml:4"},
			},
		},
		{
			name: "anonymous binding: one finding per anonymous subject, at the subject entry, even unresolved",
			graph: func() *scanner.Graph {
				b := newGraph()
				// Binding line 1, subjects 2..4; the role does not exist.
				b.bind("", "oops", scanner.Ref{Kind: scanner.KindClusterRole, Name: "missing"},
					user("alice"), user("system:anonymous"), scanner.Ref{Kind: scanner.KindGroup, Name: "system:unauthenticated"})
				b.bind("", "public", scanner.Ref{Kind: scanner.KindClusterRole, Name: "system:public-info-viewer"},
					scanner.Ref{Kind: scanner.KindGroup, Name: "system:unauthenticated"})
				return &b.g
			},
			want: []brief{
				{"KG052", "critical", "Group/system:unauthenticated", "", "rbac.yaml:4"},
				{"KG052", "critical", "User/system:anonymous", "", "rbac.yaml:3"},
			},
		},
		{
			name: "custom group never matches core secrets; secrets names restrict get",
			graph: func() *scanner.Graph {
				b := newGraph()
				r := b.role(scanner.KindRole, "team-a", "r",
					rule(l("example.com"), l("secrets"), l("get", "list")),
					rule(core, l("secrets"), l("get"), "db"))
				b.bind("team-a", "rb", r, sa("team-a", "app"))
				return &b.g
			},
			want: []brief{
				{"KG008", "low", "ServiceAccount/team-a/app", "team-a", "rbac.yaml:3"},
			},
		},
		{
			name: "identical rules twice for one subject are one finding with two grants",
			graph: func() *scanner.Graph {
				b := newGraph()
				b.g.Bindings = nil
				bd := scanner.Ref{Kind: scanner.KindClusterRoleBinding, Name: "crb"}
				g := scanner.Grant{
					Subject: scanner.Subject{Ref: user("alice")}, Binding: bd,
					Role: scanner.Ref{Kind: scanner.KindClusterRole, Name: "r"},
					Rule: rule(core, l("secrets"), l("list")), BindingSource: scanner.Source{Cluster: "ClusterRoleBinding/crb"},
				}
				b.g.Grants = []scanner.Grant{g, g}
				return &b.g
			},
			want: []brief{
				{"KG009", "critical", "User/alice", "", "ClusterRoleBinding/crb"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Eval(context.Background(), tc.graph())
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("Eval returned a nil slice")
			}
			if diff := cmp.Diff(tc.want, briefs(got.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvalFindingFields pins every field of a grant-level and a
// binding-level finding: refs, rule, related locations, Grant pointer.
func TestEvalFindingFields(t *testing.T) {
	b := newGraph()
	agg := b.role(scanner.KindClusterRole, "", "token-part", rule(core, l("serviceaccounts/token"), l("create"))) // lines 1, 2
	parent := scanner.Ref{Kind: scanner.KindClusterRole, Name: "aggregate"}
	bd := b.bind("", "crb", agg, sa("ci", "deployer")) // binding 3, subject 4
	// Re-point the grant as if it came through aggregation into "aggregate".
	b.g.Grants[0].Role = parent
	b.g.Grants[0].AggregatedFrom = &agg
	anon := b.bind("dev", "anon", scanner.Ref{Kind: scanner.KindRole, Name: "reader"}, user("system:anonymous")) // 5, 6
	g := &b.g

	res, err := engine(t).Eval(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Findings
	want := []reports.Finding{
		{
			RuleID: "KG011", Severity: reports.Critical, Kind: reports.KindGrant,
			Message:  "can mint a token for any ServiceAccount in every namespace and act as it",
			Subject:  &scanner.Ref{Kind: "ServiceAccount", Name: "deployer", Namespace: "ci"},
			Binding:  &bd.Ref,
			Role:     &parent,
			Scope:    "",
			Rule:     &reports.PolicyRule{APIGroups: l(""), Resources: l("serviceaccounts/token"), Verbs: l("create"), ResourceNames: l(), NonResourceURLs: l()},
			Location: scanner.Source{File: "rbac.yaml", Line: 2},
			RelatedLocations: []reports.RelatedLocation{
				{Message: `binding ClusterRoleBinding "crb"`, Location: scanner.Source{File: "rbac.yaml", Line: 3}},
				{Message: `subject ServiceAccount "ci/deployer"`, Location: scanner.Source{File: "rbac.yaml", Line: 4}},
				{Message: `aggregated from ClusterRole "token-part"`, Location: scanner.Source{File: "rbac.yaml", Line: 1}},
			},
			GrantRefs: []reports.GrantRef{{
				Binding: bd.Ref, Role: parent,
				Rule:     &reports.PolicyRule{APIGroups: l(""), Resources: l("serviceaccounts/token"), Verbs: l("create"), ResourceNames: l(), NonResourceURLs: l()},
				Location: scanner.Source{File: "rbac.yaml", Line: 2},
			}},
			Grants: []*scanner.Grant{&g.Grants[0]},
		},
		{
			RuleID: "KG052", Severity: reports.Critical, Kind: reports.KindGrant,
			Message:  `RoleBinding anon binds Role "reader" to User "system:anonymous": anyone who reaches the API server holds it`,
			Subject:  &scanner.Ref{Kind: "User", Name: "system:anonymous"},
			Binding:  &anon.Ref,
			Role:     &scanner.Ref{Kind: "Role", Name: "reader", Namespace: "dev"},
			Scope:    "dev",
			Location: scanner.Source{File: "rbac.yaml", Line: 6},
			RelatedLocations: []reports.RelatedLocation{
				{Message: `binding RoleBinding "dev/anon"`, Location: scanner.Source{File: "rbac.yaml", Line: 5}},
			},
		},
	}
	// Grant must point into g.Grants itself, not at a copy.
	if len(got) > 0 && (len(got[0].Grants) != 1 || got[0].Grants[0] != &g.Grants[0]) {
		t.Errorf("Grants = %v, want [&g.Grants[0] = %p]", got[0].Grants, &g.Grants[0])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestEvalKinds checks the hygiene kind comes from metadata.
func TestEvalKinds(t *testing.T) {
	b := newGraph()
	r := b.role(scanner.KindRole, "ns", "r", rule(l("example.com"), l("widgets"), l("*")))
	b.bind("ns", "rb", r, user("alice"))
	res, err := engine(t).Eval(context.Background(), &b.g)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Findings
	if len(got) != 1 || got[0].Kind != reports.KindHygiene || got[0].RuleID != "KG007" {
		t.Fatalf("got %+v, want one KG007 hygiene finding", got)
	}
}

func TestParseResult(t *testing.T) {
	for _, tc := range []struct {
		in      any
		wantErr bool
	}{
		{map[string]any{"grant": num(0), "msg": "m"}, false},
		{map[string]any{"binding": num(2), "subject": num(1), "msg": "m", "severity": "low"}, false},
		{map[string]any{"msg": "m"}, true},
		{map[string]any{"grant": num(0), "binding": num(0), "msg": "m"}, true},
		{map[string]any{"grant": num(0)}, true},
		{map[string]any{"grant": num(-1), "msg": "m"}, true},
		{map[string]any{"grant": "0", "msg": "m"}, true},
		{map[string]any{"grant": num(0), "msg": "m", "severity": "severe"}, true},
		{map[string]any{"grant": num(0), "msg": "m", "extra": 1}, true},
		{"just a string", true},
	} {
		_, err := parseResult(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseResult(%v) error = %v, want error %v", tc.in, err, tc.wantErr)
		}
	}
}

func num(i int) any { return jsonNumber(fmt.Sprint(i)) }

type jsonNumber = json.Number

// TestEvalDeterministic: Eval shares its work among goroutines (the
// escalation graph beside the policies, the findings in shares); a large
// enough graph takes those paths, and two runs give the same findings in
// the same order (under -race, this also checks the shares share nothing).
func TestEvalDeterministic(t *testing.T) {
	e := engine(t)
	g := syntheticGraph(1500)
	first, err := e.Eval(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Findings) < 2048 {
		t.Fatalf("%d findings: too few to take the parallel paths", len(first.Findings))
	}
	second, err := e.Eval(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first.Findings, second.Findings); d != "" {
		t.Errorf("two runs differ (-first +second):\n%s", d)
	}
}
