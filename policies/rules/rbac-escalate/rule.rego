# METADATA
# title: Subject can escalate roles
# description: >-
#   escalate on roles or clusterroles lets the subject write rules it does not hold
#   itself, past RBAC's escalation prevention. clusterroles are cluster-scoped, so a
#   RoleBinding confines escalate on them to nothing; escalate on roles works in
#   the binding's namespace. resourceNames restrict it to the named roles.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg027
# custom:
#   id: KG027
#   slug: rbac-escalate
#   severity: high
#   remediation: >-
#     Remove the escalate verb; only the clusterrole-aggregation-controller needs it.
#   tags: [stride:elevation-of-privilege, T1098]
#   catalogue: [U27]
#   references:
#     - rbac-police escalate_roles
#     - checkov CKV_K8S_158
#     - kubescape C-0191
#     - kubescape rule-can-bind-escalate
#     - kubescape escalate-roles-clusterroles-v1
#     - rbac-tool bind-or-escalate
#     - kubesplaining KUBE-PRIVESC-009
#     - rbac-scope 1031
#     - KSV-0050
#   exercised_by:
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [escalate]}
package kubegrant.rules.rbac_escalate

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	rbac.verb_matches(rule, "escalate")
	some i in input.ruleGrants[k]
	g := input.grants[i]
	targets := [r |
		some r in ["roles", "clusterroles"]
		rbac.reaches(g, r)
		rbac.allows(g.rule, rbac.rbac_group, r, "escalate")
	]
	count(targets) > 0
	f := finding(i, g, concat(", ", targets))
}

finding(i, g, targets) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can escalate %s %s %s: add any permission to them", [targets, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can escalate %s %s: write rules it does not hold into any role it may update", [targets, rbac.where(g)]),
}
