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
	doc map[string]any
	// groups[i] lists, for input.grants[i].subjects[j], the index of the
	// scanner.Grant in g.Grants.
	groups [][]int
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
	rule          string
	occurrence    int
}

type subjectSeen struct {
	key     groupKey
	subject scanner.Ref
}

// buildInput groups the flattened per-subject grants by (binding, rule) and
// renders the input document described in doc.go. Arrays are never null.
func buildInput(g *scanner.Graph) input {
	index := map[groupKey]int{}
	seen := map[subjectSeen]int{}
	var groups [][]int
	var grants []any
	// Unique rule contents: most bindings share a few roles, so rules
	// match once per distinct rule and join to grants through ruleGrants.
	ruleIndex := map[string]int{}
	rules := []any{}
	ruleGrants := [][]any{}
	for gi := range g.Grants {
		gr := &g.Grants[gi]
		k := groupKey{
			binding:       gr.Binding,
			bindingSource: gr.BindingSource,
			role:          gr.Role,
			scope:         gr.Scope,
			ruleSource:    gr.RuleSource,
			rule:          ruleKey(&gr.Rule),
		}
		if gr.AggregatedFrom != nil {
			k.aggregated = *gr.AggregatedFrom
		}
		s := subjectSeen{key: k, subject: gr.Subject.Ref}
		k.occurrence = seen[s]
		seen[s]++
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
			var agg any
			if gr.AggregatedFrom != nil {
				agg = refDoc(*gr.AggregatedFrom)
			}
			ri, ok := ruleIndex[k.rule]
			if !ok {
				ri = len(rules)
				ruleIndex[k.rule] = ri
				// Converted once and shared by every grant with this rule.
				rules = append(rules, ruleValue(&gr.Rule))
				ruleGrants = append(ruleGrants, nil)
			}
			ruleGrants[ri] = append(ruleGrants[ri], i)
			grants = append(grants, map[string]any{
				"binding":        refDoc(gr.Binding),
				"role":           refDoc(gr.Role),
				"scope":          gr.Scope,
				"rule":           rules[ri],
				"subjects":       []any{},
				"aggregatedFrom": agg,
			})
		}
		groups[i] = append(groups[i], gi)
		doc := grants[i].(map[string]any)
		doc["subjects"] = append(doc["subjects"].([]any), refDoc(gr.Subject.Ref))
	}
	bindings := make([]any, 0, len(g.Bindings))
	for _, b := range g.Bindings {
		subjects := make([]any, 0, len(b.Subjects))
		for _, s := range b.Subjects {
			subjects = append(subjects, refDoc(s.Ref))
		}
		bindings = append(bindings, map[string]any{
			"kind":      b.Kind,
			"name":      b.Name,
			"namespace": b.Namespace,
			"roleRef":   refDoc(roleRef(b)),
			"subjects":  subjects,
		})
	}
	if grants == nil {
		grants = []any{}
	}
	return input{
		doc: map[string]any{
			"grants":     grants,
			"bindings":   bindings,
			"rules":      rules,
			"ruleGrants": anySlices(ruleGrants),
		},
		groups: groups,
	}
}

// ruleValue renders a rule directly as a Rego value, converted once and
// shared by every grant that holds it.
func ruleValue(r *rbacv1.PolicyRule) ast.Value {
	list := func(l []string) *ast.Term {
		terms := make([]*ast.Term, len(l))
		for i, s := range l {
			terms[i] = ast.StringTerm(s)
		}
		return ast.ArrayTerm(terms...)
	}
	return ast.NewObject(
		ast.Item(ast.StringTerm("apiGroups"), list(r.APIGroups)),
		ast.Item(ast.StringTerm("resources"), list(r.Resources)),
		ast.Item(ast.StringTerm("verbs"), list(r.Verbs)),
		ast.Item(ast.StringTerm("resourceNames"), list(r.ResourceNames)),
		ast.Item(ast.StringTerm("nonResourceURLs"), list(r.NonResourceURLs)),
	)
}

func anySlices(in [][]any) []any {
	out := make([]any, len(in))
	for i, s := range in {
		out[i] = s
	}
	return out
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

func refDoc(r scanner.Ref) map[string]any {
	return map[string]any{"kind": r.Kind, "name": r.Name, "namespace": r.Namespace}
}

// ruleKey renders a rule's content for grouping; \x00 and \x01 cannot occur
// in Kubernetes names.
func ruleKey(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, l := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs} {
		for _, s := range l {
			b.WriteString(s)
			b.WriteByte(0)
		}
		b.WriteByte(1)
	}
	return b.String()
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
}

// sortable carries the position a finding sorts by: rule ID, then the
// graph order of its grant or binding, then subject, then message.
type sortable struct {
	f          reports.Finding
	bindingLvl bool
	pos, sub   int
}

func (fo *fanOut) add(m ruleMeta, v any) error {
	r, err := parseResult(v)
	if err != nil {
		return err
	}
	sev := m.rule.Severity
	if r.severity != "" {
		sev = r.severity
	}
	if r.grant >= 0 {
		return fo.addGrant(m, r, sev)
	}
	return fo.addBinding(m, r, sev)
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
		subject, binding, role := gr.Subject.Ref, gr.Binding, gr.Role
		f := reports.Finding{
			RuleID:   m.rule.ID,
			Severity: sev,
			Kind:     m.kind,
			Message:  r.msg,
			Subject:  &subject,
			Binding:  &binding,
			Role:     &role,
			Scope:    gr.Scope,
			Rule:     policyRule(&gr.Rule),
			Location: gr.RuleSource,
			Grant:    gr,
		}
		if f.Location == (scanner.Source{}) {
			f.Location = gr.BindingSource
		}
		f.RelatedLocations = related(
			relatedLoc{"binding " + describe(gr.Binding), gr.BindingSource},
			relatedLoc{"subject " + describe(gr.Subject.Ref), gr.Subject.Source},
		)
		if gr.AggregatedFrom != nil {
			f.RelatedLocations = append(f.RelatedLocations, related(
				relatedLoc{"aggregated from " + describe(*gr.AggregatedFrom), fo.roleSources[*gr.AggregatedFrom]},
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
		subject, binding, role := s.Ref, b.Ref, roleRef(b)
		scope := ""
		if b.Kind == scanner.KindRoleBinding {
			scope = b.Namespace
		}
		f := reports.Finding{
			RuleID:   m.rule.ID,
			Severity: sev,
			Kind:     m.kind,
			Message:  r.msg,
			Subject:  &subject,
			Binding:  &binding,
			Role:     &role,
			Scope:    scope,
			Location: s.Source,
		}
		if f.Location == (scanner.Source{}) {
			f.Location = b.Source
		}
		f.RelatedLocations = related(
			relatedLoc{"binding " + describe(b.Ref), b.Source},
			relatedLoc{"role " + describe(role), fo.roleSources[role]},
		)
		fo.out = append(fo.out, sortable{f: f, bindingLvl: true, pos: r.binding, sub: j})
	}
	return nil
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
