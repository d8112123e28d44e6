# METADATA
# title: Binding names the system:masters group
# description: >-
#   Members of Group system:masters bypass RBAC altogether (the authorizer allows
#   them before RBAC is asked), so a binding to it grants nothing: it marks a
#   misunderstanding, or a client certificate minted for system:masters that the
#   binding was meant to document. Critical, except the default
#   ClusterRoleBinding cluster-admin of ClusterRole cluster-admin, which every
#   cluster has (info). One finding per such subject of each binding.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg054
# custom:
#   id: KG054
#   slug: masters-binding
#   severity: critical
#   kind: hygiene
#   remediation: >-
#     Remove Group system:masters from the binding, and find out who holds
#     certificates for that group; grant named users a role instead.
#   tags: [stride:elevation-of-privilege, stride:repudiation, T1078, T1098]
#   catalogue: [U54]
#   references:
#     - KSV-0123
#     - kubectl-who-can #86
package kubegrant.rules.masters_binding

import rego.v1

import data.kubegrant.lib.rbac

deny contains f if {
	some [b, j] in rbac.subjects_named("Group", "", "system:masters")
	f := finding(b, j, input.bindings[b])
}

finding(b, j, binding) := {
	"binding": b,
	"subject": j,
	"severity": "info",
	"msg": "the default ClusterRoleBinding cluster-admin names Group system:masters, which bypasses RBAC",
} if {
	default_binding(binding)
} else := {
	"binding": b,
	"subject": j,
	"severity": "critical",
	"msg": sprintf(
		"%s %s binds %s %q to Group system:masters, which bypasses RBAC: the binding grants nothing and marks misuse",
		[binding.kind, binding.name, binding.roleRef.kind, binding.roleRef.name],
	),
}

default_binding(binding) if {
	binding.kind == "ClusterRoleBinding"
	binding.name == "cluster-admin"
	binding.roleRef.kind == "ClusterRole"
	binding.roleRef.name == "cluster-admin"
}
