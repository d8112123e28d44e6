package detect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubegrant/kubegrant/reports"
)

const rbacGroup = "rbac.authorization.k8s.io"

// ---- KGD11 ---------------------------------------------------------------

var ruleImpersonation = reports.Rule{
	ID:       "KGD11",
	Slug:     "impersonation-of-privileged-identity",
	Title:    "Impersonation of a privileged identity",
	Severity: reports.Critical,
	Description: "A request impersonating a privileged user or group (system:masters, cluster admins, control-plane components, nodes, " +
		"kube-system ServiceAccounts) was allowed. Impersonating them gives the caller their full rights.",
	Remediation: "Remove impersonate on users, groups and serviceaccounts from the caller's roles, or restrict it with resourceNames to non-privileged identities.",
	Tags:        []string{"security", "privilege-escalation", "MITRE ATT&CK T1078", "MITRE ATT&CK T1134"},
	Catalogue:   []string{"D11", "U32"},
	References:  []string{"Elastic: Kubernetes User Impersonating a Privileged Identity (privilege_escalation_kubernetes_impersonating_privileged_identity)"},
}

func newImpersonationDetector(o DetectOptions) Detector {
	priv := globs(o.PrivilegedIdentities)
	allow := globs(o.ImpersonationAllow)
	return newPerKey(o, ruleImpersonation, func(e *Event) (hit, bool) {
		iu := e.ImpersonatedUser
		if iu == nil || !allowedEvent(e) || allow.match(e.User.Username) {
			return hit{}, false
		}
		var as []string
		if iu.Username != "" && priv.match(iu.Username) {
			as = append(as, "user "+iu.Username)
		}
		for _, g := range iu.Groups {
			if priv.match(g) {
				as = append(as, "group "+g)
			}
		}
		if len(as) == 0 {
			return hit{}, false
		}
		target := strings.Join(as, ", ")
		return hit{key: e.User.Username + "\x00" + target, attrs: map[string]string{"caller": e.User.Username, "target": target, "requests": e.Verb + " " + resourceOf(e)}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s impersonated %s in %s: %s", a.attr("caller"), a.attr("target"), plural(a.count, "request"), a.attr("requests"))
	})
}

// ---- KGD12 ---------------------------------------------------------------

var ruleClusterAdminBinding = reports.Rule{
	ID:          "KGD12",
	Slug:        "cluster-admin-binding-created",
	Title:       "Binding to cluster-admin created or changed",
	Severity:    reports.High,
	Description: "A RoleBinding or ClusterRoleBinding whose roleRef is the cluster-admin ClusterRole was created or changed: its subjects now hold every permission (in the namespace, or cluster-wide).",
	Remediation: "Confirm the binding was intended; bind a narrower role instead of cluster-admin and delete the binding if it was not.",
	Tags:        []string{"security", "persistence", "privilege-escalation", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"D12", "U03", "U28"},
	References:  []string{"Elastic: Kubernetes Cluster-Admin Role Binding Created (persistence_cluster_admin_rolebinding_created)", "Falco: Attach to cluster-admin Role"},
}

// bindingBody is the part of a binding KGD12 reads.
type bindingBody struct {
	RoleRef  rbacv1.RoleRef   `json:"roleRef"`
	Subjects []rbacv1.Subject `json:"subjects"`
}

func newClusterAdminBindingDetector(o DetectOptions) Detector {
	allow := globs(o.ClusterAdminBinderAllow)
	return newPerKey(o, ruleClusterAdminBinding, func(e *Event) (hit, bool) {
		r := objRef(e)
		if (r.Resource != "clusterrolebindings" && r.Resource != "rolebindings") || r.APIGroup != rbacGroup ||
			!isVerb(e, "create", "update", "patch") || !allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		var b bindingBody
		ok := false
		for _, raw := range []json.RawMessage{e.ResponseObject, e.RequestObject} {
			if len(raw) > 0 && json.Unmarshal(raw, &b) == nil && b.RoleRef.Name != "" {
				ok = true
				break
			}
		}
		if !ok || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != "cluster-admin" {
			return hit{}, false
		}
		binding := kindOf(r.Resource) + " " + objName(r)
		subs := make([]string, 0, len(b.Subjects))
		for _, s := range b.Subjects {
			n := s.Kind + " " + s.Name
			if s.Namespace != "" {
				n = s.Kind + " " + s.Namespace + "/" + s.Name
			}
			subs = append(subs, n)
		}
		return hit{key: who(e) + "\x00" + binding, attrs: map[string]string{"who": who(e), "binding": binding, "subjects": strings.Join(subs, ", "), "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s to cluster-admin for %s", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("binding"), orNone(a.attr("subjects").String()))
	})
}

func pastTense(verbs string) string {
	switch verbs {
	case "create":
		return "created"
	case "update":
		return "updated"
	case "patch":
		return "patched"
	case "delete":
		return "deleted"
	}
	return "wrote (" + verbs + ")"
}

func kindOf(resource string) string {
	switch resource {
	case "clusterrolebindings":
		return "ClusterRoleBinding"
	case "rolebindings":
		return "RoleBinding"
	case "clusterroles":
		return "ClusterRole"
	case "roles":
		return "Role"
	}
	return resource
}

// ---- KGD13 ---------------------------------------------------------------

var ruleRBACWriteBySA = reports.Rule{
	ID:       "KGD13",
	Slug:     "serviceaccount-writes-rbac",
	Title:    "ServiceAccount wrote RBAC objects",
	Severity: reports.High,
	Description: "A ServiceAccount created, changed or deleted Roles, ClusterRoles or their bindings. Outside a few operators, workloads " +
		"have no reason to write RBAC; a stolen ServiceAccount token doing so is escalating or persisting.",
	Remediation: "Confirm the ServiceAccount belongs to an operator that manages RBAC (then add it to the allow-list); otherwise remove its write verbs on rbac.authorization.k8s.io resources and review what it wrote.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"D13", "U28", "U29", "U30"},
	References:  []string{"Elastic: Kubernetes Service Account Modified RBAC Objects (privilege_escalation_service_account_rbac_write_operation)"},
}

var rbacResources = []string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"}

func newRBACWriteBySADetector(o DetectOptions) Detector {
	allow := globs(o.RBACWriterAllow)
	return newPerKey(o, ruleRBACWriteBySA, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.APIGroup != rbacGroup || !slices.Contains(rbacResources, r.Resource) ||
			!isVerb(e, "create", "update", "patch", "delete", "deletecollection") || !allowedEvent(e) {
			return hit{}, false
		}
		user, _ := actingAs(e)
		if _, ok := saNamespace(user); !ok || callerAllowed(allow, e) {
			return hit{}, false
		}
		obj := kindOf(r.Resource) + " " + objName(r)
		return hit{key: who(e), attrs: map[string]string{"who": who(e), "writes": e.Verb + " " + obj}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("ServiceAccount %s wrote RBAC objects (%s): %s", a.attr("who"), plural(a.count, "request"), a.attr("writes"))
	})
}

// ---- KGD14 ---------------------------------------------------------------

var ruleWildcardRole = reports.Rule{
	ID:       "KGD14",
	Slug:     "role-written-with-wildcard",
	Title:    "Role created or patched with wildcard verbs or resources",
	Severity: reports.High,
	Description: "A Role or ClusterRole was written with \"*\" in verbs or resources. Wildcards grant every current and future verb " +
		"or resource (including escalate, bind, impersonate and secrets); */* is cluster-admin in all but name.",
	Remediation: "Replace the wildcards with the verbs and resources the subject needs, and review who wrote the role.",
	Tags:        []string{"security", "privilege-escalation", "persistence", "MITRE ATT&CK T1098.006"},
	Catalogue:   []string{"D14", "U07", "U27"},
	References:  []string{"Elastic: Kubernetes Role Patched with Wildcard Verbs and Resources (privilege_escalation_role_patch_wildcard_verbs_resources_response)", "Falco: ClusterRole With Wildcard Created"},
}

func newWildcardRoleDetector(o DetectOptions) Detector {
	allow := globs(o.RoleWriterAllow)
	return newPerKey(o, ruleWildcardRole, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.APIGroup != rbacGroup || (r.Resource != "roles" && r.Resource != "clusterroles") || r.Subresource != "" ||
			!isVerb(e, "create", "update", "patch") || !allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		// The response holds the stored role; a patch request only the delta.
		body := e.ResponseObject
		if len(body) == 0 {
			body = e.RequestObject
		}
		var role struct {
			Rules []rbacv1.PolicyRule `json:"rules"`
		}
		if len(body) == 0 || json.Unmarshal(body, &role) != nil {
			return hit{}, false
		}
		var found []string
		sev := reports.Severity("")
		for i, pr := range role.Rules {
			if len(pr.Resources) == 0 {
				continue // non-resource rules: "*" URLs are another matter
			}
			v, res := slices.Contains(pr.Verbs, "*"), slices.Contains(pr.Resources, "*")
			switch {
			case v && res:
				found = append(found, fmt.Sprintf("rule %d: verbs * on resources *", i))
				if slices.Contains(pr.APIGroups, "*") {
					sev = reports.Critical
				}
			case v:
				found = append(found, fmt.Sprintf("rule %d: verbs * on %s", i, strings.Join(pr.Resources, ",")))
			case res:
				found = append(found, fmt.Sprintf("rule %d: %s on resources *", i, strings.Join(pr.Verbs, ",")))
			}
		}
		if len(found) == 0 {
			return hit{}, false
		}
		obj := kindOf(r.Resource) + " " + objName(r)
		return hit{key: who(e) + "\x00" + obj, severity: sev, attrs: map[string]string{"who": who(e), "obj": obj, "rules": strings.Join(found, "; "), "verbs": e.Verb}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s %s %s with wildcards: %s", a.attr("who"), pastTense(a.attr("verbs").String()), a.attr("obj"), a.attr("rules"))
	})
}

// ---- KGD22 ---------------------------------------------------------------

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
	return newPerKey(o, ruleAnonymous, func(e *Event) (hit, bool) {
		user, groups := actingAs(e)
		if user != "system:anonymous" && !slices.Contains(groups, "system:unauthenticated") {
			return hit{}, false
		}
		if !allowedEvent(e) {
			return hit{}, false
		}
		path, _, _ := strings.Cut(e.RequestURI, "?")
		if objRef(e).Resource == "" && paths.match(path) {
			return hit{}, false
		}
		h := hit{key: e.Verb + " " + resourceOf(e), attrs: map[string]string{"req": e.Verb + " " + resourceOf(e)}}
		if !isVerb(e, "get", "list", "watch") {
			h.severity = reports.Critical
		}
		return h, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("anonymous request allowed: %s (%s)", a.attr("req"), plural(a.count, "request"))
	})
}

// ---- KGD23 ---------------------------------------------------------------

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
	allow := globs(o.EventDeleteAllow)
	return newPerKey(o, ruleEventsDeleted, func(e *Event) (hit, bool) {
		r := objRef(e)
		if r.Resource != "events" || (r.APIGroup != "" && r.APIGroup != "events.k8s.io") ||
			!isVerb(e, "delete", "deletecollection") || !allowedEvent(e) || callerAllowed(allow, e) {
			return hit{}, false
		}
		return hit{key: who(e) + "\x00" + r.Namespace, attrs: map[string]string{"who": who(e), "ns": r.Namespace}}, true
	}, func(a *aggregate) string {
		return fmt.Sprintf("%s deleted events in %s (%s)", a.attr("who"), scopeOf(a.attr("ns").String()), plural(a.count, "request"))
	})
}
