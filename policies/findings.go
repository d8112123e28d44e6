package policies

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kubegrant/kubegrant/internal/par"
	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// describer memoises describe: the same bindings and subjects come back in
// many findings.
type describer struct{ m map[scanner.Ref]string }

func newDescriber() *describer { return &describer{m: map[scanner.Ref]string{}} }

func (d *describer) describe(r scanner.Ref) string {
	if s, ok := d.m[r]; ok {
		return s
	}
	s := describe(r)
	d.m[r] = s
	return s
}

// bindingFindings fans a binding-level result out to one finding per
// subject (or the one subject it names).
func bindingFindings(g *scanner.Graph, in *input, sources map[scanner.Ref]scanner.Source, describe func(scanner.Ref) string, p parsed) ([]reports.Finding, error) {
	r := p.r
	if r.binding < 0 {
		return nil, fmt.Errorf("result has no binding")
	}
	if r.binding >= len(g.Bindings) {
		return nil, fmt.Errorf("binding %d out of range (%d bindings)", r.binding, len(g.Bindings))
	}
	if r.object >= len(in.workloads) {
		return nil, fmt.Errorf("object %d out of range (%d workloads)", r.object, len(in.workloads))
	}
	b := g.Bindings[r.binding]
	if r.subject >= len(b.Subjects) {
		return nil, fmt.Errorf("binding %d: subject %d out of range (%d subjects)", r.binding, r.subject, len(b.Subjects))
	}
	var out []reports.Finding
	for j, s := range b.Subjects {
		if r.subject >= 0 && j != r.subject {
			continue
		}
		role := roleRef(b)
		scope := ""
		if b.Kind == scanner.KindRoleBinding {
			scope = b.Namespace
		}
		subject, binding := s.Ref, b.Ref
		loc := s.Source
		if loc == (scanner.Source{}) {
			loc = b.Source
		}
		f := reports.Finding{
			RuleID: p.m.rule.ID, Severity: p.severity(), Kind: p.m.kind, Message: r.msg,
			Subject: &subject, Binding: &binding, Role: &role, Scope: scope, Location: loc,
			RelatedLocations: related(
				relatedLoc{"binding " + describe(b.Ref), b.Source},
				relatedLoc{"role " + describe(role), sources[role]},
			),
		}
		if r.object >= 0 {
			o := in.workloads[r.object]
			f.RelatedLocations = append(f.RelatedLocations, related(relatedLoc{"workload " + describe(o.Ref), o.Source})...)
		}
		out = append(out, f)
	}
	return out, nil
}

// mergeBindingFindings makes binding-level findings one per (rule, subject,
// scope), like capability findings: the most severe result speaks, and the
// other bindings that say the same of the same subject become related
// locations. A finding given by several bindings names none of them in
// Binding and Role (its fingerprint must not depend on which came first).
func mergeBindingFindings(fs []reports.Finding) []reports.Finding {
	type key struct {
		rule    string
		subject scanner.Ref
		scope   string
	}
	index := map[key]int{}
	var out []reports.Finding
	for _, f := range fs {
		k := key{f.RuleID, *f.Subject, f.Scope}
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			out = append(out, f)
			continue
		}
		m := &out[i]
		if f.Severity.Rank() > m.Severity.Rank() {
			m.Severity, m.Message = f.Severity, f.Message
		}
		if m.Binding != nil && f.Binding != nil && *m.Binding != *f.Binding {
			m.RelatedLocations = append(m.RelatedLocations, related(relatedLoc{"subject in " + describe(*f.Binding), f.Location})...)
			m.RelatedLocations = append(m.RelatedLocations, f.RelatedLocations...)
			m.Key = "merged"
		}
	}
	for i := range out {
		if out[i].Key == "merged" {
			out[i].Key = ""
			out[i].Binding, out[i].Role = nil, nil
			out[i].Message += " (and other bindings: see the related locations)"
		}
	}
	return out
}

// identityEntry is one identity of the identity rules' input, with what
// its findings need.
type identityEntry struct {
	node      int
	workloads []*scanner.Object
	// best is the index (in the capability findings) of its most severe
	// held capability, or -1.
	best int
}

