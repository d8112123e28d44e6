package detect

import (
	"slices"

	"github.com/kubegrant/kubegrant/detect/audit"
	"github.com/kubegrant/kubegrant/scanner"
)

// Check is one question an audited request put to the RBAC authorizer:
// may this user, with these groups, make this request.
type Check struct {
	User    string
	Groups  []string
	Request scanner.Request
}

// RBACChecks returns the checks RBAC allowed for an audited request, the
// way the replay counts them: the impersonation checks of the caller (when
// the impersonation was not refused and the caller is not system:masters),
// then, when RBAC allowed the request itself, the request as the acting
// identity and the escalate or bind checks a role or binding write implies.
// A request allowed by system:masters or the Node authorizer yields no
// check of its own.
func RBACChecks(e *audit.Event) []Check {
	var out []Check
	if e.Impersonated != nil && !impersonationDenied(e) && !slices.Contains(e.User.Groups, scanner.GroupMasters) {
		for _, r := range impersonationChecks(e.Impersonated) {
			out = append(out, Check{User: e.User.Name, Groups: e.User.Groups, Request: r})
		}
	}
	user, groups := e.Actor()
	if !authorizedByRBAC(e, groups) {
		return out
	}
	out = append(out, Check{User: user, Groups: groups, Request: e.Attrs})
	for _, r := range derived(e, e.Attrs) {
		out = append(out, Check{User: user, Groups: groups, Request: r})
	}
	return out
}
