package scanner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kubegrant/kubegrant/internal/par"
)

// Resolve turns an inventory into the Graph: every binding is followed to
// its role as the Kubernetes authorizer does (kubernetes/kubernetes
// pkg/registry/rbac/validation/rule.go, VisitRulesFor and appliesToUser),
// aggregated ClusterRoles are expanded, and each (binding, subject, rule)
// becomes one Grant.
//
//   - A RoleBinding refers to a Role in its own namespace only, or to a
//     ClusterRole, whose rules it grants in its namespace only.
//   - A ClusterRoleBinding refers to a ClusterRole and grants cluster-wide;
//     one that refers to a Role is invalid and grants nothing.
//   - A binding whose role is not in the input but is one of Kubernetes'
//     built-in roles (BuiltinRoles) resolves to the built-in role, as it
//     would in any cluster; a role of the same name in the input wins.
//     Built-in ClusterRoles also take part in aggregation: a ClusterRole of
//     the input labelled rbac.authorization.k8s.io/aggregate-to-edit adds
//     its rules to the built-in edit (and so to admin).
//   - A binding whose role is neither loaded nor built in grants nothing; it
//     stays in Graph.Bindings with a warning, since policies still look at
//     it.
//   - Of duplicate objects (same kind, namespace and name) the last loaded
//     wins, as a later kubectl apply would.
//
// Everything in the Graph is sorted, so the same input gives the same Graph.
func Resolve(inv *Inventory) *Graph {
	r := &resolver{}
	r.diags = append(r.diags, inv.Diagnostics...)
	g := &Graph{
		Roles:    dedupe(r, inv.Roles, func(x *Role) (Ref, Source) { return x.Ref, x.Source }),
		Bindings: dedupe(r, inv.Bindings, func(x *Binding) (Ref, Source) { return x.Ref, x.Source }),
		Objects:  dedupe(r, inv.Objects, func(x *Object) (Ref, Source) { return x.Ref, x.Source }),
		CRDs:     dedupeCRDs(inv.CRDs),
	}
	r.index(g.Roles)
	// Large clusters resolve to hundreds of thousands of grants: each
	// binding's role is looked up (and its rules expanded) in order, which
	// gives every binding its share of one slice sized once; the shares
	// are then filled on every core.
	roles := make([]*Role, len(g.Bindings))
	offsets := make([]int, len(g.Bindings)+1)
	for i, b := range g.Bindings {
		n := 0
		if roles[i] = r.role(b); roles[i] != nil {
			n = applicable(b) * len(r.rules(roles[i]))
		}
		offsets[i+1] = offsets[i] + n
	}
	g.Grants = make([]Grant, offsets[len(g.Bindings)])
	par.Ranges(len(g.Bindings), 1024, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if roles[i] != nil {
				r.fill(g.Bindings[i], roles[i], g.Grants[offsets[i]:offsets[i+1]])
			}
		}
	})
	g.AggregatedInto = r.aggregatedInto()
	for ref := range r.usedBuiltins {
		g.BuiltinRoles = append(g.BuiltinRoles, r.roles[ref])
	}
	slices.SortFunc(g.BuiltinRoles, func(a, b *Role) int { return compareRef(a.Ref, b.Ref) })
	r.diags = append(r.diags, CheckNames(g.Roles, NewAPIs(g.CRDs))...)
	g.Diagnostics = r.diags
	slices.SortStableFunc(g.Diagnostics, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Location.File, b.Location.File),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.Location.Cluster, b.Location.Cluster),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return g
}

// resolver holds the indexes and memos of one Resolve.
type resolver struct {
	diags []Diagnostic
	// roles are the input's roles and the built-in roles the input does
	// not redefine.
	roles map[Ref]*Role
	// usedBuiltins are the built-in roles a binding refers to.
	usedBuiltins map[Ref]bool
	// clusterRoles are sorted by name; byLabel indexes them by label key
	// so a selector only tests the roles that carry its first key.
	clusterRoles []*Role
	byLabel      map[string][]*Role
	// matched memoises the ClusterRoles each aggregated role selects
	// directly, effective the expanded rules of each role.
	matched   map[*Role][]*Role
	effective map[*Role][]effectiveRule
}

// effectiveRule is one rule of a role after aggregation.
type effectiveRule struct {
	rule *Rule
	// from is the ClusterRole the rule is written in when it came through
	// an aggregationRule, else nil.
	from *Role
	// aggregatedFrom is a copy of from's Ref, shared by the grants of the
	// rule rather than allocated for each of them.
	aggregatedFrom *Ref
}

func (r *resolver) warn(src Source, format string, args ...any) {
	r.diag(DiagWarning, src, format, args...)
}

func (r *resolver) diag(sev string, src Source, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{Severity: sev, Message: fmt.Sprintf(format, args...), Location: src})
}

