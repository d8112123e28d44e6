// Package suppress decides which findings are suppressed, and why. It is
// the one place for every kind of suppression:
//
//   - inline: a kubegrant.io/ignore annotation (with
//     kubegrant.io/ignore-reason) on the binding or role of every grant
//     behind the finding (inline.go);
//   - config: an exception of the config file, .kubegrant.yaml (config.go);
//   - platform-default: only Kubernetes' own bootstrap bindings give the
//     finding (platform.go);
//   - baseline: the finding's fingerprint is in the --baseline report
//     (baseline.go).
//
// A finding carries at most one reports.Suppression. Mark is the only code
// that sets it, and Outranks is the only function that decides between two
// kinds: inline, then config, then platform-default, then baseline. The
// order goes from the most specific, deliberate statement to the most
// general one, so the report shows the reason a person wrote down: an
// annotation names the very grant and sits in its source, an exception is
// a person's decision kept beside the code, a platform default is
// kubegrant's own judgement, and a baseline only says "this was there
// before". Apply runs every source; the order of the calls does not matter.
//
// Whatever the kind, a suppressed finding stays in JSON and SARIF (SARIF
// suppressions[].kind is inSource for inline, external for the others) and
// never counts for --fail-on.
package suppress

import (
	"slices"
	"time"

	"github.com/kubegrant/kubegrant/reports"
	"github.com/kubegrant/kubegrant/scanner"
)

// Kinds lists the kinds of suppression, the one that wins first.
var Kinds = []string{reports.SuppressInline, reports.SuppressConfig, reports.SuppressPlatformDefault, reports.SuppressBaseline}

// Outranks reports whether a suppression of kind a takes precedence over
// one of kind b: a comes before b in Kinds. A kind not in Kinds loses to
// every kind that is; two equal kinds do not outrank each other, so the
// first one set stays (the first matching exception gives the
// justification).
func Outranks(a, b string) bool {
	return rank(a) < rank(b)
}

func rank(kind string) int {
	if i := slices.Index(Kinds, kind); i >= 0 {
		return i
	}
	return len(Kinds)
}

// Mark suppresses f by s unless f already carries a suppression that s does
// not outrank. It reports whether s was set. Every suppression goes through
// it (a test checks that no other code sets Finding.Suppression).
func Mark(f *reports.Finding, s reports.Suppression) bool {
	if f.Suppression != nil && !Outranks(s.Kind, f.Suppression.Kind) {
		return false
	}
	f.Suppression = &s
	return true
}

// Sources are the suppressions of one run.
type Sources struct {
	// Graph is the scanned RBAC: the inline annotations are on its roles
	// and bindings. nil for none.
	Graph *scanner.Graph
	// Catalogue returns every rule, to warn about an annotation naming a
	// rule that does not exist; it is called only when the graph has an
	// annotation. nil: annotations are not checked.
	Catalogue func() ([]reports.Rule, error)
	// Exceptions are the config file's.
	Exceptions []Exception
	// Baseline is the --baseline report's fingerprints; nil for none.
	Baseline *Baseline
	// Now is the clock expiry dates are compared with.
	Now time.Time
}

// Apply marks the report's findings with every suppression of src, adds
// the warnings they raise (an expired or unused exception, an annotation
// without a reason…) to its diagnostics, and finalizes it: the baseline
// matches fingerprints, which Finalize sets, and the summary counts only
// the findings left unsuppressed.
func Apply(r *reports.Report, src Sources) error {
	MarkPlatformDefaults(r.Findings)
	if src.Graph != nil && HasInline(src.Graph) {
		var rules []reports.Rule
		if src.Catalogue != nil {
			var err error
			if rules, err = src.Catalogue(); err != nil {
				return err
			}
		}
		r.Diagnostics = append(r.Diagnostics, ApplyInline(r.Findings, src.Graph, rules, src.Now)...)
	}
	r.Diagnostics = append(r.Diagnostics, ApplyExceptions(r.Findings, src.Exceptions, src.Now)...)
	r.Finalize()
	if src.Baseline != nil {
		src.Baseline.Apply(r.Findings)
		r.Finalize() // recount: baseline findings are now suppressed
	}
	return nil
}
