# METADATA
# title: Subject can create or change role bindings
# description: >-
#   create, update or patch on rolebindings or clusterrolebindings lets the subject
#   bind to itself, or to any identity it controls, every role whose permissions it
#   already holds, including roles it only holds in one namespace, and change who
#   holds the roles existing bindings grant. RBAC's escalation check bounds this
#   without bind (KG028). A subject for which KG028 already reports bind plus
#   binding writes at critical is not reported again for the same scope.
#   clusterrolebindings are cluster-scoped, so a RoleBinding confines writes to
#   rolebindings of its namespace. resourceNames cannot restrict create; they do
#   restrict update and patch (medium). Critical cluster-wide or in a privileged
#   namespace. A rule that is "*" in verbs, resources and apiGroups is KG001's.
#   Catalogue U31 (get plus patch on rolebindings: add subjects to an existing
#   binding) is this rule's patch case.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg029
# custom:
#   id: KG029
#   slug: rbac-bindings-write
#   severity: high
#   remediation: >-
#     Remove create, update and patch on rolebindings and clusterrolebindings; manage
#     bindings through a reviewed pipeline.
#   tags: [stride:elevation-of-privilege, stride:tampering, T1098]
#   catalogue: [U29, U31]
#   references:
#     - kubesplaining KUBE-PRIVESC-010
#     - krane subjects-with-rbac-management
#     - rbac-scope 1028
#     - rbac-scope 1030
#   exercised_by:
#     - {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, clusterrolebindings], verbs: [create, update, patch]}
package kubegrant.rules.rbac_bindings_write

import rego.v1

import data.kubegrant.lib.rbac

targets := [[rbac.rbac_group, "rolebindings"], [rbac.rbac_group, "clusterrolebindings"]]

# Atomic: writing bindings alone binds only roles whose permissions the
# subject holds. With bind on ClusterRoles (KG028) the escalation graph
# joins the two per identity and raises both to what they reach.
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
	"msg": sprintf(
		"can %s any %s %s: bind itself any role whose permissions it holds",
		[rbac.pair_verbs(open), rbac.pair_resources(open), rbac.where(g)],
	),
}
