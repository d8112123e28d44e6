# METADATA
# title: Subject can tamper with disruption budgets, quotas and revisions
# description: >-
#   Write access (create, update, patch, delete) to poddisruptionbudgets (and
#   their status), controllerrevisions, resourcequotas, limitranges,
#   networkpolicies/status or certificatesigningrequests/status: drain protection
#   removed, rollbacks poisoned, quotas lifted or tightened. Availability and
#   integrity, not privilege: low, medium cluster-wide. resourceNames cannot
#   restrict create; they restrict the other verbs (reported alike). A rule that
#   is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg063
# custom:
#   id: KG063
#   slug: low-impact-tamper
#   severity: low
#   remediation: >-
#     Remove write verbs on these resources from roles that do not manage them.
#   tags: [stride:tampering, stride:denial-of-service, T1565, T1499]
#   catalogue: [U63]
#   references:
#     - rbac-scope 1079
#     - rbac-scope 1085
#     - rbac-scope 1087
#     - rbac-scope 1088
#     - rbac-scope 1089
#     - rbac-scope 1093
#     - rbac-scope 1094
#   exercised_by:
#     - {apiGroups: [policy], resources: [poddisruptionbudgets, poddisruptionbudgets/status], verbs: [create, update, patch, delete]}
#     - {apiGroups: [apps], resources: [controllerrevisions], verbs: [create, update, patch, delete]}
#     - {apiGroups: [""], resources: [resourcequotas, limitranges], verbs: [create, update, patch, delete]}
#     - {apiGroups: [networking.k8s.io], resources: [networkpolicies/status], verbs: [update, patch]}
#     - {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/status], verbs: [update, patch]}
package kubegrant.rules.low_impact_tamper

import rego.v1

import data.kubegrant.lib.rbac

targets := [
	["policy", "poddisruptionbudgets"], ["policy", "poddisruptionbudgets/status"],
	["apps", "controllerrevisions"], ["", "resourcequotas"], ["", "limitranges"],
	["networking.k8s.io", "networkpolicies/status"],
	["certificates.k8s.io", "certificatesigningrequests/status"],
]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	matched := rbac.matches(rule, targets, ["create", "update", "patch", "delete"])
	count(matched) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	pairs := [p | some p in matched; reached(g, p[0])]
	count(pairs) > 0
	f := {
		"grant": i,
		"severity": severity(g),
		"msg": sprintf("can %s %s %s", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.where(g)]),
	}
}

reached(g, _) if rbac.cluster_wide(g)

reached(g, r) if {
	not rbac.cluster_wide(g)
	r != "certificatesigningrequests/status"
}

severity(g) := "medium" if rbac.cluster_wide(g) else := "low"
