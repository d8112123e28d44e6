# METADATA
# title: Subject can map permissions and targets (reconnaissance)
# description: >-
#   Grants that help an intruder map the cluster: create on
#   selfsubjectrulesreviews (what can I do), subjectaccessreviews and tokenreviews
#   (what can others do, whose token is this), list or watch on namespaces, get,
#   list or watch on RBAC objects (who holds what), and componentstatuses. None is
#   a privilege by itself: low, reported once per grant. The bootstrap
#   ClusterRoles that grant some of these to everyone are not bound through
#   manifests and so are rarely seen here. A rule that is "*" in verbs, resources
#   and apiGroups is KG001's.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg060
# custom:
#   id: KG060
#   slug: recon-grants
#   severity: low
#   remediation: >-
#     Remove the review, namespace listing and RBAC read permissions the subject
#     does not use; keep them for auditors and controllers that need them.
#   tags: [stride:information-disclosure, T1069, T1613]
#   catalogue: [U60]
#   references:
#     - rbac-scope 1049
#     - rbac-scope 1050
#     - rbac-scope 1051
#     - rbac-scope 1077
#     - rbac-scope 1082
#     - rbac-scope 1086
#     - rbac-scope 1095
#     - Elastic discovery_suspicious_self_subject_review
#     - Sigma rbac_permisions_listing
#   exercised_by:
#     - {apiGroups: [authorization.k8s.io], resources: [selfsubjectrulesreviews, subjectaccessreviews], verbs: [create]}
#     - {apiGroups: [authentication.k8s.io], resources: [tokenreviews], verbs: [create]}
#     - {apiGroups: [""], resources: [namespaces], verbs: [list, watch]}
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles, rolebindings, clusterrolebindings], verbs: [get, list, watch]}
#     - {apiGroups: [""], resources: [componentstatuses], verbs: [get, list]}
package kubegrant.rules.recon_grants

import rego.v1

import data.kubegrant.lib.rbac

checks := [
	[[["authorization.k8s.io", "selfsubjectrulesreviews"], ["authorization.k8s.io", "subjectaccessreviews"], ["authentication.k8s.io", "tokenreviews"]], ["create"]],
	[[["", "namespaces"]], ["list", "watch"]],
	[[[rbac.rbac_group, "roles"], [rbac.rbac_group, "clusterroles"], [rbac.rbac_group, "rolebindings"], [rbac.rbac_group, "clusterrolebindings"]], ["get", "list", "watch"]],
	[[["", "componentstatuses"]], ["get", "list"]],
]

# Cluster-scoped: a RoleBinding reaches none of these.
cluster_only := {"subjectaccessreviews", "tokenreviews", "namespaces", "clusterroles", "clusterrolebindings", "componentstatuses"}

deny contains f if {
	some k, rule in input.rules
	not rbac.all_wildcard(rule)
	matched := [p | some [targets, verbs] in checks; some p in rbac.matches(rule, targets, verbs)]
	count(matched) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	pairs := [p | some p in matched; reached(g, p[0])]
	count(pairs) > 0
	f := {
		"grant": i,
		"msg": sprintf("can %s %s %s: map who can do what", [rbac.pair_verbs(pairs), rbac.pair_resources(pairs), rbac.where(g)]),
	}
}

reached(g, _) if rbac.cluster_wide(g)

reached(g, r) if {
	not rbac.cluster_wide(g)
	not r in cluster_only
}
