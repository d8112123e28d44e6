package scanner

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuiltinData checks the embedded bootstrap policy: it decodes without a
// diagnostic, every object is marked built in, and it holds the objects a
// v1.34 kube-apiserver creates (the e2e test compares it with a live one).
func TestBuiltinData(t *testing.T) {
	inv := parseBuiltin()
	for _, d := range inv.Diagnostics {
		t.Errorf("embedded policy: %s %s", d.Severity, d.Message)
	}
	count := map[string]int{}
	for _, r := range inv.Roles {
		count[r.Kind]++
		if !r.Source.IsBuiltin() || r.Source != BuiltinSource(r.Ref) {
			t.Errorf("%s: Source %+v is not its BuiltinSource", r.Ref, r.Source)
		}
		for _, rule := range r.Rules {
			if rule.Source != r.Source {
				t.Errorf("%s: rule Source %+v", r.Ref, rule.Source)
			}
		}
	}
	for _, b := range inv.Bindings {
		count[b.Kind]++
		if !b.Source.IsBuiltin() {
			t.Errorf("%s: Source %+v is not built in", b.Ref, b.Source)
		}
		for _, s := range b.Subjects {
			if s.Source != b.Source {
				t.Errorf("%s: subject %s Source %+v", b.Ref, s.Ref, s.Source)
			}
		}
	}
	// k8s.io/kubernetes v1.34.4 bootstrappolicy testdata: 68 ClusterRoles
	// (cluster-roles.yaml and controller-roles.yaml), 49
	// ClusterRoleBindings, 7 Roles and 7 RoleBindings.
	want := map[string]int{KindClusterRole: 68, KindRole: 7, KindClusterRoleBinding: 49, KindRoleBinding: 7}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("object counts (-want +got):\n%s", diff)
	}

	roles := map[string]*Role{}
	for _, r := range BuiltinRoles() {
		roles[r.Ref.String()] = r
	}
	for _, name := range []string{
		"ClusterRole/cluster-admin", "ClusterRole/admin", "ClusterRole/edit", "ClusterRole/view",
		"ClusterRole/system:aggregate-to-admin", "ClusterRole/system:aggregate-to-edit", "ClusterRole/system:aggregate-to-view",
		"ClusterRole/system:node", "ClusterRole/system:kube-controller-manager",
		"ClusterRole/system:controller:legacy-service-account-token-cleaner",
		"ClusterRole/system:controller:endpointslicemirroring-controller",
		"ClusterRole/system:controller:ttl-after-finished-controller",
		"Role/kube-system/extension-apiserver-authentication-reader",
		"Role/kube-public/system:controller:bootstrap-signer",
	} {
		if roles[name] == nil {
			t.Errorf("built-in %s missing", name)
		}
	}
	if a := roles["ClusterRole/admin"]; a != nil && (a.AggregationRule == nil || len(a.Rules) != 0) {
		t.Errorf("admin: aggregationRule %v and %d rules, want an aggregationRule and no rules", a.AggregationRule, len(a.Rules))
	}
	if e := roles["ClusterRole/edit"]; e != nil && e.Labels["rbac.authorization.k8s.io/aggregate-to-admin"] != "true" {
		t.Errorf("edit labels %v, want aggregate-to-admin", e.Labels)
	}

	// Each call returns objects of its own.
	a, b := BuiltinRoles(), BuiltinRoles()
	a[0].Rules[0].Verbs[0] = "mutated"
	if b[0].Rules[0].Verbs[0] == "mutated" || builtinRoles()[a[0].Ref].Rules[0].Verbs[0] == "mutated" {
		t.Error("BuiltinRoles shares objects between calls")
	}
	if len(BuiltinBindings()) != 56 {
		t.Errorf("%d built-in bindings, want 56", len(BuiltinBindings()))
	}
}

func TestSourceIsBuiltin(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want bool
	}{
		{BuiltinSource(Ref{Kind: KindClusterRole, Name: "admin"}), true},
		{Source{Cluster: "builtin:v1.34/Role/kube-system/x"}, true},
		{Source{Cluster: "ClusterRole/admin"}, false}, // a live cluster's
		{Source{File: "builtin", Line: 3}, false},
		{Source{}, false},
	} {
		if got := tc.src.IsBuiltin(); got != tc.want {
			t.Errorf("%+v.IsBuiltin() = %v, want %v", tc.src, got, tc.want)
		}
	}
	if got := BuiltinSource(Ref{Kind: KindClusterRole, Name: "admin"}).String(); got != "builtin:v1.34/ClusterRole/admin" {
		t.Errorf("BuiltinSource(admin) = %q", got)
	}
}

