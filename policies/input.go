package policies

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// input is the policy input document and the index that maps its entries
// back to the Graph.
type input struct {
	// doc is the input document, built directly as a Rego value: the
	// grants of a large cluster make a document of millions of terms, and
	// going through map[string]any and ast.InterfaceToValue doubled both
	// the time and the memory of a scan.
	doc ast.Value
	// groups[i] lists, for input.grants[i].subjects[j], the index of the
	// scanner.Grant in g.Grants.
	groups [][]int
	// workloads[w] is the object of input.workloads[w].
	workloads []*scanner.Object
}

// groupKey identifies one (binding, role, scope, rule) grant group. occurrence
// separates a subject that holds two identical rules (two rule entries with
// the same content and source) so no subject appears twice in a group.
type groupKey struct {
	binding       scanner.Ref
	bindingSource scanner.Source
	role          scanner.Ref
	scope         string
	ruleSource    scanner.Source
	aggregated    scanner.Ref
	rule          int // index into the distinct rules
	occurrence    int
}

type subjectSeen struct {
	key     groupKey
	subject scanner.Ref
}

// terms interns the terms the document repeats: strings, references and
// rules are built once and shared by every entry that holds them (terms are
// immutable once built).
type terms struct {
	strings map[string]*ast.Term
	refs    map[scanner.Ref]*ast.Term
}

var (
	keyKind, keyName, keyNamespace = ast.StringTerm("kind"), ast.StringTerm("name"), ast.StringTerm("namespace")
	keyBinding, keyRole, keyScope  = ast.StringTerm("binding"), ast.StringTerm("role"), ast.StringTerm("scope")
	keyRule, keySubjects, keyAgg   = ast.StringTerm("rule"), ast.StringTerm("subjects"), ast.StringTerm("aggregatedFrom")
	keyRoleRef                     = ast.StringTerm("roleRef")
)

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

