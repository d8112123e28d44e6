package detect

import (
	"slices"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// reach rates what an identity holds in the RBAC model, for detections
// whose severity depends on it (a token minted for a cluster-admin
// ServiceAccount is worse than one for a ServiceAccount that holds
// nothing). Without a model it says nothing. The model is indexed on first
// use.
type reach struct {
	g *scanner.Graph
	// bySubject rates each ServiceAccount and ServiceAccount group that is
	// a subject of a grant.
	bySubject map[scanner.Ref]reachRating
}

type reachRating struct {
	sev  reports.Severity
	what string
}

func newReach(g *scanner.Graph) *reach { return &reach{g: g} }

func (r *reach) index() {
	r.bySubject = map[scanner.Ref]reachRating{}
	for i := range r.g.Grants {
		gr := &r.g.Grants[i]
		s := gr.Subject.Ref
		switch {
		case s.Kind == scanner.KindServiceAccount:
		case s.Kind == scanner.KindGroup && (s.Name == "system:serviceaccounts" || len(s.Name) > len("system:serviceaccounts:") && s.Name[:len("system:serviceaccounts:")] == "system:serviceaccounts:"):
		default:
			continue
		}
		cur, seen := r.bySubject[s]
		if seen && cur.sev == reports.Critical {
			continue
		}
		if gr.Scope == "" && slices.Contains(gr.Rule.Verbs, "*") && slices.Contains(gr.Rule.Resources, "*") && slices.Contains(gr.Rule.APIGroups, "*") {
			r.bySubject[s] = reachRating{reports.Critical, "is cluster-admin through " + gr.Binding.String()}
			continue
		}
		if !seen {
			r.bySubject[s] = reachRating{}
		}
	}
}

// serviceAccount rates ServiceAccount ns/name: critical when a grant gives
// it (directly or through its groups) every verb on every resource
// cluster-wide, medium when it holds no grant but the ones every
// authenticated user has, and the rule's default ("") otherwise or
// without a model.
func (r *reach) serviceAccount(ns, name string) (reports.Severity, string) {
	if r.g == nil || len(r.g.Grants) == 0 || name == "" {
		return "", ""
	}
	if r.bySubject == nil {
		r.index()
	}
	held := false
	for _, s := range []scanner.Ref{
		{Kind: scanner.KindServiceAccount, Namespace: ns, Name: name},
		{Kind: scanner.KindGroup, Name: "system:serviceaccounts:" + ns},
		{Kind: scanner.KindGroup, Name: "system:serviceaccounts"},
	} {
		if rt, ok := r.bySubject[s]; ok {
			if rt.sev == reports.Critical {
				return rt.sev, rt.what
			}
			held = true
		}
	}
	if !held {
		return reports.Medium, "holds no RBAC grant in the scanned model"
	}
	return "", ""
}
