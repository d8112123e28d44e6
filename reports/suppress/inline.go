package suppress

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Annotations of an inline suppression, on a Role, ClusterRole, RoleBinding
// or ClusterRoleBinding.
const (
	// AnnotationIgnore lists the rule IDs to suppress, comma-separated, or "*".
	AnnotationIgnore = scanner.AnnotationPrefix + "ignore"
	// AnnotationIgnoreReason is the justification; without it the
	// annotation does not suppress.
	AnnotationIgnoreReason = scanner.AnnotationPrefix + "ignore-reason"
	// AnnotationIgnoreUntil is an optional expiry date (YYYY-MM-DD).
	AnnotationIgnoreUntil = scanner.AnnotationPrefix + "ignore-until"
)

// inlineIgnore is a valid kubegrant.io/ignore annotation.
type inlineIgnore struct {
	all     bool
	rules   []string
	reason  string
	expires string
}

func (ig *inlineIgnore) covers(id string) bool {
	return ig.all || slices.Contains(ig.rules, id)
}

// ApplyInline suppresses, as "inline", the findings whose binding or role
// (or the ClusterRole an aggregated rule came from) carries a matching
// kubegrant.io/ignore annotation with a kubegrant.io/ignore-reason. An
// annotation without a reason, with a bad or past kubegrant.io/ignore-until,
// or naming rules that are not in catalogue (when catalogue is not nil)
// yields a warning; only the first two keep it from suppressing.
func ApplyInline(findings []reports.Finding, g *scanner.Graph, catalogue []reports.Rule, now time.Time) []scanner.Diagnostic {
	if g == nil {
		return nil
	}
	var diags []scanner.Diagnostic
	ignores := map[scanner.Ref]*inlineIgnore{}
	add := func(ref scanner.Ref, src scanner.Source, a map[string]string) {
		if ig := parseInline(ref, src, a, catalogue, now, &diags); ig != nil {
			if _, dup := ignores[ref]; !dup {
				ignores[ref] = ig
			}
		}
	}
	for _, r := range g.Roles {
		add(r.Ref, r.Source, r.Annotations)
	}
	for _, b := range g.Bindings {
		add(b.Ref, b.Source, b.Annotations)
	}
	if len(ignores) == 0 {
		return diags
	}
	for i := range findings {
		f := &findings[i]
		if ig := inlineCover(f, ignores); ig != nil {
			Mark(f, reports.Suppression{Kind: reports.SuppressInline, Justification: ig.reason, Expires: ig.expires})
		}
	}
	return diags
}

// inlineCover returns the ignore annotation that suppresses f, or nil. A
// finding given by several grants is suppressed only when an annotation on
// each grant's binding, role or aggregated-from ClusterRole covers its rule:
// an identity that still holds the capability through an un-annotated grant
// keeps the finding.
func inlineCover(f *reports.Finding, ignores map[scanner.Ref]*inlineIgnore) *inlineIgnore {
	of := func(refs ...*scanner.Ref) *inlineIgnore {
		for _, ref := range refs {
			if ref == nil {
				continue
			}
			if ig := ignores[*ref]; ig != nil && ig.covers(f.RuleID) {
				return ig
			}
		}
		return nil
	}
	if len(f.Grants) == 0 {
		return of(f.Binding, f.Role)
	}
	var first *inlineIgnore
	for _, g := range f.Grants {
		ig := of(&g.Binding, &g.Role, g.AggregatedFrom)
		if ig == nil {
			return nil
		}
		if first == nil {
			first = ig
		}
	}
	return first
}

// parseInline reads the ignore annotations of one object; it returns nil
// when they do not suppress, with a warning in diags when they were meant to.
func parseInline(ref scanner.Ref, src scanner.Source, a map[string]string, catalogue []reports.Rule, now time.Time, diags *[]scanner.Diagnostic) *inlineIgnore {
	ids, ok := a[AnnotationIgnore]
	if !ok {
		return nil
	}
	warn := func(format string, args ...any) {
		*diags = append(*diags, scanner.Diagnostic{
			Severity: scanner.DiagWarning,
			Message:  fmt.Sprintf("%s: %s", describeRef(ref), fmt.Sprintf(format, args...)),
			Location: src,
		})
	}
	ig := &inlineIgnore{reason: strings.TrimSpace(a[AnnotationIgnoreReason])}
	for id := range strings.SplitSeq(ids, ",") {
		switch id = strings.TrimSpace(id); id {
		case "":
		case "*":
			ig.all = true
		default:
			if catalogue != nil && !slices.ContainsFunc(catalogue, func(r reports.Rule) bool { return r.ID == id }) {
				warn("%s names %q, which is not a rule of the catalogue", AnnotationIgnore, id)
			}
			ig.rules = append(ig.rules, id)
		}
	}
	if !ig.all && len(ig.rules) == 0 {
		warn("%s lists no rule IDs; it suppresses nothing", AnnotationIgnore)
		return nil
	}
	if ig.reason == "" {
		warn("%s without %s suppresses nothing: say why these findings are accepted", AnnotationIgnore, AnnotationIgnoreReason)
		return nil
	}
	if until := strings.TrimSpace(a[AnnotationIgnoreUntil]); until != "" {
		end, err := parseExpiry(until)
		if err != nil {
			warn("%s: %v; the annotation suppresses nothing", AnnotationIgnoreUntil, err)
			return nil
		}
		if !now.Before(end) {
			warn("%s expired on %s: the annotation no longer suppresses anything (%s)", AnnotationIgnore, until, ig.reason)
			return nil
		}
		ig.expires = until
	}
	return ig
}

// describeRef renders a reference as `Kind "namespace/name"`.
func describeRef(r scanner.Ref) string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %q", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %q", r.Kind, r.Namespace+"/"+r.Name)
}

// HasInline reports whether a role or binding of g carries a
// kubegrant.io/ignore annotation.
func HasInline(g *scanner.Graph) bool {
	for _, r := range g.Roles {
		if _, ok := r.Annotations[AnnotationIgnore]; ok {
			return true
		}
	}
	for _, b := range g.Bindings {
		if _, ok := b.Annotations[AnnotationIgnore]; ok {
			return true
		}
	}
	return false
}