// TestResolveBuiltin: bindings to built-in roles resolve without the input
// defining them; the input's own definition wins; built-in ClusterRoles
// aggregate the input's aggregate-to-* ClusterRoles.
func TestResolveBuiltin(t *testing.T) {
	in := hdr + `kind: ClusterRoleBinding
metadata: {name: admins}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: root}]
---
` + hdr + `kind: RoleBinding
metadata: {name: auth-reader, namespace: kube-system}
roleRef: {kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{kind: ServiceAccount, name: metrics-server}]
---
` + hdr + `kind: RoleBinding
metadata: {name: auth-reader, namespace: default}
roleRef: {kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{kind: ServiceAccount, name: metrics-server}]
---
` + hdr + `kind: RoleBinding
metadata: {name: devs, namespace: team}
roleRef: {kind: ClusterRole, name: edit}
subjects: [{kind: Group, name: devs}]
---
` + hdr + `kind: RoleBinding
metadata: {name: viewers, namespace: team}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: Group, name: viewers}]
---
` + hdr + `kind: RoleBinding
metadata: {name: leads, namespace: team}
roleRef: {kind: ClusterRole, name: admin}
subjects: [{kind: Group, name: leads}]
---
# CVE-2021-25740: a ClusterRole aggregated into edit (and so admin) that writes endpoints.
` + hdr + `kind: ClusterRole
metadata:
  name: endpoints-writer
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules:
- {apiGroups: [""], resources: [endpoints], verbs: [create, update]}
---
` + hdr + `kind: ClusterRoleBinding
metadata: {name: node-proxier}
roleRef: {kind: ClusterRole, name: system:node-proxier}
subjects: [{kind: User, name: proxy}]
---
# The input's own system:node-proxier wins over the built-in.
` + hdr + `kind: ClusterRole
metadata: {name: system:node-proxier}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]
`
	g := Resolve(ParseManifests("f.yaml", []byte(in)))
	if diff := cmp.Diff([]string{
		`warning f.yaml:13: RoleBinding "default/auth-reader" refers to Role "extension-apiserver-authentication-reader", which is not defined in namespace "default" in the loaded input and is not a Kubernetes built-in role; it grants nothing here`,
	}, diagLines(g)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	var used []string
	for _, r := range g.BuiltinRoles {
		used = append(used, r.Ref.String())
	}
	if diff := cmp.Diff([]string{
		"ClusterRole/admin", "ClusterRole/cluster-admin", "ClusterRole/edit", "ClusterRole/view",
		"Role/kube-system/extension-apiserver-authentication-reader",
	}, used); diff != "" {
		t.Errorf("Graph.BuiltinRoles (-want +got):\n%s", diff)
	}
	var inputRoles []string
	for _, r := range g.Roles {
		inputRoles = append(inputRoles, r.Ref.String())
	}
	if diff := cmp.Diff([]string{"ClusterRole/endpoints-writer", "ClusterRole/system:node-proxier"}, inputRoles); diff != "" {
		t.Errorf("Graph.Roles holds only the input's roles (-want +got):\n%s", diff)
	}

	// Where each binding's grants come from.
	for _, gr := range g.Grants {
		fromInput := gr.AggregatedFrom != nil && gr.AggregatedFrom.Name == "endpoints-writer" || gr.Binding.Name == "node-proxier"
		if gr.RuleSource.IsBuiltin() == fromInput {
			t.Errorf("%s -> %s %s: RuleSource %+v", gr.Binding, gr.Role, ruleString(gr.Rule), gr.RuleSource)
		}
		if fromInput && gr.RuleSource.File != "f.yaml" {
			t.Errorf("%s: rule aggregated from the input has RuleSource %+v", gr.Binding, gr.RuleSource)
		}
	}
	if diff := cmp.Diff(map[Ref][]Ref{
		{Kind: KindClusterRole, Name: "endpoints-writer"}: {{Kind: KindClusterRole, Name: "admin"}, {Kind: KindClusterRole, Name: "edit"}},
	}, g.AggregatedInto); diff != "" {
		t.Errorf("Graph.AggregatedInto (-want +got):\n%s", diff)
	}
	from := aggregatedFrom(g, "leads")
	for _, r := range []string{"system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view", "endpoints-writer"} {
		if from[r] == 0 {
			t.Errorf("admin aggregates %v, want rules from %s", from, r)
		}
	}
	if from := aggregatedFrom(g, "viewers"); from["endpoints-writer"] != 0 || from["system:aggregate-to-edit"] != 0 {
		t.Errorf("view aggregates %v, want neither edit nor its aggregated roles", from)
	}

	res := func(verb, group, resource, sub, ns string) Request {
		return Request{Verb: verb, ResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns}
	}
	for _, tc := range []struct {
		user   string
		groups []string
		req    Request
		want   bool
	}{
		{"root", nil, res("delete", "apps", "deployments", "", "prod"), true},
		{"root", nil, urlReq("get", "/metrics"), true},
		{"system:serviceaccount:kube-system:metrics-server", nil, Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Name: "extension-apiserver-authentication", Namespace: "kube-system"}, true},
		{"system:serviceaccount:kube-system:metrics-server", nil, Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Name: "other", Namespace: "kube-system"}, false},
		{"system:serviceaccount:default:metrics-server", nil, Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Name: "extension-apiserver-authentication", Namespace: "default"}, false},
		{"dev", []string{"devs"}, res("create", "", "pods", "exec", "team"), true},
		{"dev", []string{"devs"}, res("get", "", "secrets", "", "team"), true},
		{"dev", []string{"devs"}, res("create", "", "endpoints", "", "team"), true}, // CVE-2021-25740
		{"dev", []string{"devs"}, res("create", "rbac.authorization.k8s.io", "rolebindings", "", "team"), false},
		{"dev", []string{"devs"}, res("get", "", "pods", "", "other"), false},
		{"lead", []string{"leads"}, res("create", "rbac.authorization.k8s.io", "rolebindings", "", "team"), true},
		{"lead", []string{"leads"}, res("update", "", "endpoints", "", "team"), true},
		{"viewer", []string{"viewers"}, res("list", "", "pods", "", "team"), true},
		{"viewer", []string{"viewers"}, res("get", "", "secrets", "", "team"), false},
		{"viewer", []string{"viewers"}, res("create", "", "endpoints", "", "team"), false},
		// The input's system:node-proxier, not the built-in one.
		{"proxy", nil, res("get", "", "nodes", "", ""), true},
		{"proxy", nil, res("list", "", "endpoints", "", "team"), false},
	} {
		if got := authorize(g, tc.user, tc.groups, tc.req); got != tc.want {
			t.Errorf("%s %v %s: allowed = %v, want %v", tc.user, tc.groups, reqString(tc.req), got, tc.want)
		}
	}
}

