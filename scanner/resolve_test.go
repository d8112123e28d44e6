package scanner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

// grantLines renders grants as "subject <- binding -> role [scope] rule @line
// (from role)", in Graph order.
func grantLines(g *Graph) []string {
	var out []string
	for _, gr := range g.Grants {
		scope := gr.Scope
		if scope == "" {
			scope = "*"
		}
		s := fmt.Sprintf("%s <- %s -> %s [%s] %s @%d", gr.Subject.Ref, gr.Binding, gr.Role, scope, ruleString(gr.Rule), gr.RuleSource.Line)
		if gr.AggregatedFrom != nil {
			s += " from " + gr.AggregatedFrom.Name
		}
		out = append(out, s)
	}
	return out
}

func diagLines(g *Graph) []string {
	var out []string
	for _, d := range g.Diagnostics {
		out = append(out, d.Severity+" "+d.Location.String()+": "+d.Message)
	}
	return out
}

const hdr = "apiVersion: rbac.authorization.k8s.io/v1\n"

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        string
		wantGrant []string
		wantDiag  []string
	}{
		{
			name: "RoleBinding to Role resolves only in its namespace",
			in: hdr + `kind: Role
metadata: {name: reader, namespace: a}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
` + hdr + `kind: Role
metadata: {name: reader, namespace: b}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
` + hdr + `kind: RoleBinding
metadata: {name: rb, namespace: a}
roleRef: {kind: Role, name: reader}
subjects: [{kind: User, name: alice}]
---
` + hdr + `kind: RoleBinding
metadata: {name: rb, namespace: c}
roleRef: {kind: Role, name: reader}
subjects: [{kind: User, name: bob}]
`,
			wantGrant: []string{"User/alice <- RoleBinding/a/rb -> Role/a/reader [a] groups= resources=pods verbs=get @4"},
			wantDiag: []string{
				`warning f.yaml:17: RoleBinding "c/rb" refers to Role "reader", which is not defined in namespace "c" in the loaded input and is not a Kubernetes built-in role; it grants nothing here`,
			},
		},
		{
			name: "RoleBinding to ClusterRole is confined to the namespace; ClusterRoleBinding is cluster-wide",
			in: hdr + `kind: ClusterRole
metadata: {name: nodes}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}
---
` + hdr + `kind: RoleBinding
metadata: {name: rb, namespace: ns1}
roleRef: {kind: ClusterRole, name: nodes}
subjects: [{kind: ServiceAccount, name: app}]
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: nodes}
subjects: [{kind: ServiceAccount, name: app, namespace: ns2}]
`,
			wantGrant: []string{
				"ServiceAccount/ns2/app <- ClusterRoleBinding/crb -> ClusterRole/nodes [*] groups= resources=nodes verbs=get @5",
				"ServiceAccount/ns2/app <- ClusterRoleBinding/crb -> ClusterRole/nodes [*] verbs=get urls=/metrics @6",
				"ServiceAccount/ns1/app <- RoleBinding/ns1/rb -> ClusterRole/nodes [ns1] groups= resources=nodes verbs=get @5",
				"ServiceAccount/ns1/app <- RoleBinding/ns1/rb -> ClusterRole/nodes [ns1] verbs=get urls=/metrics @6",
			},
		},
		{
			name: "invalid and dangling references grant nothing",
			in: hdr + `kind: Role
metadata: {name: r, namespace: ns}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: to-role}
roleRef: {kind: Role, name: r}
subjects: [{kind: User, name: u}]
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: to-missing}
roleRef: {kind: ClusterRole, name: ghost}
subjects: [{kind: User, name: u}]
---
` + hdr + `kind: RoleBinding
metadata: {name: bad-kind, namespace: ns}
roleRef: {kind: Group, name: r}
subjects: [{kind: User, name: u}]
`,
			wantDiag: []string{
				`error f.yaml:6: ClusterRoleBinding "to-role" refers to Role "r"; a ClusterRoleBinding can only refer to a ClusterRole; it grants nothing`,
				`warning f.yaml:12: ClusterRoleBinding "to-missing" refers to ClusterRole "ghost", which is not defined in the loaded input and is not a Kubernetes built-in role; it grants nothing here`,
				`error f.yaml:18: RoleBinding "ns/bad-kind": roleRef.kind "Group" is neither Role nor ClusterRole; it grants nothing`,
			},
		},
		{
			name: "subjects: SA namespace defaulting, groups kept, SA without namespace in a ClusterRoleBinding grants nothing",
			in: hdr + `kind: ClusterRole
metadata: {name: c}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
---
` + hdr + `kind: RoleBinding
metadata: {name: rb, namespace: team}
roleRef: {kind: ClusterRole, name: c}
subjects:
- {kind: ServiceAccount, name: builder}
- {kind: Group, name: "system:serviceaccounts:team"}
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: c}
subjects:
- {kind: ServiceAccount, name: lost}
- {kind: Group, name: system:authenticated}
- {kind: Robot, name: r}
`,
			wantGrant: []string{
				"Group/system:authenticated <- ClusterRoleBinding/crb -> ClusterRole/c [*] groups= resources=pods verbs=list @4",
				"ServiceAccount/team/builder <- RoleBinding/team/rb -> ClusterRole/c [team] groups= resources=pods verbs=list @4",
				"Group/system:serviceaccounts:team <- RoleBinding/team/rb -> ClusterRole/c [team] groups= resources=pods verbs=list @4",
			},
			wantDiag: []string{
				`warning f.yaml:19: ClusterRoleBinding "crb": subjects[0]: ServiceAccount "lost" has no namespace; in a ClusterRoleBinding it applies to nobody`,
				`warning f.yaml:21: ClusterRoleBinding "crb": subjects[2]: unknown subject kind "Robot"; it applies to nobody`,
			},
		},
		{
			name: "duplicates: the last definition wins",
			in: hdr + `kind: ClusterRole
metadata: {name: dup}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
` + hdr + `kind: ClusterRole
metadata: {name: dup}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: dup}
subjects: [{kind: User, name: u}]
`,
			wantGrant: []string{"User/u <- ClusterRoleBinding/crb -> ClusterRole/dup [*] groups= resources=secrets verbs=get @9"},
			wantDiag:  []string{"warning f.yaml:6: ClusterRole/dup is defined more than once (also at f.yaml:1); the last definition is used"},
		},
		{
			name: "aggregation: matchLabels, matchExpressions In/NotIn/Exists, transitive, cycle, self, dedupe",
			in: hdr + `kind: ClusterRole
metadata: {name: top, labels: {tier: top}}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {agg-top: "true"}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
` + hdr + `kind: ClusterRole
metadata: {name: mid, labels: {agg-top: "true", tier: mid}}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: team, operator: In, values: [a, b]}
    - {key: tier, operator: NotIn, values: [mid, skip]}
  - matchExpressions:
    - {key: agg-mid, operator: Exists}
---
` + hdr + `kind: ClusterRole
metadata: {name: leaf-a, labels: {team: a}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {apiGroups: [""], resources: [configmaps], verbs: [get, get]}
---
` + hdr + `kind: ClusterRole
metadata: {name: leaf-skip, labels: {team: b, tier: skip}}
rules: [{apiGroups: [""], resources: [secrets], verbs: ["*"]}]
---
` + hdr + `kind: ClusterRole
metadata: {name: leaf-c, labels: {team: c}}
rules: [{apiGroups: [""], resources: [nodes], verbs: ["*"]}]
---
` + hdr + `kind: ClusterRole
metadata: {name: cyc, labels: {agg-mid: "1", agg-top: "true"}}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {tier: top}
  - matchLabels: {agg-mid: "1"}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [list]}]
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: top}
subjects: [{kind: User, name: u}]
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: crb-cyc}
roleRef: {kind: ClusterRole, name: cyc}
subjects: [{kind: User, name: v}]
`,
			wantGrant: []string{
				// top: own rule, then mid (no rules of its own) and
				// cyc (selected by agg-top), then what mid selects:
				// leaf-a (team In, tier NotIn; not leaf-skip, not
				// leaf-c), cyc again (Exists). leaf-a's configmaps rule
				// equals top's own and appears once.
				"User/u <- ClusterRoleBinding/crb -> ClusterRole/top [*] groups= resources=configmaps verbs=get @8",
				"User/u <- ClusterRoleBinding/crb -> ClusterRole/top [*] groups=apps resources=deployments verbs=list @45 from cyc",
				"User/u <- ClusterRoleBinding/crb -> ClusterRole/top [*] groups= resources=pods verbs=get @25 from leaf-a",
				// cyc selects top (tier: top) and itself (agg-mid: "1",
				// ignored); top selects mid and cyc again: the cycle
				// ends, and the configmaps rule is credited to top,
				// reached before leaf-a.
				"User/v <- ClusterRoleBinding/crb-cyc -> ClusterRole/cyc [*] groups=apps resources=deployments verbs=list @45",
				"User/v <- ClusterRoleBinding/crb-cyc -> ClusterRole/cyc [*] groups= resources=configmaps verbs=get @8 from top",
				"User/v <- ClusterRoleBinding/crb-cyc -> ClusterRole/cyc [*] groups= resources=pods verbs=get @25 from leaf-a",
			},
			// top's own rule is also provided by leaf-a; cyc's is not.
			wantDiag: []string{
				`warning f.yaml:38: ClusterRole "cyc" has an aggregationRule and 1 rule(s) of its own that no selected ClusterRole provides; the aggregation controller would replace them, they are analysed as written`,
			},
		},
		{
			name: "invalid selector is a diagnostic, the rest aggregates",
			in: hdr + `kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions: [{key: a, operator: Bogus}]
  - matchLabels: {"bad key!": x}
  - matchLabels: {ok: "yes"}
---
` + hdr + `kind: ClusterRole
metadata: {name: src, labels: {ok: "yes"}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
` + hdr + `kind: RoleBinding
metadata: {name: rb, namespace: n}
roleRef: {kind: ClusterRole, name: agg}
subjects: [{kind: User, name: u}]
`,
			wantGrant: []string{"User/u <- RoleBinding/n/rb -> ClusterRole/agg [n] groups= resources=pods verbs=get @13 from src"},
			wantDiag: []string{
				`error f.yaml:1: ClusterRole "agg": aggregationRule.clusterRoleSelectors[0]: "Bogus" is not a valid label selector operator; selector ignored`,
				`error f.yaml:1: ClusterRole "agg": aggregationRule.clusterRoleSelectors[1]: key: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'); selector ignored`,
			},
		},
		{
			name: "a Role's aggregationRule is ignored and Roles are never aggregated",
			in: hdr + `kind: Role
metadata: {name: r, namespace: n, labels: {agg: "true"}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
` + hdr + `kind: ClusterRole
metadata: {name: agg}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {agg: "true"}}]}
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {kind: ClusterRole, name: agg}
subjects: [{kind: User, name: u}]
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Resolve(ParseManifests("f.yaml", []byte(tc.in)))
			if diff := cmp.Diff(tc.wantGrant, grantLines(g)); diff != "" {
				t.Errorf("grants mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDiag, diagLines(g)); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestResolveDeterministic checks that load order changes nothing but which
// duplicate wins.
func TestResolveDeterministic(t *testing.T) {
	docs := []string{
		hdr + "kind: ClusterRole\nmetadata: {name: b}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n",
		hdr + "kind: ClusterRole\nmetadata: {name: a, labels: {x: y}}\nrules: [{apiGroups: [''], resources: [pods], verbs: [list]}]\n",
		hdr + "kind: ClusterRole\nmetadata: {name: agg}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {x: y}}]}\n",
		hdr + "kind: RoleBinding\nmetadata: {name: z, namespace: n}\nroleRef: {kind: ClusterRole, name: b}\nsubjects: [{kind: User, name: u2}, {kind: User, name: u1}]\n",
		hdr + "kind: ClusterRoleBinding\nmetadata: {name: y}\nroleRef: {kind: ClusterRole, name: agg}\nsubjects: [{kind: Group, name: g}]\n",
		hdr + "kind: RoleBinding\nmetadata: {name: a, namespace: n}\nroleRef: {kind: ClusterRole, name: a}\nsubjects: [{kind: User, name: u3}]\n",
	}
	resolve := func(order []int) *Graph {
		inv := &Inventory{}
		for _, i := range order {
			inv.Add(ParseManifests(fmt.Sprintf("f%d.yaml", i), []byte(docs[i])))
		}
		return Resolve(inv)
	}
	want := []string{
		"Group/g <- ClusterRoleBinding/y -> ClusterRole/agg [*] groups= resources=pods verbs=list @4 from a",
		"User/u3 <- RoleBinding/n/a -> ClusterRole/a [n] groups= resources=pods verbs=list @4",
		"User/u2 <- RoleBinding/n/z -> ClusterRole/b [n] groups= resources=pods verbs=get @4",
		"User/u1 <- RoleBinding/n/z -> ClusterRole/b [n] groups= resources=pods verbs=get @4",
	}
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {2, 5, 0, 3, 1, 4}} {
		g := resolve(order)
		if diff := cmp.Diff(want, grantLines(g)); diff != "" {
			t.Errorf("order %v: grants mismatch (-want +got):\n%s", order, diff)
		}
		var roles []string
		for _, r := range g.Roles {
			roles = append(roles, r.String())
		}
		if diff := cmp.Diff([]string{"ClusterRole/a", "ClusterRole/agg", "ClusterRole/b"}, roles); diff != "" {
			t.Errorf("order %v: roles mismatch (-want +got):\n%s", order, diff)
		}
		if diff := cmp.Diff(map[Ref][]Ref{{Kind: KindClusterRole, Name: "a"}: {{Kind: KindClusterRole, Name: "agg"}}}, g.AggregatedInto); diff != "" {
			t.Errorf("order %v: AggregatedInto mismatch (-want +got):\n%s", order, diff)
		}
	}
}

// loadCorpus loads one corpus project and adds the given manifest.
func loadCorpus(t *testing.T, project, extra string) *Graph {
	t.Helper()
	dir := filepath.Join(corporaDir(t), "rbac", project)
	inv, err := LoadManifests([]string{dir}, LoadOptions{Root: filepath.Join(corporaDir(t), "rbac")})
	if err != nil {
		t.Fatal(err)
	}
	inv.Add(ParseManifests("extra.yaml", []byte(extra)))
	return Resolve(inv)
}

// aggregatedFrom lists, per contributing ClusterRole, how many grants of the
// binding came from it ("" for the role's own rules).
func aggregatedFrom(g *Graph, binding string) map[string]int {
	out := map[string]int{}
	for _, gr := range g.Grants {
		if gr.Binding.Name != binding {
			continue
		}
		from := ""
		if gr.AggregatedFrom != nil {
			from = gr.AggregatedFrom.Name
		}
		out[from]++
	}
	return out
}

// TestResolveBootstrapAggregation checks admin ⊇ edit ⊇ view as the
// Kubernetes bootstrap policy builds them only through aggregation.
func TestResolveBootstrapAggregation(t *testing.T) {
	g := loadCorpus(t, "k8s-bootstrap-policy", hdr+`kind: RoleBinding
metadata: {name: test-admin, namespace: ns1}
roleRef: {kind: ClusterRole, name: admin}
subjects: [{kind: User, name: alice}]
---
`+hdr+`kind: RoleBinding
metadata: {name: test-view, namespace: ns1}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: User, name: bob}]
`)
	for _, d := range g.Diagnostics {
		if d.Severity == DiagError || strings.Contains(d.Message, "admin") || strings.Contains(d.Message, "view") && d.Location.File == "extra.yaml" {
			t.Errorf("unexpected diagnostic: %s", d.Message)
		}
	}
	admin := aggregatedFrom(g, "test-admin")
	for _, from := range []string{"system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view"} {
		if admin[from] == 0 {
			t.Errorf("admin has no rules aggregated from %s: %v", from, admin)
		}
	}
	if admin[""] != 0 {
		t.Errorf("admin has %d rules of its own, want 0 (rules: null)", admin[""])
	}
	view := aggregatedFrom(g, "test-view")
	if view["system:aggregate-to-view"] == 0 || view["system:aggregate-to-edit"] != 0 || view["system:aggregate-to-admin"] != 0 {
		t.Errorf("view aggregates %v, want only system:aggregate-to-view", view)
	}

	can := func(user, verb, group, resource, sub string) bool {
		return authorize(g, user, nil, Request{Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Namespace: "ns1"})
	}
	for _, tc := range []struct {
		user, verb, group, resource, sub string
		want                             bool
	}{
		{"alice", "create", "", "pods", "exec", true},                              // edit, through admin
		{"alice", "create", "", "serviceaccounts", "token", true},                  // edit
		{"alice", "impersonate", "", "serviceaccounts", "", true},                  // edit
		{"alice", "create", "rbac.authorization.k8s.io", "rolebindings", "", true}, // admin
		{"alice", "get", "", "secrets", "", true},
		{"bob", "get", "", "pods", "", true},
		{"bob", "get", "", "secrets", "", false}, // view never reads secrets
		{"bob", "create", "", "pods", "exec", false},
	} {
		if got := can(tc.user, tc.verb, tc.group, tc.resource, tc.sub); got != tc.want {
			t.Errorf("%s %s %s/%s: allowed = %v, want %v", tc.user, tc.verb, tc.resource, tc.sub, got, tc.want)
		}
	}
	// Namespaced: no rule reaches another namespace or cluster scope.
	if authorize(g, "alice", nil, Request{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "ns2"}) {
		t.Errorf("admin through a RoleBinding in ns1 allows ns2")
	}
}

// TestResolveKyvernoAggregation: kyverno's controller ClusterRoles select
// themselves by their own labels; self must be excluded and the :core roles
// included.
func TestResolveKyvernoAggregation(t *testing.T) {
	g := loadCorpus(t, "kyverno", hdr+`kind: ClusterRoleBinding
