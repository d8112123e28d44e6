# METADATA
# title: Subject holds every verb on every resource (cluster-admin equivalent)
# description: >-
#   A rule with verbs, resources and apiGroups all "*" allows everything: through a
#   ClusterRoleBinding it is cluster-admin (U01); through a RoleBinding it is admin
#   of the namespace, including its Secrets, pods/exec and RBAC (U02). resourceNames
#   do not restrict create. When the same binding also grants every non-resource
#   URL the message says so. KG007 does not report these rules again.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg001
# custom:
#   id: KG001
#   slug: cluster-admin-equivalent
#   severity: critical
#   remediation: >-
#     Replace the wildcard rule with the verbs and resources the subject needs, or
#     bind a narrower role.
#   tags: [stride:elevation-of-privilege, T1078, T1098]
#   catalogue: [U01, U02]
#   references:
#     - rbac-police cluster_admin
#     - KubiScan risky-any-verb
#     - krane subjects-with-open-cluster-wide-access
#     - krane subjects-with-open-ns-level-access
#     - KSV-0044
#     - KSV-0112
#     - kubescape C-0035
#     - kubescape C-0187
#     - checkov CKV_K8S_49
#     - kube-linter wildcard-in-rules
#     - rbac-scope 1060
#     - rbac-scope 1061
#     - kubesplaining KUBE-PRIVESC-017
#   exercised_by:
#     - {apiGroups: ["*"], resources: ["*"], verbs: [create, update, patch, delete, deletecollection]}
#     - {apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}
#     - {apiGroups: [""], resources: [pods/exec, pods/attach], verbs: [get]}
#     - {apiGroups: [""], resources: [nodes/proxy], verbs: ["*"]}
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [escalate, bind]}
#     - {apiGroups: ["", authentication.k8s.io], resources: ["*"], verbs: [impersonate]}
package kubegrant.rules.cluster_admin_equivalent

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some k, rule in input.rules
	rbac.all_wildcard(rule)
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g)
}

finding(i, g) := {
	"grant": i,
	"severity": "critical",
	"msg": "cluster-admin equivalent: every verb on every resource in every API group",
} if {
	rbac.cluster_wide(g)
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf(
		"namespace admin: every verb on every resource %s, including Secrets, pods/exec and RBAC",
		[rbac.where(g)],
	),
}

# all_urls holds the (binding, role) pairs that also grant every verb on
# every non-resource URL; RoleBindings never grant non-resource URLs.
