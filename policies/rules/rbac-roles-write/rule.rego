# METADATA
# title: Subject can create or change roles
# description: >-
#   create, update or patch on roles or clusterroles defines new grants: bounded by
#   RBAC's escalation prevention (the subject can only write rules it holds, unless
#   KG027 reports escalate), but it widens every binding to the changed role and is
#   a persistence foothold. clusterroles are cluster-scoped, so a RoleBinding
#   confines writes to roles of its namespace. resourceNames cannot restrict create;
#   they do restrict update and patch (medium). A rule that is "*" in verbs,
#   resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg030
# custom:
#   id: KG030
#   slug: rbac-roles-write
#   severity: high
#   remediation: >-
#     Remove create, update and patch on roles and clusterroles; manage roles through
#     a reviewed pipeline.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1098]
#   catalogue: [U30]
#   references:
#     - rbac-scope 1027
#     - rbac-scope 1029
#     - rbac-tool
#     - KSV-0050
#   exercised_by:
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [create, update, patch]}
package kubegrant.rules.rbac_roles_write

import rego.v1

import data.kubegrant.lib.rbac

targets := [[rbac.rbac_group, "roles"], [rbac.rbac_group, "clusterroles"]]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := rbac.matches(rule, targets, ["create", "update", "patch"])
	count(pairs) > 0
	free := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	reached := [p | some p in pairs; rbac.reaches(g, p[0])]
	count(reached) > 0
	open := [p | some p in free; rbac.reaches(g, p[0])]
	f := finding(i, g, reached, open)
}

finding(i, g, reached, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s %s named %s %s", [rbac.pair_verbs(reached), rbac.pair_resources(reached), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s any %s %s", [rbac.pair_verbs(open), rbac.pair_resources(open), rbac.where(g)]),
}
