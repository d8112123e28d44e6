# METADATA
# title: Subject can write Leases in kube-system or kube-node-lease
# description: >-
#   Leases in kube-system hold the leader election of the control plane
#   (kube-controller-manager, kube-scheduler, cloud controllers) and those in
#   kube-node-lease the node heartbeats: writing them hijacks or stalls leader
#   election and fakes or kills node liveness. create, update, patch or delete on
#   coordination.k8s.io leases, cluster-wide or by a RoleBinding in one of those
#   two namespaces. resourceNames cannot restrict create; they restrict the other
#   verbs to the named Leases (medium). A rule that is "*" in verbs, resources and
#   apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg044
# custom:
#   id: KG044
#   slug: leases-write
#   severity: high
#   remediation: >-
#     Remove write verbs on leases cluster-wide and in kube-system and
#     kube-node-lease; grant a controller its own Lease by resourceNames in its own
#     namespace.
#   tags: [stride:denial-of-service, stride:tampering, T1499, T1565]
#   catalogue: [U44]
#   references:
#     - rbac-scope 1080
#     - rbac-scope 1081
#   exercised_by:
#     - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [create, update, patch, delete]}
package kubegrant.rules.leases_write

import rego.v1

import data.kubegrant.lib.rbac

control_namespaces := {"kube-system", "kube-node-lease"}

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	verbs := rbac.allowed_verbs(rule, "coordination.k8s.io", "leases", ["create", "update", "patch", "delete"])
	count(verbs) > 0
	open := [v | some v in verbs; not rbac.restricts(rule, "leases", v)]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	control(g)
	f := finding(i, g, verbs, open)
}

control(g) if rbac.cluster_wide(g)

control(g) if g.scope in control_namespaces

finding(i, g, verbs, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s Leases %s %s", [concat(", ", verbs), rbac.names(g.rule), rbac.where(g)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s any Lease %s: hijack leader election or fake node heartbeats", [concat(", ", open), rbac.where(g)]),
}
