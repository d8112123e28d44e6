package policies

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"strconv"
	"strings"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// capResult is what one capability rule says of one probe: the rule confers
// a capability on whoever holds the probe's rule in its scope.
type capResult struct {
	meta ruleMeta
	sev  reports.Severity
	msg  string
}

// capKey identifies a capability finding: one rule, one identity (the
// subject that holds the grants), one scope.
type capKey struct {
	rule    string
	subject scanner.Ref
	scope   string
}

// held is a capability finding being built: what one identity can do in
// one scope, with every grant that gives it.
type held struct {
	key    capKey
	meta   ruleMeta
	sev    reports.Severity // of the most severe result
	msg    string           // of the most severe result, scope not rendered
	grants []int32          // indexes into Graph.Grants, in graph order
	// reach lists the targets the capability leads to (set by the graph).
	reach []string
	// final is the finding's severity once reach is known.
	final reports.Severity
	// finding is the index of the finding in the output.
	finding int
}

// clusterAdminID is the rule whose capability subsumes every other of the
// same grant: one critical finding for a `*` on `*` rule, not ten.
const clusterAdminID = "KG001"

// subsume keeps only the cluster-admin-equivalent result of a probe that has
// one.
func subsume(caps [][]capResult) {
	for p, rs := range caps {
		if i := slices.IndexFunc(rs, func(r capResult) bool { return r.meta.rule.ID == clusterAdminID }); i >= 0 {
			caps[p] = []capResult{rs[i]}
		}
	}
}

// aggregate joins the capabilities of the probes to the grants that hold
// them: one held per (rule, subject, scope), most severe result first.
func aggregate(g *scanner.Graph, in *input, caps [][]capResult) []*held {
	var out []*held
	index := map[capKey]*held{}
	for gi := range g.Grants {
		rs := caps[in.grantProbe[gi]]
		if len(rs) == 0 {
			continue
		}
		gr := &g.Grants[gi]
		for _, r := range rs {
			k := capKey{rule: r.meta.rule.ID, subject: gr.Subject.Ref, scope: gr.Scope}
			h := index[k]
			if h == nil {
				h = &held{key: k, meta: r.meta, sev: r.sev, msg: r.msg}
				index[k] = h
				out = append(out, h)
			} else if r.sev.Rank() > h.sev.Rank() {
				h.sev, h.msg = r.sev, r.msg
			}
			h.grants = append(h.grants, int32(gi))
		}
	}
	return out
}

// renderScope writes the grant's namespace into a message a probe wrote for
// namespacePlaceholder.
func renderScope(msg, scope string) string {
	if scope == "" || !strings.Contains(msg, namespacePlaceholder) {
		return msg
	}
	msg = strings.ReplaceAll(msg, strconv.Quote(namespacePlaceholder), strconv.Quote(scope))
	return strings.ReplaceAll(msg, namespacePlaceholder, scope)
}

// grantLocation is where a grant's finding points: the rule's line, or the
// binding's when the rule is not written in the input (a built-in role).
func grantLocation(gr *scanner.Grant) scanner.Source {
	if gr.RuleSource == (scanner.Source{}) || gr.RuleSource.IsBuiltin() {
		return gr.BindingSource
	}
	return gr.RuleSource
}

// maxRelatedGrants bounds the grants listed as related locations of one
// finding (GrantRefs lists them all).
const maxRelatedGrants = 10

// capabilityFinding renders a held capability as a finding.
func capabilityFinding(g *scanner.Graph, h *held, sources map[scanner.Ref]scanner.Source, describe func(scanner.Ref) string, rules ruleCache) reports.Finding {
	first := &g.Grants[h.grants[0]]
	subject := h.key.subject
	f := reports.Finding{
		RuleID:   h.key.rule,
		Severity: h.final,
		Kind:     h.meta.kind,
		Message:  renderScope(h.msg, h.key.scope) + reachNote(h.reach),
		Subject:  &subject,
		Scope:    h.key.scope,
		Location: grantLocation(first),
		Grants:   make([]*scanner.Grant, len(h.grants)),
	}
	// One grant: the finding is about that binding and rule, as a user
	// reads it. Several: about the identity, and each grant is listed.
	if len(h.grants) == 1 {
		b, r := first.Binding, first.Role
		f.Binding, f.Role, f.Rule = &b, &r, rules.get(&first.Rule)
	}
	f.GrantRefs = make([]reports.GrantRef, len(h.grants))
	for i, gi := range h.grants {
		gr := &g.Grants[gi]
		f.Grants[i] = gr
		f.GrantRefs[i] = reports.GrantRef{Binding: gr.Binding, Role: gr.Role, Scope: gr.Scope, Rule: rules.get(&gr.Rule), Location: grantLocation(gr)}
		if i >= maxRelatedGrants {
			continue
		}
		if i > 0 {
			f.RelatedLocations = append(f.RelatedLocations, related(relatedLoc{"rule of role " + describe(gr.Role), grantLocation(gr)})...)
		}
		f.RelatedLocations = append(f.RelatedLocations, related(
			relatedLoc{"binding " + describe(gr.Binding), gr.BindingSource},
			relatedLoc{"subject " + describe(gr.Subject.Ref), gr.Subject.Source},
		)...)
		if gr.AggregatedFrom != nil {
			f.RelatedLocations = append(f.RelatedLocations, related(
				relatedLoc{"aggregated from " + describe(*gr.AggregatedFrom), sources[*gr.AggregatedFrom]},
			)...)
		}
	}
	return f
}

// ruleCache shares one reports.PolicyRule among the findings of grants
// resolved from one rule entry (they share its arrays): hundreds of
// thousands of grants, a few thousand rules. Findings never change them.
type ruleCache map[ruleID]*reports.PolicyRule

func (c ruleCache) get(r *rbacv1.PolicyRule) *reports.PolicyRule {
	id := idOf(r)
	if p, ok := c[id]; ok {
		return p
	}
	p := policyRule(r)
	c[id] = p
	return p
}

// reachNote says what a capability leads to, for its message.
func reachNote(reach []string) string {
	if len(reach) == 0 {
		return ""
	}
	return "; it reaches " + strings.Join(reach, ", ")
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

// roleSources indexes where each role is written, for the aggregated-from
// related location.
func roleSources(g *scanner.Graph) map[scanner.Ref]scanner.Source {
	m := make(map[scanner.Ref]scanner.Source, len(g.Roles))
	for _, r := range g.Roles {
		m[r.Ref] = r.Source
	}
	return m
}