// TestResolveBuiltinAggregationCandidates: an aggregated ClusterRole of the
// input selects built-in ClusterRoles too, as the aggregation controller
// would in a cluster; a built-in role redefined by the input is not selected
// twice.
func TestResolveBuiltinAggregationCandidates(t *testing.T) {
	g := Resolve(ParseManifests("f.yaml", []byte(hdr+`kind: ClusterRole
metadata: {name: my-view}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
---
`+hdr+`kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {kind: ClusterRole, name: my-view}
subjects: [{kind: User, name: u}]
`)))
	from := aggregatedFrom(g, "b")
	if from["system:aggregate-to-view"] == 0 || len(from) != 1 {
		t.Errorf("my-view aggregates %v, want system:aggregate-to-view only", from)
	}
	if len(g.BuiltinRoles) != 0 {
		t.Errorf("Graph.BuiltinRoles = %v, want none (no binding refers to a built-in role)", g.BuiltinRoles)
	}
	if g.AggregatedInto != nil {
		t.Errorf("Graph.AggregatedInto = %v, want nil (no role of the input is aggregated)", g.AggregatedInto)
	}
	if !authorize(g, "u", nil, Request{Verb: "list", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Namespace: "x"}) {
		t.Error("my-view does not list deployments")
	}

	// The input redefines system:aggregate-to-view: only its rules count.
	g = Resolve(ParseManifests("f.yaml", []byte(hdr+`kind: ClusterRole
metadata:
  name: system:aggregate-to-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
`+hdr+`kind: RoleBinding
metadata: {name: b, namespace: n}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: User, name: u}]
`)))
	if diff := cmp.Diff(map[Ref][]Ref{
		{Kind: KindClusterRole, Name: "system:aggregate-to-view"}: {{Kind: KindClusterRole, Name: "admin"}, {Kind: KindClusterRole, Name: "edit"}, {Kind: KindClusterRole, Name: "view"}},
	}, g.AggregatedInto); diff != "" {
		t.Errorf("Graph.AggregatedInto (-want +got):\n%s", diff)
	}
	var rules []string
	for _, gr := range g.Grants {
		rules = append(rules, ruleString(gr.Rule)+" @"+gr.RuleSource.String())
	}
	if diff := cmp.Diff([]string{"groups= resources=pods verbs=get @f.yaml:6"}, rules); diff != "" {
		t.Errorf("view through the input's system:aggregate-to-view (-want +got):\n%s", diff)
	}
}