// buildInput groups the flattened per-subject grants by (binding, rule) and
// renders the input document described in doc.go. Arrays are never null.
func buildInput(g *scanner.Graph) input {
	t := &terms{strings: map[string]*ast.Term{}, refs: map[scanner.Ref]*ast.Term{}}
	// Grant groups never span bindings, and the resolver emits each
	// binding's grants together: group within each binding's run, by
	// position when the run has the resolver's shape, else with small maps,
	// rather than hashing every grant's binding and sources into maps of
	// the whole graph. When a binding comes back after another (a
	// hand-built Graph), everything is grouped over the whole graph.
	bl := &builder{
		g:         g,
		t:         t,
		index:     map[groupKey]int{},
		seen:      map[subjectSeen]int{},
		ruleIndex: map[string]int{},
		ruleByID:  map[ruleID]int{},
		groups:    make([][]int, 0, len(g.Grants)/2),
		first:     make([]int, 0, len(g.Grants)/2),
		groupRule: make([]int, 0, len(g.Grants)/2),
		subjects:  make([]*ast.Term, 0, len(g.Grants)/2),
		members:   make([]int, 0, len(g.Grants)),
	}
	// runs[r] is where the r-th run of one binding's grants starts.
	runs := []int{}
	done := map[bindingID]bool{}
	contiguous := true
	for a := 0; a < len(g.Grants); {
		id := bindingID{g.Grants[a].Binding, g.Grants[a].BindingSource}
		b := a + 1
		for b < len(g.Grants) && g.Grants[b].Binding == id.ref && g.Grants[b].BindingSource == id.src {
			b++
		}
		contiguous = contiguous && !done[id]
		done[id] = true
		runs = append(runs, a)
		a = b
	}
	if !contiguous {
		bl.grouped(0, len(g.Grants), true)
	} else {
		for r, a := range runs {
			b := len(g.Grants)
			if r+1 < len(runs) {
				b = runs[r+1]
			}
			if !bl.positional(a, b) {
				clear(bl.index)
				clear(bl.seen)
				bl.grouped(a, b, false)
			}
		}
	}
	groups := bl.groups
	grants := make([]*ast.Term, len(groups))
	for i, members := range groups {
		gr := &g.Grants[bl.first[i]]
		subjects := bl.subjects[i]
		if subjects == nil {
			l := make([]*ast.Term, len(members))
			for j, gi := range members {
				l[j] = t.ref(g.Grants[gi].Subject.Ref)
			}
			subjects = ast.ArrayTerm(l...)
		}
		agg := ast.InternedNullTerm
		if gr.AggregatedFrom != nil {
			agg = t.ref(*gr.AggregatedFrom)
		}
		grants[i] = ast.ObjectTerm(
			ast.Item(keyBinding, t.ref(gr.Binding)),
			ast.Item(keyRole, t.ref(gr.Role)),
			ast.Item(keyScope, t.str(gr.Scope)),
			ast.Item(keyRule, bl.rules[bl.groupRule[i]]),
			ast.Item(keySubjects, subjects),
			ast.Item(keyAgg, agg),
		)
	}
	rules, ruleGrants := bl.rules, bl.ruleGrants
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
		)
	}
	rg := make([]*ast.Term, len(ruleGrants))
	for i, l := range ruleGrants {
		rg[i] = ast.ArrayTerm(l...)
	}
	roles := make([]*ast.Term, len(g.Roles))
	for i, r := range g.Roles {
		roles[i] = t.ref(r.Ref)
	}
	objs := buildObjects(g, t)
	// saGrants: the grants with a ServiceAccount subject that the
	// object-aware rules ask about, so lib/risk.rego skips the others with
	// one lookup.
	saGrants := ast.NewObject()
	for i, members := range groups {
		for _, gi := range members {
			if objs.interesting(g.Grants[gi].Subject.Ref) {
				saGrants.Insert(ast.InternedTerm(i), ast.InternedTerm(true))
				break
			}
		}
	}
	return input{
		doc: ast.NewObject(
			ast.Item(ast.StringTerm("grants"), ast.ArrayTerm(grants...)),
			ast.Item(ast.StringTerm("bindings"), ast.ArrayTerm(bindings...)),
			ast.Item(ast.StringTerm("rules"), ast.ArrayTerm(rules...)),
			ast.Item(ast.StringTerm("ruleGrants"), ast.ArrayTerm(rg...)),
			ast.Item(ast.StringTerm("roles"), ast.ArrayTerm(roles...)),
			ast.Item(ast.StringTerm("serviceAccounts"), ast.ArrayTerm(objs.serviceAccounts...)),
			ast.Item(ast.StringTerm("namespaces"), ast.ArrayTerm(objs.namespaces...)),
			ast.Item(ast.StringTerm("workloads"), ast.ArrayTerm(objs.workloads...)),
			ast.Item(ast.StringTerm("workloadsBySA"), ast.NewTerm(objs.bySA)),
			ast.Item(ast.StringTerm("saGrants"), ast.NewTerm(saGrants)),
		),
		groups:    groups,
		workloads: objs.workloadObjects,
	}
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

var (
	keyAnnotations = ast.StringTerm("annotations")
	keySAName      = ast.StringTerm("serviceAccountName")
)

// objectTerms are the parts of the input built from Graph.Objects.
type objectTerms struct {
	serviceAccounts, namespaces, workloads []*ast.Term
	bySA                                   ast.Object
	workloadObjects                        []*scanner.Object
	// runAs and cloud hold the ServiceAccounts that workloads run as and
	// those with a cloud identity annotation.
	runAs, cloud map[scanner.Ref]bool
}

// interesting reports whether the object-aware rules ask about a subject:
// a ServiceAccount named default, run by a workload or with a cloud
// identity (lib/risk.rego's of_interest).
func (o *objectTerms) interesting(s scanner.Ref) bool {
	return s.Kind == scanner.KindServiceAccount && (s.Name == "default" || o.runAs[s] || o.cloud[s])
}

