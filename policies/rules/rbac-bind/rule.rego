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
#   severity: critical
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

deny contains f if {
	some k, rule in input.rules
	targets := [r |
		some r in ["roles", "clusterroles"]
		rbac.allows(rule, rbac.rbac_group, r, "bind")
	]
	count(targets) > 0
	some i in input.ruleGrants[k]
	g := input.grants[i]
	some j, s in g.subjects
	f := finding(i, j, g, s, concat(", ", targets))
}

finding(i, j, g, s, targets) := {
	"grant": i,
	"subject": j,
	"severity": "medium",
	"msg": sprintf("can bind %s %s %s", [targets, rbac.names(g.rule), rbac.where(g)]),
} if {
	rbac.restricted(g.rule)
} else := {
	"grant": i,
	"subject": j,
	"severity": "critical",
	"msg": sprintf(
		"can bind any of %s %s and create bindings: it can grant itself any permission",
		[targets, rbac.where(g)],
	),
} if {
	can_write_bindings(s, g.scope)
} else := {
	"grant": i,
	"subject": j,
	"severity": "high",
	"msg": sprintf("can bind any of %s %s", [targets, rbac.where(g)]),
}

# binding_writers holds [subject key, scope] for every subject that can
# create bindings, or update/patch any of them, in scope. create is never
# restricted by resourceNames (the object has no name yet).
binding_writers contains [rbac.subject_key(s), g.scope] if {
	some k, rule in input.rules
	may_write_bindings(rule)
	some i in input.ruleGrants[k]
	g := input.grants[i]
	writes_bindings(g)
	some s in g.subjects
}

binding_writer_keys contains k if some [k, _] in binding_writers

writes_bindings(g) if {
	some r in ["rolebindings", "clusterrolebindings"]
	rbac.reaches(g, r)
	write_verb(g.rule, r)
}

# may_write_bindings is the scope-free prefilter of writes_bindings.
may_write_bindings(rule) if {
	some r in ["rolebindings", "clusterrolebindings"]
	write_verb(rule, r)
}

write_verb(rule, resource) if rbac.allows(rule, rbac.rbac_group, resource, "create")

write_verb(rule, resource) if {
	not rbac.restricted(rule)
	some v in ["update", "patch"]
	rbac.allows(rule, rbac.rbac_group, resource, v)
}

# A writer in the same namespace, a cluster-wide writer, or, for a
# cluster-wide bind, a writer in any namespace.
can_write_bindings(s, scope) if [rbac.subject_key(s), scope] in binding_writers

can_write_bindings(s, _) if [rbac.subject_key(s), ""] in binding_writers

can_write_bindings(s, "") if rbac.subject_key(s) in binding_writer_keys
