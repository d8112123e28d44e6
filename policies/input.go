package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// namespacePlaceholder is the scope of a probe that stands for every
// namespace that is not named (see scopeClass). Messages that name it are
// rewritten with the grant's namespace when findings are built.
const namespacePlaceholder = "<namespace>"

// namedNamespaces are the namespaces the policies tell apart by name: the
// control plane's own. Every other namespace is alike to a policy.
var namedNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// scopeClass is the scope a probe evaluates a rule in: "" (cluster-wide),
// a named namespace, or namespacePlaceholder.
func scopeClass(scope string) string {
	if scope == "" || namedNamespaces[scope] {
		return scope
	}
	return namespacePlaceholder
}

// probeKey is one distinct (rule, scope class): what the capability rules
// evaluate. Real clusters hold far fewer of them than grants.
type probeKey struct {
	rule  int // index into input.rules
	scope string
}

// input is the policy input document and the indexes that map its probes
// back to the Graph.
type input struct {
	// doc is the input document, built directly as a Rego value.
	doc    ast.Value
	probes []probeKey
	// grantProbe[i] is the probe of g.Grants[i].
	grantProbe []int32
	// probeGrants[p] lists the grants of probe p, in graph order.
	probeGrants [][]int32
	// workloads[w] is the object of input.workloads[w].
	workloads []*scanner.Object
	// platforms maps each managed platform the input shows (eks, gke,
	// aks) to why kubegrant thinks so.
	platforms map[string]string
	// unbound lists the roles nothing grants, with the probes of their
	// rules (a Role's in its namespace, a ClusterRole's cluster-wide).
	unbound []unboundRole
}

// unboundRole is a Role or ClusterRole that no binding refers to and that
// no bound role aggregates: what it would give if bound is judged too.
type unboundRole struct {
	role   *scanner.Role
	probes []int32
	rules  []int // indexes into role.Rules, parallel to probes
}

var (
	keyKind, keyName, keyNamespace = ast.StringTerm("kind"), ast.StringTerm("name"), ast.StringTerm("namespace")
	keyScope, keyRule, keySubjects = ast.StringTerm("scope"), ast.StringTerm("rule"), ast.StringTerm("subjects")
	keyRoleRef, keyGrants          = ast.StringTerm("roleRef"), ast.StringTerm("grants")
	keyAnnotations                 = ast.StringTerm("annotations")
	keySAName                      = ast.StringTerm("serviceAccountName")
)

