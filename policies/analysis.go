package policies

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Path rules: one per target. Their metadata lives in
// rules/path-<target>/rule.rego like every other rule's; the graph finds
// them.
var pathRules = map[string]string{
	reports.TargetClusterAdmin:  "KGP01",
	reports.TargetAllSecrets:    "KGP02",
	reports.TargetSystemSecrets: "KGP02",
	reports.TargetNodes:         "KGP03",
	reports.TargetAdmission:     "KGP04",
}

// analysis is the risk model of one scan: the capability findings joined to
// identities, the escalation graph and what each identity reaches.
type analysis struct {
	g     *scanner.Graph
	held  []*held
	gr    *escalation
	rc    *reach
	byID  map[string]ruleMeta
	power []reports.Severity // by node: the most severe of its own findings
	// heldBy[node] lists the held capabilities of an identity node.
	heldBy map[int][]*held
	values []*nodeValue // value's memo, by node
	hubs   map[int]*hubStat
}

func analyse(g *scanner.Graph, in *input, caps [][]capResult, byID map[string]ruleMeta, gr *escalation, rc *reach) *analysis {
	subsume(caps)
	a := &analysis{g: g, held: aggregate(g, in, caps), gr: gr, rc: rc, byID: byID, heldBy: map[int][]*held{}}
	a.power = make([]reports.Severity, len(a.gr.nodes))
	for _, h := range a.held {
		i := a.gr.index[h.key.subject]
		a.heldBy[i] = append(a.heldBy[i], h)
		if h.sev.Rank() > a.power[i].Rank() {
			a.power[i] = h.sev
		}
	}
	for _, h := range a.held {
		a.judge(h)
	}
	return a
}

// effectivePower is what holding identity i is worth: the most severe of
// its own and its groups' capabilities, and of the targets it reaches.
func (a *analysis) effectivePower(i int) reports.Severity {
	p := a.power[i]
	for _, j := range a.gr.groupNodes(i) {
		if a.power[j].Rank() > p.Rank() {
			p = a.power[j]
		}
	}
	for _, t := range maskTargets(a.rc.mask(i)) {
		if s := targetSeverity[t]; s.Rank() > p.Rank() {
			p = s
		}
	}
	return p
}

// judge sets a capability's reach and final severity: what its edges lead
// to decides, not the rule's shape. A token for one ServiceAccount is
// critical when that ServiceAccount is cluster-admin, and stays at the
// rule's severity (low for a restricted one) when it holds nothing risky.
func (a *analysis) judge(h *held) {
	h.final = h.sev
	i := a.gr.index[h.key.subject]
	var mask uint8
	for _, ei := range a.gr.out[i] {
		e := &a.gr.edges[ei]
		if e.rule != h.key.rule || e.grant < 0 || a.g.Grants[e.grant].Scope != h.key.scope || e.to == i {
			continue
		}
		v := a.value(e.to, i)
		mask |= v.reach
		if v.sev.Rank() > h.final.Rank() {
			h.final = v.sev
		}
	}
	h.reach = subsumeTargets(maskTargets(mask))
	for _, t := range h.reach {
		if s := targetSeverity[t]; s.Rank() > h.final.Rank() {
			h.final = s
		}
	}
}

// nodeValue is what getting hold of a node is worth: the most severe
// capability and target it brings, and the targets it reaches.
type nodeValue struct {
	sev   reports.Severity
	reach uint8 // bit t: targets[t]
}

// value is the worth of node n, memoised (hubs fan out to thousands of
// identities, and many capabilities lead to the same hub). A hub's worth
// leaves out the identity that asks (self): becoming yourself gains
// nothing; that one identity is the only difference, so it is checked
// without the memo.
func (a *analysis) value(n, self int) nodeValue {
	if a.values == nil {
		a.values = make([]*nodeValue, len(a.gr.nodes))
	}
	node := a.gr.nodes[n]
	switch node.kind {
	case nodeTarget:
		t := slices.Index(targets, node.ref.Name)
		return nodeValue{sev: targetSeverity[node.ref.Name], reach: 1 << t}
	case nodeIdentity:
		if v := a.values[n]; v != nil {
			return *v
		}
		v := nodeValue{sev: a.effectivePower(n), reach: a.rc.mask(n)}
		a.values[n] = &v
		return v
	}
	// A hub: the union of what it yields, without self.
	st := a.hubStat(n)
	var v nodeValue
	var own nodeValue
	if self >= 0 && st.members[self] {
		own = a.value(self, -1)
	}
	for t := range targets {
		c := st.bits[t]
		if own.reach&(1<<t) != 0 {
			c--
		}
		if c > 0 {
			v.reach |= 1 << t
		}
	}
	for r := len(st.sevs) - 1; r > 0; r-- {
		c := st.sevs[r]
		if own.sev.Rank() == r && st.members[self] {
			c--
		}
		if c > 0 {
			v.sev = reports.Severities[len(reports.Severities)-r]
			break
		}
	}
	return v
}

