# METADATA
# title: Subject can bind roles it does not hold
# description: >-
#   bind on roles or clusterroles lets the subject create bindings to roles with
#   permissions it does not hold. Together with create, update or patch on
#   rolebindings or clusterrolebindings (through any grant of the same subject, in
#   the same scope or cluster-wide) it can bind cluster-admin to itself: critical.
#   bind on clusterroles also works in a RoleBinding's namespace (the authorizer
#   checks bind in the new binding's namespace). bind on the bindings themselves
#   grants nothing and is not reported. resourceNames restrict it to the named
#   roles. Subjects are matched by kind, namespace and name; group membership is
#   not known statically.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg028
# custom:
#   id: KG028
#   slug: rbac-bind
#   severity: high
#   remediation: >-
#     Remove the bind verb, or restrict it with resourceNames to the roles the
#     subject must hand out.
#   tags: [stride:elevation-of-privilege, T1098]
#   catalogue: [U28]
#   references:
#     - kubescape bind-roles-clusterroles-v1
#     - kubescape C-0191
#     - KubiScan risky-create-rolebinding-role
#     - krane risky-create-rolebinding-clusterrole
#     - KSV-0051
#     - KSV-0052
#     - kubesplaining KUBE-PRIVESC-009
#     - rbac-scope 1032
#     - KubeHound ROLE_BIND
#   exercised_by:
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [roles, clusterroles], verbs: [bind]}
package kubegrant.rules.rbac_bind

import rego.v1

import data.kubegrant.lib.rbac

# Atomic: bind alone lets the subject refer to roles it does not hold in
# bindings it may write. The escalation graph joins it per identity with
# writing bindings (KG029): bind on ClusterRoles plus clusterrolebindings
# reaches cluster-admin (critical); bind on Roles only never can, since a
# ClusterRoleBinding refers to ClusterRoles only.
deny contains f if {
	some k, rule in input.rules
	targets := [r |
		some r in ["roles", "clusterroles"]
		rbac.allows(rule, rbac.rbac_group, r, "bind")
	]
	count(targets) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	f := finding(i, g, concat(", ", targets))
}

finding(i, g, targets) := {
	"grant": i,
	"severity": "medium",
	"msg": sprintf("can bind %s %s %s", [targets, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"severity": "high",
	"msg": sprintf("can bind any of %s %s", [targets, rbac.where(g)]),
}
