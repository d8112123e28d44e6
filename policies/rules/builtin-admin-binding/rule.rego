# METADATA
# title: Binding grants the built-in cluster-admin, admin or edit ClusterRole
# description: >-
#   The built-in ClusterRoles cluster-admin, admin and edit hand out broad power:
#   cluster-admin is everything; admin and edit read Secrets, create pods and
#   workloads and exec into them, and admin writes RBAC. Critical when the binding
#   is a ClusterRoleBinding or lives in a privileged namespace and the subject is
#   not a system: user or group, high otherwise (a RoleBinding grants them in its
#   namespace only). Group system:masters bypasses RBAC and is KG054's, not
#   reported here. One finding per subject of each such binding.
# related_resources:
#   - ref: https://github.com/kubegrant/kubegrant/blob/main/docs/rules.md#kg003
# custom:
#   id: KG003
#   slug: builtin-admin-binding
#   severity: high
#   remediation: >-
#     Bind a role that lists the verbs and resources the subject needs instead of
#     cluster-admin, admin or edit, and through a RoleBinding rather than a
#     ClusterRoleBinding.
#   tags: [stride:elevation-of-privilege, T1078, T1098]
#   catalogue: [U03]
#   references:
#     - KSV-0111
#     - kubescape C-0185
#     - kube-linter cluster-admin-role-binding
#     - kubesplaining KUBE-RBAC-OVERBROAD-001
package kubegrant.rules.builtin_admin_binding

import rego.v1

import data.kubegrant.lib.rbac

builtin := {"cluster-admin", "admin", "edit"}

deny contains f if {
	some name in builtin
	some b in rbac.bindings_to("ClusterRole", "", name)
	binding := input.bindings[b]
	some j, s in binding.subjects
	not masters(s)
	f := {
		"binding": b,
		"subject": j,
		"severity": severity(binding, s),
		"msg": sprintf("%s %s grants the built-in ClusterRole %q to %s %q %s", [
			binding.kind, binding.name, binding.roleRef.name, s.kind, s.name, where(binding),
		]),
	}
}

masters(s) if {
	s.kind == "Group"
	s.name == "system:masters"
}

severity(binding, s) := "critical" if {
	not system_subject(s)
	wide(binding)
} else := "high"

wide(binding) if binding.kind == "ClusterRoleBinding"

wide(binding) if {
	binding.kind == "RoleBinding"
	binding.namespace in rbac.privileged_namespaces
}

system_subject(s) if {
	s.kind in {"User", "Group"}
	startswith(s.name, "system:")
}

where(binding) := "in every namespace" if binding.kind == "ClusterRoleBinding"

where(binding) := sprintf("in namespace %q", [binding.namespace]) if binding.kind != "ClusterRoleBinding"