// buildInput renders the input document described in doc.go: one probe per
// distinct (rule, scope class), the bindings with the probes of their
// grants, and the objects. Arrays are never null.
func buildInput(g *scanner.Graph) input {
	t := &terms{strings: map[string]*ast.Term{}, refs: map[scanner.Ref]*ast.Term{}}
	in := input{grantProbe: make([]int32, len(g.Grants)), platforms: detectPlatforms(g)}
	var (
		rules      []*ast.Term
		ruleByID   = map[ruleID]int{}
		ruleByKey  = map[string]int{}
		key        strings.Builder
		probeIndex = map[probeKey]int32{}
		ruleProbes [][]*ast.Term
		probes     []*ast.Term
	)
	ruleOf := func(r *rbacv1.PolicyRule) int {
		id := idOf(r)
		if ri, ok := ruleByID[id]; ok {
			return ri
		}
		key.Reset()
		writeRuleKey(&key, r)
		ri, ok := ruleByKey[key.String()]
		if !ok {
			ri = len(rules)
			ruleByKey[key.String()] = ri
			rules = append(rules, ast.NewTerm(ruleValue(t, r)))
			ruleProbes = append(ruleProbes, nil)
		}
		ruleByID[id] = ri
		return ri
	}
	// probeOf returns the probe of a rule in a scope, adding it when new.
	var probeBinding []int32
	probeOf := func(r *rbacv1.PolicyRule, scope string) int32 {
		k := probeKey{rule: ruleOf(r), scope: scopeClass(scope)}
		p, ok := probeIndex[k]
		if !ok {
			p = int32(len(in.probes))
			probeIndex[k] = p
			in.probes = append(in.probes, k)
			in.probeGrants = append(in.probeGrants, nil)
			probeBinding = append(probeBinding, 0)
			probes = append(probes, ast.ObjectTerm(
				ast.Item(keyScope, t.str(k.scope)),
				ast.Item(keyRule, rules[k.rule]),
			))
			ruleProbes[k.rule] = append(ruleProbes[k.rule], ast.InternedTerm(int(p)))
		}
		return p
	}
	// Grants of one binding come together: remember the binding's probes
	// as they are met.
	bindingOf := make(map[bindingID]int, len(g.Bindings))
	for i, b := range g.Bindings {
		bindingOf[bindingID{b.Ref, b.Source}] = i
	}
	bindingProbes := make([][]*ast.Term, len(g.Bindings))
	// probeBinding[p] is 1 + the binding that last listed probe p: a
	// binding's grants come together, so this dedupes its probes.
	lastBinding, lastIdx := bindingID{}, -1
	for i := range g.Grants {
		gr := &g.Grants[i]
		p := probeOf(&gr.Rule, gr.Scope)
		in.grantProbe[i] = p
		in.probeGrants[p] = append(in.probeGrants[p], int32(i))
		id := bindingID{gr.Binding, gr.BindingSource}
		if id != lastBinding || lastIdx < 0 {
			lastBinding = id
			idx, ok := bindingOf[id]
			if !ok {
				lastIdx = -1
				continue
			}
			lastIdx = idx
		}
		if probeBinding[p] != int32(lastIdx)+1 {
			probeBinding[p] = int32(lastIdx) + 1
			bindingProbes[lastIdx] = append(bindingProbes[lastIdx], ast.InternedTerm(int(p)))
		}
	}
	// Unbound roles: probes of their rules too (nothing joins them to
	// grants; the risk model reports them as risky if bound).
	for _, role := range unboundRoles(g) {
		u := unboundRole{role: role}
		scope := ""
		if role.Kind == scanner.KindRole {
			scope = role.Namespace
		}
		for ri := range role.Rules {
			u.probes = append(u.probes, probeOf(&role.Rules[ri].PolicyRule, scope))
			u.rules = append(u.rules, ri)
		}
		if len(u.probes) > 0 {
			in.unbound = append(in.unbound, u)
		}
	}
	rg := make([]*ast.Term, len(ruleProbes))
	for i, l := range ruleProbes {
		rg[i] = ast.ArrayTerm(l...)
	}
	bindings := make([]*ast.Term, len(g.Bindings))
	for i, b := range g.Bindings {
		subjects := make([]*ast.Term, len(b.Subjects))
		for j, s := range b.Subjects {
			subjects[j] = t.ref(s.Ref)
		}
		bindings[i] = ast.ObjectTerm(
			ast.Item(keyKind, t.str(b.Kind)),
			ast.Item(keyName, t.str(b.Name)),
			ast.Item(keyNamespace, t.str(b.Namespace)),
			ast.Item(keyRoleRef, t.ref(roleRef(b))),
			ast.Item(keySubjects, ast.ArrayTerm(subjects...)),
			ast.Item(keyGrants, ast.ArrayTerm(bindingProbes[i]...)),
		)
	}
	index := bindingIndex(g, t)
	roles := make([]*ast.Term, len(g.Roles))
	for i, r := range g.Roles {
		roles[i] = t.ref(r.Ref)
	}
	objs := buildObjects(g, t)
	in.workloads = objs.workloadObjects
	in.doc = ast.NewObject(
		ast.Item(ast.StringTerm("grants"), ast.ArrayTerm(probes...)),
		ast.Item(ast.StringTerm("bindings"), ast.ArrayTerm(bindings...)),
		ast.Item(ast.StringTerm("index"), index),
		ast.Item(ast.StringTerm("rules"), ast.ArrayTerm(rules...)),
		ast.Item(ast.StringTerm("ruleGrants"), ast.ArrayTerm(rg...)),
		ast.Item(ast.StringTerm("roles"), ast.ArrayTerm(roles...)),
		ast.Item(ast.StringTerm("serviceAccounts"), ast.ArrayTerm(objs.serviceAccounts...)),
		ast.Item(ast.StringTerm("namespaces"), ast.ArrayTerm(objs.namespaces...)),
		ast.Item(ast.StringTerm("workloads"), ast.ArrayTerm(objs.workloads...)),
		ast.Item(ast.StringTerm("workloadsBySA"), ast.NewTerm(objs.bySA)),
		ast.Item(ast.StringTerm("platforms"), platformsTerm(in.platforms)),
	)
	return in
}