// identityInput renders the identity rules' input: the ServiceAccounts
// that workloads run as, that are named default, or that carry a cloud
// identity, each with its own and its groups' capabilities (final
// severity), its workloads and its bindings: the entries of
// input.identities.
func (a *analysis) identityInput(findings []reports.Finding) ([]*ast.Term, []identityEntry) {
	t := &terms{strings: map[string]*ast.Term{}, refs: map[scanner.Ref]*ast.Term{}}
	workloads := map[scanner.Ref][]*scanner.Object{}
	cloud := map[scanner.Ref]*scanner.Object{}
	automount := map[scanner.Ref]*bool{}
	for _, x := range a.g.Objects {
		if x.Kind == scanner.KindServiceAccount {
			automount[scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: x.Name}] = x.AutomountToken
		}
	}
	for _, x := range a.g.Objects {
		switch {
		case workloadKinds[x.Kind]:
			ref := runsAs(x)
			workloads[ref] = append(workloads[ref], x)
		case x.Kind == scanner.KindServiceAccount:
			for _, k := range cloudIdentityAnnotations {
				if _, ok := x.Annotations[k]; ok {
					cloud[scanner.Ref{Kind: scanner.KindServiceAccount, Namespace: x.Namespace, Name: x.Name}] = x
				}
			}
		}
	}
	bindingsOf := map[scanner.Ref][]*ast.Term{}
	for _, b := range a.g.Bindings {
		for _, s := range b.Subjects {
			if s.Kind == scanner.KindServiceAccount && (s.Name == "default" || workloads[s.Ref] != nil || cloud[s.Ref] != nil) {
				bindingsOf[s.Ref] = append(bindingsOf[s.Ref], ast.ObjectTerm(
					ast.Item(keyKind, t.str(b.Kind)),
					ast.Item(keyName, t.str(b.Name)),
					ast.Item(keyNamespace, t.str(b.Namespace)),
					ast.Item(keyRoleRef, t.ref(roleRef(b))),
				))
			}
		}
	}
	var entries []identityEntry
	var ids []*ast.Term
	// holdTerms[finding] is the hold a finding renders to, built once:
	// a group's findings are held by every member.
	holdTerms := map[int]*ast.Term{}
	for i, n := range a.gr.nodes {
		ref := n.ref
		if n.kind != nodeIdentity {
			continue
		}
		sa := ref.Kind == scanner.KindServiceAccount && (ref.Name == "default" || workloads[ref] != nil || cloud[ref] != nil)
		if !sa && !a.holdsRule(i, "KG011") {
			continue
		}
		e := identityEntry{node: i, workloads: workloads[ref], best: -1}
		var holds []*ast.Term
		addHeld := func(j int) {
			for _, h := range a.heldBy[j] {
				f := &findings[h.finding]
				if platformOnly(f) {
					continue // the platform's own grants: not the owner's to judge
				}
				ht := holdTerms[h.finding]
				if ht == nil {
					ht = ast.ObjectTerm(
						ast.Item(ast.StringTerm("id"), t.str(f.RuleID)),
						ast.Item(ast.StringTerm("severity"), t.str(string(f.Severity))),
						ast.Item(ast.StringTerm("msg"), ast.StringTerm(f.Message)),
						ast.Item(keyScope, t.str(f.Scope)),
						ast.Item(ast.StringTerm("holder"), t.ref(*f.Subject)),
					)
					holdTerms[h.finding] = ht
				}
				holds = append(holds, ht)
				if j == i && (e.best < 0 || f.Severity.Rank() > findings[e.best].Severity.Rank()) {
					e.best = h.finding
				}
			}
		}
		addHeld(i)
		for _, j := range a.gr.groupNodes(i) {
			addHeld(j)
		}
		var ws []*ast.Term
		for _, w := range e.workloads {
			ws = append(ws, ast.ObjectTerm(
				ast.Item(keyKind, t.str(w.Kind)),
				ast.Item(keyName, t.str(w.Name)),
				ast.Item(keyNamespace, t.str(w.Namespace)),
				ast.Item(ast.StringTerm("mounted"), ast.BooleanTerm(mounted(w.AutomountToken, automount[ref]))),
			))
		}
		ann := ast.ObjectTerm()
		if x := cloud[ref]; x != nil {
			ann = cloudAnnotations(t, x)
		}
		entries = append(entries, e)
		ids = append(ids, ast.ObjectTerm(
			ast.Item(keyKind, t.str(ref.Kind)),
			ast.Item(keyName, t.str(ref.Name)),
			ast.Item(keyNamespace, t.str(ref.Namespace)),
			ast.Item(ast.StringTerm("holds"), ast.ArrayTerm(holds...)),
			ast.Item(ast.StringTerm("workloads"), ast.ArrayTerm(ws...)),
			ast.Item(keyAnnotations, ann),
			ast.Item(ast.StringTerm("bindings"), ast.ArrayTerm(bindingsOf[ref]...)),
		))
	}
	return ids, entries
}

// platformOnly reports whether only Kubernetes' bootstrap bindings give a
// capability finding.
func platformOnly(f *reports.Finding) bool {
	for _, g := range f.Grants {
		if !scanner.IsBuiltinGrant(g.Binding, g.Role, g.Subject.Ref) {
			return false
		}
	}
	return len(f.Grants) > 0
}

// holdsRule reports whether identity i holds a capability of rule id, by
// its own grants or its groups'.
func (a *analysis) holdsRule(i int, id string) bool {
	for _, j := range append([]int{i}, a.gr.groupNodes(i)...) {
		for _, h := range a.heldBy[j] {
			if h.key.rule == id {
				return true
			}
		}
	}
	return false
}