// dedupe keeps the last of the objects with the same Ref, warning about the
// others, and sorts the result by kind, namespace and name.
func dedupe[T any](r *resolver, items []T, key func(T) (Ref, Source)) []T {
	last := make(map[Ref]int, len(items))
	for i, it := range items {
		ref, src := key(it)
		if j, ok := last[ref]; ok {
			_, prev := key(items[j])
			r.warn(src, "%s is defined more than once (also at %s); the last definition is used", ref, prev)
		}
		last[ref] = i
	}
	out := make([]T, 0, len(last))
	for i, it := range items {
		if ref, _ := key(it); last[ref] == i {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b T) int {
		ra, _ := key(a)
		rb, _ := key(b)
		return compareRef(ra, rb)
	})
	return out
}

func compareRef(a, b Ref) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

func (r *resolver) index(roles []*Role) {
	builtins := builtinRoles()
	r.roles = make(map[Ref]*Role, len(roles)+len(builtins))
	r.usedBuiltins = map[Ref]bool{}
	r.byLabel = map[string][]*Role{}
	r.matched = map[*Role][]*Role{}
	r.effective = map[*Role][]effectiveRule{}
	add := func(role *Role) {
		r.roles[role.Ref] = role
		if role.Kind != KindClusterRole {
			return
		}
		r.clusterRoles = append(r.clusterRoles, role)
		for k := range role.Labels {
			r.byLabel[k] = append(r.byLabel[k], role)
		}
	}
	for _, role := range roles {
		add(role)
	}
	for ref, role := range builtins {
		if r.roles[ref] == nil {
			add(role)
		}
	}
	byName := func(a, b *Role) int { return cmp.Compare(a.Name, b.Name) }
	slices.SortFunc(r.clusterRoles, byName)
	for _, l := range r.byLabel {
		slices.SortFunc(l, byName)
	}
}

// directMatches returns the ClusterRoles role's aggregationRule selects,
// never role itself, in the order the aggregation controller visits them
// (selector by selector, by name).
func (r *resolver) directMatches(role *Role) []*Role {
	if m, ok := r.matched[role]; ok {
		return m
	}
	var out []*Role
	seen := map[*Role]bool{role: true}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		ls := &role.AggregationRule.ClusterRoleSelectors[i]
		sel, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			r.diag(DiagError, role.Source, "ClusterRole %q: aggregationRule.clusterRoleSelectors[%d]: %v; selector ignored", role.Name, i, err)
			continue
		}
		for _, c := range r.candidates(sel) {
			if !seen[c] && sel.Matches(labels.Set(c.Labels)) {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	r.matched[role] = out
	return out
}

// candidates narrows the ClusterRoles a selector can match to those that
// carry the key of one of its positive requirements.
func (r *resolver) candidates(sel labels.Selector) []*Role {
	reqs, _ := sel.Requirements()
	for _, req := range reqs {
		switch req.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In, selection.Exists:
			return r.byLabel[req.Key()]
		}
	}
	return r.clusterRoles
}

// rules returns the effective rules of a role: its own, and for a
// ClusterRole with an aggregationRule, those of every ClusterRole it selects,
// transitively (a selected aggregated role contributes what it aggregates,
// as it would once the controller has filled it in). Cycles are harmless:
// each role is visited once. Semantically equal rules appear once; a role's
// own rule wins over an equal aggregated one.
//
// Unlike the aggregation controller, which overwrites an aggregated role's
// rules, the written rules are kept: for a role read from a live cluster
// they are the aggregated rules already, and for a manifest they are what
// the author asked for (a warning says the controller would drop them).
func (r *resolver) rules(role *Role) []effectiveRule {
	if e, ok := r.effective[role]; ok {
		return e
	}
	var out []effectiveRule
	for i := range role.Rules {
		out = append(out, effectiveRule{rule: &role.Rules[i]})
	}
	if role.Kind == KindClusterRole && role.AggregationRule != nil {
		seenRule := map[string]bool{}
		for _, e := range out {
			seenRule[ruleKey(e.rule)] = true
		}
		own := len(seenRule)
		contributed := map[string]bool{}
		for _, m := range r.aggregated(role) {
			for i := range m.Rules {
				k := ruleKey(&m.Rules[i])
				contributed[k] = true
				if !seenRule[k] {
					seenRule[k] = true
					from := m.Ref
					out = append(out, effectiveRule{rule: &m.Rules[i], from: m, aggregatedFrom: &from})
				}
			}
		}
		if role.Source.File != "" && own > 0 {
			extra := 0
			for i := range role.Rules {
				if !contributed[ruleKey(&role.Rules[i])] {
					extra++
				}
			}
			if extra > 0 {
				r.warn(role.Source, "ClusterRole %q has an aggregationRule and %d rule(s) of its own that no selected ClusterRole provides; the aggregation controller would replace them, they are analysed as written", role.Name, extra)
			}
		}
	}
	r.effective[role] = out
	return out
}

