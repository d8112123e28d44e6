package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
)

// Initial access (ATT&CK TA0001): anonymous requests.

func init() {
	register(
		Detection{Rule: ruleAnonymous, Resources: nil, New: newAnonymousDetector},
	)
}

var ruleAnonymous = reports.Rule{
	ID:       "KGD22",
	Slug:     "anonymous-request-allowed",
	Title:    "Anonymous request authorized",
	Severity: reports.High,
	Description: "A request by system:anonymous (or the system:unauthenticated group) was allowed beyond the health and version " +
		"endpoints. Whatever an anonymous request may do, anyone who reaches the API server may do.",
	Remediation: "Remove bindings to system:anonymous and system:unauthenticated (other than system:public-info-viewer), or disable anonymous authentication.",
	Tags:        []string{"security", "initial-access", "MITRE ATT&CK T1078.001"},
	Catalogue:   []string{"D22", "U52"},
	References:  []string{"Elastic: Kubernetes Anonymous Request Authorized", "Falco: Anonymous Request Allowed"},
}

func newAnonymousDetector(o DetectOptions) Detector {
	paths := globs(o.AnonymousPathAllow)
	return newPerKey(o, ruleAnonymous, func(e *audit.Event) (hit, bool) {
		user, groups := e.Actor()
		if user != "system:anonymous" && !slices.Contains(groups, "system:unauthenticated") {
			return hit{}, false
		}
		if !e.Allowed() {
			return hit{}, false
		}
		path, _, _ := strings.Cut(e.RequestURI, "?")
		if e.Object.Resource == "" && paths.match(path) {
			return hit{}, false
		}
		h := hit{key: e.Verb + " " + e.Resource(), attrs: map[string]string{"req": e.Verb + " " + e.Resource()}}
		if !isVerb(e, "get", "list", "watch") {
			h.severity = reports.Critical
		}
		return h, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("anonymous request allowed: %s (%s)", a.attr("req"), plural(a.count, "request"))
	})
}