// buildObjects renders the ServiceAccounts, Namespaces and workloads of
// the graph in one pass over Graph.Objects, and indexes the workloads by
// the namespace and name of the ServiceAccount they run as, so that rules
// join grants to workloads with one lookup.
func buildObjects(g *scanner.Graph, t *terms) objectTerms {
	o := objectTerms{
		serviceAccounts: []*ast.Term{},
		namespaces:      []*ast.Term{},
		workloads:       []*ast.Term{},
		bySA:            ast.NewObject(),
		runAs:           map[scanner.Ref]bool{},
		cloud:           map[scanner.Ref]bool{},
	}
	// bySA[namespace][name]: the workloads running as that ServiceAccount,
	// in order of first appearance.
	bySA := map[string]map[string][]*ast.Term{}
	var order [][2]string
	for _, x := range g.Objects {
		switch {
		case x.Kind == "ServiceAccount":
			var ann [][2]*ast.Term
			for _, k := range cloudIdentityAnnotations {
				if v, ok := x.Annotations[k]; ok {
					ann = append(ann, ast.Item(t.str(k), t.str(v)))
				}
			}
			o.serviceAccounts = append(o.serviceAccounts, ast.ObjectTerm(
				ast.Item(keyName, t.str(x.Name)),
				ast.Item(keyNamespace, t.str(x.Namespace)),
				ast.Item(keyAnnotations, ast.ObjectTerm(ann...)),
			))
			if len(ann) > 0 {
				o.cloud[scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: x.Name}] = true
			}
		case x.Kind == "Namespace":
			o.namespaces = append(o.namespaces, t.str(x.Name))
		case workloadKinds[x.Kind]:
			sa := x.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			w := len(o.workloads)
			o.workloads = append(o.workloads, ast.ObjectTerm(
				ast.Item(keyKind, t.str(x.Kind)),
				ast.Item(keyName, t.str(x.Name)),
				ast.Item(keyNamespace, t.str(x.Namespace)),
				ast.Item(keySAName, t.str(sa)),
			))
			o.workloadObjects = append(o.workloadObjects, x)
			o.runAs[scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: sa}] = true
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

type bindingID struct {
	ref scanner.Ref
	src scanner.Source
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

// builder groups grants and collects the distinct rules.
type builder struct {
	g     *scanner.Graph
	t     *terms
	index map[groupKey]int
	seen  map[subjectSeen]int
	// Unique rule contents: most bindings share a few roles, so rules
	// match once per distinct rule and join to grants through ruleGrants.
	ruleIndex  map[string]int
	ruleByID   map[ruleID]int
	key        strings.Builder
	rules      []*ast.Term
	ruleGrants [][]*ast.Term
	groups     [][]int
	first      []int       // first[i]: a member of groups[i], for its shared fields
	groupRule  []int       // groupRule[i]: the rule index of groups[i]
	subjects   []*ast.Term // subjects[i]: the subjects of groups[i], or nil to build
	members    []int       // backing array of the positional groups
	runSubject []scanner.Ref
}

// rule returns the index of the grant's rule among the distinct rules.
func (bl *builder) rule(r *rbacv1.PolicyRule) int {
	id := idOf(r)
	if ri, ok := bl.ruleByID[id]; ok {
		return ri
	}
	bl.key.Reset()
	writeRuleKey(&bl.key, r)
	ri, ok := bl.ruleIndex[bl.key.String()]
	if !ok {
		ri = len(bl.rules)
		bl.ruleIndex[bl.key.String()] = ri
		bl.rules = append(bl.rules, ast.NewTerm(ruleValue(bl.t, r)))
		bl.ruleGrants = append(bl.ruleGrants, nil)
	}
	bl.ruleByID[id] = ri
	return ri
}

func (bl *builder) newGroup(gi, ri int, members []int, subjects *ast.Term) int {
	i := len(bl.groups)
	bl.groups = append(bl.groups, members)
	bl.first = append(bl.first, gi)
	bl.groupRule = append(bl.groupRule, ri)
	bl.subjects = append(bl.subjects, subjects)
	bl.ruleGrants[ri] = append(bl.ruleGrants[ri], ast.InternedTerm(i))
	return i
}

// grouped groups the grants [a, b) through maps: by (binding, role, scope,
// rule, occurrence), the binding left out of the key when the run is
// known to hold all of its binding's grants.
func (bl *builder) grouped(a, b int, withBinding bool) {
	for gi := a; gi < b; gi++ {
		gr := &bl.g.Grants[gi]
		ri := bl.rule(&gr.Rule)
		k := groupKey{
			role:       gr.Role,
			scope:      gr.Scope,
			ruleSource: gr.RuleSource,
			rule:       ri,
		}
		if withBinding {
			k.binding, k.bindingSource = gr.Binding, gr.BindingSource
		}
		if gr.AggregatedFrom != nil {
			k.aggregated = *gr.AggregatedFrom
		}
		s := subjectSeen{key: k, subject: gr.Subject.Ref}
		k.occurrence = seen(bl.seen, s)
		i, ok := bl.index[k]
		if !ok {
			i = bl.newGroup(gi, ri, nil, nil)
			bl.index[k] = i
		}
		bl.groups[i] = append(bl.groups[i], gi)
	}
}

func seen(m map[subjectSeen]int, s subjectSeen) int {
	n := m[s]
	m[s]++
	return n
}

// positional groups the grants [a, b) of one binding without maps when
// they have the resolver's shape: distinct subjects one after the other,
// each with the same sequence of rule entries. Then the e-th entry of every
// subject falls in the same group (an entry repeated in the sequence is
// the same occurrence for every subject), which is what grouped computes.
// It reports false, having done nothing, for any other shape.
func (bl *builder) positional(a, b int) bool {
	gs := bl.g.Grants
	m := 1
	for a+m < b && gs[a+m].Subject.Ref == gs[a].Subject.Ref {
		m++
	}
	n := b - a
	if n%m != 0 {
		return false
	}
	k := n / m
	bl.runSubject = bl.runSubject[:0]
	for j := range k {
		s := gs[a+j*m].Subject.Ref
		if slices.Contains(bl.runSubject, s) {
			return false
		}
		bl.runSubject = append(bl.runSubject, s)
		for e := range m {
			x, y := &gs[a+e], &gs[a+j*m+e]
			if y.Subject.Ref != s || !sameGroup(x, y) {
				return false
			}
		}
	}
	l := make([]*ast.Term, k)
	for j, s := range bl.runSubject {
		l[j] = bl.t.ref(s)
	}
	subjects := ast.ArrayTerm(l...)
	for e := range m {
		start := len(bl.members)
		for j := range k {
			bl.members = append(bl.members, a+j*m+e)
		}
		bl.newGroup(a+e, bl.rule(&gs[a+e].Rule), bl.members[start:len(bl.members):len(bl.members)], subjects)
	}
	return true
}

// sameGroup reports whether two grants of one binding have the same role,
// scope, rule entry and aggregated-from role.
func sameGroup(x, y *scanner.Grant) bool {
	if x.Role != y.Role || x.Scope != y.Scope || x.RuleSource != y.RuleSource {
		return false
	}
	if (x.AggregatedFrom == nil) != (y.AggregatedFrom == nil) ||
		x.AggregatedFrom != nil && *x.AggregatedFrom != *y.AggregatedFrom {
		return false
	}
	if idOf(&x.Rule) == idOf(&y.Rule) {
		return true
	}
	return slices.Equal(x.Rule.APIGroups, y.Rule.APIGroups) &&
		slices.Equal(x.Rule.Resources, y.Rule.Resources) &&
		slices.Equal(x.Rule.Verbs, y.Rule.Verbs) &&
		slices.Equal(x.Rule.ResourceNames, y.Rule.ResourceNames) &&
		slices.Equal(x.Rule.NonResourceURLs, y.Rule.NonResourceURLs)
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

// roleSources indexes where each role is written, for the aggregated-from
// related location.
func roleSources(g *scanner.Graph) map[scanner.Ref]scanner.Source {
	m := make(map[scanner.Ref]scanner.Source, len(g.Roles))
	for _, r := range g.Roles {
		m[r.Ref] = r.Source
	}
	return m
}

// fanOut turns rule results into findings: one per (grant, subject), or
// per (binding, subject) for binding-level rules.
type fanOut struct {
	g           *scanner.Graph
	in          input
	roleSources map[scanner.Ref]scanner.Source
	out         []sortable
	described   map[scanner.Ref]string // describe's results
}

// describe is the package's describe, memoised: the same bindings and
// subjects come back in many findings.
func (fo *fanOut) describe(r scanner.Ref) string {
	if s, ok := fo.described[r]; ok {
		return s
	}
	s := describe(r)
	fo.described[r] = s
	return s
}

// sortable carries the position a finding sorts by: rule ID, then the
// graph order of its grant or binding, then subject, then message.
type sortable struct {
	f          reports.Finding
	bindingLvl bool
	pos, sub   int
}

// fanOutSize is the number of findings r makes, for sizing; out of range
// indices are add's to report.
func fanOutSize(g *scanner.Graph, in input, r result) int {
	n := 0
	switch {
	case r.grant >= 0 && r.grant < len(in.groups):
		n = len(in.groups[r.grant])
	case r.binding >= 0 && r.binding < len(g.Bindings):
		n = len(g.Bindings[r.binding].Subjects)
	}
	if r.subject >= 0 && n > 0 {
		n = 1
	}
	return n
}

func (fo *fanOut) add(m ruleMeta, r result) error {
	sev := m.rule.Severity
	if r.severity != "" {
		sev = r.severity
	}
	if r.object >= len(fo.in.workloads) {
		return fmt.Errorf("object %d out of range (%d workloads)", r.object, len(fo.in.workloads))
	}
	start := len(fo.out)
	var err error
	if r.grant >= 0 {
		err = fo.addGrant(m, r, sev)
	} else {
		err = fo.addBinding(m, r, sev)
	}
	if r.object >= 0 {
		// The workload the finding is about, e.g. the first one that runs
		// as the ServiceAccount holding the grant.
		o := fo.in.workloads[r.object]
		for i := start; i < len(fo.out); i++ {
			f := &fo.out[i].f
			f.RelatedLocations = append(f.RelatedLocations, related(
				relatedLoc{"workload " + fo.describe(o.Ref), o.Source},
			)...)
		}
	}
	return err
}

func (fo *fanOut) addGrant(m ruleMeta, r result, sev reports.Severity) error {
	if r.grant >= len(fo.in.groups) {
		return fmt.Errorf("grant %d out of range (%d grants)", r.grant, len(fo.in.groups))
	}
	members := fo.in.groups[r.grant]
	if r.subject >= len(members) {
		return fmt.Errorf("grant %d: subject %d out of range (%d subjects)", r.grant, r.subject, len(members))
	}
	for j, gi := range members {
		if r.subject >= 0 && j != r.subject {
			continue
		}
		gr := &fo.g.Grants[gi]
		f := newFinding(m, r, sev, gr.Subject.Ref, gr.Binding, gr.Role, gr.Scope, gr.RuleSource, gr.BindingSource)
		f.Rule = policyRule(&gr.Rule)
		f.Grants = []*scanner.Grant{gr}
		f.RelatedLocations = related(
			relatedLoc{"binding " + fo.describe(gr.Binding), gr.BindingSource},
			relatedLoc{"subject " + fo.describe(gr.Subject.Ref), gr.Subject.Source},
		)
		if gr.AggregatedFrom != nil {
			f.RelatedLocations = append(f.RelatedLocations, related(
				relatedLoc{"aggregated from " + fo.describe(*gr.AggregatedFrom), fo.roleSources[*gr.AggregatedFrom]},
			)...)
			// The same rule can reach one binding through two aggregated
			// ClusterRoles: tell those findings apart without the line
			// number, which must not move fingerprints.
			f.Key = "aggregatedFrom=" + gr.AggregatedFrom.String()
		}
		fo.out = append(fo.out, sortable{f: f, pos: gi, sub: j})
	}
	return nil
}

func (fo *fanOut) addBinding(m ruleMeta, r result, sev reports.Severity) error {
	if r.binding >= len(fo.g.Bindings) {
		return fmt.Errorf("binding %d out of range (%d bindings)", r.binding, len(fo.g.Bindings))
	}
	b := fo.g.Bindings[r.binding]
	if r.subject >= len(b.Subjects) {
		return fmt.Errorf("binding %d: subject %d out of range (%d subjects)", r.binding, r.subject, len(b.Subjects))
	}
	for j, s := range b.Subjects {
		if r.subject >= 0 && j != r.subject {
			continue
		}
		role := roleRef(b)
		scope := ""
		if b.Kind == scanner.KindRoleBinding {
			scope = b.Namespace
		}
		f := newFinding(m, r, sev, s.Ref, b.Ref, role, scope, s.Source, b.Source)
		f.RelatedLocations = related(
			relatedLoc{"binding " + fo.describe(b.Ref), b.Source},
			relatedLoc{"role " + fo.describe(role), fo.roleSources[role]},
		)
		fo.out = append(fo.out, sortable{f: f, bindingLvl: true, pos: r.binding, sub: j})
	}
	return nil
}

// newFinding builds the part of a finding that grant-level and
// binding-level results share; loc falls back to fallback when unknown.
func newFinding(m ruleMeta, r result, sev reports.Severity, subject, binding, role scanner.Ref, scope string, loc, fallback scanner.Source) reports.Finding {
	// A built-in role's rule is written nowhere the user can change: point
	// at the binding that grants it.
	if loc == (scanner.Source{}) || loc.IsBuiltin() {
		loc = fallback
	}
	return reports.Finding{
		RuleID:   m.rule.ID,
		Severity: sev,
		Kind:     m.kind,
		Message:  r.msg,
		Subject:  &subject,
		Binding:  &binding,
		Role:     &role,
		Scope:    scope,
		Location: loc,
	}
}

type relatedLoc struct {
	msg string
	loc scanner.Source
}

// related keeps the locations that are known: an empty Source helps nobody.
func related(locs ...relatedLoc) []reports.RelatedLocation {
	var out []reports.RelatedLocation
	for _, l := range locs {
		if l.loc != (scanner.Source{}) {
			out = append(out, reports.RelatedLocation{Message: l.msg, Location: l.loc})
		}
	}
	return out
}

// describe renders a reference as `Kind "namespace/name"`, the Kubernetes
// describer's format.
func describe(r scanner.Ref) string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %q", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %q", r.Kind, r.Namespace+"/"+r.Name)
}

func (fo *fanOut) sorted() []reports.Finding {
	slices.SortFunc(fo.out, func(a, b sortable) int {
		if c := strings.Compare(a.f.RuleID, b.f.RuleID); c != 0 {
			return c
		}
		if a.bindingLvl != b.bindingLvl {
			if a.bindingLvl {
				return 1
			}
			return -1
		}
		return cmp.Or(
			cmp.Compare(a.pos, b.pos),
			cmp.Compare(a.sub, b.sub),
			strings.Compare(a.f.Message, b.f.Message),
		)
	})
	out := make([]reports.Finding, len(fo.out))
	for i := range fo.out {
		out[i] = fo.out[i].f
	}
	return out
}