// TestBuiltinBindingsResolve: the bootstrap bindings, scanned as a vanilla
// cluster would hold them, resolve entirely against the built-in roles.
func TestBuiltinBindingsResolve(t *testing.T) {
	g := Resolve(&Inventory{Bindings: BuiltinBindings()})
	if len(g.Diagnostics) != 0 {
		t.Errorf("diagnostics: %v", g.Diagnostics)
	}
	want := map[Ref]bool{}
	for _, b := range g.Bindings {
		kind := KindClusterRole
		ns := ""
		if b.RoleRef.Kind == KindRole {
			kind, ns = KindRole, b.Namespace
		}
		want[Ref{Kind: kind, Name: b.RoleRef.Name, Namespace: ns}] = true
	}
	if len(g.BuiltinRoles) != len(want) {
		t.Errorf("%d built-in roles used, want %d", len(g.BuiltinRoles), len(want))
	}
	masters := false
	for _, gr := range g.Grants {
		if gr.Subject.Kind == KindGroup && gr.Subject.Name == "system:masters" && gr.Role.Name == "cluster-admin" {
			masters = true
		}
		if !strings.HasPrefix(gr.RuleSource.Cluster, "builtin:v1.34/") {
			t.Errorf("grant %s -> %s has RuleSource %+v", gr.Binding, gr.Role, gr.RuleSource)
			break
		}
	}
	if !masters {
		t.Error("system:masters is not bound to cluster-admin")
	}
	if !slices.ContainsFunc(g.Bindings, func(b *Binding) bool { return b.Name == "system:controller:legacy-service-account-token-cleaner" }) {
		t.Error("no binding for legacy-service-account-token-cleaner")
	}
}

// TestIsBuiltinGrant: every subject of every binding of the embedded
// bootstrap policy is a built-in grant, and nothing else is.
func TestIsBuiltinGrant(t *testing.T) {
	n := 0
	for _, b := range BuiltinBindings() {
		role := Ref{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
		if role.Kind == KindRole {
			role.Namespace = b.Namespace
		}
		for _, s := range b.Subjects {
			n++
			if !IsBuiltinGrant(b.Ref, role, s.Ref) {
				t.Errorf("%s -> %s for %s is not a built-in grant", b.Ref, role, s.Ref)
			}
		}
	}
	if got := len(builtinGrants()); got != n || n < 60 {
		t.Errorf("%d built-in grants, want the %d subjects of the bootstrap bindings (≥60)", got, n)
	}
	kcm := Ref{Kind: KindClusterRoleBinding, Name: "system:kube-controller-manager"}
	kcmRole := Ref{Kind: KindClusterRole, Name: "system:kube-controller-manager"}
	for _, tc := range []struct {
		binding, role, subject Ref
		want                   bool
	}{
		{kcm, kcmRole, Ref{Kind: KindUser, Name: "system:kube-controller-manager"}, true},
		{kcm, kcmRole, Ref{Kind: KindUser, Name: "mallory"}, false},
		{kcm, Ref{Kind: KindClusterRole, Name: "cluster-admin"}, Ref{Kind: KindUser, Name: "system:kube-controller-manager"}, false},
	} {
		if got := IsBuiltinGrant(tc.binding, tc.role, tc.subject); got != tc.want {
			t.Errorf("IsBuiltinGrant(%s, %s, %s) = %v, want %v", tc.binding, tc.role, tc.subject, got, tc.want)
		}
	}
}
