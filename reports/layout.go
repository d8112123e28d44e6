package reports

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kubegrant/kubegrant/scanner"
)

// layout is how the reports for people (text and HTML) order a finalized
// report top-down: the attack paths (walked ones first, then the most
// severe), the findings grouped by identity (the identity with the most
// severe finding first, each group most severe first), the audit
// detections, the findings about no identity, and the suppressed findings
// kept apart.
type layout struct {
	paths      []*Finding
	groups     []identityGroup
	detections []*Finding
	others     []*Finding
	// suppressed holds the suppressed findings when they are not shown
	// in place (showSuppressed false), in report order.
	suppressed []*Finding
}

// identityGroup is the findings about one identity (paths and detections
// aside).
type identityGroup struct {
	identity scanner.Ref
	findings []*Finding
}

// layOut splits r's findings into the layout; with showSuppressed, the
// suppressed findings stay in place instead.
func layOut(r *Report, showSuppressed bool) layout {
	var l layout
	byIdentity := map[scanner.Ref]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		switch {
		case f.Suppression != nil && !showSuppressed:
			l.suppressed = append(l.suppressed, f)
		case f.Kind == KindPath:
			l.paths = append(l.paths, f)
		case f.Kind == KindDetection:
			l.detections = append(l.detections, f)
		case f.Subject != nil:
			g, ok := byIdentity[*f.Subject]
			if !ok {
				g = len(l.groups)
				byIdentity[*f.Subject] = g
				l.groups = append(l.groups, identityGroup{identity: *f.Subject})
			}
			l.groups[g].findings = append(l.groups[g].findings, f)
		default:
			l.others = append(l.others, f)
		}
	}
	slices.SortStableFunc(l.paths, func(a, b *Finding) int {
		return cmp.Or(-cmp.Compare(walkedRank(a), walkedRank(b)), -cmp.Compare(a.Severity.Rank(), b.Severity.Rank()))
	})
	for i := range l.groups {
		sortBySeverity(l.groups[i].findings)
	}
	top := func(g identityGroup) int { return g.findings[0].Severity.Rank() }
	slices.SortStableFunc(l.groups, func(a, b identityGroup) int {
		return cmp.Or(-cmp.Compare(top(a), top(b)), strings.Compare(a.identity.String(), b.identity.String()))
	})
	sortBySeverity(l.detections)
	sortBySeverity(l.others)
	return l
}

func (l *layout) empty() bool {
	return len(l.paths)+len(l.groups)+len(l.detections)+len(l.others) == 0
}

func walkedRank(f *Finding) int {
	if f.Walked != nil && *f.Walked {
		return 1
	}
	return 0
}

func sortBySeverity(fs []*Finding) {
	slices.SortStableFunc(fs, func(a, b *Finding) int { return -cmp.Compare(a.Severity.Rank(), b.Severity.Rank()) })
}

// findingDetails gives each labelled detail of a finding to field, in the
// order the text and HTML reports show them.
func findingDetails(f *Finding, field func(label, value string)) {
	if f.Subject != nil && f.Kind == KindDetection {
		field("subject", textRef(f.Subject))
	}
	if f.Binding != nil {
		field("binding", textRef(f.Binding))
	}
	if f.Role != nil {
		field("role", textRef(f.Role))
	}
	if f.Kind != KindPath && (f.Binding != nil || f.Rule != nil) {
		if f.Scope == "" {
			field("scope", "cluster-wide")
		} else {
			field("scope", "namespace "+f.Scope)
		}
	}
	if f.Rule != nil {
		field("rule", textRule(f.Rule))
	}
	if f.Actor != nil {
		field("actor", textActor(f.Actor))
	}
	switch {
	case f.Exercised != nil:
		field("exercised", textExercised(f))
	case f.ExerciseCount > 0:
		field("events", textSeen(f.ExerciseCount, f))
	}
}
