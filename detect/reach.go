package detect

import (
	"slices"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// reach rates what an identity holds in the RBAC model, for detections
// whose severity depends on it (a token minted for a cluster-admin
// ServiceAccount is worse than one for a ServiceAccount that holds
// nothing). Without a model it says nothing.
type reach struct {
	g     *scanner.Graph
	cache map[string]reachRating
}

type reachRating struct {
	sev  reports.Severity
	what string
}

func newReach(g *scanner.Graph) *reach {
	return &reach{g: g, cache: map[string]reachRating{}}
}

// serviceAccount rates ServiceAccount ns/name: critical when a grant gives
// it every verb on every resource cluster-wide, medium when it holds no
// grant but the ones every authenticated user has, and the rule's default
// ("") otherwise or without a model.
func (r *reach) serviceAccount(ns, name string) (reports.Severity, string) {
	if r.g == nil || len(r.g.Grants) == 0 || name == "" {
		return "", ""
	}
	key := ns + "/" + name
	if c, ok := r.cache[key]; ok {
		return c.sev, c.what
	}
	held := 0
	out := reachRating{}
	for i := range r.g.Grants {
		gr := &r.g.Grants[i]
		if !coversServiceAccount(gr.Subject.Ref, ns, name) {
			continue
		}
		held++
		if gr.Scope == "" && slices.Contains(gr.Rule.Verbs, "*") && slices.Contains(gr.Rule.Resources, "*") && slices.Contains(gr.Rule.APIGroups, "*") {
			out = reachRating{reports.Critical, "is cluster-admin through " + gr.Binding.String()}
			break
		}
	}
	if held == 0 {
		out = reachRating{reports.Medium, "holds no RBAC grant in the scanned model"}
	}
	if len(r.cache) < 4096 {
		r.cache[key] = out
	}
	return out.sev, out.what
}

// coversServiceAccount reports whether subject s names ServiceAccount
// ns/name, directly or through its own groups (system:authenticated,
// which every identity has, is not counted).
func coversServiceAccount(s scanner.Ref, ns, name string) bool {
	switch s.Kind {
	case scanner.KindServiceAccount:
		return s.Namespace == ns && s.Name == name
	case scanner.KindGroup:
		return s.Name == "system:serviceaccounts" || s.Name == "system:serviceaccounts:"+ns
	}
	return false
}
