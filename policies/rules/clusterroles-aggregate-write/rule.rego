# METADATA
# title: Subject can label ClusterRoles into admin, edit or view
# description: >-
#   create, update or patch on clusterroles (cluster-wide) lets the subject write
#   a ClusterRole carrying rbac.authorization.k8s.io/aggregate-to-admin,
#   aggregate-to-edit or aggregate-to-view (or relabel an existing one): the
#   aggregation controller then copies its rules into the built-in admin, edit
#   and view ClusterRoles, silently widening every binding to them. A
#   persistence path KG030 does not spell out. clusterroles are cluster-scoped,
#   so a RoleBinding confines this to nothing. resourceNames cannot restrict
#   create; they restrict update and patch to the named ClusterRoles (medium).
#   A rule that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg102
# custom:
#   id: KG102
#   slug: clusterroles-aggregate-write
#   severity: high
#   remediation: >-
#     Remove create, update and patch on clusterroles; manage ClusterRoles, and
#     the aggregate-to-* labels above all, through a reviewed pipeline.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1098]
#   catalogue: [G2]
#   references:
#     - kubegrant G2 (no anchor tool covers it)
#   exercised_by:
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [create, update, patch]}
package kubegrant.rules.clusterroles_aggregate_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, rbac.rbac_group, "clusterroles", ["create", "update", "patch"])
	count(verbs) > 0
	open := [v | some v in verbs; not rbac.restricts(rule, "clusterroles", v)]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g, verbs, open)
}

finding(i, g, verbs, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s ClusterRoles %s: label them into admin, edit or view", [concat(", ", verbs), rbac.names(g.rule)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s any ClusterRole: label it aggregate-to-admin, -edit or -view and widen every binding to those roles", [concat(", ", open)]),
}
