# METADATA
# title: Subject can create PersistentVolumes or change storage and runtime classes
# description: >-
#   create on persistentvolumes can point a volume at a hostPath (the node's
#   filesystem) that a pod then mounts; write access to
#   node.k8s.io/runtimeclasses, storage.k8s.io/csidrivers, storageclasses or
#   volumeattachments changes which runtime handler or CSI driver runs on the
#   nodes and what volumes attach where: node compromise. All are
#   cluster-scoped, so a RoleBinding confines this to nothing. resourceNames
#   cannot restrict create; they restrict the other verbs to the named objects
#   (medium). A rule that is "*" in verbs, resources and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg043
# custom:
#   id: KG043
#   slug: storage-runtime-write
#   severity: high
#   remediation: >-
#     Remove create on persistentvolumes and write verbs on runtimeclasses,
#     csidrivers, storageclasses and volumeattachments; provision volumes through
#     StorageClasses managed by the platform team.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1611]
#   catalogue: [U43]
#   references:
#     - kubescape C-0278
#     - kubescape rule-can-create-pv
#     - kubescape create-persistentvolumes-v1
#     - rbac-tool Storage
#     - rbac-scope 1017
#     - rbac-scope 1055
#     - rbac-scope 1056
#     - rbac-scope 1059
#     - rbac-scope 1102
#   exercised_by:
#     - {apiGroups: [""], resources: [persistentvolumes], verbs: [create]}
#     - {apiGroups: [node.k8s.io], resources: [runtimeclasses], verbs: [create, update, patch, delete]}
#     - {apiGroups: [storage.k8s.io], resources: [csidrivers, storageclasses, volumeattachments], verbs: [create, update, patch, delete]}
package kubegrant.rules.storage_runtime_write

import rego.v1

import data.kubegrant.lib.rbac

pv_targets := [["", "persistentvolumes"]]

class_targets := [
	["node.k8s.io", "runtimeclasses"],
	["storage.k8s.io", "csidrivers"], ["storage.k8s.io", "storageclasses"], ["storage.k8s.io", "volumeattachments"],
]

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	pairs := array.concat(
		rbac.matches(rule, pv_targets, ["create"]),
		rbac.matches(rule, class_targets, ["create", "update", "patch", "delete"]),
	)
	count(pairs) > 0
	open := [p | some p in pairs; not rbac.restricts(rule, p[0], p[1])]
	some i in input.ruleGrants[k]
	g := input.grants[i]
	rbac.cluster_wide(g)
	f := finding(i, g, pairs, open)
}

finding(i, g, pairs, open) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can %s %s named %s", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.names(g.rule)]),
} if {
	count(open) == 0
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can %s any %s: hostPath volumes, runtime handlers or CSI drivers on the nodes", [rbac.pair_verbs(open), rbac.pair_resources(open)]),
}