// aggregated returns the ClusterRoles whose rules role aggregates: those
// its aggregationRule selects and, transitively, those a selected
// aggregated role selects, each once and never role itself, breadth first.
func (r *resolver) aggregated(role *Role) []*Role {
	var out []*Role
	visited := map[*Role]bool{role: true}
	queue := []*Role{role}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur.AggregationRule == nil {
			continue
		}
		for _, m := range r.directMatches(cur) {
			if !visited[m] {
				visited[m] = true
				queue = append(queue, m)
				out = append(out, m)
			}
		}
	}
	return out
}

// aggregatedInto maps each ClusterRole of the input that an aggregated
// ClusterRole (of the input or built in) includes to the aggregated roles,
// sorted by name.
func (r *resolver) aggregatedInto() map[Ref][]Ref {
	var out map[Ref][]Ref
	for _, a := range r.clusterRoles {
		if a.AggregationRule == nil {
			continue
		}
		for _, m := range r.aggregated(a) {
			if m.Source.IsBuiltin() {
				continue
			}
			if out == nil {
				out = map[Ref][]Ref{}
			}
			out[m.Ref] = append(out[m.Ref], a.Ref)
		}
	}
	return out
}

// ruleKey identifies a rule up to the order and repetition of its list
// entries.
func ruleKey(rule *Rule) string {
	var b strings.Builder
	for _, list := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs, rule.ResourceNames, rule.NonResourceURLs} {
		s := slices.Clone(list)
		slices.Sort(s)
		s = slices.Compact(s)
		for _, x := range s {
			b.WriteString(x)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
}

// grantCount is the number of grants b yields, without diagnostics.
// applicable counts the subjects of b the authorizer can match.
func applicable(b *Binding) int {
	n := 0
	for _, s := range b.Subjects {
		if canApply(s) {
			n++
		}
	}
	return n
}

// role returns the role b refers to, or nil (with a diagnostic) when it
// grants nothing.
func (r *resolver) role(b *Binding) *Role {
	rr := b.RoleRef
	var ref Ref
	switch rr.Kind {
	case KindRole:
		if b.Kind == KindClusterRoleBinding {
			r.diag(DiagError, b.Source, "ClusterRoleBinding %q refers to Role %q; a ClusterRoleBinding can only refer to a ClusterRole; it grants nothing", b.Name, rr.Name)
			return nil
		}
		ref = Ref{Kind: KindRole, Name: rr.Name, Namespace: b.Namespace}
	case KindClusterRole:
		ref = Ref{Kind: KindClusterRole, Name: rr.Name}
	default:
		r.diag(DiagError, b.Source, "%s %s: roleRef.kind %q is neither Role nor ClusterRole; it grants nothing", b.Kind, bindingName(b), rr.Kind)
		return nil
	}
	role := r.roles[ref]
	if role == nil {
		where := ""
		if ref.Kind == KindRole {
			where = fmt.Sprintf(" in namespace %q", ref.Namespace)
		}
		r.warn(b.Source, "%s %s refers to %s %q, which is not defined%s in the loaded input and is not a Kubernetes built-in role; it grants nothing here", b.Kind, bindingName(b), ref.Kind, ref.Name, where)
		return nil
	}
	if role.Source.IsBuiltin() {
		r.usedBuiltins[ref] = true
	}
	return role
}

// fill writes the grants of b through role into out, which holds exactly
// applicable(b) × its rules. It only reads the resolver (role's rules were
// expanded by role's caller), so bindings are filled concurrently.
func (r *resolver) fill(b *Binding, role *Role, out []Grant) {
	scope := ""
	if b.Kind == KindRoleBinding {
		scope = b.Namespace
	}
	rules := r.effective[role]
	k := 0
	for _, s := range b.Subjects {
		if !canApply(s) {
			continue
		}
		for _, e := range rules {
			out[k] = Grant{
				Subject:       s,
				Binding:       b.Ref,
				BindingSource: b.Source,
				Role:          role.Ref,
				Scope:         scope,
				Rule:          e.rule.PolicyRule,
				RuleSource:    e.rule.Source,
			}
			if e.from != nil {
				out[k].AggregatedFrom = e.aggregatedFrom
			}
			k++
		}
	}
}

func bindingName(b *Binding) string {
	if b.Namespace == "" {
		return fmt.Sprintf("%q", b.Name)
	}
	return fmt.Sprintf("%q", b.Namespace+"/"+b.Name)
}

// canApply reports whether a subject can match any user: a ServiceAccount
// without a namespace (possible only in a ClusterRoleBinding) and unknown
// kinds never do.
func canApply(s Subject) bool {
	switch s.Kind {
	case KindUser, KindGroup:
		return true
	case KindServiceAccount:
		return s.Namespace != ""
	}
	return false
}