// hubStat counts, over the identities and targets a hub yields (through
// nested hubs too), how many reach each target and how many are worth each
// severity, so that one identity can be taken out without a walk.
type hubStat struct {
	bits    [8]int32
	sevs    [6]int32 // by Severity.Rank()
	members map[int]bool
}

func (a *analysis) hubStat(n int) *hubStat {
	if a.hubs == nil {
		a.hubs = map[int]*hubStat{}
	}
	if st := a.hubs[n]; st != nil {
		return st
	}
	st := &hubStat{members: map[int]bool{}}
	a.hubs[n] = st // a cycle of hubs sees an empty stat, not a loop
	var walk func(h int, seen map[int]bool)
	walk = func(h int, seen map[int]bool) {
		if seen[h] {
			return
		}
		seen[h] = true
		for _, ei := range a.gr.out[h] {
			to := a.gr.edges[ei].to
			if a.gr.nodes[to].kind == nodeHub {
				walk(to, seen)
				continue
			}
			if st.members[to] {
				continue
			}
			st.members[to] = true
			w := a.value(to, -1)
			for t := range targets {
				if w.reach&(1<<t) != 0 {
					st.bits[t]++
				}
			}
			st.sevs[w.sev.Rank()]++
		}
	}
	walk(n, map[int]bool{})
	return st
}

