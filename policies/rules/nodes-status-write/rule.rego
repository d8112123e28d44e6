# METADATA
# title: Subject can update or patch node status
# description: >-
#   update or patch on nodes/status rewrites what the kubelet reports: conditions
#   (Ready, pressure), capacity, allocatable and addresses. The scheduler and the
#   node lifecycle controller act on them, so the subject can steer pods (and
#   their ServiceAccount tokens) toward or away from nodes, or get pods evicted.
#   nodes are cluster-scoped, so a RoleBinding confines this to nothing.
#   resourceNames restrict it to the named nodes (low). A rule that is "*" in
#   verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg045
# custom:
#   id: KG045
#   slug: nodes-status-write
#   severity: medium
#   remediation: >-
#     Remove update and patch on nodes/status; only kubelets (through the Node
#     authorizer) should write it.
#   tags: [stride:tampering, stride:denial-of-service, T1565]
#   catalogue: [U45]
#   references:
#     - rbac-police modify_node_status
#     - rbac-scope 1069
#   exercised_by:
#     - {apiGroups: [""], resources: [nodes/status], verbs: [update, patch]}
package kubegrant.rules.nodes_status_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "nodes/status", ["update", "patch"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "low",
	"msg": sprintf("can %s the status of nodes %s", [verbs, rbac.names(g.rule)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"msg": sprintf("can %s the status of any node: fake its conditions and capacity to steer scheduling", [verbs]),
}