// bindingIndex renders input.index: where each subject and each role a
// binding refers to occurs, so that binding rules look up the few bindings
// that name system:authenticated or cluster-admin instead of walking every
// binding.
//
//	{"subjects": {kind: {namespace: {name: [[b, j], …]}}}, // input.bindings[b].subjects[j]
//	 "roleRefs": {kind: {namespace: {name: [b, …]}}}}      // a Role's namespace is its binding's
//
// lib/rbac.rego builds the same index from input.bindings when an input
// has none (rule tests, hand-written inputs).
func bindingIndex(g *scanner.Graph, t *terms) *ast.Term {
	type entries = map[scanner.Ref][]*ast.Term
	subjects, roleRefs := entries{}, entries{}
	var subjectOrder, roleOrder []scanner.Ref
	for b, bd := range g.Bindings {
		for j, s := range bd.Subjects {
			if _, ok := subjects[s.Ref]; !ok {
				subjectOrder = append(subjectOrder, s.Ref)
			}
			subjects[s.Ref] = append(subjects[s.Ref], ast.ArrayTerm(ast.InternedTerm(b), ast.InternedTerm(j)))
		}
		r := roleRef(bd)
		if _, ok := roleRefs[r]; !ok {
			roleOrder = append(roleOrder, r)
		}
		roleRefs[r] = append(roleRefs[r], ast.InternedTerm(b))
	}
	nest := func(order []scanner.Ref, lists entries) *ast.Term {
		root := ast.NewObject()
		level := func(o ast.Object, k string) ast.Object {
			if v := o.Get(t.str(k)); v != nil {
				return v.Value.(ast.Object)
			}
			n := ast.NewObject()
			o.Insert(t.str(k), ast.NewTerm(n))
			return n
		}
		for _, r := range order {
			level(level(root, r.Kind), r.Namespace).Insert(t.str(r.Name), ast.ArrayTerm(lists[r]...))
		}
		return ast.NewTerm(root)
	}
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("subjects"), nest(subjectOrder, subjects)),
		ast.Item(ast.StringTerm("roleRefs"), nest(roleOrder, roleRefs)),
	)
}

// platformsTerm renders the detected platforms as {"eks": "why", …}.
func platformsTerm(p map[string]string) *ast.Term {
	var items [][2]*ast.Term
	for _, k := range []string{"eks", "gke", "aks"} {
		if why, ok := p[k]; ok {
			items = append(items, ast.Item(ast.StringTerm(k), ast.StringTerm(why)))
		}
	}
	return ast.ObjectTerm(items...)
}

// platformSigns are the names and annotations that show a managed
// platform in the input: platform-specific rules run only then (catalogue
// trap 14).
var platformSigns = []struct {
	platform string
	prefix   []string // role, binding or subject names
	ann      string   // ServiceAccount annotation
}{
	{"eks", []string{"eks:", "eks-"}, "eks.amazonaws.com/role-arn"},
	{"gke", []string{"gce:", "gke-", "system:gke-", "gke:"}, "iam.gke.io/gcp-service-account"},
	{"aks", []string{"aks-", "aks:", "system:aks"}, "azure.workload.identity/client-id"},
}

// detectPlatforms says which managed platforms the input shows, and why.
func detectPlatforms(g *scanner.Graph) map[string]string {
	out := map[string]string{}
	note := func(p, why string) {
		if _, ok := out[p]; !ok {
			out[p] = why
		}
	}
	for _, sign := range platformSigns {
		for _, r := range g.Roles {
			for _, pre := range sign.prefix {
				if strings.HasPrefix(r.Name, pre) {
					note(sign.platform, describe(r.Ref)+" at "+r.Source.String())
				}
			}
		}
		for _, b := range g.Bindings {
			for _, pre := range sign.prefix {
				if strings.HasPrefix(b.Name, pre) {
					note(sign.platform, describe(b.Ref)+" at "+b.Source.String())
				}
				for _, sub := range b.Subjects {
					if strings.HasPrefix(sub.Name, pre) {
						note(sign.platform, describe(sub.Ref)+" at "+sub.Source.String())
					}
				}
			}
		}
		for _, x := range g.Objects {
			if x.Kind == scanner.KindServiceAccount && x.Annotations[sign.ann] != "" {
				note(sign.platform, "annotation "+sign.ann+" on "+describe(x.Ref)+" at "+x.Source.String())
			}
		}
	}
	return out
}

