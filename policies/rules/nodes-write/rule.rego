# METADATA
# title: Subject can change or delete nodes
# description: >-
#   update or patch on nodes changes their labels and taints, steering workloads
#   (and the ServiceAccount tokens they hold) onto a node the subject controls or
#   off the healthy ones; delete removes nodes from the cluster. nodes are
#   cluster-scoped, so a RoleBinding confines this to nothing. resourceNames
#   restrict it to the named nodes (medium). A rule that is "*" in verbs, resources
#   and apiGroups is KG001's. Catalogue U26 (steal pods: change nodes, then
#   delete or evict a powerful pod so it lands on a node the subject controls)
#   is reported in its parts, this rule and KG049 (pod deletes); there is no
#   finding of its own for an identity that holds both.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg046
# custom:
#   id: KG046
#   slug: nodes-write
#   severity: high
#   remediation: >-
#     Remove update, patch and delete on nodes; leave node lifecycle to the node
#     controller and cluster autoscaler.
#   tags: [stride:tampering, stride:denial-of-service, T1098, T1489]
#   catalogue: [U46, U26]
#   references:
#     - rbac-scope 1015
#     - rbac-scope 1016
#     - kubesplaining KUBE-PRIVESC-016
#   exercised_by:
#     - {apiGroups: [""], resources: [nodes], verbs: [update, patch, delete]}
package kubegrant.rules.nodes_write

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "", "nodes", ["update", "patch", "delete"])
	count(verbs) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.reaches(g, "nodes")
	f := finding(i, g, concat(", ", verbs))
}

finding(i, g, verbs) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s nodes %s", [verbs, rbac.names(g.rule)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s any node: relabel, taint or remove it", [verbs]),
}