metadata: {name: test-kac}
roleRef: {kind: ClusterRole, name: "kyverno:admission-controller"}
subjects: [{kind: User, name: alice}]
`)
	from := aggregatedFrom(g, "test-kac")
	if from["kyverno:admission-controller:core"] == 0 {
		t.Errorf("kyverno:admission-controller aggregates %v, want kyverno:admission-controller:core", from)
	}
	if from["kyverno:admission-controller"] != 0 || from[""] != 0 {
		t.Errorf("kyverno:admission-controller contributes to itself: %v", from)
	}
	for _, d := range g.Diagnostics {
		if d.Severity == DiagError {
			t.Errorf("unexpected error: %s", d.Message)
		}
	}
}

// BenchmarkLoadAndResolve runs on gen.py data: python3 ../shared/bench/gen.py
// --scale small (written to /tmp/bench-data/small).
func BenchmarkLoadAndResolve(b *testing.B) {
	root := os.Getenv("KUBEGRANT_BENCH_DATA") // make bench generates small, medium and large
	if root == "" {
		root = "/tmp/bench-data"
	}
	ran := false
	for _, scale := range []string{"small", "medium", "large"} {
		file := filepath.Join(root, scale, "manifests", "all.yaml")
		if _, err := os.Stat(file); err != nil {
			continue
		}
		ran = true
		b.Run(scale, func(b *testing.B) {
			var grants int
			for b.Loop() {
				inv, err := LoadManifests([]string{file}, LoadOptions{Root: root})
				if err != nil {
					b.Fatal(err)
				}
				grants = len(Resolve(inv).Grants)
			}
			b.ReportMetric(float64(grants), "grants")
		})
	}
	if !ran {
		b.Skip("no benchmark data; run python3 ../shared/bench/gen.py --scale small --out /tmp/bench-data/small")
	}
}

// TestResolveBenchTruth checks the resolver against gen.py's ground truth:
// every risky grant it lists (binding, subject, role, scope, rule after
// aggregation, contributing ClusterRole) is one of the Graph's grants, and
// the one-file and one-object-per-file layouts resolve to the same grants.
func TestResolveBenchTruth(t *testing.T) {
	dir := "/tmp/bench-data/small"
	if d := os.Getenv("KUBEGRANT_BENCH_SMALL"); d != "" {
		dir = d
	}
	data, err := os.ReadFile(filepath.Join(dir, "truth", "ground-truth.json"))
	if err != nil {
		t.Skipf("no benchmark data (%v); run python3 ../shared/bench/gen.py --scale small", err)
	}
	var truth struct {
		RiskyGrants []struct {
			ID             string
			Subject, Role  Ref
			Binding        Ref
			Rule           rbacv1.PolicyRule
			Scope          string
			AggregatedFrom *Ref
		}
	}
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatal(err)
	}
	load := func(path string) *Graph {
		inv, err := LoadManifests([]string{path}, LoadOptions{Root: dir})
		if err != nil {
			t.Fatal(err)
		}
		return Resolve(inv)
	}
	split := load(filepath.Join(dir, "manifests", "split"))
	all := load(filepath.Join(dir, "manifests", "all.yaml"))
	for _, g := range []*Graph{split, all} {
		for _, d := range g.Diagnostics {
			if d.Severity == DiagError {
				t.Errorf("error diagnostic: %s", d.Message)
			}
		}
	}
	// Sources differ between the layouts; everything else must not.
	strip := func(g *Graph) []string {
		var out []string
		for _, gr := range g.Grants {
			gr.BindingSource, gr.RuleSource, gr.Subject.Source = Source{}, Source{}, Source{}
			out = append(out, fmt.Sprintf("%+v %v", gr, gr.AggregatedFrom))
		}
		return out
	}
	if diff := cmp.Diff(strip(all), strip(split)); diff != "" {
		t.Errorf("all.yaml and split/ resolve differently (-all +split):\n%s", diff)
	}

	type key struct {
		subject, binding, role Ref
		scope, rule, from      string
	}
	have := map[key]int{}
	for _, gr := range split.Grants {
		from := ""
		if gr.AggregatedFrom != nil {
			from = gr.AggregatedFrom.Name
		}
		r := Rule{PolicyRule: gr.Rule}
		have[key{gr.Subject.Ref, gr.Binding, gr.Role, gr.Scope, ruleKey(&r), from}]++
	}
	missing := 0
	for _, tg := range truth.RiskyGrants {
		scope := tg.Scope
		if scope == "*cluster*" {
			scope = ""
		}
		from := ""
		if tg.AggregatedFrom != nil {
			from = tg.AggregatedFrom.Name
		}
		r := Rule{PolicyRule: tg.Rule}
		if have[key{tg.Subject, tg.Binding, tg.Role, scope, ruleKey(&r), from}] == 0 {
			missing++
			if missing <= 10 {
				t.Errorf("truth grant %s not resolved", tg.ID)
			}
		}
	}
	if len(truth.RiskyGrants) == 0 {
		t.Fatal("ground truth lists no risky grants")
	}
	t.Logf("%d truth grants, %d missing; %d grants resolved", len(truth.RiskyGrants), missing, len(split.Grants))
}

// TestResolveSharesGrants: a graph large enough that the grants are filled
// on several cores holds, for each binding in order, exactly the grants a
// sequential walk gives: each applicable subject × each rule of its role
// (an aggregated ClusterRole's included); unknown subject kinds and
// bindings to missing roles give none.
func TestResolveSharesGrants(t *testing.T) {
	var b strings.Builder
	b.WriteString(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {agg: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part, labels: {agg: "true"}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: two}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {apiGroups: [apps], resources: [deployments], verbs: [create]}
`)
	const n = 3000
	for i := range n {
		role := []string{"agg", "two", "missing"}[i%3]
		fmt.Fprintf(&b, `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b%04d, namespace: ns%d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %s}
subjects:
- {kind: ServiceAccount, name: sa%d, namespace: ns%d}
- {kind: User, name: u%d}
- {kind: Robot, name: r%d}
`, i, i%7, role, i, i%7, i, i)
	}
	g := Resolve(ParseManifests("big.yaml", []byte(b.String())))
	var want []string
	for _, bd := range g.Bindings {
		rules := map[string][]string{"agg": {"secrets"}, "two": {"pods", "deployments"}}[bd.RoleRef.Name]
		for _, s := range bd.Subjects {
			if s.Kind == "Robot" {
				continue
			}
			for _, r := range rules {
				want = append(want, bd.Name+"/"+s.Name+"/"+r)
			}
		}
	}
	var got []string
	for _, gr := range g.Grants {
		got = append(got, gr.Binding.Name+"/"+gr.Subject.Name+"/"+gr.Rule.Resources[0])
	}
	if len(want) < 2*n/3 {
		t.Fatalf("only %d grants expected: the test no longer covers the shared fill", len(want))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("grants (-want +got):\n%s", d)
	}
}
