package detect

import (
	"fmt"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/reports"
)

// Defense evasion (ATT&CK TA0005): deleted events.

func init() {
	register(
		Detection{Rule: ruleEventsDeleted, Resources: []string{"events"}, New: newEventsDeletedDetector},
	)
}

var ruleEventsDeleted = reports.Rule{
	ID:          "KGD23",
	Slug:        "events-deleted",
	Title:       "Kubernetes events deleted",
	Severity:    reports.Medium,
	Description: "Events were deleted by an identity that is not a control-plane controller. Events expire on their own; deleting them hides what happened (scheduling, pulls, kills).",
	Remediation: "Find out why the identity deleted events, and remove delete and deletecollection on events from roles that do not need them.",
	Tags:        []string{"security", "defense-evasion", "MITRE ATT&CK T1070"},
	Catalogue:   []string{"D23", "U50"},
	References:  []string{"Elastic: Kubernetes Events Deleted", "Sigma: Kubernetes Events Deleted (kubernetes_audit_events_deleted)"},
}

func newEventsDeletedDetector(o DetectOptions) Detector {
	allow := o.EventDeleteAllow
	return newPerKey(o, ruleEventsDeleted, func(e *audit.Event) (hit, bool) {
		r := e.Object
		if r.Resource != "events" || (r.Group != "" && r.Group != "events.k8s.io") ||
			!isVerb(e, "delete", "deletecollection") || !e.Succeeded() || allow.allows(e) {
			return hit{}, false
		}
		return hit{key: e.Who() + "\x00" + r.Namespace, attrs: map[string]string{"who": e.Who(), "ns": r.Namespace}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s deleted events in %s (%s)", a.attr("who"), scopeOf(a.attr("ns").String()), plural(a.count, "request"))
	})
}