// unboundRoles lists the roles of the input that no binding refers to and
// whose rules reach no grant through aggregation; Kubernetes' own (system:
// names, built-in) and aggregated ClusterRoles are left out.
func unboundRoles(g *scanner.Graph) []*scanner.Role {
	bound := map[scanner.Ref]bool{}
	for _, b := range g.Bindings {
		bound[roleRef(b)] = true
	}
	for i := range g.Grants {
		if a := g.Grants[i].AggregatedFrom; a != nil {
			bound[*a] = true
		}
	}
	var out []*scanner.Role
	for _, r := range g.Roles {
		if bound[r.Ref] || r.AggregationRule != nil || r.Source.IsBuiltin() || strings.HasPrefix(r.Name, "system:") || len(r.Rules) == 0 {
			continue
		}
		out = append(out, r)
	}
	return out
}

type bindingID struct {
	ref scanner.Ref
	src scanner.Source
}

// objectTerms are the parts of the input built from Graph.Objects.
type objectTerms struct {
	serviceAccounts, namespaces, workloads []*ast.Term
	bySA                                   ast.Object
	workloadObjects                        []*scanner.Object
}

// buildObjects renders the ServiceAccounts, Namespaces and workloads of
// the graph in one pass over Graph.Objects, and indexes the workloads by
// the namespace and name of the ServiceAccount they run as.
func buildObjects(g *scanner.Graph, t *terms) objectTerms {
	o := objectTerms{
		serviceAccounts: []*ast.Term{},
		namespaces:      []*ast.Term{},
		workloads:       []*ast.Term{},
		bySA:            ast.NewObject(),
	}
	bySA := map[string]map[string][]*ast.Term{}
	var order [][2]string
	for _, x := range g.Objects {
		switch {
		case x.Kind == "ServiceAccount":
			o.serviceAccounts = append(o.serviceAccounts, ast.ObjectTerm(
				ast.Item(keyName, t.str(x.Name)),
				ast.Item(keyNamespace, t.str(x.Namespace)),
				ast.Item(keyAnnotations, cloudAnnotations(t, x)),
			))
		case x.Kind == "Namespace":
			o.namespaces = append(o.namespaces, t.str(x.Name))
		case workloadKinds[x.Kind]:
			sa := runsAs(x).Name
			w := len(o.workloads)
			o.workloads = append(o.workloads, ast.ObjectTerm(
				ast.Item(keyKind, t.str(x.Kind)),
				ast.Item(keyName, t.str(x.Name)),
				ast.Item(keyNamespace, t.str(x.Namespace)),
				ast.Item(keySAName, t.str(sa)),
			))
			o.workloadObjects = append(o.workloadObjects, x)
			names := bySA[x.Namespace]
			if names == nil {
				names = map[string][]*ast.Term{}
				bySA[x.Namespace] = names
			}
			if _, ok := names[sa]; !ok {
				order = append(order, [2]string{x.Namespace, sa})
			}
			names[sa] = append(names[sa], ast.InternedTerm(w))
		}
	}
	nsObjects := map[string]ast.Object{}
	for _, k := range order {
		m, ok := nsObjects[k[0]]
		if !ok {
			m = ast.NewObject()
			nsObjects[k[0]] = m
			o.bySA.Insert(t.str(k[0]), ast.NewTerm(m))
		}
		m.Insert(t.str(k[1]), ast.ArrayTerm(bySA[k[0]][k[1]]...))
	}
	return o
}

// cloudAnnotations renders the cloud identity annotations of a
// ServiceAccount (only those: not every annotation reaches the input).
func cloudAnnotations(t *terms, x *scanner.Object) *ast.Term {
	var ann [][2]*ast.Term
	for _, k := range cloudIdentityAnnotations {
		if v, ok := x.Annotations[k]; ok {
			ann = append(ann, ast.Item(t.str(k), t.str(v)))
		}
	}
	return ast.ObjectTerm(ann...)
}