func maskTargets(m uint8) []string {
	var out []string
	for t, name := range targets {
		if m&(1<<t) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// isStart reports whether paths start at an identity: every identity an
// attacker may hold, not the control plane's own.
func isStart(ref scanner.Ref) bool {
	switch ref.Kind {
	case scanner.KindUser:
		return !strings.HasPrefix(ref.Name, "system:") || ref.Name == "system:anonymous"
	case scanner.KindGroup:
		switch {
		case ref.Name == "system:authenticated", ref.Name == "system:unauthenticated", ref.Name == "system:serviceaccounts":
			return true
		case strings.HasPrefix(ref.Name, "system:serviceaccounts:"):
			return !namedNamespaces[strings.TrimPrefix(ref.Name, "system:serviceaccounts:")]
		}
		return !strings.HasPrefix(ref.Name, "system:")
	case scanner.KindServiceAccount:
		return !namedNamespaces[ref.Namespace]
	}
	return false
}

// path is a shortest path from a node to a target, as edges.
func (a *analysis) path(t, from int) []*edge {
	var out []*edge
	for v, n := from, 0; n <= len(a.gr.nodes); n++ {
		ei := a.rc.next[t][v]
		if ei < 0 {
			break
		}
		e := &a.gr.edges[ei]
		out = append(out, e)
		v = e.to
	}
	return out
}

// hops renders a path's edges as hops: an edge into a hub and the hub's
// fan-out are one hop, from the identity to the identity the hub yields.
func (a *analysis) hops(edges []*edge) []reports.Hop {
	var out []reports.Hop
	var pending *edge
	for _, e := range edges {
		if a.gr.nodes[e.to].kind == nodeHub {
			if e.rule != "" {
				pending = e
			}
			continue
		}
		capEdge := e
		if a.gr.nodes[e.from].kind == nodeHub && pending != nil {
			capEdge = pending
		}
		pending = nil
		h := reports.Hop{
			From:       a.gr.nodes[capEdge.from].ref,
			RuleID:     capEdge.rule,
			Capability: capEdge.text,
			To:         a.gr.nodes[e.to].ref,
		}
		if h.Capability == "" {
			h.Capability = "holds every permission: the authorizer lets " + h.From.Name + " through"
		}
		if capEdge.grant >= 0 {
			gr := &a.g.Grants[capEdge.grant]
			h.GrantOf = gr
			h.Grant = &reports.GrantRef{Binding: gr.Binding, Role: gr.Role, Scope: gr.Scope, Rule: policyRule(&gr.Rule), Location: grantLocation(gr)}
			h.Location = h.Grant.Location
		}
		out = append(out, h)
	}
	return out
}

func capabilityHops(hops []reports.Hop) int {
	n := 0
	for _, h := range hops {
		if h.RuleID != "" {
			n++
		}
	}
	return n
}

// paths returns one finding per (start identity, target) reached in two
// capability hops or more. A start that reaches cluster-admin gets that
// path only; a path whose first capability belongs to a group that is a
// start itself is reported once, for the group.
func (a *analysis) paths() []reports.Finding {
	var out []reports.Finding
	for i, n := range a.gr.nodes {
		if n.kind != nodeIdentity || !isStart(n.ref) {
			continue
		}
		for _, target := range a.rc.reaches(i) {
			t := slices.Index(targets, target)
			hops := a.hops(a.path(t, i))
			if capabilityHops(hops) < 2 {
				continue
			}
			first := slices.IndexFunc(hops, func(h reports.Hop) bool { return h.RuleID != "" })
			if hops[first].From != n.ref && isStart(hops[first].From) {
				continue
			}
			out = append(out, a.pathFinding(n.ref, target, hops))
		}
	}
	return out
}

func (a *analysis) pathFinding(start scanner.Ref, target string, hops []reports.Hop) reports.Finding {
	id := pathRules[target]
	var steps []string
	for _, h := range hops {
		if h.RuleID == "" {
			continue
		}
		steps = append(steps, fmt.Sprintf("%s %s", describe(h.From), strings.TrimSuffix(h.Capability, ".")))
	}
	f := reports.Finding{
		RuleID:   id,
		Severity: targetSeverity[target],
		Kind:     reports.KindPath,
		Message: fmt.Sprintf("%s reaches %s in %d steps: %s", describe(start), target, capabilityHops(hops),
			strings.Join(steps, " → ")),
		Subject: &start,
		Key:     target,
		Path:    hops,
	}
	for _, h := range hops {
		if h.RuleID == "" {
			continue
		}
		if f.Location == (scanner.Source{}) {
			f.Location = h.Location
			continue
		}
		f.RelatedLocations = append(f.RelatedLocations, related(relatedLoc{
			fmt.Sprintf("%s %s", describe(h.From), h.Capability), h.Location,
		})...)
	}
	return f
}

// identities summarises the start identities that hold a capability or
// reach a target, most powerful first.
func (a *analysis) identities(findings []reports.Finding) []reports.Identity {
	count := map[scanner.Ref]int{}
	for i := range findings {
		if s := findings[i].Subject; s != nil {
			count[*s]++
		}
	}
	var out []reports.Identity
	for i, n := range a.gr.nodes {
		if n.kind != nodeIdentity || !isStart(n.ref) {
			continue
		}
		caps := map[string]bool{}
		sev := reports.Severity("")
		add := func(j int) {
			for _, h := range a.heldBy[j] {
				caps[h.key.rule] = true
				if h.final.Rank() > sev.Rank() {
					sev = h.final
				}
			}
		}
		add(i)
		own := len(caps)
		for _, j := range a.gr.groupNodes(i) {
			add(j)
		}
		reaches := a.rc.reaches(i)
		if own == 0 && len(reaches) == 0 {
			continue // what its groups hold is listed under the groups
		}
		for _, t := range reaches {
			if s := targetSeverity[t]; s.Rank() > sev.Rank() {
				sev = s
			}
		}
		if len(caps) == 0 && len(reaches) == 0 {
			continue
		}
		ids := make([]string, 0, len(caps))
		for id := range caps {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		out = append(out, reports.Identity{
			Identity: n.ref, Severity: sev, Reaches: nonNil(reaches), Capabilities: ids, Findings: count[n.ref],
		})
	}
	slices.SortFunc(out, func(x, y reports.Identity) int {
		return cmp.Or(
			-cmp.Compare(x.Severity.Rank(), y.Severity.Rank()),
			-cmp.Compare(len(x.Reaches), len(y.Reaches)),
			-cmp.Compare(len(x.Capabilities), len(y.Capabilities)),
			strings.Compare(x.Identity.String(), y.Identity.String()),
		)
	})
	return out
}

// MarkWalked marks the hops of every path exercised or not from the
// capability findings the audit replay marked (a hop is the capability
// finding of its rule and grant), and a path walked when all its hops were
// exercised in order. It does nothing to findings the replay did not see.
func MarkWalked(findings []reports.Finding) {
	type k struct {
		rule  string
		grant *scanner.Grant
	}
	byGrant := map[k]*reports.Finding{}
	for i := range findings {
		f := &findings[i]
		if f.Kind == reports.KindPath || f.Exercised == nil {
			continue
		}
		for _, g := range f.Grants {
			byGrant[k{f.RuleID, g}] = f
		}
	}
	for i := range findings {
		f := &findings[i]
		if f.Kind != reports.KindPath {
			continue
		}
		walked, last := true, ""
		for j := range f.Path {
			h := &f.Path[j]
			if h.RuleID == "" || h.GrantOf == nil {
				continue
			}
			cf := byGrant[k{h.RuleID, h.GrantOf}]
			if cf == nil {
				walked = false
				continue
			}
			ex := *cf.Exercised
			h.Exercised = &ex
			h.Evidence = cf.Evidence[:min(len(cf.Evidence), 3)]
			// In order: this hop was used after the previous one began.
			if !ex || (last != "" && cf.LastSeen < last) {
				walked = false
			}
			if ex {
				last = cf.FirstSeen
			}
		}
		f.Walked = &walked
	}
}