// mounted reports whether a pod holds its ServiceAccount's token: the pod
// spec's automountServiceAccountToken wins over the ServiceAccount's, and
// unset means mounted.
func mounted(pod, sa *bool) bool {
	switch {
	case pod != nil:
		return *pod
	case sa != nil:
		return *sa
	}
	return true
}

// identityFindings evaluates the identity rules over the identities of
// interest: one finding per identity and rule.
func (e *Engine) identityFindings(ctx context.Context, a *analysis, findings []reports.Finding, describe func(scanner.Ref) string) ([]reports.Finding, error) {
	ids, entries := a.identityInput(findings)
	if len(entries) == 0 {
		return nil, nil
	}
	// Identity rules judge each identity on its own, so the identities are
	// cut into shares, one per core, each a whole input of its own: one
	// rule's thousands of findings no longer keep a single core busy.
	shares := par.Shares(len(ids), 1024)
	docs := make([]ast.Value, len(shares))
	for i, s := range shares {
		docs[i] = ast.NewObject(ast.Item(ast.StringTerm("identities"), ast.ArrayTerm(ids[s[0]:s[1]]...)))
	}
	byDoc, err := evalAll(ctx, e.identityQueries, docs...)
	if err != nil {
		return nil, err
	}
	var errs []error
	var all []parsed
	for d, byPkg := range byDoc {
		for _, p := range e.parse(byPkg, &errs) {
			if p.r.identity >= 0 {
				p.r.identity += shares[d][0]
			}
			all = append(all, p)
		}
	}
	// In package order, each package's results in identity order.
	slices.SortStableFunc(all, func(x, y parsed) int { return strings.Compare(x.pkg, y.pkg) })
	var out []reports.Finding
	for _, p := range all {
		if p.r.identity < 0 || p.r.identity >= len(entries) {
			errs = append(errs, fmt.Errorf("%s: identity %d out of range (%d)", p.m.rule.ID, p.r.identity, len(entries)))
			continue
		}
		en := entries[p.r.identity]
		ref := a.gr.nodes[en.node].ref
		f := reports.Finding{RuleID: p.m.rule.ID, Severity: p.severity(), Kind: p.m.kind, Message: p.r.msg, Subject: &ref}
		if en.best >= 0 {
			best := &findings[en.best]
			f.Location, f.Scope = best.Location, best.Scope
			f.RelatedLocations = append(f.RelatedLocations, best.RelatedLocations[:min(len(best.RelatedLocations), 3)]...)
		}
		for i, w := range en.workloads {
			if i == 5 {
				break
			}
			if f.Location == (scanner.Source{}) {
				f.Location = w.Source
				continue
			}
			f.RelatedLocations = append(f.RelatedLocations, related(relatedLoc{"workload " + describe(w.Ref), w.Source})...)
		}
		if f.Location == (scanner.Source{}) {
			for _, b := range a.g.Bindings {
				if i := slices.IndexFunc(b.Subjects, func(s scanner.Subject) bool { return s.Ref == ref }); i >= 0 {
					f.Location = b.Subjects[i].Source
					break
				}
			}
		}
		out = append(out, f)
	}
	return out, errorsJoin(errs)
}

func errorsJoin(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// unboundID is the rule of roles that nothing binds but that would give a
// critical or high capability if bound (metadata in rules/unbound-risky-role).
const unboundID = "KG107"

// unboundFindings reports, low, every role that nothing binds and that
// would confer a critical or high capability if bound: one finding per role,
// at the role, naming the capabilities and the rule lines.
func (e *Engine) unboundFindings(in *input, caps [][]capResult) []reports.Finding {
	meta, ok := e.byID[unboundID]
	if !ok {
		return nil
	}
	var out []reports.Finding
	for _, u := range in.unbound {
		ids := map[string]bool{}
		var locs []reports.RelatedLocation
		for k, p := range u.probes {
			hit := false
			for _, c := range caps[p] {
				if c.sev.Rank() >= reports.High.Rank() {
					ids[c.meta.rule.ID] = true
					hit = true
				}
			}
			if hit {
				r := u.role.Rules[u.rules[k]]
				locs = append(locs, related(relatedLoc{fmt.Sprintf("rule %d of %s", r.Index, describe(u.role.Ref)), r.Source})...)
			}
		}
		if len(ids) == 0 {
			continue
		}
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		slices.Sort(list)
		role := u.role.Ref
		scope := ""
		if role.Kind == scanner.KindRole {
			scope = role.Namespace
		}
		out = append(out, reports.Finding{
			RuleID: unboundID, Severity: meta.rule.Severity, Kind: reports.KindHygiene,
			Message: fmt.Sprintf("%s is bound by nothing but would grant %s: risky if bound", describe(role), strings.Join(list, ", ")),
			Role:    &role, Scope: scope, Location: u.role.Source, RelatedLocations: locs,
		})
	}
	return out
}