// terms interns the terms the document repeats: strings, references and
// rules are built once and shared by every entry that holds them (terms are
// immutable once built).
type terms struct {
	strings map[string]*ast.Term
	refs    map[scanner.Ref]*ast.Term
}

func (t *terms) str(s string) *ast.Term {
	if v, ok := t.strings[s]; ok {
		return v
	}
	v := ast.StringTerm(s)
	t.strings[s] = v
	return v
}

func (t *terms) ref(r scanner.Ref) *ast.Term {
	if v, ok := t.refs[r]; ok {
		return v
	}
	v := ast.ObjectTerm(
		ast.Item(keyKind, t.str(r.Kind)),
		ast.Item(keyName, t.str(r.Name)),
		ast.Item(keyNamespace, t.str(r.Namespace)),
	)
	t.refs[r] = v
	return v
}

// workloadKinds are the objects that run pods: their pod template's
// ServiceAccount token is what a compromised container holds.
var workloadKinds = map[string]bool{
	"Pod": true, "Deployment": true, "DaemonSet": true, "StatefulSet": true, "ReplicaSet": true,
	"ReplicationController": true, "Job": true, "CronJob": true,
}

// cloudIdentityAnnotations are the ServiceAccount annotations that attach a
// cloud identity (AWS IRSA, GKE Workload Identity, Azure Workload
// Identity); only these reach the input, not every annotation.
var cloudIdentityAnnotations = []string{
	"eks.amazonaws.com/role-arn",
	"iam.gke.io/gcp-service-account",
	"azure.workload.identity/client-id",
}

// ruleID identifies a rule by the arrays its lists use: grants resolved
// from one role entry share them, so equal IDs mean equal contents without
// hashing the strings (different IDs may still hold equal contents).
type ruleID struct {
	p [5]*string
	n [5]int
}

func idOf(r *rbacv1.PolicyRule) ruleID {
	var id ruleID
	for i, l := range [5][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs} {
		if len(l) > 0 {
			id.p[i], id.n[i] = &l[0], len(l)
		}
	}
	return id
}

// ruleValue renders a rule as a Rego value, built once and shared by every
// grant that holds it.
func ruleValue(t *terms, r *rbacv1.PolicyRule) ast.Value {
	list := func(l []string) *ast.Term {
		ts := make([]*ast.Term, len(l))
		for i, s := range l {
			ts[i] = t.str(s)
		}
		return ast.ArrayTerm(ts...)
	}
	return ast.NewObject(
		ast.Item(ast.StringTerm("apiGroups"), list(r.APIGroups)),
		ast.Item(ast.StringTerm("resources"), list(r.Resources)),
		ast.Item(ast.StringTerm("verbs"), list(r.Verbs)),
		ast.Item(ast.StringTerm("resourceNames"), list(r.ResourceNames)),
		ast.Item(ast.StringTerm("nonResourceURLs"), list(r.NonResourceURLs)),
	)
}

// roleRef names the role a binding refers to: a Role is looked up in the
// binding's namespace, a ClusterRole is cluster-scoped.
func roleRef(b *scanner.Binding) scanner.Ref {
	r := scanner.Ref{Kind: b.RoleRef.Kind, Name: b.RoleRef.Name}
	if r.Kind == scanner.KindRole {
		r.Namespace = b.Namespace
	}
	return r
}

// writeRuleKey renders a rule's content for grouping; \x00 and \x01 cannot
// occur in Kubernetes names.
func writeRuleKey(b *strings.Builder, r *rbacv1.PolicyRule) {
	for _, l := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs} {
		for _, s := range l {
			b.WriteString(s)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func policyRule(r *rbacv1.PolicyRule) *reports.PolicyRule {
	return &reports.PolicyRule{
		APIGroups:       slices.Clone(nonNil(r.APIGroups)),
		Resources:       slices.Clone(nonNil(r.Resources)),
		Verbs:           slices.Clone(nonNil(r.Verbs)),
		ResourceNames:   slices.Clone(nonNil(r.ResourceNames)),
		NonResourceURLs: slices.Clone(nonNil(r.NonResourceURLs)),
	}
}

// describe renders a reference as `Kind "namespace/name"`, the Kubernetes
// describer's format.
func describe(r scanner.Ref) string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %q", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %q", r.Kind, r.Namespace+"/"+r.Name)
}
